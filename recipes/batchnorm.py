"""Batch normalization before vs after the activation, against a network without it.

Topic: batch normalization — the train-mode formulas, moving averages at inference, the
placement before (Dense(use_bias=False) -> BatchNormalization -> Activation) or after
(Dense(activation) -> BatchNormalization) the activation, and what it buys in training.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 820-960);
UPM Madrid, "Training feedforward neural networks" (001, lines 942-1028, with the Keras code reproduced here);
Sharif Univ., "Introduction to neural networks" (002, lines 769-854); Univ. Bretagne Sud, "ANN part I" (003,
lines 2342-2440).
Slips followed by the mathematics: S26 (the moving statistics are non-trainable),
S34 (BN divides by sqrt(var + eps), not by the variance), S35 (the identity needs
gamma = sqrt(var + eps), not sigma).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import custom_layers, plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "001", "002", "003")
VARIANTS = ("plain", "bn_after", "bn_before")
SCRATCH = "bn_before_scratch"  # bn_before built from nnzoo.custom_layers.ScratchDense/ScratchBatchNormalization


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; QUICK keeps the same experiment at a size the test suite can afford."""

    hidden_layers: int = 4
    units: int = 64
    activation: str = "sigmoid"  # saturating units show BN's speed-up most clearly (00:846-889)
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 0.05  # plain SGD
    target_accuracy: float = 0.9
    seeds: int = 3
    high_learning_rate: float = 1.0  # the ReLU network turns NaN here; with BN it keeps training
    high_lr_activation: str = "relu"
    high_lr_epochs: int = 8
    small_batch: int = 2
    large_batch: int = 64


FULL = Config()
QUICK = Config(epochs=8, seeds=2, high_lr_epochs=3, target_accuracy=0.8)


def build_model(variant, config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """The network for ``variant``: "plain", "bn_after" (01:1002-1011), "bn_before" (01:1016-1026) or
    "bn_before_scratch" (bn_before with nnzoo's from-scratch Dense and BatchNormalization)."""
    if variant not in (*VARIANTS, SCRATCH):
        raise ValueError(f"Unknown variant; expected one of {(*VARIANTS, SCRATCH)}. Received: variant={variant!r}")
    dense, batch_norm = (
        (custom_layers.ScratchDense, custom_layers.ScratchBatchNormalization)
        if variant == SCRATCH
        else (keras.layers.Dense, keras.layers.BatchNormalization)
    )
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    for _ in range(config.hidden_layers):
        if variant in ("bn_before", SCRATCH):
            layers += [dense(config.units, use_bias=False), batch_norm(), keras.layers.Activation(config.activation)]
        else:
            layers.append(keras.layers.Dense(config.units, activation=config.activation))
            if variant == "bn_after":
                layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers, name=variant)


def tunable_model(hp, data):
    """Search space for `nnzoo tune batchnorm`: BN placement, width and a log-sampled SGD learning rate."""
    config = dataclasses.replace(
        FULL,
        units=hp.Int("units", 32, 256, step=2, sampling="log"),
        activation=hp.Choice("activation", ["relu", "sigmoid"]),
    )
    model = build_model(
        hp.Choice("placement", list(VARIANTS)),
        config,
        input_dim=data.input_shape[0],
        num_classes=data.num_classes,
        normalizer=input_normalizer(data),
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=hp.Float("learning_rate", 1e-3, 1.0, sampling="log")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def input_normalizer(data):
    """Standardization with the training split's statistics, inside the model (export serves raw pixels)."""
    return standardizer(data.x_train)


def epochs_to_reach(history, target, column="val_accuracy"):
    """First epoch whose ``column`` reaches ``target``; NaN if never."""
    hit = history.index[history[column] >= target]
    return float(history["epoch"][hit[0]]) if len(hit) else float("nan")


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load("digits")

    def builder(variant, config=cfg):
        return lambda: build_model(
            variant,
            config,
            input_dim=data.input_shape[0],
            num_classes=data.num_classes,
            normalizer=input_normalizer(data),
        )

    sgd = dict(optimizer="sgd", data=data, batch_size=cfg.batch_size)
    rows, curves, trained = [], {}, {}
    for variant in VARIANTS:
        runs = [
            ctx.train(
                variant if k == 0 else f"{variant}_seed{k}",
                builder(variant),
                seed=ctx.seed + k,
                epochs=cfg.epochs,
                learning_rate=cfg.learning_rate,
                save=(k == 0),
                **sgd,
            )
            for k in range(cfg.seeds)
        ]
        trained[variant] = runs[0]
        curves[variant] = runs[0].history
        reach = np.array([epochs_to_reach(r.history, cfg.target_accuracy) for r in runs])
        final = np.array([r.final("val_accuracy") for r in runs])
        rows.append(
            {
                "experiment": "speed",
                "variant": variant,
                "learning_rate": cfg.learning_rate,
                "batch_size": cfg.batch_size,
                "seeds": cfg.seeds,
                "epochs_to_target_mean": np.nanmean(reach) if np.isfinite(reach).any() else np.nan,
                "epochs_to_target_std": np.nanstd(reach) if np.isfinite(reach).any() else np.nan,
                "runs_reaching_target": int(np.isfinite(reach).sum()),
                "final_val_accuracy_mean": final.mean(),
                "final_val_accuracy_std": final.std(),
                "test_accuracy": runs[0].test["accuracy"],
                "final_loss": runs[0].final("loss"),
                "params": runs[0].model.count_params(),
                "seconds_per_epoch": runs[0].history["seconds"].median(),
            }
        )
    table = pd.DataFrame(rows)
    scratch = ctx.train(SCRATCH, builder(SCRATCH), epochs=cfg.epochs, learning_rate=cfg.learning_rate, **sgd)
    curves[SCRATCH] = scratch.history
    rows.append(
        {
            "experiment": "scratch",
            "variant": SCRATCH,
            "learning_rate": cfg.learning_rate,
            "batch_size": cfg.batch_size,
            "seeds": 1,
            "final_val_accuracy_mean": scratch.final("val_accuracy"),
            "test_accuracy": scratch.test["accuracy"],
            "final_loss": scratch.final("loss"),
            "params": scratch.model.count_params(),
            "seconds_per_epoch": scratch.history["seconds"].median(),
        }
    )

    claims = [
        _claim_train_formulas(data),
        _claim_moving_averages(data),
        _claim_identity(data),
        *_claims_placement(data),
        _claim_faster(table, trained, cfg),
        _claim_inference_independent(trained["bn_before"].model, data),
        _claim_scratch(trained["bn_before"], scratch),
        _claim_folding(trained["bn_before"].model, data),
    ]

    relu = dataclasses.replace(cfg, activation=cfg.high_lr_activation)
    high = {
        v: ctx.train(
            f"{v}_lr{cfg.high_learning_rate:g}",
            builder(v, relu),
            epochs=cfg.high_lr_epochs,
            learning_rate=cfg.high_learning_rate,
            save=False,
            **sgd,
        )
        for v in VARIANTS
    }
    for v, r in high.items():
        rows.append(
            {
                "experiment": "high_lr",
                "variant": v,
                "learning_rate": cfg.high_learning_rate,
                "batch_size": cfg.batch_size,
                "seeds": 1,
                "final_loss": r.final("loss"),
                "final_val_accuracy_mean": r.final("val_accuracy"),
                "test_accuracy": r.test["accuracy"],
                "params": r.model.count_params(),
                "seconds_per_epoch": r.history["seconds"].median(),
            }
        )
    claims.append(_claim_high_lr(high, cfg))

    batch_stats = {
        b: _train_mode_accuracy(trained["bn_before"].model, data, b) for b in (cfg.small_batch, cfg.large_batch)
    }
    for b, (gap, accuracy) in batch_stats.items():
        rows.append(
            {
                "experiment": "batch_statistics",
                "variant": "bn_before",
                "batch_size": b,
                "train_mode_val_accuracy": accuracy,
                "train_inference_gap": gap,
                "final_val_accuracy_mean": trained["bn_before"].val["accuracy"],
            }
        )
    claims.append(_claim_small_batch(batch_stats, trained["bn_before"].val["accuracy"], cfg))

    notes.append(
        "Slip S25 (02:850-854): folding needs gamma: W' = gamma W / sqrt(var + eps), "
        "b' = gamma (b - mu) / sqrt(var + eps) + beta; the slide's formula is exact only when gamma = 1."
    )
    notes.append("Slip S26 (02:802): the moving mean and variance are non-trainable weights, not trainable ones.")
    notes.append("Slip S34 (01:960): BN divides by sqrt(variance + epsilon), not by the variance.")
    notes.append(
        "Slip S35 (01:986): BN is the identity for gamma = sqrt(var_B + eps), beta = mu_B, not gamma = sigma_B."
    )
    figures = {
        "learning_curves": plots.learning_curves(
            curves,
            ("loss", "val_loss", "val_accuracy"),
            title=f"{cfg.activation} MLP, SGD lr={cfg.learning_rate}: no BN vs BN after vs BN before",
        ),
        "high_learning_rate": plots.learning_curves(
            {v: r.history for v, r in high.items()},
            ("loss", "val_accuracy"),
            title=f"{cfg.high_lr_activation} MLP, SGD at lr={cfg.high_learning_rate}",
        ),
        "activations": plots.histograms(
            {v: hidden_activations(trained[v].model, data.x_val) for v in VARIANTS},
            title="hidden-layer activations on the validation split",
            xlabel="activation",
        ),
    }
    worked = [
        WorkedExample(
            f"Steps until the moving mean reaches 0.99 mu_B at momentum {m}: ceil(ln 0.01 / ln {m})",
            int(np.ceil(np.log(0.01) / np.log(m))),
            "a smaller momentum forgets faster",
            "02:804-816",
        )
        for m in (0.9, 0.99)
    ]
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes, worked=worked)


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def train_mode_matches_formula(formula_error, max_batch_mean, std_error):
    return formula_error < 1e-5 and max_batch_mean < 1e-5 and std_error < 1e-5


def moving_averages_match(ratios, variance_error, trainable, non_trainable, train_inference_difference):
    """``ratios`` maps steps n to the median moving_mean / mu_B after n steps at momentum 0.99."""
    lecture = {1: 0.01, 100: 0.634, 500: 0.9934}
    return (
        all(abs(ratios[n] - v) < 1e-3 for n, v in lecture.items())
        and variance_error < 1e-5
        and set(trainable) == {"gamma", "beta"}
        and set(non_trainable) == {"moving_mean", "moving_variance"}
        and train_inference_difference > 1e-2
    )


def identity_recoverable(error, slide_error):
    return error < 1e-5 and slide_error > error


def parameter_counts_match(after, before):
    """(total, trainable) parameters of the lecture's BN-after and BN-before models."""
    return tuple(after) == (51_146, 51_018) and tuple(before) == (51_082, 50_954)


def bias_cancels_before_bn(max_difference):
    return max_difference < 1e-5


def bn_reaches_target_sooner(plain_epochs, bn_epochs):
    return all(e < plain_epochs for e in bn_epochs.values())


def bn_tolerates_high_rate(plain_diverged, bn_diverged):
    return plain_diverged and not any(bn_diverged.values())


def inference_ignores_the_batch(inference_difference, training_difference):
    return inference_difference < 1e-6 and training_difference > 1e-3


def scratch_bn_trains_like_keras(curve_difference, weight_difference):
    return curve_difference < 1e-4 and weight_difference < 1e-4


def folding_keeps_outputs(folded_difference, folded_layers, bn_layers, slide_error):
    return folded_difference < 1e-5 and folded_layers == bn_layers and slide_error > 1e-3


def small_batches_break_bn(small_accuracy, large_accuracy, inference_accuracy):
    return small_accuracy < large_accuracy - 0.1 and large_accuracy > inference_accuracy - 0.05


# ---- measurements ---------------------------------------------------------------------------------------


def hidden_activations(model, x):
    """Output of each hidden activation (the input to the next Dense), keyed 'layer k'."""
    taps = [
        layer.output
        for layer in model.layers[:-1]
        if isinstance(layer, keras.layers.Activation)
        or (isinstance(layer, keras.layers.Dense) and layer.activation is not keras.activations.linear)
    ]
    outputs = keras.Model(model.inputs[0], taps)(x, training=False)
    return {f"layer {k + 1}": np.asarray(out) for k, out in enumerate(outputs)}


def _train_mode_accuracy(model, data, batch_size):
    """Mean |p_train - p_infer| and train-mode accuracy when BN normalizes with batches of ``batch_size``."""
    clone = keras.models.clone_model(model)  # training=True would move the original's statistics
    clone.set_weights(model.get_weights())
    usable = len(data.x_val) - len(data.x_val) % batch_size
    x, y = data.x_val[:usable], data.y_val[:usable]
    normalize_by_batch = tf.function(lambda batch: clone(batch, training=True))  # one trace, not an eager call each
    train_mode = np.concatenate(
        [np.asarray(normalize_by_batch(x[i : i + batch_size])) for i in range(0, usable, batch_size)]
    )
    gap = float(np.abs(train_mode - np.asarray(model(x, training=False))).mean())
    return gap, float((train_mode.argmax(axis=1) == y).mean())


def _batch(data, n=64):
    return data.x_train[:n].astype("float32")


def _claim_train_formulas(data):
    x = _batch(data)
    layer = keras.layers.BatchNormalization()
    y = np.asarray(layer(x, training=True))
    mu, var = x.mean(axis=0), x.var(axis=0)  # the biased (1/m) batch variance
    expected = (x - mu) / np.sqrt(var + layer.epsilon)
    err = np.abs(y - expected).max()
    std_err = np.abs(y.std(axis=0) - np.sqrt(var / (var + layer.epsilon))).max()
    return judge(
        "Train mode computes x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps), y = gamma x_hat + beta (biased variance); "
        "at init each feature's batch mean is ~0 and its std is sqrt(var / (var + eps))",
        train_mode_matches_formula,
        {"formula_error": err, "max_batch_mean": np.abs(y.mean(axis=0)).max(), "std_error": std_err},
        f"max |keras - numpy formula| = {fmt(err)}, max |batch mean| = {fmt(np.abs(y.mean(axis=0)).max())}, "
        f"max std error = {fmt(std_err)} (eps = {layer.epsilon})",
        "01:974-980, 02:788-796, 03:2405-2411",
    )


def _moving_mean_after(x, steps, momentum):
    layer = keras.layers.BatchNormalization(momentum=momentum)
    layer.build(x.shape)
    step = tf.function(lambda: layer(x, training=True))  # the layer's own train-mode call, traced once
    for _ in range(steps):
        step()
    return np.asarray(layer.moving_mean), np.asarray(layer.moving_variance), layer


def _claim_moving_averages(data):
    x = _batch(data)
    mu, var = x.mean(axis=0), x.var(axis=0)
    informative = np.abs(mu) > 1e-3
    ratios, var_errors = {}, {}
    for n in (1, 100, 500):
        mean, variance, layer = _moving_mean_after(x, n, 0.99)
        ratios[n] = float(np.median(mean[informative] / mu[informative]))
        expected_var = 0.99**n + (1 - 0.99**n) * var
        var_errors[n] = float((np.abs(variance - expected_var) / expected_var).max())
    trainable = {w.path.rsplit("/", 1)[-1] for w in layer.trainable_weights}
    non_trainable = {w.path.rsplit("/", 1)[-1] for w in layer.non_trainable_weights}
    train_out = np.asarray(_moving_mean_after(x, 1, 0.99)[2](x, training=False))
    differs = np.abs(train_out - np.asarray(keras.layers.BatchNormalization()(x, training=True))).max()
    return judge(
        "Inference uses moving averages mu_mov = a mu_mov + (1 - a) mu_B (a = momentum 0.99): after n steps on one batch "
        "moving_mean = (1 - 0.99^n) mu_B (0.01, 0.634, 0.9934 for n = 1, 100, 500); the moving statistics are "
        "non-trainable (slip S26)",
        moving_averages_match,
        {
            "ratios": ratios,
            "variance_error": max(var_errors.values()),
            "trainable": sorted(trainable),
            "non_trainable": sorted(non_trainable),
            "train_inference_difference": differs,
        },
        f"moving_mean / mu_B = {', '.join(f'n={n}: {r:.4f}' for n, r in ratios.items())}; max relative moving_var error "
        f"{fmt(max(var_errors.values()))}; trainable {sorted(trainable)}, non-trainable {sorted(non_trainable)}; "
        f"train vs inference output differ by up to {fmt(differs)} after 1 step",
        "00:939-960, 02:804-816, 03:2435-2440, 01:987-988",
    )


def _claim_identity(data):
    x = _batch(data)
    mu, var = x.mean(axis=0), x.var(axis=0)
    layer = keras.layers.BatchNormalization(gamma_initializer="ones")
    layer.build(x.shape)
    layer.gamma.assign(np.sqrt(var + layer.epsilon))
    layer.beta.assign(mu)
    err = np.abs(np.asarray(layer(x, training=True)) - x).max()
    layer.gamma.assign(np.sqrt(var))  # the slide's gamma = sigma_B
    slide_err = np.abs(np.asarray(layer(x, training=True)) - x).max()
    return judge(
        "BN can recover the identity: gamma = sqrt(sigma_B^2 + eps), beta = mu_B give BN(x) = x "
        "(the slide's gamma = sigma_B is off by eps, slip S35)",
        identity_recoverable,
        {"error": err, "slide_error": slide_err},
        f"max |BN(x) - x| = {fmt(err)} with gamma = sqrt(var + eps); {fmt(slide_err)} with the slide's gamma = sigma_B",
        "01:986, 03:2386-2392",
    )


def _claims_placement(data):
    def lecture_model(before, bias=False):
        inner = (
            [
                keras.layers.Dense(64, kernel_initializer="he_normal", use_bias=bias),
                keras.layers.BatchNormalization(),
                keras.layers.Activation("relu"),
            ]
            if before
            else [
                keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
                keras.layers.BatchNormalization(),
            ]
        )
        return keras.Sequential([keras.Input((784,)), *inner, keras.layers.Dense(10, activation="softmax")])

    after, before = lecture_model(False), lecture_model(True)
    counts = {
        name: (m.count_params(), sum(int(np.prod(w.shape)) for w in m.trainable_weights))
        for name, m in (("after", after), ("before", before))
    }

    x = _batch(data)
    dense = keras.layers.Dense(16, use_bias=True, bias_initializer=keras.initializers.RandomNormal(stddev=5.0))
    z = dense(x)
    bn = keras.layers.BatchNormalization()
    with_bias = np.asarray(bn(z, training=True))
    without_bias = np.asarray(bn(z - dense.bias, training=True))
    bias_err = np.abs(with_bias - without_bias).max()
    return [
        judge(
            "The lecture's Keras models (784 inputs, 64 units, 10 outputs): BN after relu has 51,146 parameters "
            "(51,018 trainable); BN before relu with use_bias=False has 51,082 (50,954 trainable)",
            parameter_counts_match,
            {"after": counts["after"], "before": counts["before"]},
            f"after: {counts['after'][0]:,} ({counts['after'][1]:,} trainable); "
            f"before: {counts['before'][0]:,} ({counts['before'][1]:,} trainable)",
            "01:1000-1028, 00:893-896",
        ),
        judge(
            "Before BN the Dense bias is useless: beta supplies the offset and the bias cancels in x - mu_B",
            bias_cancels_before_bn,
            {"max_difference": bias_err},
            f"max |BN(xW + b) - BN(xW)| in train mode = {fmt(bias_err)} (biases ~ N(0, 5^2))",
            "01:1028",
        ),
    ]


def _claim_faster(table, trained, cfg):
    speed = table.set_index("variant")
    plain = speed.loc["plain"]
    best = {v: speed.loc[v] for v in ("bn_after", "bn_before")}

    def epochs(row):  # a run that never reached the target counts as needing more than all epochs
        missing = row["seeds"] - row["runs_reaching_target"]
        mean = row["epochs_to_target_mean"]
        reached = 0.0 if np.isnan(mean) else mean * row["runs_reaching_target"]
        return (reached + missing * (cfg.epochs + 1)) / row["seeds"]

    plain_epochs = epochs(plain)
    bn_epochs = {v: epochs(r) for v, r in best.items()}
    ratio = plain_epochs / min(bn_epochs.values())
    return judge(
        f"BN reaches {cfg.target_accuracy:.0%} validation accuracy in fewer epochs than the same network without it "
        f"({cfg.hidden_layers}x{cfg.units} {cfg.activation}, SGD lr {cfg.learning_rate}, mean over {cfg.seeds} seeds)",
        bn_reaches_target_sooner,
        {"plain_epochs": plain_epochs, "bn_epochs": bn_epochs},
        f"epochs to target (unreached = {cfg.epochs + 1}): plain {plain_epochs:.1f}, "
        + ", ".join(f"{v} {e:.1f} (± {fmt(best[v]['epochs_to_target_std'], 2)})" for v, e in bn_epochs.items())
        + f"; speed-up x{ratio:.2f} (the lecture's '200%' is not asserted)",
        "00:846-889, 01:991-994, 02:818-836, 03:2413-2416",
        variants=[trained[v] for v in VARIANTS],
    )


def _claim_high_lr(high, cfg):
    def diverged(r):
        loss = r.history["loss"].to_numpy()
        return (not np.isfinite(loss).all()) or r.final("val_accuracy") < 0.5

    plain = high["plain"]
    bn = {v: high[v] for v in ("bn_after", "bn_before")}
    return judge(
        f"BN tolerates a learning rate ({cfg.high_learning_rate:g}, {cfg.high_lr_activation} network) at which the "
        "plain network diverges (NaN loss) or stops learning",
        bn_tolerates_high_rate,
        {"plain_diverged": diverged(plain), "bn_diverged": {v: diverged(r) for v, r in bn.items()}},
        f"final loss / val accuracy: plain {fmt(plain.final('loss'))} / {fmt(plain.final('val_accuracy'))}; "
        + "; ".join(f"{v} {fmt(r.final('loss'))} / {fmt(r.final('val_accuracy'))}" for v, r in bn.items()),
        "00:846-889, 01:991-994, 03:2413-2416",
        variants=bn.values(),
        chance=0.1,
    )


def _claim_inference_independent(model, data):
    x = data.x_val[:32]
    alone = np.asarray(model(x[:1], training=False))
    in_batch = np.asarray(model(x, training=False))[:1]
    infer_diff = np.abs(alone - in_batch).max()
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    train_diff = np.abs(np.asarray(clone(x[:2], training=True))[:1] - np.asarray(clone(x, training=True))[:1]).max()
    return judge(
        "At inference BN uses its moving averages, so an example's output does not depend on the rest of the batch "
        "(in training mode it does)",
        inference_ignores_the_batch,
        {"inference_difference": infer_diff, "training_difference": train_diff},
        f"inference: max |p(x alone) - p(x in a batch of 32)| = {fmt(infer_diff)}; "
        f"training mode: batch of 2 vs 32 differ by {fmt(train_diff)}",
        "00:939-960, 02:804-816",
    )


def _claim_scratch(builtin, scratch):
    columns = ["loss", "val_loss", "val_accuracy"]
    diff = max(float(np.abs(builtin.history[c].to_numpy() - scratch.history[c].to_numpy()).max()) for c in columns)
    weights = max(float(np.abs(a - b).max()) for a, b in zip(builtin.model.get_weights(), scratch.model.get_weights()))
    return judge(
        "A from-scratch BN-before network (nnzoo.custom_layers.ScratchDense + ScratchBatchNormalization) learns "
        "exactly like the built-in one: the learning curves coincide",
        scratch_bn_trains_like_keras,
        {"curve_difference": diff, "weight_difference": weights},
        f"max |difference| over the loss, val_loss and val_accuracy curves: {fmt(diff)}; final weights and moving "
        f"statistics differ by at most {fmt(weights)} ({len(builtin.history)} epochs)",
        "02:769-854, 03:2405-2411",
        variants=[builtin, scratch],
    )


def _inference_seconds(model, x, repeats=20):
    """Median wall time of one inference pass over ``x``: the compiled predict step, warmed up, run on the whole
    batch (predict_on_batch: without the per-call data adapter and iterator of ``predict``, which would dwarf it)."""
    import time

    model.predict_on_batch(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _claim_folding(model, data):
    folded, report = custom_layers.fold_batch_norm(model)
    x = np.repeat(data.x_val, 8, axis=0)
    reference = np.asarray(model(x, training=False))
    diff = float(np.abs(np.asarray(folded(x, training=False)) - reference).max())
    bn_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    gammas = np.concatenate([np.asarray(bn.gamma) for bn in bn_layers])
    first = model.layers.index(bn_layers[0]) - 1
    dense = model.layers[first]
    z = np.asarray(keras.Model(model.inputs[0], dense.output)(data.x_val))
    bn = bn_layers[0]
    std = np.sqrt(np.asarray(bn.moving_variance) + bn.epsilon)
    slide = z / std + (np.asarray(bn.beta) - np.asarray(bn.moving_mean) / std)  # W' = W/sqrt, b' = beta + (b-mu)/sqrt
    slide_error = float(np.abs(slide - np.asarray(bn(z, training=False))).max())
    speed = _inference_seconds(model, x) / _inference_seconds(folded, x)
    return judge(
        "Folding BN into the preceding Dense (W' = gamma W / sqrt(var + eps), b' = gamma (b - mu) / sqrt(var + eps) "
        "+ beta) gives the same outputs in inference mode and removes the BN work; the slide's formula without "
        "gamma does not (slip S25)",
        folding_keeps_outputs,
        {
            "folded_difference": diff,
            "folded_layers": len(report["folded"]),
            "bn_layers": len(bn_layers),
            "slide_error": slide_error,
        },
        f"folded {len(report['folded'])}/{len(bn_layers)} BN layers; max |folded - original| = {fmt(diff)} on "
        f"{len(x)} inputs; inference speed-up x{speed:.2f} (not asserted); trained gamma in "
        f"[{gammas.min():.3f}, {gammas.max():.3f}], so the slide's gamma-free formula is off by {fmt(slide_error)}",
        "02:842-854",
    )


def _claim_small_batch(batch_stats, inference_accuracy, cfg):
    (gap_s, acc_s), (gap_l, acc_l) = batch_stats[cfg.small_batch], batch_stats[cfg.large_batch]
    return judge(
        f"BN does not work for very small batches: normalizing with the statistics of {cfg.small_batch} examples "
        f"(train mode) wrecks the trained network's accuracy, while batches of {cfg.large_batch} keep it",
        small_batches_break_bn,
        {"small_accuracy": acc_s, "large_accuracy": acc_l, "inference_accuracy": inference_accuracy},
        f"mean |p_train - p_infer| on the validation split: batch {cfg.small_batch}: {fmt(gap_s)}, batch "
        f"{cfg.large_batch}: {fmt(gap_l)}; train-mode accuracy {fmt(acc_s)} vs {fmt(acc_l)} "
        f"(inference mode: {fmt(inference_accuracy)})",
        "01:993",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
