"""McCulloch-Pitts units: AND, OR, NOT, the blueberry neuron, XOR's impossibility and XOR from two layers.

Topic: the McCulloch-Pitts neuron (fixed weights, a threshold, no learning) as a logic gate;
the threshold that turns AND into OR; why no single unit computes XOR (an exact proof, not a
sample) and how two layers of units do.

Lectures: Univ. Bretagne Sud, "ANN part I" (003, lines 140-272).
The slides' weights and thresholds were in figures (03:150, 03:170, 03:259) that the text lost:
the values here (AND w=(1,1), theta=2; OR theta=1; NOT w=-1, theta=0; the XOR networks) are
nnzoo's choice, not the slides'. A unit outputs 1 iff sum_i w_i x_i >= theta.
"""

import dataclasses
import itertools
from fractions import Fraction

import keras
import numpy as np
import pandas as pd
from nnzoo.custom_layers import MCPNeuron
from scipy.optimize import linprog

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("003",)
INPUTS = np.array(list(itertools.product((0, 1), repeat=2)), dtype="float32")  # (0,0), (0,1), (1,0), (1,1)

# Chosen weights and thresholds (the slides' figures are lost): name -> (layers of (weights, thresholds)).
# A layer's weights have shape (inputs, units); one threshold per unit.
NETWORKS = {
    "blueberry": [([[1], [1]], [2])],  # inputs (purple, round)
    "and": [([[1], [1]], [2])],
    "or": [([[1], [1]], [1])],
    "not": [([[-1]], [0])],
    "xor": [([[1, -1], [-1, 1]], [1, 1]), ([[1], [1]], [1])],  # h1 = x1 AND NOT x2, h2 = x2 AND NOT x1, OR
    "xor_or_nand": [([[1, -1], [1, -1]], [1, -1]), ([[1], [1]], [2])],  # OR and NAND, then AND
}
TRUTH = {  # the slides' tables (03:157-161, 03:194-199, 03:215-219), rows in INPUTS order
    "blueberry": [0, 0, 0, 1],  # (purple, round): hot dog, golf ball, violet, blueberry
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "not": [1, 0],
    "xor": [0, 1, 1, 0],
    "xor_or_nand": [0, 1, 1, 0],
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Threshold sweep and brute-force grid (03:173, 03:206); cheap, so QUICK differs only in the grid."""

    sweep_low: float = -0.5
    sweep_high: float = 3.0
    sweep_step: float = 0.25
    grid_limit: float = 5.0
    weight_step: float = 0.5
    threshold_step: float = 0.25


FULL = Config()
QUICK = Config(weight_step=1.0, threshold_step=0.5)


def threshold_layer(weights, thresholds, name=None):
    """A layer of McCulloch-Pitts units (nnzoo.custom_layers.MCPNeuron): unit j outputs 1 iff
    sum_i w_ij x_i >= thresholds[j]."""
    return MCPNeuron.from_weights(np.asarray(weights, "float32"), np.asarray(thresholds, "float32"), name=name)


def build_model(variant, config=FULL):
    """The network of MCP units for ``variant`` (one of NETWORKS) as a keras.Sequential."""
    if variant not in NETWORKS:
        raise ValueError(f"Unknown variant; expected one of {tuple(NETWORKS)}. Received: variant={variant!r}")
    layers = NETWORKS[variant]
    return keras.Sequential(
        [
            keras.Input((len(layers[0][0]),)),
            *[threshold_layer(w, t, name=f"mcp_{k}") for k, (w, t) in enumerate(layers)],
        ],
        name=variant,
    )


def outputs(model, x):
    return np.asarray(model(x)).ravel().astype(int).tolist()


def unit_outputs(w, theta, x=INPUTS):
    """Outputs of one unit with weights ``w`` and threshold ``theta`` on every row of ``x`` (numpy)."""
    return (x @ np.asarray(w, dtype=float) >= theta).astype(int)


def realizable(truth, x=INPUTS):
    """Can one unit compute ``truth``? Returns (True, (w, theta)) or (False, Farkas certificate).

    A unit needs w.x - theta >= 0 on the 1-rows and theta - w.x > 0 on the 0-rows. Either an LP
    finds such (w, theta), or (Motzkin's transposition theorem) there are lambda >= 0 with
    sum_i lambda_i a_i = 0 and positive weight on a strict row: summing the inequalities then
    gives 0 > 0. The certificate is checked in exact rational arithmetic.
    """
    truth = np.asarray(truth)
    rows = np.c_[x, -np.ones(len(x))] * np.where(truth == 1, 1.0, -1.0)[:, None]  # a_i . (w, theta)
    strict = truth == 0
    # margin 1 on every row: for finitely many points a slack on the >= rows costs nothing (lower theta)
    lp = linprog(np.zeros(3), A_ub=-rows, b_ub=-np.ones(len(x)), bounds=[(None, None)] * 3)
    if lp.status == 0:
        return True, (lp.x[:2], lp.x[2])
    cert = linprog(
        np.zeros(len(x)),
        A_eq=np.r_[rows.T, strict[None].astype(float)],
        b_eq=np.r_[np.zeros(3), 1.0],
        bounds=[(0, None)] * len(x),
    )
    lam = [Fraction(v).limit_denominator(1000) for v in cert.x]
    exact_rows = [[Fraction(int(round(v))) for v in r] for r in rows]
    combination = [sum(m * r[j] for m, r in zip(lam, exact_rows)) for j in range(3)]
    proved = all(m >= 0 for m in lam) and combination == [0, 0, 0] and sum(m for m, s in zip(lam, strict) if s) > 0
    return False, (lam if proved else None)


def brute_force(truth, cfg, x=INPUTS):
    """Count grid units computing ``truth`` exactly and the best accuracy any grid unit reaches."""
    ws = np.arange(-cfg.grid_limit, cfg.grid_limit + 1e-9, cfg.weight_step)
    ts = np.arange(-cfg.grid_limit, cfg.grid_limit + 1e-9, cfg.threshold_step)
    w1, w2, th = (a.ravel() for a in np.meshgrid(ws, ws, ts, indexing="ij"))
    out = (x[:, :1] * w1 + x[:, 1:] * w2 >= th).astype(int)  # (4, units)
    accuracy = (out == np.asarray(truth)[:, None]).mean(axis=0)
    return int((accuracy == 1).sum()), float(accuracy.max()), len(accuracy)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    models = {name: build_model(name, cfg) for name in NETWORKS}
    got = {
        name: outputs(m, INPUTS if name != "not" else np.array([[0.0], [1.0]], "float32")) for name, m in models.items()
    }
    rows = [
        {
            "experiment": "gate",
            "name": name,
            "weights": str(NETWORKS[name][0][0]),
            "thresholds": str([layer[1] for layer in NETWORKS[name]]),
            "outputs": str(got[name]),
            "expected": str(TRUTH[name]),
            "match": got[name] == TRUTH[name],
        }
        for name in NETWORKS
    ]

    sweep = np.arange(cfg.sweep_low, cfg.sweep_high + 1e-9, cfg.sweep_step)
    named = {tuple(TRUTH["and"]): "AND", tuple(TRUTH["or"]): "OR", (1, 1, 1, 1): "always 1", (0, 0, 0, 0): "always 0"}
    swept = {float(t): named.get(tuple(unit_outputs((1, 1), t)), "other") for t in sweep}
    rows += [
        {"experiment": "threshold_sweep", "name": f, "weights": "[1, 1]", "thresholds": t} for t, f in swept.items()
    ]

    functions = list(itertools.product((0, 1), repeat=4))
    verdicts = {f: realizable(f) for f in functions}
    rows += [
        {
            "experiment": "single_unit",
            "name": "".join(map(str, f)),
            "realizable": ok,
            "weights": str(np.round(v[0], 3).tolist()) if ok else "",
            "thresholds": fmt(v[1]) if ok else "",
            "certificate": "" if ok else str([str(c) for c in v or []]),
        }
        for f, (ok, v) in verdicts.items()
    ]

    claims = [
        _claim_blueberry(got),
        _claim_gates(got),
        _claim_sweep(swept),
        _claim_xor_impossible(verdicts, cfg),
        _claim_two_layers(got, models),
    ]
    notes.append(
        "The slides' MCP weights and thresholds were in lost figures (03:150, 03:170, 03:259): the values "
        "used here are nnzoo's choice, not the slides'."
    )
    notes.append(
        "The slide says XOR 'can be solved using two MCP neurons' (03:250): that counts the two hidden units; "
        "the output unit that combines them is a third."
    )
    return RecipeResult(
        pd.DataFrame(rows), {"decision_lines": _figure()}, claims, notes=notes, worked=_worked_decompositions()
    )


# ---- verdicts: pure functions of the measured outputs ---------------------------------------------------


def eats_only_the_blueberry(eats, blueberry, and_unit):
    return eats == [1, 0, 0, 0] and blueberry == and_unit


def gates_match_truth_tables(and_outputs, or_outputs, not_outputs):
    return and_outputs == TRUTH["and"] and or_outputs == TRUTH["or"] and not_outputs == TRUTH["not"]


def threshold_switches_and_or(swept, scaled_keeps_gates):
    """``swept`` maps a threshold to the function the unit w = (1, 1) computes with it."""
    and_at = [t for t, f in swept.items() if f == "AND"]
    or_at = [t for t, f in swept.items() if f == "OR"]
    return bool(
        and_at
        and or_at
        and scaled_keeps_gates
        and all(1 < t <= 2 for t in and_at)
        and all(0 < t <= 1 for t in or_at)
        and all(swept[t] == "AND" for t in swept if 1 < t <= 2)
        and all(swept[t] == "OR" for t in swept if 0 < t <= 1)
    )


def only_xor_and_xnor_need_two_lines(impossible, proved, witnessed, grid_solutions, best_accuracy):
    xor = tuple(TRUTH["xor"])
    return (
        set(impossible) == {xor, tuple(1 - v for v in xor)}
        and proved
        and witnessed
        and grid_solutions == 0
        and best_accuracy == 0.75
    )


def two_layers_compute_xor(hidden_pair_network, or_nand_network):
    return hidden_pair_network == TRUTH["xor"] and or_nand_network == TRUTH["xor"]


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_blueberry(got):
    table = {"blueberry": (1, 1), "golf ball": (0, 1), "violet": (1, 0), "hot dog": (0, 0)}
    eats = {obj: got["blueberry"][INPUTS.tolist().index(list(map(float, p)))] for obj, p in table.items()}
    return judge(
        "The blueberry neuron (inputs purple, round; w = (1, 1), theta = 2, chosen) eats only the blueberry: "
        "Eat = 1, 0, 0, 0 for blueberry, golf ball, violet, hot dog — it is the AND unit",
        eats_only_the_blueberry,
        {"eats": [eats[o] for o in table], "blueberry": got["blueberry"], "and_unit": got["and"]},
        "; ".join(f"{o}: {e}" for o, e in eats.items()),
        "03:144-161",
    )


def _claim_gates(got):
    return judge(
        "MCP units reproduce the AND, OR and NOT tables exactly: AND w=(1,1) theta=2, OR w=(1,1) theta=1, "
        "NOT w=-1 theta=0 (chosen values; the slides' figure is lost)",
        gates_match_truth_tables,
        {"and_outputs": got["and"], "or_outputs": got["or"], "not_outputs": got["not"]},
        f"AND {got['and']}, OR {got['or']}, NOT {got['not']} on inputs (0,0),(0,1),(1,0),(1,1) / 0,1",
        "03:176-201",
    )


def _claim_sweep(swept):
    and_at = [t for t, f in swept.items() if f == "AND"]
    or_at = [t for t, f in swept.items() if f == "OR"]
    scaled = all(
        unit_outputs((c, c), 2 * c).tolist() == TRUTH["and"] and unit_outputs((c, c), c).tolist() == TRUTH["or"]
        for c in (0.5, 2.0, 10.0)
    )
    return judge(
        "Varying the threshold alone adapts the unit: with w = (1, 1) every theta in (1, 2] gives AND and every theta "
        "in (0, 1] gives OR; other weights and thresholds (w and theta both scaled by c > 0) give the same results",
        threshold_switches_and_or,
        {"swept": swept, "scaled_keeps_gates": scaled},
        f"sweep step {swept and list(swept)[1] - list(swept)[0]:g}: AND at theta = {and_at}, OR at theta = {or_at}; "
        f"scaling by c = 0.5, 2, 10 keeps AND and OR: {scaled}",
        "03:172-173, 03:206",
    )


def _claim_xor_impossible(verdicts, cfg):
    xor = tuple(TRUTH["xor"])
    impossible = [f for f, (ok, _) in verdicts.items() if not ok]
    certificate = verdicts[xor][1]
    proved = all(v is not None for ok, v in verdicts.values() if not ok)
    witnessed = all(tuple(unit_outputs(*v)) == f for f, (ok, v) in verdicts.items() if ok)
    solutions, best, tried = brute_force(TRUTH["xor"], cfg)
    return judge(
        "No single MCP unit computes XOR ('we need two lines'): an exact infeasibility proof (Farkas/Motzkin "
        "certificate), not a sample; of the 16 two-input functions exactly XOR and XNOR are not single-unit; "
        "a brute-force grid finds no XOR unit and the best reaches accuracy 3/4",
        only_xor_and_xnor_need_two_lines,
        {
            "impossible": impossible,
            "proved": proved,
            "witnessed": witnessed,
            "grid_solutions": solutions,
            "best_accuracy": best,
        },
        f"XOR certificate lambda = {[str(c) for c in certificate]} on rows (0,0),(0,1),(1,0),(1,1): the weighted sum "
        f"of the four inequalities reads 0 > 0; the other 14 have LP witnesses that check out: {witnessed}; "
        f"not realizable: {[''.join(map(str, f)) for f in impossible]}; "
        f"grid of {tried} units (w step {cfg.weight_step}, theta step {cfg.threshold_step} in [-{cfg.grid_limit:g}, "
        f"{cfg.grid_limit:g}]): {solutions} solutions, best accuracy {best:g}",
        "03:208-249",
    )


def _worked_decompositions():
    x1, x2 = INPUTS[:, 0].astype(bool), INPUTS[:, 1].astype(bool)
    return [
        WorkedExample(
            "(x1 + x2) . (not x1 + not x2) on (0,0), (0,1), (1,0), (1,1) (+ = OR, . = AND)",
            str(((x1 | x2) & (~x1 | ~x2)).astype(int).tolist()),
            "XOR: 0, 1, 1, 0",
            "03:254-262",
        ),
        WorkedExample(
            "x1 . not x2 + not x1 . x2 on the same inputs",
            str(((x1 & ~x2) | (~x1 & x2)).astype(int).tolist()),
            "XOR: 0, 1, 1, 0",
            "03:254-262",
        ),
    ]


def _claim_two_layers(got, models):
    hidden = keras.Model(models["xor"].inputs[0], models["xor"].layers[0].output)
    h = np.asarray(hidden(INPUTS)).astype(int).tolist()
    return judge(
        "XOR from two layers of MCP units: h1 = [x1 - x2 >= 1], h2 = [x2 - x1 >= 1], out = [h1 + h2 >= 1]; and "
        "OR (theta 1) with NAND (w = (-1,-1), theta = -1) into AND (theta 2). The slide's 'two MCP neurons' are "
        "the hidden pair; the output unit is a third",
        two_layers_compute_xor,
        {"hidden_pair_network": got["xor"], "or_nand_network": got["xor_or_nand"]},
        f"h1, h2 per input: {h}; out {got['xor']}; OR/NAND/AND network: {got['xor_or_nand']}",
        "03:250-262",
    )


def _figure():
    fig, axes = plots.grid(
        4,
        ncols=4,
        size=(3.2, 3.2),
        title="MCP units: the four inputs and each unit's line w.x = theta (chosen weights; a point on the line fires)",
    )
    panels = [
        ("AND / blueberry: theta = 2", "and", [((1, 1), 2, "AND")]),
        ("OR: theta = 1", "or", [((1, 1), 1, "OR")]),
        ("XOR: h1, h2 then OR", "xor", [((1, -1), 1, "h1: x1-x2=1"), ((-1, 1), 1, "h2: x2-x1=1")]),
        ("XOR: OR and NAND then AND", "xor", [((1, 1), 1, "OR"), ((-1, -1), -1, "NAND")]),
    ]
    for ax, (title, truth, lines) in zip(axes, panels):
        plots.truth_points(ax, INPUTS, np.array(TRUTH[truth]))
        for k, (w, theta, label) in enumerate(lines):
            plots.decision_line(ax, w, -theta, label=label, lim=(-0.5, 1.5), color=f"C{k}", ls=("-", "--")[k])
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="x-small", loc="lower left")
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
