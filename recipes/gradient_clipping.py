"""Gradient clipping by value vs by norm: the worked vectors, Keras's three options, and a cliff.

Topic: gradient clipping — a large gradient throws gradient descent far away (02:856-866);
clipping by value (02:878-890) bounds each component and changes the direction (02:901), clipping
by norm (02:904-918) rescales the whole vector and keeps it, "so it is better to use clipping by
norm" (02:924); the "cliffs" landscape (02:929). Keras: clipvalue, clipnorm (per variable) and
global_clipnorm (all variables jointly) on every optimizer.

Lectures: 002 (lines 856-929); catalogue section 17 of shared/lectures/claims.md (the slides have
no numbers; the worked vectors are the catalogue's). No slips in this section.
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import plots
from nnzoo.results import RecipeResult, check, fmt

LECTURES = ("002",)
VARIANTS = ("none", "by_value", "by_norm")
WORKED = ((3.0, 4.0), (0.5, -20.0))  # the catalogue's gradients


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
            ratio = float(np.nanmax(loss) / initial.value) if np.isfinite(loss).any() else np.inf
            runs[variant].append({"finite": finite, "ratio": ratio if finite else np.inf})
            if k == 0:
                curves[variant] = trained.history
            rows.append(
                {
                    "variant": variant,
                    "seed": k,
                    "learning_rate": cfg.learning_rate,
                    "clip": {"none": np.nan, "by_value": cfg.clipvalue, "by_norm": cfg.clipnorm}[variant],
                    "initial_loss": initial.value,
                    "max_epoch_loss": float(np.nanmax(loss)) if finite else np.inf,
                    "max_loss_ratio": ratio if finite else np.inf,
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
    return RecipeResult(pd.DataFrame(rows), {"loss_curves": figure}, claims)


def _claim_by_value():
    (g1, g2) = (np.array(g) for g in WORKED)
    c1, c2 = clip_by_value(g1), clip_by_value(g2)
    keras_ok = all(np.allclose(np.asarray(keras.ops.clip(g, -1.0, 1.0)), clip_by_value(g)) for g in (g1, g2))
    angle = lambda g: float(np.degrees(np.arctan2(g[1], g[0])))  # noqa: E731
    cos1, cos2 = cosine(g1, c1), cosine(g2, c2)
    return check(
        "Clipping by value to [-1, 1] changes the direction: (3, 4) -> (1, 1), the angle goes from 53.13 to 45 "
        "degrees (cos 0.98995); (0.5, -20) -> (0.5, -1) (cos 0.90532)",
        np.allclose(c1, (1, 1))
        and np.allclose(c2, (0.5, -1))
        and round(angle(g1), 2) == 53.13
        and angle(c1) == 45.0
        and round(cos1, 5) == 0.98995
        and round(cos2, 5) == 0.90532
        and keras_ok,
        f"(3, 4) -> {vec(c1)}, angle {angle(g1):.2f} -> {angle(c1):.2f} deg, cos {cos1:.5f}; (0.5, -20) -> "
        f"{vec(c2)}, cos {cos2:.5f}; keras.ops.clip agrees: {keras_ok}",
        "02:878-901",
    )


def _claim_by_norm():
    (g1, g2) = (np.array(g) for g in WORKED)
    c1, c2 = clip_by_norm(g1), clip_by_norm(g2)
    small = np.array([0.3, 0.4])
    tf_ok = all(np.allclose(tf.clip_by_norm(g, 1.0).numpy(), clip_by_norm(g)) for g in (g1, g2, small))
    return check(
        "Clipping by norm (v = 1) keeps the direction: (3, 4) -> (0.6, 0.8) with cos 1 and norm 1; (0.5, -20) -> "
        "(0.024992, -0.999688); a gradient below the threshold is unchanged",
        np.allclose(c1, (0.6, 0.8))
        and abs(cosine(g1, c1) - 1) < 1e-12
        and abs(np.linalg.norm(c1) - 1) < 1e-12
        and np.allclose(np.round(c2, 6), (0.024992, -0.999688))
        and abs(cosine(g2, c2) - 1) < 1e-12
        and np.array_equal(clip_by_norm(small), small)
        and tf_ok,
        f"(3, 4) -> ({c1[0]:.6f}, {c1[1]:.6f}), cos {cosine(g1, c1):.6f}, norm {np.linalg.norm(c1):.6f}; "
        f"(0.5, -20) -> ({c2[0]:.6f}, {c2[1]:.6f}), cos {cosine(g2, c2):.6f}; (0.3, 0.4) -> {vec(clip_by_norm(small))}; "
        f"tf.clip_by_norm agrees: {tf_ok}",
        "02:904-918",
    )


def keras_step(**clip):
    """-(update) of one SGD(lr=1) step with the worked gradients on two variables: the clipped gradient Keras used."""
    variables = [keras.Variable(np.zeros(2, "float32")) for _ in WORKED]
    optimizer = keras.optimizers.SGD(learning_rate=1.0, **clip)
    optimizer.apply_gradients([(np.array(g, "float32"), v) for g, v in zip(WORKED, variables)])
    return [-np.asarray(v) for v in variables]


def _claim_keras_mapping():
    g = [np.array(w) for w in WORKED]
    total = np.sqrt(sum(np.sum(x**2) for x in g))
    expected = {
        "clipvalue": [clip_by_value(x) for x in g],
        "clipnorm": [clip_by_norm(x) for x in g],
        "global_clipnorm": [x / total for x in g],
    }
    got = {name: keras_step(**{name: 1.0}) for name in expected}
    errors = {name: max(np.abs(a - b).max() for a, b in zip(got[name], expected[name])) for name in expected}
    return check(
        "Keras: one SGD(learning_rate=1) step with a known gradient moves the weights by minus the clipped "
        "gradient; clipvalue clips each component, clipnorm rescales each variable separately, global_clipnorm "
        "rescales all variables jointly (by ||(g1, g2)|| = 20.62)",
        max(errors.values()) < 1e-6 and round(float(total), 2) == 20.62,
        "; ".join(
            f"{name}: update {' '.join(vec(u) for u in got[name])} (max error {fmt(errors[name])})" for name in expected
        ),
        "02:878-918",
    )


def _claim_cliff(runs, cfg):
    def summary(variant):
        return ", ".join("NaN" if not r["finite"] else f"x{r['ratio']:.3g}" for r in runs[variant])

    exploded = all((not r["finite"]) or r["ratio"] > cfg.explosion_ratio for r in runs["none"])
    norm_ok = all(r["finite"] and r["ratio"] <= cfg.explosion_ratio for r in runs["by_norm"])
    value_finite = all(r["finite"] for r in runs["by_value"])
    return check(
        f"On a cliff ({cfg.depth}-layer linear chain, init gain {cfg.init_gain}) unclipped SGD (lr "
        f"{cfg.learning_rate}) blows up (NaN or loss > {cfg.explosion_ratio:g}x initial) while clipnorm keeps the "
        f"loss finite and below {cfg.explosion_ratio:g}x initial; clipvalue keeps it finite ({cfg.seeds} seeds)",
        exploded and norm_ok and value_finite,
        f"max epoch loss / initial loss per seed: none {summary('none')}; by value {summary('by_value')}; "
        f"by norm {summary('by_norm')}",
        "02:856-866, 02:929",
    )


def _claim_direction(seed, n=1000):
    g = np.random.default_rng(seed).standard_t(df=2, size=(n, 10))  # heavy-tailed: some components are huge
    by_value = np.array([cosine(x, clip_by_value(x)) for x in g])
    by_norm = np.array([cosine(x, clip_by_norm(x)) for x in g])
    return check(
        "(ext) It is better to clip by norm: over random heavy-tailed gradients clipping by norm never turns the "
        "step (cos = 1) while clipping by value does whenever it bites",
        np.abs(by_norm - 1).max() < 1e-12 and by_value.min() < 0.99,
        f"{n} gradients of 10 components (Student t, 2 d.o.f.): cos(g, clip) by norm min {by_norm.min():.12f}; "
        f"by value mean {by_value.mean():.4f}, min {by_value.min():.4f}",
        "02:901, 02:918-924",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
