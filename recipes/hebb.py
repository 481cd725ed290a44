"""Hebb's rule on AND: binary fails, bipolar works, and a separable 3-input set still defeats it.

Topic: Hebb's learning rule w_i <- w_i + x_i y, b <- b + y, applied once to each training pair
in the tables' order from w = 0, on a keras Dense(1) neuron whose weights the rule updates.

Lectures: Univ. Bretagne Sud, "ANN part I" (003, lines 284-426).
Slips followed by the mathematics: S7 (the bipolar table's first row is (1 1 1) with target 1),
S8 and S9 (the weights after the 3rd and 4th pairs are (1 1 -1) and (2 2 -2)), S10 (the first
row of the 3-input failure case has target +1).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, judge

LECTURES = ("003",)
CASES = ("binary", "binary_bipolar_target", "bipolar", "three_input")
# The slides' printed first row and weights (03:331-349, 03:369-402), for the slip evidence and worked examples.
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
    worked = _worked_slips(results["three_input"])
    notes.append(
        "Slip S10 (03:413): the 3-input failure case's first row has target +1 (its printed change (1 1 1 1) "
        f"and final (0 0 0 -2) need it); with the printed -1 the final weights would be {worked[2].computed}."
    )
    return RecipeResult(pd.DataFrame(rows), {"decision_lines": _figure(results)}, claims, notes=notes, worked=worked)


def _ints(a):
    return [tuple(int(v) for v in row) for row in np.atleast_2d(a)]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def binary_and_is_not_learned(weights, line_after_first, net, outputs, targets):
    return (
        weights == [(1, 1, 1)] * 4
        and line_after_first == (-1.0, -1.0)
        and net == [3, 2, 2, 1]
        and outputs == [1, 1, 1, 1]
        and outputs != targets
    )


def bipolar_targets_alone_still_fail(weights, net, outputs, targets):
    return weights == [(1, 1, 1), (0, 1, 0), (0, 0, -1), (0, 0, -2)] and set(net) == {-2.0} and outputs != targets


def bipolar_and_is_learned(weights, lines, net, outputs, targets):
    return (
        weights == [(1, 1, 1), (0, 2, 0), (1, 1, -1), (2, 2, -2)]
        and lines == [(-1.0, -1.0), (0.0, 0.0), (-1.0, 1.0), (-1.0, 1.0)]
        and net == [2, -2, -2, -6]
        and outputs == targets
    )


def three_input_first_pattern_wrong(weights, net, outputs, targets):
    return (
        weights == [(1, 1, 1, 1), (0, 0, 2, 0), (-1, 1, 1, -1), (0, 0, 0, -2)]
        and set(net) == {-2.0}
        and outputs[0] != targets[0]
        and outputs[1:] == targets[1:]
    )


def perceptron_learns_what_hebb_misses(perceptron_accuracy, hebb_accuracy):
    return perceptron_accuracy == 1.0 and hebb_accuracy < 1.0


# ---- measurements ---------------------------------------------------------------------------------------


def _outcome(r):
    """The measured numbers every Hebb claim is judged on: weights after each pair, final nets and outputs."""
    return {
        "weights": _ints(r["weights"]),
        "net": r["net"].tolist(),
        "outputs": r["predicted"].astype(int).tolist(),
        "targets": r["y"].astype(int).tolist(),
    }


def _claim_binary(r):
    got = {**_outcome(r), "line_after_first": line(r["weights"][0])}
    return judge(
        "Binary AND: only the first pair (1,1,1) -> 1 changes anything; w = (1,1,1) after every pair, line "
        "x2 = -x1 - 1; the net inputs are 3, 2, 2, 1, all > 0, so every pattern is classified 1 and AND is not learned",
        binary_and_is_not_learned,
        got,
        f"weights after each pair {got['weights']}; line after pair 1: x2 = {got['line_after_first']}; net "
        f"{got['net']}, outputs {got['outputs']} vs targets {got['targets']}",
        "03:304-351",
    )


def _claim_bipolar_target(r):
    got = _outcome(r)
    return judge(
        "(ext) Binary inputs with bipolar targets: w goes (1,1,1) -> (0,1,0) -> (0,0,-1) -> (0,0,-2) and the net input "
        "is -2 on every pattern, so it still fails: inputs and targets must both be bipolar",
        bipolar_targets_alone_still_fail,
        got,
        f"weights {got['weights']}; net {got['net']}; outputs {got['outputs']} vs targets {got['targets']}",
        "03:363-364",
    )


def _claim_bipolar(r):
    got = {**_outcome(r), "lines": [line(w) for w in r["weights"]]}
    return judge(
        "Bipolar AND: w = (1,1,1) [x2 = -x1 - 1], (0,2,0) [x2 = 0], (1,1,-1) [x2 = -x1 + 1], (2,2,-2) [the same line]; "
        "net inputs (2,-2,-2,-6) have the targets' signs, so all four are right (slips S7, S8, S9 corrected)",
        bipolar_and_is_learned,
        got,
        f"changes {_ints(r['changes'])}; weights {got['weights']}; lines {got['lines']}; net {got['net']}; outputs "
        f"{got['outputs']} vs targets {got['targets']}. S8: after the 3rd pair w = {got['weights'][2]}, not the "
        f"printed {SLIDE_BIPOLAR['after_3rd']}; S9: after the 4th pair w = {got['weights'][3]}, not the printed "
        f"{SLIDE_BIPOLAR['after_4th']}",
        "03:315-320, 03:366-406",
    )


def _claim_three_input(r):
    got = _outcome(r)
    return judge(
        "3-input failure: weights (1,1,1,1) -> (0,0,2,0) -> (-1,1,1,-1) -> (0,0,0,-2); the net input is -2 on all four "
        "patterns, so the first pattern (target +1) is wrong (slip S10: its target is +1, not the printed -1)",
        three_input_first_pattern_wrong,
        got,
        f"weights {got['weights']}; net {got['net']}; outputs {got['outputs']} vs targets {got['targets']}",
        "03:409-420",
    )


def _claim_separable(r, cfg):
    from nnzoo.recipes.perceptron import build_model as perceptron_model
    from nnzoo.recipes.perceptron import train_perceptron, weights

    x, y = r["x"], r["y"]
    model = perceptron_model("three_input", 3)
    _, epochs = train_perceptron(model, x, y, max_epochs=cfg.perceptron_epochs)
    got = {
        "perceptron_accuracy": float(epochs["accuracy"].iloc[-1]),
        "hebb_accuracy": float((r["predicted"] == y).mean()),
    }
    return judge(
        "Hebb's rule fails even on a linearly separable set: the perceptron rule learns the 3-input patterns "
        "(separable: see the worked example w = (1,1,1), b = -2) that Hebb's rule gets wrong",
        perceptron_learns_what_hebb_misses,
        got,
        f"perceptron from w = 0 (cyclic): w = {weights(model).astype(int).tolist()} after {len(epochs)} epochs, "
        f"accuracy {got['perceptron_accuracy']:g}; Hebb's accuracy {got['hebb_accuracy']:g}",
        "03:426, 03:430",
    )


def _worked_slips(three_input):
    """The slides' printed values redone: what their own inputs give (S7, S8, S10) and the separating witness."""
    first_input, first_target = np.array(SLIDE_BIPOLAR["first_row_input"]), SLIDE_BIPOLAR["first_row_target"]
    x, y = three_input["x"], three_input["y"]
    return [
        WorkedExample(
            "S7: Hebb's change (x1 y, x2 y, y) for the printed first row, input (1, -1, 1) with target -1",
            str(tuple(int(v) for v in np.r_[first_input[:2], 1] * first_target)),
            f"{SLIDE_BIPOLAR['first_row_change']}",
            "03:370",
        ),
        WorkedExample(
            "S8: the line w1 x1 + w2 x2 + b = 0 of the printed weights (0, 2, 0) after the 3rd pair, as (slope, "
            "intercept)",
            str(line(np.array(SLIDE_BIPOLAR["after_3rd"], dtype=float))),
            f"x2 = -x1 + 1, i.e. {SLIDE_BIPOLAR['line_after_3rd']}",
            "03:392-396",
        ),
        WorkedExample(
            "S10: final weights of the 3-input case with the printed target -1 on row 1 (every target -1: w = "
            "-sum of the rows (x1, x2, x3, 1))",
            str(tuple(int(v) for v in (-np.c_[x, np.ones(len(x))]).sum(axis=0))),
            "(0 0 0 -2)",
            "03:413-416",
        ),
        WorkedExample(
            "Nets of w = (1, 1, 1), b = -2 on the 3-input patterns (a separating line)",
            str((x @ np.ones(3) - 2).astype(int).tolist()),
            f"the targets {y.astype(int).tolist()}: 'linear separable' (03:426)",
            "03:426",
        ),
    ]


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
