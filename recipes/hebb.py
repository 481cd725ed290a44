"""Hebb's rule on AND: binary fails, bipolar works, and a separable 3-input set still defeats it.

Topic: Hebb's learning rule w_i <- w_i + x_i y, b <- b + y, applied once to each training pair
in the tables' order from w = 0, on a keras Dense(1) neuron whose weights the rule updates.

Lectures: 003 (lines 284-426); catalogue section 2 of shared/lectures/claims.md.
Slips followed by the mathematics: S7 (the bipolar table's first row is (1 1 1) with target 1),
S8 and S9 (the weights after the 3rd and 4th pairs are (1 1 -1) and (2 2 -2)), S10 (the first
row of the 3-input failure case has target +1).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, check

LECTURES = ("003",)
CASES = ("binary", "binary_bipolar_target", "bipolar", "three_input")
# The slides' printed weights after each pair (03:331-349, 03:369-402, 03:413-416), for the slip evidence.
SLIDE_BIPOLAR = {
    "first_row_input": (1, -1, 1),
    "first_row_target": -1,
    "first_row_change": (1, 1, 1),
    "after_3rd": (0, 2, 0),
    "after_4th": (1, 1, -1),
    "line_after_3rd": (-1, 1),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Hebb's rule is one pass over four pairs: nothing to scale. The perceptron comparison's epoch cap."""

    perceptron_epochs: int = 50


FULL = Config()
QUICK = Config()


def build_model(variant="hebb", input_dim=2):
    """One neuron, Dense(1) starting at w = 0, b = 0; the output is the sign (or step) of its net input."""
    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="neuron"),
        ],
        name=variant,
    )


def hebb(model, x, y):
    """Apply Hebb's rule (03:299-302) once per pair in order; returns the (changes, weights) after each pair.

    Weights are written (w_1, ..., w_n, b), the layout of the slides' tables.
    """
    neuron = model.layers[-1]
    changes, weights = [], []
    for xi, yi in zip(np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32")):
        neuron.kernel.assign_add((xi * yi)[:, None])
        neuron.bias.assign_add([yi])
        changes.append(np.r_[xi * yi, yi])
        weights.append(np.r_[np.asarray(neuron.kernel).ravel(), np.asarray(neuron.bias)])
    return np.array(changes), np.array(weights)


def net_input(model, x):
    return np.asarray(model(np.asarray(x, dtype="float32"))).ravel()


def line(w):
    """(slope, intercept) of w1 x1 + w2 x2 + b = 0 as x2 = slope x1 + intercept (None if w2 = 0)."""
    return None if w[1] == 0 else (float(-w[0] / w[1]) + 0.0, float(-w[2] / w[1]) + 0.0)


def three_input_patterns(ctx):
    """The failure case's 4 rows (03:413-416): AND of 3 bipolar inputs restricted to these rows."""
    table = ctx.load("and", inputs=3, encoding="bipolar")
    wanted = [(1, 1, 1), (1, 1, -1), (1, -1, 1), (-1, 1, 1)]
    rows = [next(i for i, r in enumerate(table.x_train.tolist()) if tuple(r) == p) for p in wanted]
    return table.x_train[rows], table.y_train[rows]


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    binary, bipolar = ctx.load("and", encoding="binary"), ctx.load("and", encoding="bipolar")
    data = {
        "binary": (binary.x_train, binary.y_train),
        "binary_bipolar_target": (binary.x_train, 2 * binary.y_train - 1),
        "bipolar": (bipolar.x_train, bipolar.y_train),
        "three_input": three_input_patterns(ctx),
    }
    results, rows = {}, []
    for case, (x, y) in data.items():
        model = build_model(case, x.shape[1])
        changes, weights = hebb(model, x, y)
        net = net_input(model, x)
        predicted = (net > 0).astype(int) if case == "binary" else np.sign(net)
        results[case] = dict(x=x, y=y, changes=changes, weights=weights, net=net, predicted=predicted)
        for k in range(len(x)):
            rows.append(
                {
                    "case": case,
                    "pair": k + 1,
                    "input": str(x[k].astype(int).tolist() + [1]),
                    "target": int(y[k]),
                    "change": str(changes[k].astype(int).tolist()),
                    "weights": str(weights[k].astype(int).tolist()),
                    "line x2 = a x1 + c": str(line(weights[k])) if x.shape[1] == 2 else "",
                    "final_net": float(net[k]),
                    "final_output": int(predicted[k]),
                }
            )

    claims = [
        _claim_binary(results["binary"]),
        _claim_bipolar_target(results["binary_bipolar_target"]),
        _claim_bipolar(results["bipolar"]),
        _claim_three_input(results["three_input"]),
        _claim_separable(results["three_input"], cfg),
    ]
    notes.append(
        "Slip S7 (03:370): the bipolar table's first pair is input (1 1 1) with target 1 (change (1 1 1)); "
        "the slide prints input (1 -1 1) with target -1."
    )
    notes.append(
        "Slips S8, S9 (03:392, 03:402): after the 3rd and 4th pairs the weights are (1 1 -1) and (2 2 -2); the "
        "slide prints (0 2 0) and (1 1 -1), though its lines x2 = -x1 + 1 match the correct weights."
    )
    notes.append(
        "Slip S10 (03:413): the 3-input failure case's first row has target +1 (its printed change (1 1 1 1) "
        "and final (0 0 0 -2) need it); with the printed -1 the final weights would be (-2 -2 -2 -4)."
    )
    return RecipeResult(pd.DataFrame(rows), {"decision_lines": _figure(results)}, claims, notes=notes)


def _ints(a):
    return [tuple(int(v) for v in row) for row in np.atleast_2d(a)]


def _claim_binary(r):
    weights = _ints(r["weights"])
    return check(
        "Binary AND: only the first pair (1,1,1) -> 1 changes anything; w = (1,1,1) after every pair, line "
        "x2 = -x1 - 1; the net inputs are 3, 2, 2, 1, all > 0, so every pattern is classified 1 and AND is not learned",
        weights == [(1, 1, 1)] * 4
        and line(r["weights"][0]) == (-1.0, -1.0)
        and r["net"].tolist() == [3, 2, 2, 1]
        and r["predicted"].tolist() == [1, 1, 1, 1]
        and r["y"].tolist() != [1, 1, 1, 1],
        f"weights after each pair {weights}; line after pair 1: x2 = {line(r['weights'][0])}; net {r['net'].tolist()}, "
        f"outputs {r['predicted'].tolist()} vs targets {r['y'].astype(int).tolist()}",
        "03:304-351",
    )


def _claim_bipolar_target(r):
    weights = _ints(r["weights"])
    expected = [(1, 1, 1), (0, 1, 0), (0, 0, -1), (0, 0, -2)]
    return check(
        "(ext) Binary inputs with bipolar targets: w goes (1,1,1) -> (0,1,0) -> (0,0,-1) -> (0,0,-2) and the net input "
        "is -2 on every pattern, so it still fails: inputs and targets must both be bipolar",
        weights == expected and set(r["net"].tolist()) == {-2.0} and (r["predicted"] != r["y"]).any(),
        f"weights {weights}; net {r['net'].tolist()}; outputs {r['predicted'].astype(int).tolist()} vs targets "
        f"{r['y'].astype(int).tolist()}",
        "03:363-364",
    )


def _claim_bipolar(r):
    weights = _ints(r["weights"])
    changes = _ints(r["changes"])
    lines = [line(w) for w in r["weights"]]
    slide_first_change = tuple(
        int(v) for v in np.r_[SLIDE_BIPOLAR["first_row_input"][:2], 1] * SLIDE_BIPOLAR["first_row_target"]
    )
    slide_line_3rd = line(np.array(SLIDE_BIPOLAR["after_3rd"], dtype=float))
    ok = (
        weights == [(1, 1, 1), (0, 2, 0), (1, 1, -1), (2, 2, -2)]
        and lines == [(-1.0, -1.0), (0.0, 0.0), (-1.0, 1.0), (-1.0, 1.0)]
        and r["net"].tolist() == [2, -2, -2, -6]
        and (r["predicted"] == r["y"]).all()
    )
    return check(
        "Bipolar AND: w = (1,1,1) [x2 = -x1 - 1], (0,2,0) [x2 = 0], (1,1,-1) [x2 = -x1 + 1], (2,2,-2) [the same line]; "
        "net inputs (2,-2,-2,-6) have the targets' signs, so all four are right (slips S7, S8, S9 corrected)",
        ok
        and slide_first_change != SLIDE_BIPOLAR["first_row_change"]
        and slide_line_3rd != SLIDE_BIPOLAR["line_after_3rd"],
        f"changes {changes}; weights {weights}; lines {lines}; net {r['net'].tolist()}. Slips: S7 the slide's first row "
        f"(1,-1,1) with target -1 would change w by {slide_first_change}, not the printed (1,1,1); S8 the printed "
        f"(0,2,0) after the 3rd pair gives line {slide_line_3rd}, not the printed x2 = -x1 + 1 of {weights[2]}; "
        f"S9 after the 4th pair w = {weights[3]}, not the printed (1,1,-1)",
        "03:315-320, 03:366-406",
    )


def _claim_three_input(r):
    weights = _ints(r["weights"])
    with_slide_target = tuple(int(v) for v in (-np.c_[r["x"], np.ones(len(r["x"]))]).sum(axis=0))
    ok = (
        weights == [(1, 1, 1, 1), (0, 0, 2, 0), (-1, 1, 1, -1), (0, 0, 0, -2)]
        and set(r["net"].tolist()) == {-2.0}
        and r["predicted"][0] != r["y"][0]
        and (r["predicted"][1:] == r["y"][1:]).all()
    )
    return check(
        "3-input failure: weights (1,1,1,1) -> (0,0,2,0) -> (-1,1,1,-1) -> (0,0,0,-2); the net input is -2 on all four "
        "patterns, so the first pattern (target +1) is wrong (slip S10: its target is +1, not the printed -1)",
        ok and with_slide_target != weights[-1],
        f"weights {weights}; net {r['net'].tolist()}; outputs {r['predicted'].astype(int).tolist()} vs targets "
        f"{r['y'].astype(int).tolist()}; with the printed target -1 the final weights would be {with_slide_target}",
        "03:409-420",
    )


def _claim_separable(r, cfg):
    from nnzoo.recipes.perceptron import build_model as perceptron_model
    from nnzoo.recipes.perceptron import train_perceptron, weights

    x, y = r["x"], r["y"]
    witness = np.sign(x @ np.ones(3) - 2)
    model = perceptron_model("three_input", 3)
    _, epochs = train_perceptron(model, x, y, max_epochs=cfg.perceptron_epochs)
    learned = epochs["accuracy"].iloc[-1] == 1.0
    return check(
        "Hebb's rule fails even on a linearly separable set: w = (1,1,1), b = -2 separates the 3-input patterns, and "
        "the perceptron rule learns them",
        (witness == y).all() and learned and not (r["predicted"] == y).all(),
        f"(1,1,1,-2) nets {(x @ np.ones(3) - 2).tolist()} vs targets {y.astype(int).tolist()}; perceptron from w = 0 "
        f"(cyclic): w = {weights(model).astype(int).tolist()} after {len(epochs)} epochs, accuracy "
        f"{epochs['accuracy'].iloc[-1]:g}; Hebb's accuracy {(r['predicted'] == y).mean():g}",
        "03:426, 03:430",
    )


def _figure(results):
    cases = (("binary", "binary AND"), ("bipolar", "bipolar AND"))
    fig, axes = plots.grid(8, ncols=4, size=(2.8, 2.8), title="Hebb's rule: the decision line after each pair")
    for row, (case, title) in enumerate(cases):
        r = results[case]
        for k in range(4):
            ax = axes[4 * row + k]
            plots.truth_points(ax, r["x"], r["y"], annotate=False)
            ax.scatter(*r["x"][k], s=160, facecolors="none", edgecolors="C3", zorder=4)  # the pair just seen
            plots.decision_line(ax, r["weights"][k][:2], r["weights"][k][2], lim=(-1.8, 1.8), color="C0")
            ax.set_title(
                f"{title}, after pair {k + 1}: w = {tuple(int(v) for v in r['weights'][k])}", fontsize="x-small"
            )
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
