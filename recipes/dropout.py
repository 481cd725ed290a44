"""Dropout: inverted dropout's scaling, the expectation over masks, zero gradients, and the narrower gap.

Topic: dropout — Keras's ``rate`` is the fraction dropped (keep probability 1 - rate), inverted
dropout scales the kept units by 1/(1 - rate) at training time and is the identity at test time;
the lecture's two-input expectation example by enumerating the four masks; the number of masks
of a 4096-unit layer; dropped units get zero gradient; Dropout(0.2) and Dropout(0.5) narrow the
train-validation gap of an overfitting network; nnzoo's from-scratch InvertedDropout trains
exactly like keras.layers.Dropout.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 986-1001);
UPM Madrid, "Training feedforward neural networks" (001, lines 1096-1135, with the Keras code reproduced
here); Sharif Univ., "Introduction to neural networks" (002, lines 1009-1066); Univ. Bretagne Sud, "ANN part
I" (003, lines 2465-2506).
Slips followed by the mathematics: S23 (with p the drop rate the factors are 1 - p) and S24
(E_train[a] = 0.5 E_test[a], not the reverse).
"""

import dataclasses
import itertools

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from nnzoo.custom_layers import InvertedDropout

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "001", "002", "003")
VARIANTS = ("none", "dropout_0.2", "dropout_0.5", "scratch_0.5")


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; a wide MLP on a small, noisy TensorFlow Playground set, so that it overfits.

    (On 300 digits the same comparison shows no gap change beyond the seed spread: the digits MLP's
    gap is mostly irreducible there, so the noisy 2-D set is where the lecture's effect is visible.)
    """

    dataset: str = "xor_2d"
    n: int = 150  # 90 training points
    noise: float = 0.5
    hidden_layers: int = 2
    units: int = 256
    epochs: int = 100
    learning_rate: float = 3e-3  # Adam
    batch_size: int = 16
    seeds: int = 3
    units_probe: int = 100_000  # units in the scaling check


FULL = Config()
QUICK = Config(epochs=30, seeds=1)


def rate_of(variant):
    return float(variant.rsplit("_", 1)[1]) if variant != "none" else 0.0


def build_model(variant, config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """A ReLU MLP with no dropout, keras.layers.Dropout(rate) ("dropout_<rate>") or nnzoo's InvertedDropout
    ("scratch_<rate>") after every hidden layer, as the lecture's code places Dropout(rate=0.2) (01:1128-1135)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    for _ in range(config.hidden_layers):
        layers.append(keras.layers.Dense(config.units, activation="relu"))
        if variant.startswith("dropout"):
            layers.append(keras.layers.Dropout(rate=rate_of(variant)))
        elif variant.startswith("scratch"):
            layers.append(InvertedDropout(rate=rate_of(variant)))
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers, name=variant.replace(".", "_"))


def tunable_model(hp, data):
    """The digits MLP with the dropout rate, width, depth and Adam learning rate from ``hp``."""
    rate = hp.Float("dropout", 0.0, 0.6, step=0.1)
    layers = [keras.Input(data.input_shape), standardizer(data.x_train)]
    for _ in range(hp.Int("hidden_layers", 1, 3)):
        layers += [keras.layers.Dense(hp.Int("units", 64, 512, step=64), activation="relu"), keras.layers.Dropout(rate)]
    layers.append(keras.layers.Dense(data.num_classes, activation="softmax"))
    model = keras.Sequential(layers, name="tuned")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def mask_expectations(w=(0.7, -0.3), inputs=(2.0, 1.5), keep=0.5):
    """The lecture's a = w1 x + w2 y under every dropout mask of its two inputs (02:1058-1066).

    Returns (rows, plain expectation, inverted expectation, full output): each row is a mask with
    its probability, its plain output and its inverted-dropout output (kept inputs divided by keep).
    """
    w, x = np.asarray(w), np.asarray(inputs)
    rows = []
    for mask in itertools.product((1, 0), repeat=len(x)):
        m = np.array(mask)
        prob = float(np.prod(np.where(m == 1, keep, 1 - keep)))
        rows.append(
            {
                "mask": "".join(map(str, mask)),
                "probability": prob,
                "output": float(w @ (m * x)),
                "inverted_output": float(w @ (m * x)) / keep,
            }
        )
    plain = sum(r["probability"] * r["output"] for r in rows)
    inverted = sum(r["probability"] * r["inverted_output"] for r in rows)
    return rows, plain, inverted, float(w @ x)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load(cfg.dataset, n=cfg.n, noise=cfg.noise)
    runs = {
        v: [
            ctx.train(
                v if k == 0 else f"{v}_seed{k}",
                lambda v=v: build_model(
                    v,
                    cfg,
                    input_dim=data.input_shape[0],
                    num_classes=data.num_classes,
                    normalizer=keras.layers.Rescaling(1 / 5),
                ),  # inputs in [-6, 6]
                data,
                seed=ctx.seed + k,
                epochs=cfg.epochs,
                learning_rate=cfg.learning_rate,
                batch_size=cfg.batch_size,
                save=(k == 0),
            )
            for k in range(cfg.seeds)
        ]
        for v in VARIANTS
    }
    rows = []
    for v, trained in runs.items():
        for k, r in enumerate(trained):
            train = r.model.evaluate(data.x_train, data.y_train, verbose=0, return_dict=True)
            rows.append(
                {
                    "experiment": "gap",
                    "variant": v,
                    "rate": rate_of(v),
                    "seed": ctx.seed + k,
                    "train_accuracy": train["accuracy"],
                    "val_accuracy": r.val["accuracy"],
                    "gap": train["accuracy"] - r.val["accuracy"],
                    "train_loss": train["loss"],
                    "val_loss": r.val["loss"],
                    "test_accuracy": r.test["accuracy"],
                    "seconds_per_epoch": r.history["seconds"].median(),
                }
            )
    masks, plain, inverted, full = mask_expectations()
    rows += [
        {
            "experiment": "expectation_masks",
            "variant": f"mask {m['mask']}",
            "probability": m["probability"],
            "output": m["output"],
            "inverted_output": m["inverted_output"],
        }
        for m in masks
    ]
    table = pd.DataFrame(rows)

    claims = [
        _claim_rates(ctx.seed, cfg),
        _claim_inverted_scaling(ctx.seed, cfg),
        _claim_zero_gradient(ctx.seed),
        _claim_gap(table, runs, cfg, 1 / data.num_classes),
        _claim_scratch(runs, cfg),
    ]
    notes.append(
        "Slip S23 (01:1100 vs 01:1122-1124): with p = the drop rate, test outputs are scaled by (1 - p) and "
        "inverted dropout divides by (1 - p) at training; Keras Dropout(0.2) scales the kept units by 1.25."
    )
    notes.append(
        "Slip S24 (02:1066): E_train[a] = 0.5 E_test[a] (keep probability times the test output), not the reverse."
    )
    figures = {
        "learning_curves": plots.learning_curves(
            {v: r[0].history for v, r in runs.items()},
            ("accuracy", "val_accuracy", "val_loss"),
            title=f"{cfg.hidden_layers} x {cfg.units} ReLU on {len(data.x_train)} noisy '{cfg.dataset}' points: "
            "with and without dropout",
        ),
        "mask_expectation": plots.bars(
            {
                **{f"mask {m['mask']} (p={m['probability']:g})": m["output"] for m in masks},
                "E_train (plain)": plain,
                "E_train (inverted)": inverted,
                "E_test": full,
            },
            title="a = w1 x + w2 y, w = (0.7, -0.3), (x, y) = (2, 1.5), rate 0.5: outputs per mask",
            ylabel="output",
        ),
    }
    worked = [
        WorkedExample(
            "E_train[a] over the 4 masks of a = w1 x + w2 y at keep 0.5, w = (0.7, -0.3), (x, y) = (2, 1.5)",
            plain,
            "0.475 (= 1/2 of E_test 0.95)",
            "02:1040-1066",
        ),
        WorkedExample("E_test[a] = w1 x + w2 y", full, "0.95", "02:1058-1066"),
        WorkedExample(
            "Inverted dropout's E_train[a] at keep 0.5 (kept inputs divided by 0.5)",
            inverted,
            "= E_test",
            "01:1117-1125",
        ),
        WorkedExample(
            "log10 of the number of masks of a 4096-unit layer: 4096 log10 2",
            4096 * np.log10(2),
            "2^4096 ~ 10^1233",
            "02:1030-1036",
        ),
    ]
    return RecipeResult(table, figures, claims, notes=notes, worked=worked)


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def drop_fraction_is_rate(fractions):
    """``fractions`` maps a rate to the fraction of units Keras zeroed."""
    return all(abs(f - r) < 0.01 for r, f in fractions.items())


def kept_units_scaled_up(all_kept_exact, mean_outputs, identity_at_test):
    return all(all_kept_exact) and all(abs(m - 1) < 0.01 for m in mean_outputs) and all(identity_at_test)


def dropped_units_get_zero_gradient(dropped, dropped_gradients, kept_gradients, rate):
    return (
        dropped > 0 and set(dropped_gradients) == {0.0} and set(kept_gradients) == {float(np.float32(1 / (1 - rate)))}
    )


def dropout_narrows_gap(loss_gaps, accuracy_gaps):
    """``loss_gaps`` and ``accuracy_gaps`` map a variant to its mean train-validation gap."""
    return all(
        loss_gaps[v] < loss_gaps["none"] and accuracy_gaps[v] < accuracy_gaps["none"]
        for v in ("dropout_0.2", "dropout_0.5")
    )


def scratch_trains_like_keras(max_difference):
    return max_difference < 1e-4


# ---- measurements ---------------------------------------------------------------------------------------


def _dropped(rate, seed, n):
    layer = keras.layers.Dropout(rate=rate, seed=seed)
    return np.asarray(layer(np.ones((1, n), dtype="float32"), training=True)).ravel(), layer


def _claim_rates(seed, cfg):
    fractions = {r: float((_dropped(r, seed, cfg.units_probe)[0] == 0).mean()) for r in (0.2, 0.3, 0.5)}
    return judge(
        "Keras's Dropout(rate) drops a fraction `rate` of the units (0.2 in the lecture's code, H2O's 0.2 / 0.3, "
        "0.5 'common'); the keep probability is 1 - rate (000's p)",
        drop_fraction_is_rate,
        {"fractions": fractions},
        f"zero fraction over {cfg.units_probe:,} units: "
        + ", ".join(f"rate {r}: {f:.4f} (keep {1 - f:.4f})" for r, f in fractions.items()),
        "01:1100, 01:1134, 02:1013-1014, 03:2454, 03:2475, 00:988",
    )


def _claim_inverted_scaling(seed, cfg):
    evidence, measured = [], {"all_kept_exact": [], "mean_outputs": [], "identity_at_test": []}
    for rate in (0.2, 0.5):
        out, layer = _dropped(rate, seed, cfg.units_probe)
        kept = out[out != 0]
        exact = bool(np.all(kept == np.float32(1 / (1 - rate))))
        x = np.random.default_rng(seed).standard_normal((4, 32)).astype("float32")
        identity = bool(np.array_equal(np.asarray(layer(x, training=False)), x))
        measured["all_kept_exact"].append(exact)
        measured["mean_outputs"].append(float(out.mean()))
        measured["identity_at_test"].append(identity)
        evidence.append(
            f"rate {rate}: kept units = {fmt(kept[0])} (all exactly 1/(1 - rate): {exact}), "
            f"E[out] = {out.mean():.4f}, identity at training=False: {identity}"
        )
    return judge(
        "Inverted dropout: Keras scales the kept units by 1/(1 - rate) while training (1.25 for 0.2, 2.0 for 0.5), so "
        "E[out] = in, and is the identity at test time (slip S23: the factors use 1 - p, p the drop rate)",
        kept_units_scaled_up,
        measured,
        "; ".join(evidence),
        "01:1117-1125, 00:990",
    )


def _claim_zero_gradient(seed, rate=0.5):
    layer = keras.layers.Dropout(rate=rate, seed=seed)
    h = tf.Variable(np.random.default_rng(seed).standard_normal((8, 64)).astype("float32") + 3.0)
    with tf.GradientTape() as tape:
        out = layer(h, training=True)
        total = tf.reduce_sum(out)
    grad = np.asarray(tape.gradient(total, h))
    dropped = np.asarray(out) == 0
    return judge(
        "Backprop through dropout: a dropped unit gets exactly zero gradient, a kept one 1/(1 - rate)",
        dropped_units_get_zero_gradient,
        {
            "dropped": int(dropped.sum()),
            "dropped_gradients": sorted(set(grad[dropped].tolist())),
            "kept_gradients": sorted(set(grad[~dropped].tolist())),
            "rate": rate,
        },
        f"{int(dropped.sum())} of {dropped.size} units dropped; gradient on dropped units "
        f"{sorted(set(grad[dropped].tolist()))}, on kept units {sorted(set(grad[~dropped].tolist()))}",
        "01:1104",
    )


def _claim_gap(table, runs, cfg, chance):
    t = (
        table[table["experiment"] == "gap"]
        .assign(loss_gap=lambda d: d["val_loss"] - d["train_loss"])
        .groupby("variant")
    )
    mean, std = t.mean(numeric_only=True), t.std(numeric_only=True, ddof=0)
    rates = ("dropout_0.2", "dropout_0.5")
    return judge(
        f"Dropout(0.2) and Dropout(0.5) narrow the train-validation gap (in loss and in accuracy, both measured in "
        f"inference mode) of an overfitting {cfg.hidden_layers} x {cfg.units} MLP on a small noisy "
        f"'{cfg.dataset}' set (mean of {cfg.seeds} seeds)",
        dropout_narrows_gap,
        {"loss_gaps": mean["loss_gap"].to_dict(), "accuracy_gaps": mean["gap"].to_dict()},
        "; ".join(
            f"{v}: loss gap {fmt(mean.loc[v, 'loss_gap'])} (± {fmt(std.loc[v, 'loss_gap'], 2)}), accuracy gap "
            f"{fmt(mean.loc[v, 'gap'])} (± {fmt(std.loc[v, 'gap'], 2)}), train {fmt(mean.loc[v, 'train_accuracy'])}, "
            f"val {fmt(mean.loc[v, 'val_accuracy'])}"
            for v in ("none", *rates)
        ),
        "02:1021-1026, 03:2485-2486, 00:986",
        variants=[r for v in ("none", *rates) for r in runs[v]],
        chance=chance,
    )


def _claim_scratch(runs, cfg):
    diffs = [
        float(np.abs(a.history[c] - b.history[c]).max())
        for a, b in zip(runs["scratch_0.5"], runs["dropout_0.5"])
        for c in ("loss", "val_accuracy", "val_loss")
    ]
    return judge(
        "nnzoo's from-scratch InvertedDropout(0.5) beside keras.layers.Dropout(0.5) gives the same learning curves "
        f"(same seeds, {cfg.seeds} runs each: the same masks, so the same training)",
        scratch_trains_like_keras,
        {"max_difference": max(diffs)},
        f"max |difference| over {cfg.epochs} epochs of loss, val_accuracy and val_loss: {fmt(max(diffs))}; final val "
        f"accuracy scratch {fmt(runs['scratch_0.5'][0].final('val_accuracy'))} vs Keras "
        f"{fmt(runs['dropout_0.5'][0].final('val_accuracy'))}",
        "01:1117-1135",
        variants=[*runs["scratch_0.5"], *runs["dropout_0.5"]],
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
