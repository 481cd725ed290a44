"""Architecture: counting layers, neurons and parameters; dropout masks; capacity, underfitting and overfitting.

Topic: the size of a fully connected network — lecture 000's [3x4][4x4][4x1] network (3 layers,
9 neurons, 32 weights + 9 biases = 41 parameters), the CIFAR-10 3072-50-10 network (154,160),
lecture 001's batch-norm variants (51,146 and 51,082), the 2^4096 ~ 10^1233 dropout masks of a
4096-unit layer — and capacity: a sweep of polynomial orders where the training error falls
steadily and the validation error is U-shaped, each order labelled underfitting / good / overfitting.

Lectures: 000 (lines 138-139, 577-662, 893-896), 001 (168-248, 636-723, 1000-1028), 002 (149-172,
1036), 003 (656-718, 1307-1336, 2015); catalogue section 10 of shared/lectures/claims.md. The capacity
data are nnzoo's "cubic" set (y = x^3 - 2x^2 - x + 3 + N(0, 1), 100 points on [-2, 2], 20 for
training and 60 for validation), chosen to make the lecture's figure visible, not the slide's data.
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, check, fmt

LECTURES = ("000", "001", "002", "003")
VARIANTS = ("three_layer", "cifar_two_layer", "bn_after", "bn_before")


@dataclasses.dataclass(frozen=True)
class Config:
    """The capacity sweep: data size and split, noise, polynomial orders, seeds; the label threshold."""

    n: int = 100
    split: tuple = (0.2, 0.6, 0.2)  # few training points, many validation points: a clear U
    noise: float = 1.0
    max_order: int = 10
    seeds: int = 5
    margin: float = 1.5  # "high" error = more than margin x the best order's
    mask_units: int = 4
    mask_draws: int = 2000


FULL = Config()
QUICK = Config(seeds=3)


def build_model(variant):
    """The lectures' networks: "three_layer" (00:650-660), "cifar_two_layer" (03:2015), "bn_after" and
    "bn_before" (01:1002-1026, 784 inputs, 64 units, 10 outputs)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    dense = keras.layers.Dense
    if variant == "three_layer":
        return keras.Sequential(
            [keras.Input((3,)), dense(4, activation="relu"), dense(4, activation="relu"), dense(1)], name=variant
        )
    if variant == "cifar_two_layer":
        return keras.Sequential(
            [keras.Input((32 * 32 * 3,)), dense(50, activation="relu"), dense(10, activation="softmax")], name=variant
        )
    inner = (
        [dense(64, use_bias=False), keras.layers.BatchNormalization(), keras.layers.Activation("relu")]
        if variant == "bn_before"
        else [dense(64, activation="relu"), keras.layers.BatchNormalization()]
    )
    return keras.Sequential([keras.Input((784,)), *inner, dense(10, activation="softmax")], name=variant)


def count(model):
    """Layers with weights, neurons (units), weights, biases, BN parameters, trainable and total parameters."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return {
        "layers": len(dense),
        "neurons": sum(layer.units for layer in dense),
        "weights": sum(int(np.prod(layer.kernel.shape)) for layer in dense),
        "biases": sum(layer.units for layer in dense if layer.use_bias),
        "trainable": sum(int(np.prod(w.shape)) for w in model.trainable_weights),
        "total": model.count_params(),
    }


def capacity_sweep(data, max_order):
    """Train and validation MSE of least-squares polynomials of order 1..max_order."""
    rows = []
    for order in range(1, max_order + 1):
        poly = np.polynomial.Polynomial.fit(data.x_train[:, 0], data.y_train, order)
        rows.append(
            {
                "order": order,
                "parameters": order + 1,
                "train_mse": float(np.mean((poly(data.x_train[:, 0]) - data.y_train) ** 2)),
                "val_mse": float(np.mean((poly(data.x_val[:, 0]) - data.y_val) ** 2)),
            }
        )
    return pd.DataFrame(rows)


def label(sweep, margin):
    """Underfitting: training error high (and so validation error too); overfitting: training error at most the
    best order's but validation error high (01:713-723); "high" = more than ``margin`` x the best order's."""
    best = sweep.loc[sweep["val_mse"].idxmin()]
    return [
        "underfitting"
        if r.train_mse > margin * best.train_mse
        else "overfitting"
        if r.val_mse > margin * best.val_mse
        else "good"
        for r in sweep.itertuples()
    ]


def _claims_counts(rows):
    counts = {v: count(build_model(v)) for v in VARIANTS}
    for v, c in counts.items():
        rows.append({"experiment": "parameters", "variant": v, **c})
    three, cifar = counts["three_layer"], counts["cifar_two_layer"]
    after, before = counts["bn_after"], counts["bn_before"]
    inputs = build_model("cifar_two_layer").input_shape[-1]
    return [
        check(
            "[3x4][4x4][4x1]: 3 layers (the input layer is not counted), 4 + 4 + 1 = 9 neurons, 12 + 16 + 4 = 32 "
            "weights, 9 biases, 41 learnable parameters",
            (three["layers"], three["neurons"], three["weights"], three["biases"], three["total"]) == (3, 9, 32, 9, 41)
            and len(build_model("three_layer").layers) == 3,
            f"keras: {three['layers']} Dense layers, {three['neurons']} neurons, {three['weights']} weights, "
            f"{three['biases']} biases, count_params() = {three['total']}",
            "00:650-662",
        ),
        check(
            "A 32x32x3 image is 3072 inputs; the CIFAR-10 two-layer net (3072, 50, 10) has 3072x50 + 50 + 50x10 + 10 "
            "= 154,160 parameters",
            inputs == 3072 and cifar["total"] == 154_160,
            f"inputs {inputs}, count_params() = {cifar['total']:,}",
            "00:138-139, 03:2015",
        ),
        check(
            "Batch norm adds 2 learnable + 2 non-learnable parameters per feature: BN after the activation = 51,146 "
            "(51,018 trainable), BN before with use_bias=False = 51,082 (50,954 trainable); the difference is the "
            "64 dropped biases",
            (after["total"], after["trainable"], before["total"], before["trainable"])
            == (51_146, 51_018, 51_082, 50_954),
            f"after: {after['total']:,} ({after['trainable']:,} trainable); before: {before['total']:,} "
            f"({before['trainable']:,} trainable); difference {after['total'] - before['total']}",
            "00:893-896, 01:1000-1028",
        ),
    ]


def _claim_masks(cfg, seed):
    exponent = 4096 * math.log10(2)
    layer = keras.layers.Dropout(0.5, seed=seed)
    draws = np.asarray(layer(np.ones((cfg.mask_draws, cfg.mask_units), "float32"), training=True)) > 0
    distinct = len({tuple(r) for r in draws})
    return check(
        "Every dropout state is a mask: a layer of n units has 2^n masks, 2^4096 ~ 10^1233 for 4096 units (more than "
        "the 10^82 atoms); Keras Dropout on a 4-unit layer indeed draws all 2^4 = 16",
        round(exponent, 2) == 1233.02 and exponent > 82 and distinct == 2**cfg.mask_units,
        f"log10(2^4096) = {exponent:.2f}; {distinct} distinct masks in {cfg.mask_draws} draws of Dropout(0.5) on "
        f"{cfg.mask_units} units",
        "02:1036",
    )


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    rows = []
    claims = _claims_counts(rows) + [_claim_masks(cfg, ctx.seed)]

    sweeps = []
    for k in range(cfg.seeds):
        data = ctx.load("cubic", n=cfg.n, noise=cfg.noise, split=cfg.split, seed=ctx.seed + k)
        sweep = capacity_sweep(data, cfg.max_order)
        sweep["label"] = label(sweep, cfg.margin)
        sweep["seed"] = ctx.seed + k
        sweeps.append(sweep)
    table = pd.concat(sweeps, ignore_index=True)
    for r in table.itertuples():
        rows.append(
            {
                "experiment": "capacity",
                "variant": f"order {r.order}",
                "seed": r.seed,
                "parameters": r.parameters,
                "train_mse": r.train_mse,
                "val_mse": r.val_mse,
                "label": r.label,
            }
        )
    falls = all(np.all(np.diff(s["train_mse"]) <= 1e-9 * s["train_mse"].to_numpy()[:-1]) for s in sweeps)
    best = [int(s.loc[s["val_mse"].idxmin(), "order"]) for s in sweeps]
    u_shaped = [
        1 < b < cfg.max_order
        and s["val_mse"].iloc[0] > cfg.margin * s["val_mse"].min()
        and s["val_mse"].iloc[-1] > cfg.margin * s["val_mse"].min()
        for b, s in zip(best, sweeps)
    ]
    labelled = [s["label"].iloc[0] == "underfitting" and s["label"].iloc[-1] == "overfitting" for s in sweeps]
    median = table.groupby("order")[["train_mse", "val_mse"]].median()
    claims.append(
        check(
            f"Capacity sweep (polynomial orders 1-{cfg.max_order}, the lecture's orders 1, 3, 5 among them): the training "
            "error never rises with capacity, the validation error is U-shaped",
            falls and all(u_shaped),
            f"best validation order per seed {best}; U-shaped in {sum(u_shaped)}/{len(sweeps)} seeds; median train MSE "
            f"order 1 / 3 / {cfg.max_order}: {fmt(median.train_mse[1])} / {fmt(median.train_mse[3])} / "
            f"{fmt(median.train_mse[cfg.max_order])}, validation {fmt(median.val_mse[1])} / {fmt(median.val_mse[3])} / "
            f"{fmt(median.val_mse[cfg.max_order])}",
            "03:1307-1336, 02:149-172",
        )
    )
    claims.append(
        check(
            "Diagnosis: the smallest model underfits (training and validation error both high), the largest overfits "
            f"(training error low, validation error high); 'high' = more than {cfg.margin}x the best order's",
            all(labelled),
            "labels per order (first seed): "
            + ", ".join(f"{o}: {lab}" for o, lab in zip(sweeps[0]["order"], sweeps[0]["label"]))
            + f"; as expected in {sum(labelled)}/{len(sweeps)} seeds",
            "01:700-723, 04:557-583",
        )
    )

    notes.append(
        "The capacity data are chosen (the slides' figures are lost): "
        + data.description
        + f", split {cfg.split}, seeds {ctx.seed}..{ctx.seed + cfg.seeds - 1}."
    )
    fig, (ax,) = plots.grid(1, size=(6.0, 4.0), title="capacity: polynomial order vs error (median over seeds)")
    plots.curves(
        {"training": (median.index, median.train_mse), "validation": (median.index, median.val_mse)},
        ax=ax,
        xlabel="polynomial order (capacity)",
        ylabel="mean squared error",
        logy=True,
    )
    labels = sweeps[0].set_index("order")["label"]
    for order, lab in labels.items():
        ax.annotate(
            lab[:5],
            (order, median.val_mse[order]),
            fontsize="x-small",
            rotation=45,
            xytext=(0, 6),
            textcoords="offset points",
        )
    return RecipeResult(pd.DataFrame(rows), {"capacity": fig}, claims, notes=notes)


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
