"""Regularization: L2, L1, elastic net, bias and activity penalties, max-norm and data augmentation.

Topic: regularization — the penalty terms Keras adds (kernel, bias and activity regularizers as
in the lecture's code, with their values and gradients checked), L1 zeroing irrelevant weights
while L2 shrinks all of them, the strength sweep lambda = 0.001 / 0.01 / 0.1 on a TensorFlow
Playground set (weight norm, training accuracy, boundary smoothness), max-norm constraints, the
H2O-style regularized network and data augmentation narrowing the train-validation gap on a
small digits subset.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 962-984);
UPM Madrid, "Training feedforward neural networks" (001, lines 1031-1094, with the Keras code reproduced
here); Sharif Univ., "Introduction to neural networks" (002, lines 960-998); Univ. Bretagne Sud, "ANN part I"
(003, lines 1028-1029, 1237-1305, 2442-2456).
No slips in this section (03:1028's regularized SGD step has the right sign).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from nnzoo.datasets import Dataset, stratified_split
from sklearn.datasets import make_classification

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("000", "001", "002", "003")
PENALTIES = ("none", "l1", "l2")
STRENGTHS = (0.0, 0.001, 0.01, 0.1)  # 03:1282-1290 plus the unregularized network
DIGITS_VARIANTS = ("plain", "h2o", "augmented")
VARIANTS = (*PENALTIES, "max_norm", *DIGITS_VARIANTS)


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; QUICK keeps every experiment at a size the test suite can afford."""

    sparse_features: int = 20  # 5 informative, 15 irrelevant
    sparse_informative: int = 5
    sparse_strength: float = 0.03  # the same lambda for L1 and L2
    sparse_epochs: int = 100  # SGD from lr 0.1 decaying to 0.001, so the L1 oscillation around 0 dies out
    playground: str = "xor_2d"
    playground_n: int = 100
    playground_noise: float = 0.5
    units: int = 64
    sweep_epochs: int = 150
    sweep_learning_rate: float = 0.01  # Adam
    max_norm: float = 1.0
    max_norm_learning_rate: float = 0.1  # ten times the sweep's, to test the bound under large updates
    digits_train: int = 200
    digits_units: int = 50  # H2O's hidden=[50, 50]
    digits_epochs: int = 80
    batch_size: int = 16
    seeds: int = 3
    grid_resolution: int = 120


FULL = Config()
QUICK = Config(sparse_epochs=60, sweep_epochs=40, digits_train=150, digits_epochs=20, seeds=1, grid_resolution=60)


def penalty(variant, strength):
    """The Keras regularizer for ``variant`` ("none", "l1", "l2") at ``strength``."""
    return {"none": None, "l1": keras.regularizers.L1(strength), "l2": keras.regularizers.L2(strength)}[variant]


def build_model(variant, config=FULL, *, input_dim=2, num_classes=2, strength=0.0, normalizer=None):
    """The network for ``variant``.

    "none"/"l1"/"l2": a linear softmax model (the sparsity experiment) with that kernel penalty;
    "playground": 2 x ``units`` ReLU with L2(``strength``) on every kernel; "max_norm": the same with
    MaxNorm(``max_norm``) instead; "plain", "h2o" (L1L2(1e-4, 1e-4) and dropout 0.2 / 0.3, 03:2454)
    and "augmented" (rotation, zoom, shift of the 8 x 8 image): H2O's hidden=[50, 50] on digits.
    """
    layers = [keras.Input((input_dim,))]
    if variant in PENALTIES:
        layers.append(
            keras.layers.Dense(
                num_classes, activation="softmax", kernel_regularizer=penalty(variant, config.sparse_strength)
            )
        )
    elif variant in ("playground", "max_norm"):
        layers.append(keras.layers.Rescaling(1 / 5))  # the playground's inputs lie in [-6, 6]
        for _ in range(2):
            layers.append(
                keras.layers.Dense(
                    config.units,
                    activation="relu",
                    kernel_regularizer=keras.regularizers.L2(strength) if strength else None,
                    kernel_constraint=keras.constraints.MaxNorm(config.max_norm, axis=0)
                    if variant == "max_norm"
                    else None,
                )
            )
        layers.append(
            keras.layers.Dense(
                num_classes,
                activation="softmax",
                kernel_regularizer=keras.regularizers.L2(strength) if strength else None,
            )
        )
    elif variant in DIGITS_VARIANTS:
        if variant == "augmented":
            layers += [
                keras.layers.Reshape((8, 8, 1)),
                keras.layers.RandomRotation(0.05, fill_mode="constant"),
                keras.layers.RandomZoom(0.1, fill_mode="constant"),
                keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
                keras.layers.Flatten(),
            ]
        if normalizer is not None:
            layers.append(normalizer)
        for rate in (0.2, 0.3):
            layers.append(
                keras.layers.Dense(
                    config.digits_units,
                    activation="relu",
                    kernel_regularizer=keras.regularizers.L1L2(l1=1e-4, l2=1e-4) if variant == "h2o" else None,
                )
            )
            if variant == "h2o":
                layers.append(keras.layers.Dropout(rate))
        layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    else:
        raise ValueError(f"Unknown variant; expected one of {(*VARIANTS, 'playground')}. Received: variant={variant!r}")
    return keras.Sequential(layers, name=variant)


def tunable_model(hp, data):
    """A digits MLP whose L1 and L2 strengths (log-sampled), dropout, width and learning rate come from ``hp``."""
    layers = [keras.Input(data.input_shape), standardizer(data.x_train)]
    reg = keras.regularizers.L1L2(
        l1=hp.Float("l1", 1e-7, 1e-2, sampling="log"), l2=hp.Float("l2", 1e-7, 1e-1, sampling="log")
    )
    for _ in range(hp.Int("hidden_layers", 1, 3)):
        layers += [
            keras.layers.Dense(hp.Int("units", 32, 256, step=32), activation="relu", kernel_regularizer=reg),
            keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1)),
        ]
    layers.append(keras.layers.Dense(data.num_classes, activation="softmax"))
    model = keras.Sequential(layers, name="tuned")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def sparse_data(config, seed):
    """A 2-class problem whose first ``sparse_informative`` features carry the signal; the rest are noise."""
    x, y = make_classification(
        n_samples=500,
        n_features=config.sparse_features,
        n_informative=config.sparse_informative,
        n_redundant=0,
        n_repeated=0,
        shuffle=False,
        random_state=seed,
    )
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    parts = stratified_split(x, y.astype("int32"), seed=seed)
    return Dataset(
        "sparse",
        *parts,
        task="classification",
        class_names=("0", "1"),
        spec={"n_features": config.sparse_features, "n_informative": config.sparse_informative},
        description=f"{config.sparse_informative} informative of {config.sparse_features} features",
    )


class ColumnNorms(keras.callbacks.Callback):
    """The largest incoming-weight norm of any hidden unit (column of a hidden kernel) after every epoch."""

    def __init__(self):
        super().__init__()
        self.max_norms = []

    def on_epoch_end(self, epoch, logs=None):
        hidden = [layer.kernel for layer in self.model.layers[:-1] if isinstance(layer, keras.layers.Dense)]
        self.max_norms.append(max(float(np.linalg.norm(np.asarray(k), axis=0).max()) for k in hidden))


def kernel_norm(model):
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(w))) for w in model.trainable_weights if "kernel" in w.path)))


def boundary_changes(model, resolution, lim=6.0):
    """Predicted-class changes between neighbouring points of a resolution x resolution grid (boundary length)."""
    g = np.linspace(-lim, lim, resolution)
    gx, gy = np.meshgrid(g, g)
    p = np.asarray(model(np.c_[gx.ravel(), gy.ravel()].astype("float32"))).argmax(axis=1).reshape(gx.shape)
    return int((np.diff(p, axis=0) != 0).sum() + (np.diff(p, axis=1) != 0).sum())


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    rows = []

    sparse = sparse_data(cfg, ctx.seed)
    decaying = lambda: keras.optimizers.SGD(  # noqa: E731
        keras.optimizers.schedules.ExponentialDecay(
            0.1, decay_steps=int(np.ceil(len(sparse.x_train) / 32)) * cfg.sparse_epochs, decay_rate=0.01
        )
    )
    sparse_runs = {
        v: ctx.train(
            f"sparse_{v}",
            lambda v=v: build_model(v, cfg, input_dim=cfg.sparse_features),
            sparse,
            epochs=cfg.sparse_epochs,
            optimizer=decaying,
            save=False,
            validation=False,  # only the digits runs' curves are drawn; every run's final metrics are measured
        )
        for v in PENALTIES
    }
    for v, r in sparse_runs.items():
        w = np.abs(np.asarray(r.model.layers[0].kernel))
        irrelevant, informative = w[cfg.sparse_informative :], w[: cfg.sparse_informative]
        rows.append(
            {
                "experiment": "sparsity",
                "variant": v,
                "strength": cfg.sparse_strength if v != "none" else 0.0,
                "irrelevant_below_1e-3": float((irrelevant < 1e-3).mean()),
                "informative_below_1e-3": float((informative < 1e-3).mean()),
                "mean_abs_irrelevant": float(irrelevant.mean()),
                "mean_abs_informative": float(informative.mean()),
                "kernel_norm": float(np.linalg.norm(w)),
                "val_accuracy": r.val["accuracy"],
            }
        )

    play = ctx.load(cfg.playground, n=cfg.playground_n, noise=cfg.playground_noise)
    sweep, column_norms = {}, {}
    for strength in STRENGTHS:
        column_norms[strength] = [ColumnNorms() for _ in range(cfg.seeds)]
        sweep[strength] = [
            ctx.train(
                f"l2_{strength:g}" + (f"_seed{k}" if k else ""),
                lambda s=strength: build_model("playground", cfg, strength=s),
                play,
                seed=ctx.seed + k,
                epochs=cfg.sweep_epochs,
                learning_rate=cfg.sweep_learning_rate,
                batch_size=cfg.batch_size,
                save=(k == 0 and strength == 0.01),
                callbacks=[column_norms[strength][k]],
                validation=False,
            )
            for k in range(cfg.seeds)
        ]
        for k, r in enumerate(sweep[strength]):
            train = r.model.evaluate(play.x_train, play.y_train, verbose=0, return_dict=True)
            rows.append(
                {
                    "experiment": "strength_sweep",
                    "variant": "l2",
                    "strength": strength,
                    "seed": ctx.seed + k,
                    "kernel_norm": kernel_norm(r.model),
                    "train_accuracy": train["accuracy"],
                    "val_accuracy": r.val["accuracy"],
                    "boundary_changes": boundary_changes(r.model, cfg.grid_resolution),
                }
            )
    norms = ColumnNorms()
    max_norm = ctx.train(
        "max_norm",
        lambda: build_model("max_norm", cfg),
        play,
        epochs=cfg.sweep_epochs,
        learning_rate=cfg.max_norm_learning_rate,
        batch_size=cfg.batch_size,
        callbacks=[norms],
        validation=False,
    )
    rows.append(
        {
            "experiment": "max_norm",
            "variant": "max_norm",
            "strength": cfg.max_norm,
            "max_unit_norm": max(norms.max_norms),
            "val_accuracy": max_norm.val["accuracy"],
        }
    )

    digits = ctx.load("digits").take_train(cfg.digits_train, seed=ctx.seed)
    digit_runs = {
        v: [
            ctx.train(
                v if k == 0 else f"{v}_seed{k}",
                lambda v=v: build_model(v, cfg, input_dim=64, num_classes=10, normalizer=standardizer(digits.x_train)),
                digits,
                seed=ctx.seed + k,
                epochs=cfg.digits_epochs,
                batch_size=cfg.batch_size,
                save=(k == 0),
            )
            for k in range(cfg.seeds)
        ]
        for v in DIGITS_VARIANTS
    }
    for v, runs in digit_runs.items():
        for k, r in enumerate(runs):
            train = r.model.evaluate(digits.x_train, digits.y_train, verbose=0, return_dict=True)
            rows.append(
                {
                    "experiment": "digits_gap",
                    "variant": v,
                    "seed": ctx.seed + k,
                    "train_accuracy": train["accuracy"],
                    "val_accuracy": r.val["accuracy"],
                    "gap": train["accuracy"] - r.val["accuracy"],
                    "val_loss": r.val["loss"],
                }
            )
    table = pd.DataFrame(rows)

    claims = [
        _claim_l2_penalty(ctx.seed),
        _claim_l1_sparsity(table, cfg),
        _claim_elastic_net(ctx.seed),
        _claim_strength_sweep(table, sweep, cfg),
        _claim_lecture_code(ctx.seed),
        _claim_max_norm(norms, column_norms[0.0], max_norm, cfg),
        _claim_augmentation(table, digit_runs, cfg),
        _claim_h2o(table, digit_runs, cfg),
        _claim_regularized_sgd(ctx.seed),
    ]
    figures = {
        "decision_boundaries": _boundary_figure(sweep, play),
        "weight_histograms": plots.histograms(
            {
                v: {
                    "informative features": np.asarray(sparse_runs[v].model.layers[0].kernel)[: cfg.sparse_informative],
                    "irrelevant features": np.asarray(sparse_runs[v].model.layers[0].kernel)[cfg.sparse_informative :],
                }
                for v in PENALTIES
            },
            title=f"linear model kernels, L1 vs L2 at lambda = {cfg.sparse_strength}",
            xlabel="weight",
        ),
        "learning_curves": plots.learning_curves(
            {v: runs[0].history for v, runs in digit_runs.items()},
            ("accuracy", "val_accuracy", "val_loss"),
            title=f"digits, {cfg.digits_train} training examples: plain vs H2O-regularized vs augmented",
        ),
    }
    return RecipeResult(table, figures, claims)


def _boundary_figure(sweep, data):
    fig, axes = plots.grid(
        len(sweep), ncols=len(sweep), size=(3.2, 3.0), title="decision regions as the L2 strength grows (seed 0)"
    )
    for ax, (strength, runs) in zip(axes, sweep.items()):
        model = runs[0].model
        plots.decision_regions(ax, lambda x, m=model: np.asarray(m(x))[:, 1], data.x_train, data.y_train, resolution=80)
        ax.set_title(f"lambda = {strength:g}, |W| = {kernel_norm(model):.2f}", fontsize="small")
    return fig


# ---- claims ----------------------------------------------------------------------------------------


def _dense_with(seed, **regularizers):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.Dense(
        8, activation="relu", bias_initializer=keras.initializers.RandomNormal(stddev=0.5), **regularizers
    )
    x = np.random.default_rng(seed).standard_normal((16, 5)).astype("float32")
    return layer, x


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def l2_penalty_is_lambda_sum_squares(value_error, gradient_error, penalty_terms):
    return value_error < 1e-6 and gradient_error < 1e-7 and penalty_terms == 1


def l1_sparsifies_l2_shrinks(
    l1_irrelevant_zero,
    l2_irrelevant_zero,
    l1_informative_zero,
    l2_norm,
    none_norm,
    l2_mean_irrelevant,
    none_mean_irrelevant,
):
    return (
        l1_irrelevant_zero >= 0.5
        and l2_irrelevant_zero <= 0.1
        and l2_norm < none_norm
        and l2_mean_irrelevant < none_mean_irrelevant
        and l1_informative_zero < 0.5
    )


def elastic_net_matches(value_error):
    return value_error < 1e-6


def stronger_lambda_shrinks_and_smooths(kernel_norms, train_accuracies, boundary_changes):
    """Each list runs over increasing lambda (the norms from lambda 0)."""
    return (
        all(b < a for a, b in zip(kernel_norms, kernel_norms[1:]))
        and all(b <= a + 1e-9 for a, b in zip(train_accuracies, train_accuracies[1:]))
        and all(b < a for a, b in zip(boundary_changes, boundary_changes[1:]))
    )


def three_penalties_activity_per_example(penalties, expected, whole_batch_activity):
    return (
        len(penalties) == 3
        and np.allclose(penalties, expected, rtol=1e-5, atol=0)
        and not any(abs(v / whole_batch_activity - 1) < 1e-5 for v in penalties)
    )


def max_norm_holds_the_bound(constrained_max, unconstrained_max, bound):
    return constrained_max <= bound + 1e-6 and unconstrained_max > bound


def augmentation_narrows_gap(gap, plain_gap):
    return gap < plain_gap


def regularization_narrows_gap_keeping_accuracy(gap, plain_gap, val_accuracy, plain_val_accuracy):
    return gap < plain_gap and val_accuracy >= plain_val_accuracy


def regularized_step_matches(max_error):
    return max_error < 1e-6


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_l2_penalty(seed, lam=1e-3):
    layer, x = _dense_with(seed, kernel_regularizer=keras.regularizers.L2(lam))
    layer(x)
    w = np.asarray(layer.kernel, dtype=np.float64)
    value = float(sum(np.asarray(loss) for loss in layer.losses))
    with tf.GradientTape() as tape:
        penalty_value = layer.kernel_regularizer(layer.kernel)
    grad = np.asarray(tape.gradient(penalty_value, layer.kernel))
    return judge(
        "L2: Keras's L2(lambda) adds lambda * sum(w^2) for the kernel only (no 1/2: lambda_keras = lambda/(2m) in "
        "01's notation) and its gradient is 2 lambda W",
        l2_penalty_is_lambda_sum_squares,
        {
            "value_error": abs(value - lam * np.sum(w**2)),
            "gradient_error": np.abs(grad - 2 * lam * w).max(),
            "penalty_terms": len(layer.losses),
        },
        f"model.losses {value:.8f} vs lambda sum(w^2) {lam * np.sum(w**2):.8f}; max |grad - 2 lambda W| "
        f"{fmt(np.abs(grad - 2 * lam * w).max())}; penalty terms: {len(layer.losses)} (biases unpenalized)",
        "00:978-981, 01:1058-1060, 02:989, 03:1273-1277",
    )


def _claim_l1_sparsity(table, cfg):
    t = table[table["experiment"] == "sparsity"].set_index("variant")
    l1, l2, none = t.loc["l1"], t.loc["l2"], t.loc["none"]
    return judge(
        f"L1 pushes the weights of irrelevant features to exactly 0 while L2 only shrinks every weight "
        f"(linear model, {cfg.sparse_informative} informative of {cfg.sparse_features} features, the same lambda "
        f"{cfg.sparse_strength})",
        l1_sparsifies_l2_shrinks,
        {
            "l1_irrelevant_zero": l1["irrelevant_below_1e-3"],
            "l2_irrelevant_zero": l2["irrelevant_below_1e-3"],
            "l1_informative_zero": l1["informative_below_1e-3"],
            "l2_norm": l2["kernel_norm"],
            "none_norm": none["kernel_norm"],
            "l2_mean_irrelevant": l2["mean_abs_irrelevant"],
            "none_mean_irrelevant": none["mean_abs_irrelevant"],
        },
        f"irrelevant weights with |w| < 1e-3: L1 {l1['irrelevant_below_1e-3']:.0%}, L2 {l2['irrelevant_below_1e-3']:.0%}, "
        f"none {none['irrelevant_below_1e-3']:.0%}; mean |w| irrelevant / informative: L1 "
        f"{fmt(l1['mean_abs_irrelevant'])} / {fmt(l1['mean_abs_informative'])}, L2 {fmt(l2['mean_abs_irrelevant'])} / "
        f"{fmt(l2['mean_abs_informative'])}, none {fmt(none['mean_abs_irrelevant'])} / "
        f"{fmt(none['mean_abs_informative'])}; validation accuracy L1 {fmt(l1['val_accuracy'])}, L2 "
        f"{fmt(l2['val_accuracy'])}, none {fmt(none['val_accuracy'])}",
        "00:976, 01:1050-1056, 03:1299-1305",
    )


def _claim_elastic_net(seed, lam=1e-3, beta=0.5):
    layer, x = _dense_with(seed, kernel_regularizer=keras.regularizers.L1L2(l1=lam, l2=lam * beta))
    layer(x)
    w = np.asarray(layer.kernel, dtype=np.float64)
    value = float(sum(np.asarray(loss) for loss in layer.losses))
    expected = lam * np.sum(beta * w**2 + np.abs(w))  # lambda * sum R(w), R(w) = beta w^2 + |w|
    return judge(
        f"Elastic net R(w) = beta w^2 + |w| is Keras's L1L2(l1=lambda, l2=lambda beta) (lambda {lam}, beta {beta})",
        elastic_net_matches,
        {"value_error": abs(value - expected)},
        f"model.losses {value:.8f} vs lambda sum(beta w^2 + |w|) {expected:.8f}",
        "02:996-998",
    )


def _claim_strength_sweep(table, sweep, cfg):
    t = table[table["experiment"] == "strength_sweep"].groupby("strength")
    mean, std = t.mean(numeric_only=True), t.std(numeric_only=True, ddof=0)
    lecture = mean.loc[[0.001, 0.01, 0.1]]
    return judge(
        f"Raising lambda (0.001 -> 0.01 -> 0.1, L2 on a {cfg.units}-unit ReLU network, TensorFlow Playground "
        f"'{cfg.playground}' with noise {cfg.playground_noise}) shrinks the weight norm, does not raise the training "
        f"accuracy and smooths the decision boundary (mean of {cfg.seeds} seeds)",
        stronger_lambda_shrinks_and_smooths,
        {
            "kernel_norms": mean["kernel_norm"].tolist(),
            "train_accuracies": lecture["train_accuracy"].tolist(),
            "boundary_changes": lecture["boundary_changes"].tolist(),
        },
        "; ".join(
            f"lambda {s:g}: |W| {fmt(r['kernel_norm'])} (± {fmt(std.loc[s, 'kernel_norm'], 2)}), train accuracy "
            f"{fmt(r['train_accuracy'])}, val {fmt(r['val_accuracy'])}, boundary changes on a "
            f"{cfg.grid_resolution}^2 grid {fmt(r['boundary_changes'])} (± {fmt(std.loc[s, 'boundary_changes'], 2)})"
            for s, r in mean.iterrows()
        ),
        "03:1282-1290",
        variants=[r for runs in sweep.values() for r in runs],
    )


def _claim_lecture_code(seed):
    layer, x = _dense_with(
        seed,
        kernel_regularizer=keras.regularizers.L2(1e-4),
        bias_regularizer=keras.regularizers.L2(1e-4),
        activity_regularizer=keras.regularizers.L2(1e-5),
    )
    a = np.asarray(layer(x), dtype=np.float64)
    w, b = np.asarray(layer.kernel, dtype=np.float64), np.asarray(layer.bias, dtype=np.float64)
    losses = sorted(float(np.asarray(loss)) for loss in layer.losses)
    whole_batch = 1e-5 * np.sum(a**2)
    per_example = whole_batch / len(x)  # Keras 3 (layer.py) divides the activity term by the batch size
    expected = sorted([1e-4 * np.sum(w**2), 1e-4 * np.sum(b**2), per_example])
    return judge(
        "The lecture's Dense(kernel_regularizer=L2(1e-4), bias_regularizer=L2(1e-4), activity_regularizer=L2(1e-5)) "
        f"adds three penalties: 1e-4 sum(w^2), 1e-4 sum(b^2) and 1e-5 sum(a^2), the activity term divided by the "
        f"batch size in the installed Keras {keras.__version__}",
        three_penalties_activity_per_example,
        {"penalties": losses, "expected": expected, "whole_batch_activity": whole_batch},
        f"penalties {', '.join(f'{v:.4e}' for v in losses)} vs expected {', '.join(f'{v:.4e}' for v in expected)} "
        f"(batch of {len(x)}; the undivided activity term would be {whole_batch:.4e})",
        "01:1068-1077",
    )


def _claim_max_norm(norms, unconstrained, trained, cfg):
    free = max(max(cb.max_norms) for cb in unconstrained)
    return judge(
        f"A MaxNorm({cfg.max_norm:g}, axis=0) constraint keeps every hidden unit's incoming-weight norm <= "
        f"{cfg.max_norm:g} after every epoch, even at Adam lr {cfg.max_norm_learning_rate} (the unconstrained network's "
        "units grow beyond it)",
        max_norm_holds_the_bound,
        {"constrained_max": max(norms.max_norms), "unconstrained_max": free, "bound": cfg.max_norm},
        f"largest unit norm over {len(norms.max_norms)} epochs: {max(norms.max_norms):.6f} with the constraint; "
        f"{fmt(free)} without it (lr {cfg.sweep_learning_rate})",
        "00:968-972",
        variants=[trained],
    )


def _gap_numbers(table, variant):
    """Mean and std over seeds of the digits runs' gap and validation accuracy, and the evidence text."""
    t = table[table["experiment"] == "digits_gap"].groupby("variant")
    mean, std = t.mean(numeric_only=True), t.std(numeric_only=True, ddof=0)
    plain, reg = mean.loc["plain"], mean.loc[variant]
    measured = {
        "gap": reg["gap"],
        "plain_gap": plain["gap"],
        "val_accuracy": reg["val_accuracy"],
        "plain_val_accuracy": plain["val_accuracy"],
    }
    evidence = (
        f"gap (train - val accuracy): plain {fmt(plain['gap'])} (± {fmt(std.loc['plain', 'gap'], 2)}), {variant} "
        f"{fmt(reg['gap'])} (± {fmt(std.loc[variant, 'gap'], 2)}); val accuracy plain "
        f"{fmt(plain['val_accuracy'])} (± {fmt(std.loc['plain', 'val_accuracy'], 2)}), {variant} "
        f"{fmt(reg['val_accuracy'])} (± {fmt(std.loc[variant, 'val_accuracy'], 2)})"
    )
    return measured, evidence


def _claim_augmentation(table, runs, cfg):
    measured, evidence = _gap_numbers(table, "augmented")
    return judge(
        "Data augmentation (RandomRotation, RandomZoom, RandomTranslation of the 8 x 8 images) narrows the "
        f"train-validation gap of an overfitting MLP on {cfg.digits_train} digits (mean of {cfg.seeds} seeds). "
        "It does not make the network better here: on 8 x 8 images a 10 % shift or zoom is almost a pixel, and "
        "validation accuracy falls (the evidence shows by how much)",
        augmentation_narrows_gap,
        {"gap": measured["gap"], "plain_gap": measured["plain_gap"]},
        evidence,
        "00:964-966",
        variants=[*runs["plain"], *runs["augmented"]],
        chance=0.1,
    )


def _claim_h2o(table, runs, cfg):
    measured, evidence = _gap_numbers(table, "h2o")
    return judge(
        "H2O's regularized network (hidden=[50, 50], l1 = l2 = 1e-4, dropout 0.2 / 0.3) narrows the train-validation "
        f"gap of an overfitting MLP on {cfg.digits_train} digits, without lowering validation accuracy "
        f"(mean of {cfg.seeds} seeds)",
        regularization_narrows_gap_keeping_accuracy,
        measured,
        evidence,
        "03:2448-2454",
        variants=[*runs["plain"], *runs["h2o"]],
        chance=0.1,
    )


def _claim_regularized_sgd(seed, lam=1e-2, alpha=0.1):
    layer, x = _dense_with(seed, kernel_regularizer=keras.regularizers.L2(lam))
    y = np.random.default_rng(seed + 1).standard_normal((len(x), 8)).astype("float32")
    layer(x)
    w0 = np.asarray(layer.kernel, dtype=np.float64)
    with tf.GradientTape() as tape:
        data_loss = tf.reduce_mean(tf.square(layer(x) - y))
    data_grad = np.asarray(tape.gradient(data_loss, layer.kernel), dtype=np.float64)
    with tf.GradientTape() as tape:
        out = layer(x)
        total = tf.reduce_mean(tf.square(out - y)) + tf.add_n(layer.losses)
    grads = tape.gradient(total, layer.trainable_weights)
    keras.optimizers.SGD(learning_rate=alpha).apply(grads, layer.trainable_weights)
    expected = w0 + alpha * (-data_grad - lam * 2 * w0)  # Delta = -grad l - lambda grad Omega; theta += alpha Delta
    err = np.abs(np.asarray(layer.kernel) - expected).max()
    return judge(
        "Regularized SGD: Delta = -grad l - lambda grad Omega, theta <- theta + alpha Delta is one Keras SGD step on "
        "the loss plus the L2 penalty",
        regularized_step_matches,
        {"max_error": err},
        f"max |keras step - formula| = {fmt(err)} (lambda {lam}, alpha {alpha})",
        "03:1020-1029",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
