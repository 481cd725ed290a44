"""Architecture: counting layers, neurons and parameters; dropout masks; capacity, underfitting and overfitting.

Topic: the size of a fully connected network — lecture 000's [3x4][4x4][4x1] network (3 layers,
9 neurons, 32 weights + 9 biases = 41 parameters), the CIFAR-10 3072-50-10 network (154,160),
lecture 001's batch-norm variants (51,146 and 51,082), the 2^4096 ~ 10^1233 dropout masks of a
4096-unit layer — and capacity: a sweep of polynomial orders where the training error falls
steadily and the validation error is U-shaped, each order labelled underfitting / good / overfitting.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines
138-139, 577-662, 893-896); UPM Madrid, "Training feedforward neural networks" (001, lines 168-248,
636-723, 1000-1028); Sharif Univ., "Introduction to neural networks" (002, lines 149-172, 1036);
Univ. Bretagne Sud, "ANN part I" (003, lines 656-718, 1307-1336, 2015). The capacity data are nnzoo's "cubic" set (y = x^3 - 2x^2 - x + 3 + N(0, 1), 100 points on [-2, 2], 20 for
training and 60 for validation), chosen to make the lecture's figure visible, not the slide's data.
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

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
    """Dense layers, neurons (units), kernel weights and biases as Keras built them, trainable and total parameters."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    return {
        "layers": len(dense),
        "neurons": sum(layer.units for layer in dense),
        "weights": sum(int(np.prod(layer.kernel.shape)) for layer in dense),
        "biases": sum(int(np.prod(layer.bias.shape)) for layer in dense if layer.use_bias),
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
    median = table.groupby("order")[["train_mse", "val_mse"]].median()
    claims += [_claim_capacity(sweeps, median, cfg), _claim_diagnosis(sweeps, cfg)]

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
    return RecipeResult(pd.DataFrame(rows), {"capacity": fig}, claims, notes=notes, worked=_worked_examples())


def _worked_examples():
    """The slides' counting arithmetic on their own sizes."""
    return [
        WorkedExample("Neurons of [3x4][4x4][4x1]: 4 + 4 + 1", 4 + 4 + 1, "9", "00:650-662"),
        WorkedExample("Inputs of a 32x32x3 image: 32 x 32 x 3", 32 * 32 * 3, "3072", "00:138-139"),
        WorkedExample(
            "Parameters of the (3072, 50, 10) net: 3072 x 50 + 50 + 50 x 10 + 10",
            3072 * 50 + 50 + 50 * 10 + 10,
            "154,160 (init_two_layer_model(32*32*3, 50, 10))",
            "03:2015",
        ),
        WorkedExample(
            "log10 of the number of masks of a 4096-unit layer: 4096 log10 2",
            4096 * math.log10(2),
            "2^4096 ~ 10^1233, more than the 10^82 atoms",
            "02:1036",
        ),
    ]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def lecture_network_counts(keras_layers, weights, biases, total):
    """``keras_layers`` is the length of Keras's layer list, which does not hold the input."""
    return (keras_layers, weights, biases, total) == (3, 32, 9, 41)


def cifar_net_parameters(total):
    return total == 154_160


def bn_parameter_counts_match(after, before):
    """(total, trainable) parameters of the lecture's BN-after and BN-before models."""
    return tuple(after) == (51_146, 51_018) and tuple(before) == (51_082, 50_954)


def dropout_draws_every_mask(distinct_masks, units):
    return distinct_masks == 2**units


def never_rises(errors):
    """True when each error is at most the previous one (up to rounding)."""
    errors = np.asarray(errors, dtype=float)
    return bool(np.all(np.diff(errors) <= 1e-9 * errors[:-1]))


def u_shaped(errors, margin):
    """True when the minimum is inside the range and both ends exceed ``margin`` x the minimum."""
    errors = np.asarray(errors, dtype=float)
    return bool(0 < errors.argmin() < len(errors) - 1 and min(errors[0], errors[-1]) > margin * errors.min())


def training_error_falls_validation_u_shaped(train_mse, val_mse, margin):
    """``train_mse`` and ``val_mse`` hold one list per seed, by polynomial order 1, 2, ..."""
    return all(never_rises(t) for t in train_mse) and all(u_shaped(v, margin) for v in val_mse)


def smallest_underfits_largest_overfits(labels):
    """``labels`` holds one list per seed, by polynomial order 1, 2, ..."""
    return all(seed[0] == "underfitting" and seed[-1] == "overfitting" for seed in labels)


# ---- measurements ---------------------------------------------------------------------------------------


def _claims_counts(rows):
    models = {v: build_model(v) for v in VARIANTS}
    counts = {v: count(m) for v, m in models.items()}
    for v, c in counts.items():
        rows.append({"experiment": "parameters", "variant": v, **c})
    three, cifar = counts["three_layer"], counts["cifar_two_layer"]
    after, before = counts["bn_after"], counts["bn_before"]
    keras_layers = len(models["three_layer"].layers)
    return [
        judge(
            "[3x4][4x4][4x1] in Keras: 3 layers (the input layer is not counted), 12 + 16 + 4 = 32 weights, 9 biases "
            "(one per neuron), 41 learnable parameters",
            lecture_network_counts,
            {
                "keras_layers": keras_layers,
                "weights": three["weights"],
                "biases": three["biases"],
                "total": three["total"],
            },
            f"keras: model.layers lists {keras_layers} layers, kernels hold {three['weights']} weights, biases "
            f"{three['biases']}, count_params() = {three['total']}",
            "00:650-662",
        ),
        judge(
            "The CIFAR-10 two-layer net (3072, 50, 10) has 3072x50 + 50 + 50x10 + 10 = 154,160 parameters",
            cifar_net_parameters,
            {"total": cifar["total"]},
            f"count_params() = {cifar['total']:,}",
            "00:138-139, 03:2015",
        ),
        judge(
            "Batch norm adds 2 learnable + 2 non-learnable parameters per feature: BN after the activation = 51,146 "
            "(51,018 trainable), BN before with use_bias=False = 51,082 (50,954 trainable); the difference is the "
            "64 dropped biases",
            bn_parameter_counts_match,
            {"after": (after["total"], after["trainable"]), "before": (before["total"], before["trainable"])},
            f"after: {after['total']:,} ({after['trainable']:,} trainable); before: {before['total']:,} "
            f"({before['trainable']:,} trainable); difference {after['total'] - before['total']}",
            "00:893-896, 01:1000-1028",
        ),
    ]


def _claim_masks(cfg, seed):
    layer = keras.layers.Dropout(0.5, seed=seed)
    draws = np.asarray(layer(np.ones((cfg.mask_draws, cfg.mask_units), "float32"), training=True)) > 0
    distinct = len({tuple(r) for r in draws})
    return judge(
        f"Every dropout state is a mask, 2^n of them for n units: Keras Dropout(0.5) on a {cfg.mask_units}-unit layer "
        f"draws all 2^{cfg.mask_units} = {2**cfg.mask_units}",
        dropout_draws_every_mask,
        {"distinct_masks": distinct, "units": cfg.mask_units},
        f"{distinct} distinct masks in {cfg.mask_draws} draws of Dropout(0.5) on {cfg.mask_units} units",
        "02:1036",
    )


def _claim_capacity(sweeps, median, cfg):
    best = [int(s.loc[s["val_mse"].idxmin(), "order"]) for s in sweeps]
    shaped = [u_shaped(s["val_mse"], cfg.margin) for s in sweeps]
    return judge(
        f"Capacity sweep (polynomial orders 1-{cfg.max_order}, the lecture's orders 1, 3, 5 among them): the training "
        "error never rises with capacity, the validation error is U-shaped",
        training_error_falls_validation_u_shaped,
        {
            "train_mse": [s["train_mse"].tolist() for s in sweeps],
            "val_mse": [s["val_mse"].tolist() for s in sweeps],
            "margin": cfg.margin,
        },
        f"training error never rises in {sum(never_rises(s['train_mse']) for s in sweeps)}/{len(sweeps)} seeds; "
        f"best validation order per seed {best}; U-shaped in {sum(shaped)}/{len(sweeps)} seeds; median train MSE "
        f"order 1 / 3 / {cfg.max_order}: {fmt(median.train_mse[1])} / {fmt(median.train_mse[3])} / "
        f"{fmt(median.train_mse[cfg.max_order])}, validation {fmt(median.val_mse[1])} / {fmt(median.val_mse[3])} / "
        f"{fmt(median.val_mse[cfg.max_order])}",
        "03:1307-1336, 02:149-172",
    )


def _claim_diagnosis(sweeps, cfg):
    labels = [s["label"].tolist() for s in sweeps]
    expected = sum(seed[0] == "underfitting" and seed[-1] == "overfitting" for seed in labels)
    return judge(
        "Diagnosis: the smallest model underfits (training and validation error both high), the largest overfits "
        f"(training error low, validation error high); 'high' = more than {cfg.margin}x the best order's",
        smallest_underfits_largest_overfits,
        {"labels": labels},
        "labels per order (first seed): "
        + ", ".join(f"{o}: {lab}" for o, lab in zip(sweeps[0]["order"], labels[0]))
        + f"; as expected in {expected}/{len(sweeps)} seeds",
        "01:700-723, 04:557-583",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
