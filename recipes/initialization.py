"""Weight initialization: zeros/constant, small and large random, Xavier/Glorot and He, layer by layer.

Topic: weight initialization — why constant weights never break symmetry, what the lecture's
10-layer x 500-unit networks do to their activations under each scheme (numpy forward passes,
as the slides compute them), the variance formulas against Keras's initializers, vanishing and
exploding norms, and what each scheme means for training a deep network on digits
(0.01-init does not learn; GlorotNormal vs HeNormal with ReLU).

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 740-818);
UPM Madrid, "Training feedforward neural networks" (001, lines 769-847, with the Keras code reproduced here);
Sharif Univ., "Introduction to neural networks" (002, lines 617-728); Univ. Bretagne Sud, "ANN part I" (003,
lines 1388-1646).
Slips followed by the mathematics: S11 (0.01-init layer 4 and 5 stds), S12 (tanh std above 1),
S13 (Xavier-ReLU stds of layers 2-7), S14 (Xavier-tanh layers 4-5), S27 (He divides by fan_in,
not fan_out) and S28 (He is 2/fan_in, not 4/(fan_in + fan_out)).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "001", "002", "003")

# The slides' scale of W = randn(fan_in, fan_out) * scale (03:1432-1630) and their nonlinearity.
SCHEMES = {
    "small_0.01": (lambda fan_in: 0.01, "tanh"),
    "large_1.0": (lambda fan_in: 1.0, "tanh"),
    "xavier_tanh": (lambda fan_in: 1 / np.sqrt(fan_in), "tanh"),
    "xavier_relu": (lambda fan_in: 1 / np.sqrt(fan_in), "relu"),
    "he_relu": (lambda fan_in: 1 / np.sqrt(fan_in / 2), "relu"),
}
# The slides' printed per-layer statistics (03:1481-1630): the only literals checked against.
SLIDE_STD = {
    "small_0.01": (0.213081, 0.047551, 0.010630, 0.992378, 0.998532, 0.000119, 0.000026, 0.000006, 0.000001, 0.0),
    "large_1.0": (1.001311, 0.981879, 0.981649, 0.981591, 0.981751, 0.981614, 0.981560, 0.981913, 0.981728, 0.981730),
    "xavier_tanh": (0.627953, 0.486051, 0.407723, 0.340186, 0.328917, 0.292116, 0.273387, 0.254935, 0.239266, 0.228888),
    "xavier_relu": (0.582273, 0.493798, 0.409212, 0.398605, 0.348299, 0.303280, 0.272748, 0.051572, 0.038583, 0.026676),
    "he_relu": (0.825232, 0.827835, 0.813855, 0.826902, 0.834892, 0.858835, 0.883110, 0.889348, 0.845357, 0.844523),
}
SLIDE_MEAN = {
    "xavier_relu": (0.398623, 0.272352, 0.198621, 0.136442, 0.099568, 0.072234, 0.049775, 0.035138, 0.025404, 0.018408),
    "he_relu": (0.562408, 0.553614, 0.545687, 0.505396, 0.547678, 0.587183, 0.623214, 0.623214, 0.567498, 0.552531),
}
# Training variants on digits: (hidden layers, activation, kernel initializer).
TRAINING = {
    "shallow_small": (1, "tanh", "small"),
    "deep_small": (10, "tanh", "small"),
    "deep_glorot_tanh": (10, "tanh", "glorot_normal"),
    "deep_glorot_relu": (10, "relu", "glorot_normal"),
    "deep_he_relu": (10, "relu", "he_normal"),
}
SAVED = ("deep_glorot_tanh", "deep_he_relu")  # the two schemes worth serving
SYMMETRY = ("zeros", "constant", "one_unit")


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; QUICK keeps every experiment at a size the test suite can afford."""

    examples: int = 1000  # the slides' D = randn(1000, 500)
    width: int = 500
    depth: int = 10
    stat_seeds: int = 10  # the lecture statistics are compared as 10-seed means
    units: int = 100  # training: 10 hidden layers of 100 units on digits
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 0.05  # plain SGD: Adam's per-weight scaling would hide vanishing gradients
    seeds: int = 3
    target_accuracy: float = 0.9
    symmetry_units: int = 32
    symmetry_epochs: int = 20
    constant: float = 0.1  # Constant(0.1): 0.5 would saturate tanh on 64 standardized inputs


FULL = Config()
QUICK = Config(examples=200, stat_seeds=10, epochs=5, seeds=1, symmetry_epochs=3)


def kernel_initializer(name, seed=None):
    """A Keras initializer by the recipe's name: "small" is RandomNormal(stddev=0.01)."""
    if name == "small":
        return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
    if name == "zeros":
        return keras.initializers.Zeros()
    if name == "constant":
        return keras.initializers.Constant(FULL.constant)
    return keras.initializers.get(name)


def build_model(variant, config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """The network for ``variant``: a TRAINING entry (deep MLPs) or a SYMMETRY entry (one hidden layer)."""
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    if variant in TRAINING:
        depth, activation, init = TRAINING[variant]
        layers += [
            keras.layers.Dense(config.units, activation=activation, kernel_initializer=kernel_initializer(init))
            for _ in range(depth)
        ]
        layers.append(
            keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=kernel_initializer(init))
        )
    elif variant in SYMMETRY:
        # float64: the symmetry is a statement about exact arithmetic. In float32 the blocked matmul rounds
        # identical columns differently (~1e-7), and the symmetric solution is unstable, so after 20 epochs
        # the units differ by as much as they moved (measured: 1.32 vs 1.26 with Adam, 0.36 vs 0.44 with SGD).
        init = "constant" if variant == "one_unit" else variant
        units = 1 if variant == "one_unit" else config.symmetry_units
        layers += [
            keras.layers.Dense(
                units,
                activation="tanh",
                kernel_initializer=kernel_initializer(init),
                bias_initializer="zeros",
                dtype="float64",
            ),
            keras.layers.Dense(
                num_classes,
                activation="softmax",
                kernel_initializer=kernel_initializer(init),
                bias_initializer="zeros",
                dtype="float64",
            ),
        ]
    else:
        raise ValueError(f"Unknown variant; expected one of {(*TRAINING, *SYMMETRY)}. Received: variant={variant!r}")
    return keras.Sequential(layers, name=variant)


def tunable_model(hp, data):
    """A digits MLP whose initializer, activation, depth, width and SGD learning rate come from ``hp``."""
    activation = hp.Choice("activation", ["relu", "tanh"])
    init = hp.Choice("kernel_initializer", ["he_normal", "glorot_normal", "glorot_uniform", "lecun_normal", "small"])
    layers = [keras.Input(data.input_shape), standardizer(data.x_train)]
    layers += [
        keras.layers.Dense(
            hp.Int("units", 32, 256, step=32), activation=activation, kernel_initializer=kernel_initializer(init)
        )
        for _ in range(hp.Int("hidden_layers", 1, 10))
    ]
    layers.append(keras.layers.Dense(data.num_classes, activation="softmax"))
    model = keras.Sequential(layers, name="tuned")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=hp.Float("learning_rate", 1e-3, 0.5, sampling="log")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# ---- the slides' numpy experiment (03:1432-1474) --------------------------------------------------


def activation_statistics(scheme, seed, config=FULL, keep=False):
    """Per-layer mean, std, saturated fraction (|h| > 0.99) and mean tanh' of the 10 x 500 network.

    Untruncated W = randn(fan_in, fan_out) * scale, biases 0, input randn(examples, width), as the slides.
    With ``keep`` also returns each layer's activations (for the histograms).
    """
    scale, activation = SCHEMES[scheme]
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((config.examples, config.width), dtype=np.float32)
    rows, kept = [], {}
    for layer in range(1, config.depth + 1):
        w = rng.standard_normal((config.width, config.width), dtype=np.float32) * np.float32(scale(config.width))
        z = h @ w
        h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
        rows.append(
            {
                "layer": layer,
                "mean": float(h.mean()),
                "std": float(h.std()),
                "saturated": float((np.abs(h) > 0.99).mean()),
                "mean_tanh_derivative": float((1 - h.astype(np.float64) ** 2).mean())
                if activation == "tanh"
                else np.nan,
            }
        )
        if keep:
            kept[f"layer {layer}"] = h.ravel()[:20_000]
    frame = pd.DataFrame(rows)
    return (frame, kept) if keep else frame


def statistics_table(config, seed):
    """Mean over ``config.stat_seeds`` seeds of every scheme's per-layer statistics, with the single-seed range."""
    frames = []
    for scheme in SCHEMES:
        runs = pd.concat([activation_statistics(scheme, seed + k, config) for k in range(config.stat_seeds)])
        grouped = runs.groupby("layer")
        frame = grouped.mean()
        frame["std_min_seed"] = grouped["std"].min()
        frame["std_max_seed"] = grouped["std"].max()
        frame["std_sem"] = grouped["std"].std() / np.sqrt(config.stat_seeds)  # standard error of the seed mean
        frame["slide_std"] = SLIDE_STD[scheme]
        frame["slide_mean"] = SLIDE_MEAN.get(scheme, (np.nan,) * config.depth)
        frame.insert(0, "scheme", scheme)
        frames.append(frame.reset_index())
    return pd.concat(frames, ignore_index=True)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    stats = statistics_table(cfg, ctx.seed)
    by = {s: stats[stats["scheme"] == s].set_index("layer") for s in SCHEMES}

    data = ctx.load("digits")

    def builder(variant):
        return lambda: build_model(
            variant,
            cfg,
            input_dim=data.input_shape[0],
            num_classes=data.num_classes,
            normalizer=standardizer(data.x_train),
        )

    symmetry = {
        v: ctx.train(
            f"symmetry_{v}",
            builder(v),
            data,
            epochs=cfg.symmetry_epochs,
            optimizer="adam",
            learning_rate=1e-2,
            batch_size=cfg.batch_size,
            save=False,
        )
        for v in SYMMETRY
    }
    runs = {
        v: [
            ctx.train(
                v if k == 0 else f"{v}_seed{k}",
                builder(v),
                data,
                seed=ctx.seed + k,
                epochs=cfg.epochs,
                optimizer="sgd",
                learning_rate=cfg.learning_rate,
                batch_size=cfg.batch_size,
                save=(k == 0 and v in SAVED),
            )
            for k in range(cfg.seeds)
        ]
        for v in TRAINING
    }
    training = training_table(runs, cfg)

    claims = [
        *_claims_symmetry(symmetry, runs["shallow_small"][0], data),
        _claim_small(by["small_0.01"], cfg),
        _claim_large(by["large_1.0"]),
        _claim_xavier_tanh(by["xavier_tanh"], cfg),
        _claim_xavier_relu(by["xavier_relu"], cfg),
        _claim_he(by["he_relu"], cfg),
        _claim_glorot_formulas(ctx.seed),
        _claim_he_formulas(ctx.seed),
        _claim_uniform_problem(cfg, ctx.seed),
        _claim_deep_small(training, runs, cfg),
        _claim_he_vs_glorot(training, runs, cfg),
        _claim_vanishing_exploding(ctx.seed),
        _claim_keras_code(data),
    ]
    small, xavier = by["small_0.01"]["std"], by["xavier_tanh"]["std"]
    notes.append(
        f"Slip S11 (03:1485-1486): with W = 0.01 randn the tanh stds of layers 4 and 5 are {fmt(small.iloc[3], 2)} "
        f"and {fmt(small.iloc[4], 2)} here (x{np.sqrt(cfg.width) * 0.01:.4f} per layer), not 0.992378 and 0.998532."
    )
    notes.append(
        "Slip S12 (03:1515): tanh is bounded by 1, so no hidden layer can have std 1.001311; that row is the input."
    )
    notes.append(
        "Slip S13 (03:1579-1584): the Xavier-ReLU stds of layers 2-7 contradict the slide's own means "
        f"(std/mean of ReLU(N(0, s^2)) is sqrt(pi - 1) = {np.sqrt(np.pi - 1):.4f})."
    )
    notes.append(
        f"Slip S14 (03:1544-1545): Xavier-tanh layers 4-5 simulate to {fmt(xavier.iloc[3], 3)} and "
        f"{fmt(xavier.iloc[4], 3)} here (slide 0.340186, 0.328917)."
    )
    notes.append(
        "Slips S27 (02:721) and S28 (01:806): He's variance is 2/fan_in (Keras HeNormal), not 2/fan_out "
        "nor 4/(fan_in + fan_out)."
    )

    table = pd.concat(
        [stats.assign(experiment="activation_statistics"), training.assign(experiment="training")], ignore_index=True
    )
    table.insert(0, "experiment", table.pop("experiment"))
    histograms = {scheme: activation_statistics(scheme, ctx.seed, cfg, keep=True)[1] for scheme in SCHEMES}
    figures = {
        "activation_histograms": plots.histograms(
            histograms, title=f"activations per layer, {cfg.depth} x {cfg.width} network, W = randn * scale"
        ),
        "layer_std": plots.curves(
            {s: (np.arange(1, cfg.depth + 1), by[s]["std"].to_numpy()) for s in SCHEMES},
            xlabel="hidden layer",
            ylabel="activation std (mean of seeds)",
            logy=True,
            title="activation std per layer",
            size=(6.0, 3.6),
        ),
        "learning_curves": plots.learning_curves(
            {v: r[0].history for v, r in runs.items()},
            ("loss", "val_accuracy"),
            title=f"digits, {cfg.units}-unit layers, SGD lr={cfg.learning_rate}",
        ),
    }
    return RecipeResult(table, figures, claims, notes=notes, worked=_worked_examples())


def _worked_examples():
    """The slides' initialization formulas on their layer sizes (784 -> 256, 500 -> 500)."""
    fan_avg = (784 + 256) / 2
    return [
        WorkedExample("Glorot variance 2/(n_in + n_out), 784 -> 256", 2 / (784 + 256), "0.0019231", "01:796-800"),
        WorkedExample("Glorot std sqrt(1/fan_avg), 784 -> 256", np.sqrt(1 / fan_avg), "0.043853", "02:696-700"),
        WorkedExample(
            "Glorot uniform limit sqrt(6/(n_in + n_out)), 784 -> 256",
            np.sqrt(6 / (784 + 256)),
            "0.075955",
            "03:1638-1646",
        ),
        WorkedExample("Glorot variance, 500 -> 500", 2 / (500 + 500), "0.002", "01:796-800"),
        WorkedExample("He variance 2/fan_in, 784 -> 256", 2 / 784, "0.0025510", "02:718-725"),
        WorkedExample("He std and uniform limit sqrt(6/fan_in), 784 -> 256", np.sqrt(6 / 784), "0.087482", "02:725"),
        WorkedExample("The slide's He 4/(n_in + n_out), 784 -> 256 (S28)", 4 / (784 + 256), "0.003846", "01:806"),
        WorkedExample(
            "4/(n_in + n_out) for 500 -> 500, equal to 2/fan_in only when fan_in = fan_out",
            4 / (500 + 500),
            "0.004",
            "01:802-806",
        ),
        WorkedExample(
            "Linear-regime std ratio per layer of W = 0.01 randn, 500 units: sqrt(500) x 0.01",
            np.sqrt(500) * 0.01,
            "0.2236 (S11)",
            "03:1485-1486",
        ),
    ]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def zero_init_cannot_learn(max_init_gradient, max_trained_kernel, val_accuracy):
    return max_init_gradient == 0 and max_trained_kernel == 0 and val_accuracy < 0.25


def constant_init_stays_symmetric(column_spread, moved, constant_accuracy, one_unit_accuracy, random_accuracy):
    return (
        column_spread < 1e-6 * moved
        and moved > 1e-2
        and abs(constant_accuracy - one_unit_accuracy) < 0.1
        and random_accuracy - constant_accuracy > 0.3
    )


def small_init_collapses(first3_deviation, last_std, max_abs_mean, max_ratio_deviation, layer4_std, slide_layer4):
    return (
        first3_deviation < 0.05
        and last_std < 1e-5
        and max_abs_mean < 1e-3
        and max_ratio_deviation < 0.05
        and layer4_std < 0.01 * slide_layer4
    )


def large_init_saturates(stds, saturated, mean_tanh_derivative):
    return (
        all(0.975 <= v <= 0.99 for v in stds)
        and all(0.88 <= v <= 0.92 for v in saturated)
        and all(0.03 <= v <= 0.042 for v in mean_tanh_derivative)
    )


def xavier_tanh_decays_slowly(stds, max_slide_deviation):
    return (
        all(b < a for a, b in zip(stds, stds[1:]))
        and abs(stds[0] - 0.627953) < 0.01
        and abs(stds[-1] - 0.228888) < 0.01
        and max_slide_deviation < 0.06
    )


def xavier_relu_halves(first_mean, first_std, decay, max_ratio_deviation, slide_min_ratio_deviation):
    return (
        abs(first_mean - 0.39894) < 0.01
        and abs(first_std - 0.58382) < 0.01
        and abs(decay / 2**-4.5 - 1) < 0.3
        and max_ratio_deviation < 0.05
        and slide_min_ratio_deviation > 0.2
    )


def he_keeps_scale(first_mean, first_std, max_standard_errors, min_seed_std, max_seed_std, last_over_first):
    return (
        abs(first_mean - 1 / np.sqrt(np.pi)) < 0.01
        and abs(first_std - np.sqrt(1 - 1 / np.pi)) < 0.01
        and max_standard_errors < 3
        and min_seed_std > 0.5
        and max_seed_std < 1.4
        and last_over_first > 0.6
    )


def keras_samples_formula(normal_var_ratio, uniform_var_ratio, uniform_max_over_limit):
    """Sample variance / formula variance for the Normal and Uniform initializers, max |w| / the uniform limit."""
    return abs(normal_var_ratio - 1) < 0.05 and abs(uniform_var_ratio - 1) < 0.05 and 0.99 < uniform_max_over_limit <= 1


def he_differs_from_slide_variants(normal_var_ratio, uniform_var_ratio, uniform_max_over_limit, over_upm, over_sharif):
    """As keras_samples_formula for HeNormal/HeUniform; ``over_*``: HeNormal's variance over the slides' variants."""
    return (
        abs(normal_var_ratio - 1) < 0.05
        and abs(uniform_var_ratio - 1) < 0.05
        and uniform_max_over_limit <= 1
        and abs(over_upm - 1) > 0.2
        and abs(over_sharif - 1) > 0.2
    )


def uniform_init_shrinks(variance_times_3n, max_ratio_deviation):
    return abs(variance_times_3n - 1) < 0.05 and max_ratio_deviation < 0.05


def small_init_fails_deep(deep_loss, chance_loss, deep_accuracy, learner_accuracies):
    return (
        abs(deep_loss - chance_loss) < 0.02
        and deep_accuracy < 0.2
        and all(a > 0.8 for a in learner_accuracies.values())
    )


def he_beats_glorot(he_epochs, glorot_epochs, he_first_loss, glorot_first_loss):
    return he_epochs < glorot_epochs and he_first_loss < glorot_first_loss


def norms_scale_geometrically(gain_11, gain_09, layers):
    return (
        abs(gain_11 / 1.1**layers - 1) < 1e-3
        and abs(gain_09 / 0.9**layers - 1) < 1e-3
        and round(gain_11) == 117
        and round(gain_09, 4) == 0.0052
    )


def keras_code_init(max_bias, std_ratio):
    return max_bias == 0 and abs(std_ratio - 1) < 0.05


# ---- measurements ---------------------------------------------------------------------------------------


def epochs_to_reach(history, target, column="val_accuracy"):
    """First epoch whose ``column`` reaches ``target``; NaN if never."""
    hit = history.index[history[column] >= target]
    return float(history["epoch"][hit[0]]) if len(hit) else float("nan")


def training_table(runs, cfg):
    rows = []
    for variant, trained in runs.items():
        depth, activation, init = TRAINING[variant]
        loss = np.array([r.final("loss") for r in trained])
        first = np.array([r.history["loss"].iloc[0] for r in trained])
        acc = np.array([r.final("val_accuracy") for r in trained])
        reach = np.array([epochs_to_reach(r.history, cfg.target_accuracy) for r in trained])
        unreached = np.where(np.isnan(reach), cfg.epochs + 1, reach)  # never reached counts as epochs + 1
        rows.append(
            {
                "variant": variant,
                "hidden_layers": depth,
                "activation": activation,
                "initializer": init,
                "seeds": len(trained),
                "first_epoch_loss_mean": first.mean(),
                "final_loss_mean": loss.mean(),
                "final_loss_std": loss.std(),
                "final_val_accuracy_mean": acc.mean(),
                "final_val_accuracy_std": acc.std(),
                "epochs_to_target_mean": unreached.mean(),
                "epochs_to_target_std": unreached.std(),
                "test_accuracy": trained[0].test["accuracy"],
            }
        )
    return pd.DataFrame(rows)


def _hidden_kernel(model):
    return np.asarray(next(layer for layer in model.layers if isinstance(layer, keras.layers.Dense)).kernel)


def _claims_symmetry(symmetry, random_init, data):
    """``random_init``: a one-hidden-layer tanh network started from 0.01 randn (shallow_small, SGD)."""
    zero_model = build_model(
        "zeros", input_dim=data.input_shape[0], num_classes=data.num_classes, normalizer=standardizer(data.x_train)
    )  # as initialized, before training
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(data.y_train[:256], zero_model(data.x_train[:256]))
    grads = tape.gradient(loss, zero_model.trainable_weights)
    kernels = {
        w.path: float(np.abs(np.asarray(g)).max())
        for w, g in zip(zero_model.trainable_weights, grads)
        if "kernel" in w.path
    }
    trained_zero = max(
        float(np.abs(np.asarray(w)).max()) for w in symmetry["zeros"].model.trainable_weights if "kernel" in w.path
    )
    w1 = _hidden_kernel(symmetry["constant"].model)
    spread = float(np.abs(w1 - w1[:, :1]).max())
    moved = float(np.abs(w1 - FULL.constant).max())
    acc = {v: symmetry[v].val["accuracy"] for v in SYMMETRY}
    acc["random"] = random_init.val["accuracy"]
    return [
        judge(
            "Zero initialization (W = 0, b = 0, tanh): every kernel gradient is exactly 0, so training leaves "
            "all kernels at 0 and the network cannot learn",
            zero_init_cannot_learn,
            {
                "max_init_gradient": max(kernels.values()),
                "max_trained_kernel": trained_zero,
                "val_accuracy": acc["zeros"],
            },
            f"max |dL/dW| at init per kernel: {', '.join(f'{fmt(g)}' for g in kernels.values())}; max |W| after "
            f"{len(symmetry['zeros'].history)} epochs of Adam: {fmt(trained_zero)}; val accuracy {fmt(acc['zeros'])} "
            f"(random init: {fmt(acc['random'])})",
            "00:742-744, 02:644-658, 03:1392-1400",
            variants=[symmetry["zeros"]],
        ),
        judge(
            f"Constant initialization (all weights {FULL.constant}): the hidden units get identical gradients and "
            "stay identical (in float64, column differences below 1e-6 of how far "
            "W1 moved), so the network is no better than one hidden unit",
            constant_init_stays_symmetric,
            {
                "column_spread": spread,
                "moved": moved,
                "constant_accuracy": acc["constant"],
                "one_unit_accuracy": acc["one_unit"],
                "random_accuracy": acc["random"],
            },
            f"max column difference of W1 after training {fmt(spread)} (W1 moved by up to {fmt(moved)}); val accuracy "
            f"{FULL.symmetry_units} identical units {fmt(acc['constant'])}, one unit {fmt(acc['one_unit'])}, "
            f"random init {fmt(acc['random'])}",
            "02:652-658, 03:1402-1409",
            variants=[symmetry["constant"], symmetry["one_unit"], random_init],
        ),
    ]


def _claim_small(s, cfg):
    gain = np.sqrt(cfg.width) * 0.01  # std shrinks x sqrt(500) * 0.01 = 0.2236 per layer in the linear regime
    slide = np.array(SLIDE_STD["small_0.01"])
    first3 = (np.abs(s["std"].to_numpy()[:3] / slide[:3] - 1)).max()
    ratios = s["std"].to_numpy()[1:6] / s["std"].to_numpy()[:5]
    geometric = s["std"].iloc[0] * gain ** np.arange(cfg.depth)
    return judge(
        "W = 0.01 randn, tanh: the std shrinks geometrically (x sqrt(500) x 0.01 = 0.2236 per layer) until all "
        "activations are ~0; the slide's layers 4-5 (0.992378, 0.998532) are slip S11",
        small_init_collapses,
        {
            "first3_deviation": first3,
            "last_std": s["std"].iloc[-1],
            "max_abs_mean": s["mean"].abs().max(),
            "max_ratio_deviation": np.abs(ratios / gain - 1).max(),
            "layer4_std": s["std"].iloc[3],
            "slide_layer4": slide[3],
        },
        f"stds L1-L5 {', '.join(fmt(v) for v in s['std'].iloc[:5])} (geometric {', '.join(fmt(v) for v in geometric[:5])}), "
        f"L10 {fmt(s['std'].iloc[-1])}; L1-L3 within {first3:.1%} of the slide; layer ratios {fmt(ratios.min())}"
        f"-{fmt(ratios.max())}; max |mean| {fmt(s['mean'].abs().max())}; S11: L4 {fmt(s['std'].iloc[3])} vs slide 0.992378",
        "03:1420-1491",
    )


def _claim_large(s):
    return judge(
        "W = 1.0 randn, tanh: almost all neurons saturate at -1 or +1 (about 90% with |h| > 0.99), mean tanh' ~0.036, "
        "so gradients vanish; every hidden std is just below 1 (the slide's 1.001311 is the input row, slip S12)",
        large_init_saturates,
        {
            "stds": s["std"].tolist(),
            "saturated": s["saturated"].tolist(),
            "mean_tanh_derivative": s["mean_tanh_derivative"].tolist(),
        },
        f"stds {fmt(s['std'].min())}-{fmt(s['std'].max())} (slide 0.981560-0.981913); saturated fraction "
        f"{fmt(s['saturated'].min())}-{fmt(s['saturated'].max())}; mean tanh' {fmt(s['mean_tanh_derivative'].mean())}",
        "03:1511-1533",
    )


def _claim_xavier_tanh(s, cfg):
    slide = np.array(SLIDE_STD["xavier_tanh"])
    rel = np.abs(s["std"].to_numpy() / slide - 1)
    return judge(
        f"Xavier (W = randn / sqrt(fan_in)), tanh: the std decreases slowly from 0.628 to 0.228 "
        f"(mean of {cfg.stat_seeds} seeds; the slide's layers 4-5 are slip S14)",
        xavier_tanh_decays_slowly,
        {"stds": s["std"].tolist(), "max_slide_deviation": rel.max()},
        f"stds {', '.join(fmt(v, 3) for v in s['std'])}; max deviation from the slide {rel.max():.1%} at layer "
        f"{int(rel.argmax()) + 1} (S14: L4 {fmt(s['std'].iloc[3])} vs 0.340186, L5 {fmt(s['std'].iloc[4])} vs 0.328917)",
        "03:1541-1556",
    )


def _claim_xavier_relu(s, cfg):
    slide_ratio = np.array(SLIDE_STD["xavier_relu"]) / np.array(SLIDE_MEAN["xavier_relu"])
    ratio = (s["std"] / s["mean"]).to_numpy()
    theory = np.sqrt(np.pi - 1)  # std/mean of ReLU(N(0, s^2)) = sqrt(1/2 - 1/(2 pi)) / (1/sqrt(2 pi)) = 1.4634
    decay = s["mean"].iloc[-1] / s["mean"].iloc[0]
    return judge(
        f"Xavier with ReLU breaks: E[h^2] halves per layer, so mean and std fall by 1/sqrt(2) per layer "
        f"(L10/L1 = 2^-4.5 = 0.0442, mean of {cfg.stat_seeds} seeds); std/mean stays 1.4634, which the slide's "
        "layers 2-7 violate (slip S13)",
        xavier_relu_halves,
        {
            "first_mean": s["mean"].iloc[0],
            "first_std": s["std"].iloc[0],
            "decay": decay,
            "max_ratio_deviation": np.abs(ratio / theory - 1).max(),
            "slide_min_ratio_deviation": np.abs(slide_ratio[1:7] / theory - 1).min(),
        },
        f"L1 mean {fmt(s['mean'].iloc[0])} std {fmt(s['std'].iloc[0])}; means {', '.join(fmt(v, 3) for v in s['mean'])}; "
        f"L10/L1 {fmt(decay)}; simulated std/mean {fmt(ratio.min())}-{fmt(ratio.max())} vs the slide's layers 2-7 "
        f"{fmt(slide_ratio[1:7].min())}-{fmt(slide_ratio[1:7].max())}",
        "03:1577-1599",
    )


def _claim_he(s, cfg):
    std1 = np.sqrt(1 - 1 / np.pi)  # the std of ReLU(N(0, 2)): 0.82565
    z = np.abs(s["std"] - std1) / s["std_sem"]  # deep layers vary a lot between seeds: judge by standard errors
    return judge(
        f"He (W = randn / sqrt(fan_in / 2)), ReLU: mean 0.564 and std 0.826 at every layer, no collapse "
        f"(the mean of {cfg.stat_seeds} seeds is within 3 standard errors of 0.826 at every layer; any single seed "
        "stays within [0.5, 1.4])",
        he_keeps_scale,
        {
            "first_mean": s["mean"].iloc[0],
            "first_std": s["std"].iloc[0],
            "max_standard_errors": z.max(),
            "min_seed_std": s["std_min_seed"].min(),
            "max_seed_std": s["std_max_seed"].max(),
            "last_over_first": s["std"].iloc[-1] / s["std"].iloc[0],
        },
        f"L1 mean {fmt(s['mean'].iloc[0])} std {fmt(s['std'].iloc[0])}; seed-mean stds {fmt(s['std'].min())}-"
        f"{fmt(s['std'].max())} (max {np.abs(s['std'] / std1 - 1).max():.1%} from 0.8257, {fmt(z.max(), 2)} standard "
        f"errors; standard error at L10 {fmt(s['std_sem'].iloc[-1], 2)}); single seeds {fmt(s['std_min_seed'].min())}-"
        f"{fmt(s['std_max_seed'].max())}; slide stds 0.813855-0.889348",
        "03:1607-1630",
    )


def _sample(initializer, fan_in, fan_out):
    return np.asarray(initializer((fan_in, fan_out)), dtype=np.float64)


def _claim_glorot_formulas(seed):
    fan_in, fan_out = 784, 256
    var = 2 / (fan_in + fan_out)  # 01:800 = 1/fan_avg (02:700)
    limit = np.sqrt(6 / (fan_in + fan_out))  # 02:696 sqrt(3/fan_avg) = 03:1642 sqrt(6)/sqrt(H_k + H_k-1)
    normal = _sample(keras.initializers.GlorotNormal(seed=seed), fan_in, fan_out)
    uniform = _sample(keras.initializers.GlorotUniform(seed=seed), fan_in, fan_out)
    return judge(
        "Xavier/Glorot: sigma^2 = 2/(n_in + n_out) = 1/fan_avg and U(+-sqrt(6/(n_in + n_out))); Keras GlorotNormal "
        "and GlorotUniform sample exactly these (784 -> 256; the formulas' values are worked examples below)",
        keras_samples_formula,
        {
            "normal_var_ratio": normal.var() / var,
            "uniform_var_ratio": uniform.var() / var,
            "uniform_max_over_limit": np.abs(uniform).max() / limit,
        },
        f"formula var {var:.7f} std {np.sqrt(var):.6f} r {limit:.6f}; GlorotNormal sample var {normal.var():.7f}, "
        f"GlorotUniform var {uniform.var():.7f} with max |w| {np.abs(uniform).max():.6f}",
        "01:796-800, 02:696-700, 03:1638-1646",
    )


def _claim_he_formulas(seed):
    fan_in, fan_out = 784, 256
    var = 2 / fan_in
    limit = np.sqrt(3 * var)  # 02:725 r = sqrt(3 sigma^2) = sqrt(6/fan_in)
    normal = _sample(keras.initializers.HeNormal(seed=seed), fan_in, fan_out)
    uniform = _sample(keras.initializers.HeUniform(seed=seed), fan_in, fan_out)
    upm = 4 / (fan_in + fan_out)  # 01:806, slip S28
    sharif = 2 / fan_out  # 02:721 with n^[l] = fan_out, slip S27
    return judge(
        "He: sigma^2 = 2/fan_in (Keras HeNormal) and U(+-sqrt(6/fan_in)) (HeUniform); the samples' variance differs "
        "from the slides' 4/(n_in + n_out) (S28) and 2/fan_out (S27) for 784 -> 256",
        he_differs_from_slide_variants,
        {
            "normal_var_ratio": normal.var() / var,
            "uniform_var_ratio": uniform.var() / var,
            "uniform_max_over_limit": np.abs(uniform).max() / limit,
            "over_upm": normal.var() / upm,
            "over_sharif": normal.var() / sharif,
        },
        f"2/fan_in = {var:.7f} (std {np.sqrt(var):.6f}, r {limit:.6f}); HeNormal sample var {normal.var():.7f}, "
        f"HeUniform {uniform.var():.7f} (max |w| {np.abs(uniform).max():.6f}); 4/(n_in+n_out) = {upm:.6f}, "
        f"2/fan_out = {sharif:.6f}",
        "01:802-806, 02:718-725",
    )


def _claim_uniform_problem(cfg, seed):
    rng = np.random.default_rng(seed)
    h = rng.standard_normal((cfg.examples, cfg.width), dtype=np.float32)
    stds = []
    for _ in range(cfg.depth):
        bound = 1 / np.sqrt(cfg.width)
        h = np.tanh(h @ rng.uniform(-bound, bound, (cfg.width, cfg.width)).astype(np.float32))
        stds.append(float(h.std()))
    ratios = np.array(stds[1:]) / np.array(stds[:-1])
    w = rng.uniform(-bound, bound, (cfg.width, cfg.width))
    return judge(
        "U(+-1/sqrt(n)) has variance 1/(3n), so with tanh the std shrinks by ~1/sqrt(3) = 0.577 per layer "
        "(the 'uniform initialization problem')",
        uniform_init_shrinks,
        {
            "variance_times_3n": w.var() * 3 * cfg.width,
            "max_ratio_deviation": np.abs(ratios[-5:] / np.sqrt(1 / 3) - 1).max(),
        },
        f"sample var x 3n = {w.var() * 3 * cfg.width:.4f}; stds {', '.join(fmt(v, 3) for v in stds)}; "
        f"per-layer ratios of the last five {', '.join(fmt(v, 3) for v in ratios[-5:])}",
        "02:676-683",
    )


def _claim_deep_small(training, runs, cfg):
    t = training.set_index("variant")
    deep, chance = t.loc["deep_small"], np.log(10)
    learners = {v: t.loc[v] for v in ("shallow_small", "deep_glorot_tanh", "deep_he_relu")}
    return judge(
        f"Small random init (0.01) works for a small network but not a deep one: after {cfg.epochs} epochs the "
        f"10-layer 0.01 network's loss is still ln 10 = {chance:.4f}, while the 1-layer 0.01, the Glorot (tanh) and "
        f"the He (ReLU) networks learn (mean of {cfg.seeds} seeds)",
        small_init_fails_deep,
        {
            "deep_loss": deep["final_loss_mean"],
            "chance_loss": chance,
            "deep_accuracy": deep["final_val_accuracy_mean"],
            "learner_accuracies": {v: r["final_val_accuracy_mean"] for v, r in learners.items()},
        },
        f"deep 0.01: loss {fmt(deep['final_loss_mean'])} (± {fmt(deep['final_loss_std'], 2)}), val accuracy "
        f"{fmt(deep['final_val_accuracy_mean'])}; "
        + "; ".join(
            f"{v}: loss {fmt(r['final_loss_mean'])}, val accuracy {fmt(r['final_val_accuracy_mean'])} "
            f"(± {fmt(r['final_val_accuracy_std'], 2)})"
            for v, r in learners.items()
        ),
        "00:753-759, 03:1418-1424, 03:1489-1491",
        variants=[r for v in learners for r in runs[v]],
        chance=0.1,
    )


def _claim_he_vs_glorot(training, runs, cfg):
    t = training.set_index("variant")
    he, glorot = t.loc["deep_he_relu"], t.loc["deep_glorot_relu"]
    return judge(
        f"With ReLU, HeNormal trains the 10-layer network faster than GlorotNormal: fewer epochs to "
        f"{cfg.target_accuracy:.0%} validation accuracy and a lower first-epoch loss (mean of {cfg.seeds} seeds)",
        he_beats_glorot,
        {
            "he_epochs": he["epochs_to_target_mean"],
            "glorot_epochs": glorot["epochs_to_target_mean"],
            "he_first_loss": he["first_epoch_loss_mean"],
            "glorot_first_loss": glorot["first_epoch_loss_mean"],
        },
        f"epochs to target (unreached = {cfg.epochs + 1}): He {fmt(he['epochs_to_target_mean'])} "
        f"(± {fmt(he['epochs_to_target_std'], 2)}), Glorot {fmt(glorot['epochs_to_target_mean'])} "
        f"(± {fmt(glorot['epochs_to_target_std'], 2)}); first-epoch loss He {fmt(he['first_epoch_loss_mean'])}, "
        f"Glorot {fmt(glorot['first_epoch_loss_mean'])}; final val accuracy He {fmt(he['final_val_accuracy_mean'])}, "
        f"Glorot {fmt(glorot['final_val_accuracy_mean'])}",
        "00:805-818, 02:718-728, 03:1607-1630",
        variants=[*runs["deep_he_relu"], *runs["deep_glorot_relu"]],
    )


def _claim_vanishing_exploding(seed, layers=50, width=64):
    x = np.random.default_rng(seed).standard_normal(width)
    gains = {}
    for s in (1.1, 0.9):
        z = x.copy()
        for k in range(layers):
            z = np.asarray(keras.initializers.Orthogonal(gain=s, seed=seed + k)((width, width)), dtype=np.float64) @ z
        gains[s] = np.linalg.norm(z) / np.linalg.norm(x)
    return judge(
        f"Vanishing/exploding: with R(z) = z, ||z^l|| = ||W||^l ||x||; a {layers}-layer linear net with orthogonal "
        "weights scaled by s multiplies the norm by s^50 (x117 at s = 1.1, x0.0052 at s = 0.9)",
        norms_scale_geometrically,
        {"gain_11": gains[1.1], "gain_09": gains[0.9], "layers": layers},
        f"norm ratio {fmt(gains[1.1])} (1.1^50 = {fmt(1.1**layers)}), {fmt(gains[0.9])} (0.9^50 = {fmt(0.9**layers)})",
        "01:769-777",
    )


def _claim_keras_code(data):
    model = keras.Sequential(
        [
            keras.Input(data.input_shape),
            keras.layers.Dense(
                units=256,
                activation="relu",
                kernel_initializer=keras.initializers.HeNormal(),
                bias_initializer=keras.initializers.Zeros(),
            ),
            keras.layers.Dense(units=data.num_classes, activation="softmax"),
        ]
    )
    dense = model.layers[0]
    kernel = np.asarray(dense.kernel, dtype=np.float64)
    expected = np.sqrt(2 / data.input_shape[0])
    return judge(
        "The lecture's Keras code Dense(relu, kernel_initializer=HeNormal(), bias_initializer=Zeros()) starts with "
        "biases exactly 0 and kernel std sqrt(2 / fan_in)",
        keras_code_init,
        {"max_bias": float(np.abs(np.asarray(dense.bias)).max()), "std_ratio": kernel.std() / expected},
        f"max |b| = {fmt(np.abs(np.asarray(dense.bias)).max())}; kernel std {fmt(kernel.std())} vs "
        f"sqrt(2/{data.input_shape[0]}) = {fmt(expected)}",
        "01:815-821",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
