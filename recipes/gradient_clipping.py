"""Gradient clipping by value vs by norm: the worked vectors, Keras's three options, and a cliff.

Topic: gradient clipping — a large gradient throws gradient descent far away (02:856-866);
clipping by value (02:878-890) bounds each component and changes the direction (02:901), clipping
by norm (02:904-918) rescales the whole vector and keeps it, "so it is better to use clipping by
norm" (02:924); the "cliffs" landscape (02:929). Keras: clipvalue, clipnorm (per variable) and
global_clipnorm (all variables jointly) on every optimizer.

Lectures: Sharif Univ., "Introduction to neural networks" (002, lines 856-929). The slides have no
numbers: the worked gradients (3, 4) and (0.5, -20) and what they clip to are nnzoo's
choice, not the slides'. No slips in this section.
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("002",)
VARIANTS = ("none", "by_value", "by_norm")
WORKED = ((3.0, 4.0), (0.5, -20.0))  # the worked gradients (the slides have none)
BY_VALUE = ((1.0, 1.0), (0.5, -1.0))  # the worked gradients clipped to [-1, 1]
BY_NORM = ((0.6, 0.8), (0.024992, -0.999688))  # ... and to norm 1 (6 decimals)
BELOW_THRESHOLD = (0.3, 0.4)  # norm 0.5 < v = 1: clipping by norm leaves it


@dataclasses.dataclass(frozen=True)
class Config:
    """A deep linear chain with a large initialization: its loss is a high-degree polynomial with cliffs."""

    n: int = 300  # points of the cubic regression data
    depth: int = 8
    units: int = 16
    init_gain: float = 1.5  # weights ~ N(0, gain^2 / fan_in): each layer multiplies the signal by ~1.5
    learning_rate: float = 0.01  # SGD
    clipvalue: float = 1.0
    clipnorm: float = 1.0
    epochs: int = 15
    batch_size: int = 32
    seeds: int = 3
    explosion_ratio: float = 3.0  # "loss > 3 x the initial loss" counts as a blow-up (03:2203)


FULL = Config()
QUICK = Config(epochs=5, seeds=2)


def build_model(variant="none", config=FULL, *, input_dim=1):
    """The deep linear network (the clipping lives in the optimizer, so ``variant`` only names it)."""
    init = keras.initializers.VarianceScaling(
        scale=config.init_gain**2, mode="fan_in", distribution="untruncated_normal"
    )
    layers = [keras.Input((input_dim,))]
    layers += [keras.layers.Dense(config.units, kernel_initializer=init) for _ in range(config.depth)]
    layers.append(keras.layers.Dense(1, kernel_initializer=init))
    return keras.Sequential(layers, name=variant)


def make_optimizer(variant, config=FULL):
    clip = {"none": {}, "by_value": {"clipvalue": config.clipvalue}, "by_norm": {"clipnorm": config.clipnorm}}
    return keras.optimizers.SGD(learning_rate=config.learning_rate, **clip[variant])


def clip_by_value(g, low=-1.0, high=1.0):
    """The slide's rule (02:884-890): each component above alpha becomes alpha, below beta becomes beta."""
    return np.where(g > high, high, np.where(g < low, low, g))


def clip_by_norm(g, v=1.0):
    """The slide's rule (02:912-914): if ||g|| > v then g <- v g / ||g||."""
    norm = np.linalg.norm(g)
    return g * v / norm if norm > v else g


def vec(v):
    """'(a, b)' with 6 significant digits, for evidence strings."""
    return "(" + ", ".join(f"{float(x):.6g}" for x in np.ravel(v)) + ")"


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


class InitialLoss(keras.callbacks.Callback):
    """The untrained network's MSE on the training split, the reference for 'the loss blew up'."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.value = x, y, None

    def on_train_begin(self, logs=None):
        prediction = np.asarray(self.model(self.x, training=False)).ravel()
        self.value = float(np.mean((prediction - self.y.ravel()) ** 2))


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    data = ctx.load("cubic", n=cfg.n)
    rows, curves, runs = [], {}, {v: [] for v in VARIANTS}
    for variant in VARIANTS:
        for k in range(cfg.seeds):
            initial = InitialLoss(data.x_train, data.y_train)
            trained = ctx.train(
                variant if k == 0 else f"{variant}_seed{k}",
                lambda v=variant: build_model(v, cfg, input_dim=data.input_shape[0]),
                data,
                seed=ctx.seed + k,
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                optimizer=lambda v=variant: make_optimizer(v, cfg),
                loss="mse",
                metrics=[],
                callbacks=[initial],
                save=(k == 0 and variant != "none"),
            )
            loss = trained.history["loss"].to_numpy()
            finite = bool(np.isfinite(loss).all())
            ratio = float(loss.max() / initial.value) if finite else np.inf
            runs[variant].append((trained, ratio))
            if k == 0:
                curves[variant] = trained.history
            rows.append(
                {
                    "variant": variant,
                    "seed": k,
                    "learning_rate": cfg.learning_rate,
                    "clip": {"none": np.nan, "by_value": cfg.clipvalue, "by_norm": cfg.clipnorm}[variant],
                    "initial_loss": initial.value,
                    "max_epoch_loss": float(loss.max()) if finite else np.inf,
                    "max_loss_ratio": ratio,
                    "final_loss": float(loss[-1]),
                    "final_val_loss": trained.final("val_loss"),
                    "loss_finite": finite,
                    "first_nonfinite_epoch": int(np.argmin(np.isfinite(loss))) + 1 if not finite else np.nan,
                }
            )
    claims = [
        _claim_by_value(),
        _claim_by_norm(),
        _claim_keras_mapping(),
        _claim_cliff(runs, cfg),
        _claim_direction(ctx.seed),
    ]
    figure = plots.learning_curves(
        curves,
        ("loss", "val_loss"),
        logy=True,
        title=f"{cfg.depth}-layer linear chain, init gain {cfg.init_gain}, SGD lr {cfg.learning_rate}: "
        f"no clipping (NaN) vs clipvalue={cfg.clipvalue:g} vs clipnorm={cfg.clipnorm:g}",
    )
    notes = [
        "The slides of this section print no numbers: the worked gradients (3, 4) and (0.5, -20), and the values "
        "shown beside the worked examples as the slide's, are nnzoo's choice."
    ]
    return RecipeResult(pd.DataFrame(rows), {"loss_curves": figure}, claims, notes=notes, worked=_worked_examples())


def _worked_examples():
    """The slides' two rules on the worked gradients, by hand (numpy)."""
    (g1, g2) = (np.array(g) for g in WORKED)
    v1, v2 = clip_by_value(g1), clip_by_value(g2)
    n1, n2 = clip_by_norm(g1), clip_by_norm(g2)

    def angle(g):
        return float(np.degrees(np.arctan2(g[1], g[0])))

    return [
        WorkedExample("Clip by value to [-1, 1]: (3, 4)", vec(v1), vec(BY_VALUE[0]), "02:884-890"),
        WorkedExample(
            "Angle of (3, 4) before -> after clipping by value, degrees",
            f"{angle(g1):.2f} -> {angle(v1):.2f}",
            "53.13 -> 45.00",
            "02:901",
        ),
        WorkedExample("cos((3, 4), its value-clipped step)", cosine(g1, v1), "0.98995", "02:901"),
        WorkedExample("Clip by value to [-1, 1]: (0.5, -20)", vec(v2), vec(BY_VALUE[1]), "02:884-890"),
        WorkedExample("cos((0.5, -20), its value-clipped step)", cosine(g2, v2), "0.90532", "02:901"),
        WorkedExample("Clip by norm to v = 1: (3, 4)", vec(n1), vec(BY_NORM[0]), "02:912-914"),
        WorkedExample(
            "Clip by norm to v = 1: (0.5, -20), 6 decimals",
            f"({n2[0]:.6f}, {n2[1]:.6f})",
            f"({BY_NORM[1][0]:.6f}, {BY_NORM[1][1]:.6f})",
            "02:912-914",
        ),
    ]


def keras_step(**clip):
    """-(update) of one SGD(lr=1) step with the worked gradients on two variables: the clipped gradient Keras used."""
    variables = [keras.Variable(np.zeros(2, "float32")) for _ in WORKED]
    optimizer = keras.optimizers.SGD(learning_rate=1.0, **clip)
    optimizer.apply_gradients([(np.array(g, "float32"), v) for g, v in zip(WORKED, variables)])
    return [-np.asarray(v) for v in variables]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def clipping_by_value_turns_the_step(clipped, cosines):
    """``clipped``: the worked gradients as Keras clipped them to [-1, 1]; ``cosines``: each against its gradient."""
    return np.allclose(clipped, BY_VALUE) and max(cosines) < 1 - 1e-6


def clipping_by_norm_keeps_the_direction(clipped, cosines, norms, below_threshold):
    """The worked gradients as TensorFlow clipped them to norm 1, their cosines and norms, and (0.3, 0.4) clipped."""
    return (
        np.allclose(np.round(clipped, 6), BY_NORM)
        and all(abs(c - 1) < 1e-12 for c in cosines)
        and all(abs(n - 1) < 1e-12 for n in norms)
        and np.array_equal(below_threshold, BELOW_THRESHOLD)
    )


def keras_applies_the_clipped_gradient(errors):
    """``errors`` maps clipvalue / clipnorm / global_clipnorm to max |Keras's step - the rule's clipped gradient|."""
    return max(errors.values()) < 1e-6


def clipnorm_survives_the_cliff(none_ratios, by_value_ratios, by_norm_ratios, explosion_ratio):
    """Per seed: max epoch loss / initial loss (inf when the loss was not finite)."""
    return (
        all(r > explosion_ratio for r in none_ratios)
        and all(np.isfinite(r) and r <= explosion_ratio for r in by_norm_ratios)
        and all(np.isfinite(r) for r in by_value_ratios)
    )


def clipping_by_norm_never_turns(by_norm_max_deviation, by_value_min_cosine):
    """Over random gradients: max |cos(g, clipped by norm) - 1| and min cos(g, clipped by value)."""
    return by_norm_max_deviation < 1e-12 and by_value_min_cosine < 0.99


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_by_value():
    gradients = [np.array(g) for g in WORKED]
    clipped = [np.asarray(keras.ops.clip(g, -1.0, 1.0)) for g in gradients]
    cosines = [cosine(g, c) for g, c in zip(gradients, clipped)]
    return judge(
        "Clipping by value to [-1, 1] (keras.ops.clip) changes the direction: (3, 4) -> (1, 1), (0.5, -20) -> (0.5, -1)",
        clipping_by_value_turns_the_step,
        {"clipped": [c.tolist() for c in clipped], "cosines": cosines},
        "; ".join(f"{vec(g)} -> {vec(c)}, cos {cos:.5f}" for g, c, cos in zip(gradients, clipped, cosines)),
        "02:878-901",
    )


def _claim_by_norm():
    gradients = [np.array(g) for g in WORKED]
    clipped = [tf.clip_by_norm(g, 1.0).numpy() for g in gradients]
    cosines = [cosine(g, c) for g, c in zip(gradients, clipped)]
    norms = [float(np.linalg.norm(c)) for c in clipped]
    below = tf.clip_by_norm(np.array(BELOW_THRESHOLD), 1.0).numpy()
    return judge(
        "Clipping by norm to v = 1 (tf.clip_by_norm) keeps the direction: (3, 4) -> (0.6, 0.8) with cos 1 and norm 1; "
        "(0.5, -20) -> (0.024992, -0.999688); a gradient below the threshold is unchanged",
        clipping_by_norm_keeps_the_direction,
        {
            "clipped": [c.tolist() for c in clipped],
            "cosines": cosines,
            "norms": norms,
            "below_threshold": below.tolist(),
        },
        "; ".join(
            f"{vec(g)} -> ({c[0]:.6f}, {c[1]:.6f}), cos {cos:.12f}, norm {n:.12f}"
            for g, c, cos, n in zip(gradients, clipped, cosines, norms)
        )
        + f"; {vec(BELOW_THRESHOLD)} -> {vec(below)}",
        "02:904-918",
    )


def _claim_keras_mapping():
    g = [np.array(w) for w in WORKED]
    total = np.sqrt(sum(np.sum(x**2) for x in g))
    expected = {
        "clipvalue": [clip_by_value(x) for x in g],
        "clipnorm": [clip_by_norm(x) for x in g],
        "global_clipnorm": [x / total for x in g],
    }
    got = {name: keras_step(**{name: 1.0}) for name in expected}
    errors = {name: float(max(np.abs(a - b).max() for a, b in zip(got[name], expected[name]))) for name in expected}
    return judge(
        "Keras: one SGD(learning_rate=1) step with a known gradient moves the weights by minus the clipped "
        "gradient; clipvalue clips each component, clipnorm rescales each variable separately, global_clipnorm "
        "rescales all variables jointly (by ||(g1, g2)||)",
        keras_applies_the_clipped_gradient,
        {"errors": errors},
        "; ".join(
            f"{name}: update {' '.join(vec(u) for u in got[name])} (max error {fmt(errors[name])})" for name in expected
        )
        + f"; ||(g1, g2)|| = {total:.2f}",
        "02:878-918",
    )


def _claim_cliff(runs, cfg):
    ratios = {v: [ratio for _, ratio in runs[v]] for v in VARIANTS}

    def summary(variant):
        return ", ".join("NaN" if not np.isfinite(r) else f"x{r:.3g}" for r in ratios[variant])

    return judge(
        f"On a cliff ({cfg.depth}-layer linear chain, init gain {cfg.init_gain}) unclipped SGD (lr "
        f"{cfg.learning_rate}) blows up (NaN or loss > {cfg.explosion_ratio:g}x initial) while clipnorm keeps the "
        f"loss finite and below {cfg.explosion_ratio:g}x initial; clipvalue keeps it finite ({cfg.seeds} seeds)",
        clipnorm_survives_the_cliff,
        {
            "none_ratios": ratios["none"],
            "by_value_ratios": ratios["by_value"],
            "by_norm_ratios": ratios["by_norm"],
            "explosion_ratio": cfg.explosion_ratio,
        },
        f"max epoch loss / initial loss per seed: none {summary('none')}; by value {summary('by_value')}; "
        f"by norm {summary('by_norm')}",
        "02:856-866, 02:929",
        variants=[trained for v in ("by_value", "by_norm") for trained, _ in runs[v]],
    )


def _row_cosines(g, clipped):
    return np.sum(g * clipped, axis=1) / (np.linalg.norm(g, axis=1) * np.linalg.norm(clipped, axis=1))


def _claim_direction(seed, n=1000):
    g = np.random.default_rng(seed).standard_t(df=2, size=(n, 10))  # heavy-tailed: some components are huge
    by_value = _row_cosines(g, np.asarray(keras.ops.clip(g, -1.0, 1.0)))
    by_norm = _row_cosines(g, tf.clip_by_norm(g, 1.0, axes=[1]).numpy())
    deviation = float(np.abs(by_norm - 1).max())
    return judge(
        "(ext) It is better to clip by norm: over random heavy-tailed gradients clipping by norm (tf.clip_by_norm) "
        "never turns the step (cos = 1) while clipping by value (keras.ops.clip) does whenever it bites",
        clipping_by_norm_never_turns,
        {"by_norm_max_deviation": deviation, "by_value_min_cosine": float(by_value.min())},
        f"{n} gradients of 10 components (Student t, 2 d.o.f.): cos(g, clip) by norm min {by_norm.min():.12f}; "
        f"by value mean {by_value.mean():.4f}, min {by_value.min():.4f}",
        "02:901, 02:918-924",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
