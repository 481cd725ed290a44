"""Loss functions: the lecture 001 tables by Keras and by hand, the conventions that make the slides' digits.

Topic: classification error, mean squared error, average cross-entropy and MAE — the two
three-example tables of lecture 001 (CE 0.33 / 0.33, MSE 0.81 / 0.34, ACE 1.38 / 0.64) computed
with keras.losses and with numpy, which convention reproduces the printed numbers (sum over
classes, natural log, mean over the examples), one-hot targets, the NLL's natural log and the
ln 10 of a uniform 10-class prediction, Keras MSE/MAE against their formulas, the 1/2 convention,
and the quiz on which function can serve as a loss.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 548); UPM
Madrid, "Training feedforward neural networks" (001, lines 373-429); Sharif Univ., "Introduction to neural
networks" (002, lines 73, 497-507); Univ. Bretagne Sud, "ANN part I" (003, lines 737-775); Univ.
Milano-Bicocca, "Neural networks" (004, lines 905-1011). Slips followed by the mathematics: the ACE expressions
"-2 log 0.4 - log 0.1" leave out the 1/3 (03:742-775); S3 (0.2119 is the 1/2-convention loss).
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "001", "002", "003", "004")
VARIANTS = ("uniform",)

# Lecture 001's tables (01:405-427): computed outputs per example, one-hot targets (democrat, republican, other).
TARGETS = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], dtype="float64")
TABLES = {
    "model 1": np.array([[0.3, 0.3, 0.4], [0.3, 0.4, 0.3], [0.1, 0.2, 0.7]]),
    "model 2": np.array([[0.1, 0.2, 0.7], [0.1, 0.7, 0.2], [0.3, 0.4, 0.3]]),
}
SLIDE = {"model 1": {"CE": 0.33, "MSE": 0.81, "ACE": 1.38}, "model 2": {"CE": 0.33, "MSE": 0.34, "ACE": 0.64}}
QUIZ = {  # 04:1001-1011, e = prediction - ground truth
    "e^3": lambda e: e**3,
    "log e": lambda e: np.log(np.where(e > 0, e, np.nan)),
    "sin e": np.sin,
    "1/e": lambda e: 1 / e,
    "5e^2 - 2": lambda e: 5 * e**2 - 2,
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the random comparisons and the quiz grid (even, so e = 0 is not a grid point)."""

    random_size: int = 1000
    seeds: int = 3
    quiz_points: int = 20_000
    quiz_limit: float = 10.0


FULL = Config()
QUICK = Config(random_size=200, seeds=2)


def build_model(variant="uniform", *, input_dim=64, num_classes=10):
    """A softmax classifier with all-zero output weights: it predicts 1/C for every class (claim 7.6)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(num_classes, activation="softmax", kernel_initializer="zeros", bias_initializer="zeros"),
        ],
        name=variant,
    )


def by_hand(outputs, targets=TARGETS, log=np.log):
    """CE, MSE (sum over classes, mean over examples) and ACE as the slides define them (01:379-391)."""
    return {
        "CE": float(np.mean(outputs.argmax(axis=1) != targets.argmax(axis=1))),
        "MSE": float(np.mean(np.sum((outputs - targets) ** 2, axis=1))),
        "ACE": float(-np.mean(np.sum(targets * log(outputs), axis=1))),
    }


def with_keras(outputs, targets=TARGETS):
    """The same with keras: 1 - CategoricalAccuracy, MeanSquaredError x classes, CategoricalCrossentropy."""
    accuracy = keras.metrics.CategoricalAccuracy()
    accuracy.update_state(targets, outputs)
    classes = targets.shape[1]
    mse = float(keras.losses.MeanSquaredError(dtype="float64")(targets, outputs))
    return {
        "CE": 1 - float(accuracy.result()),
        "MSE": mse * classes,
        "MSE (keras, mean over classes)": mse,
        "ACE": float(keras.losses.CategoricalCrossentropy(dtype="float64")(targets, outputs)),
    }


def conventions(outputs, targets=TARGETS):
    """The alternatives the slide's notation allows: without the 1/n, with log10, MSE averaged over classes."""
    sums = -np.sum(targets * np.log(outputs))
    return {
        "ACE without 1/n": float(sums),
        "ACE with log10": by_hand(outputs, targets, np.log10)["ACE"],
        "MSE mean over classes": float(np.mean((outputs - targets) ** 2)),
    }


def quiz(config):
    """For each quiz candidate: continuous, bounded below and a unique minimum on a grid of e."""
    e = np.linspace(-config.quiz_limit, config.quiz_limit, config.quiz_points)
    found = {}
    for name, fn in QUIZ.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            v = fn(e)
        finite = np.isfinite(v)
        jumps = np.abs(np.diff(v))
        typical = np.nanmedian(jumps)
        continuous = bool(finite.all() and np.nanmax(jumps) < 100 * typical)
        slope = np.sign(np.diff(v))
        minima = int(np.sum((slope[:-1] < 0) & (slope[1:] >= 0)))  # falling, then flat or rising
        with np.errstate(divide="ignore", invalid="ignore"):
            wide = fn(10 * e)  # bounded below: the minimum does not keep falling as the range grows
        bounded = bool(finite.all() and np.isfinite(wide).all() and wide.min() >= v.min() - 1 and v.min() > -1e3)
        found[name] = {
            "continuous": continuous,
            "bounded_below": bounded,
            "local_minima": minima,
            "usable": continuous and bounded and minima == 1,
            "argmin": float(e[np.nanargmin(v)]) if finite.any() else math.nan,
        }
    return found


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    rows, claims = [], []
    hand = {m: by_hand(o) for m, o in TABLES.items()}
    keras_values = {m: with_keras(o) for m, o in TABLES.items()}
    alt = {m: conventions(o) for m, o in TABLES.items()}
    for m in TABLES:
        for k in ("CE", "MSE", "ACE"):
            rows.append(
                {"table": m, "loss": k, "slide": SLIDE[m][k], "by_hand": hand[m][k], "keras": keras_values[m][k]}
            )
        for k, v in alt[m].items():
            rows.append({"table": m, "loss": k, "slide": np.nan, "by_hand": v, "keras": np.nan})

    gap = max(abs(keras_values[m][k] - hand[m][k]) for m in TABLES for k in ("CE", "MSE", "ACE"))
    claims.append(
        judge(
            "Keras's losses on the slides' two prediction tables equal the lecture's formulas (CE, MSE summed over "
            "the classes, ACE with the natural log and 1/n); the tables' digits are worked examples below",
            keras_losses_match_formulas,
            {"max_gap": gap},
            "by hand "
            + "; ".join(f"{m}: " + ", ".join(f"{k} {v:.5f}" for k, v in hand[m].items()) for m in TABLES)
            + "; max |keras - by hand| = "
            + fmt(gap),
            "01:397-427",
        )
    )
    one_hot = keras.utils.to_categorical([3, 6, 0], num_classes=10)
    s = np.array([[0.9, 0.07, 0.03]])
    single = float(keras.losses.CategoricalCrossentropy(dtype="float64")(np.array([[1.0, 0.0, 0.0]]), s))
    claims.append(
        judge(
            "One-hot targets: labels 3, 6, 0 become 10-vectors with a single 1 at index 3, 6, 0; the example "
            "S = [0.9, ..., 0.03] with y = c1 costs -ln 0.9 = 0.10536",
            one_hot_and_single_ce,
            {"argmaxes": [int(r.argmax()) for r in one_hot], "row_sums": one_hot.sum(axis=1).tolist(), "ce": single},
            f"to_categorical rows argmax {[int(r.argmax()) for r in one_hot]}, sums {one_hot.sum(axis=1).tolist()}; "
            f"keras CE {single:.5f} (the middle classes of S are chosen: 0.07)",
            "03:754-757, 01:393",
        )
    )

    data = ctx.load("digits")
    model = build_model(input_dim=data.input_shape[0], num_classes=data.num_classes)
    uniform = float(keras.losses.SparseCategoricalCrossentropy()(data.y_val, model(data.x_val)))
    claims.append(
        judge(
            "The NLL uses the natural log: a network that predicts 1/10 for every class of digits has loss ln 10 = 2.302585",
            uniform_prediction_costs_ln10,
            {"loss": uniform},
            f"keras SparseCategoricalCrossentropy of the all-zero-weight softmax on {len(data.x_val)} validation digits "
            f"= {uniform:.6f}; ln 10 = {math.log(10):.6f}, log10 10 = 1",
            "03:772, 01:558-562",
        )
    )

    errs = []
    for k in range(cfg.seeds):
        rng = np.random.default_rng(ctx.seed + k)
        y, p = rng.normal(size=(cfg.random_size, 1)), rng.normal(size=(cfg.random_size, 1))
        errs.append(
            max(
                abs(float(keras.losses.MeanSquaredError()(y, p)) - np.mean((y - p) ** 2)),
                abs(float(keras.losses.MeanAbsoluteError()(y, p)) - np.mean(np.abs(y - p))),
            )
        )
    claims.append(
        judge(
            "Keras MSE and MAE are the lectures' (1/n) sum (y - y_hat)^2 and (1/n) sum |y - y_hat|",
            keras_mse_mae_are_means,
            {"max_error": max(errs)},
            f"max |keras - numpy| = {fmt(max(errs))} over {cfg.seeds} x {cfg.random_size} random pairs",
            "02:505-507, 04:917-921, 02:73",
        )
    )

    found = quiz(cfg)
    usable = [name for name, f in found.items() if f["usable"]]
    claims.append(
        judge(
            "Quiz: among e^3, log e, sin e, 1/e and 5e^2 - 2 only 5e^2 - 2 is continuous, bounded below and has a unique "
            "minimum (at e = 0)",
            only_quadratic_is_a_loss,
            {"usable": usable, "argmin": found["5e^2 - 2"]["argmin"]},
            "; ".join(
                f"{n}: continuous {f['continuous']}, bounded below {f['bounded_below']}, "
                f"{f['local_minima']} local minima"
                for n, f in found.items()
            )
            + f" (grid of {cfg.quiz_points} points on [-{cfg.quiz_limit:g}, {cfg.quiz_limit:g}])",
            "04:1001-1011, 04:908-911",
        )
    )
    for name, f in found.items():
        rows.append({"table": "quiz", "loss": name, **{k: v for k, v in f.items() if k != "argmin"}})

    notes.append(
        "The slides' 'ACE = -2 log 0.4 - log 0.1 = 1.38' and '-2 log 0.7 - log 0.3 = 0.64' omit the 1/3 "
        "(without it: 4.1352 and 1.9173) and use the natural log; MSE 0.81 / 0.34 sums over the classes "
        "(keras MeanSquaredError averages over them: 0.26889 / 0.11333)."
    )
    notes.append(
        "Slip S3 (00:470 vs 00:548): 0.2119 = 1/2 (0.88 - 0.229)^2; the 1/N MSE formula printed with it gives 0.4238."
    )

    e = np.linspace(-cfg.quiz_limit / 2, cfg.quiz_limit / 2, 2001)
    with np.errstate(divide="ignore", invalid="ignore"):
        series = {name: (e, np.clip(fn(e), -30, 30)) for name, fn in QUIZ.items()}
    quiz_fig = plots.curves(
        series,
        title="which function can be a loss? (04:1001-1011)",
        xlabel="e = prediction - truth",
        ylabel="l(e), clipped to [-30, 30]",
    )
    table_fig = plots.bars(
        {f"{m} {k}": hand[m][k] for m in TABLES for k in ("CE", "MSE", "ACE")},
        title="lecture 001's two tables: CE ties, MSE and ACE prefer model 2",
    )
    return RecipeResult(
        pd.DataFrame(rows),
        {"tables": table_fig, "quiz": quiz_fig},
        claims,
        notes=notes,
        worked=_worked_examples(hand, alt, keras_values),
    )


def _worked_examples(hand, alt, keras_values):
    """Lecture 001's tables and the other conventions evaluated on the slides' own prediction tables."""
    worked = [
        WorkedExample(f"{m}: {k}", hand[m][k], f"{SLIDE[m][k]}", "01:405-415" if m == "model 1" else "01:417-427")
        for m in TABLES
        for k in ("CE", "MSE", "ACE")
    ]
    for m in TABLES:
        worked += [
            WorkedExample(
                f"{m}: ACE without the 1/3 (as printed)",
                alt[m]["ACE without 1/n"],
                f"ACE {SLIDE[m]['ACE']}",
                "01:411-427",
            ),
            WorkedExample(f"{m}: ACE with log10", alt[m]["ACE with log10"], f"ACE {SLIDE[m]['ACE']}", "01:411-427"),
            WorkedExample(
                f"{m}: keras MSE (mean over the classes)",
                keras_values[m]["MSE (keras, mean over classes)"],
                f"MSE {SLIDE[m]['MSE']}",
                "01:411-427",
            ),
        ]
    return worked + [
        WorkedExample(
            "Precipitation loss with the 1/2 convention: 1/2 (0.88 - 0.229)^2",
            0.5 * (0.88 - 0.229) ** 2,
            "0.2119",
            "00:548",
        ),
        WorkedExample(
            "... with the 1/N formula printed first (N = 1): (0.88 - 0.229)^2",
            (0.88 - 0.229) ** 2,
            "0.2119 (S3)",
            "00:470",
        ),
        WorkedExample("ln 10, the loss of a uniform 10-class prediction", math.log(10), "2.302585", "03:772"),
    ]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def keras_losses_match_formulas(max_gap):
    return max_gap < 1e-6


def one_hot_and_single_ce(argmaxes, row_sums, ce):
    return argmaxes == [3, 6, 0] and row_sums == [1.0, 1.0, 1.0] and round(ce, 5) == 0.10536


def uniform_prediction_costs_ln10(loss):
    return round(loss, 5) == round(math.log(10), 5)


def keras_mse_mae_are_means(max_error):
    return max_error < 1e-6


def only_quadratic_is_a_loss(usable, argmin):
    return usable == ["5e^2 - 2"] and abs(argmin) < 1e-3


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
