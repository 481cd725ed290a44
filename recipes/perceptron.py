"""The perceptron learning rule: it converges on separable data (Novikoff's bound) and cycles forever on XOR.

Topic: Rosenblatt's perceptron — update only on mistakes (w <- w + y x), the add/subtract form,
convergence on linearly separable data, the XOR failure, the perceptron criterion J(w) and the
single-layer delta rule. The neuron is a keras Dense(1) layer whose kernel and bias the rule
updates in place (the rule is not gradient descent on a loss, so it is not a Keras optimizer).

Lectures: 000 (lines 305-334), 001 (147-189), 002 (65-105), 003 (423-501); catalogue section 3
of shared/lectures/claims.md. Slip followed by the mathematics: S6 (the criterion update is
w - alpha dJ/dw, not w + alpha dJ/dw).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import plots
from nnzoo.results import RecipeResult, check, fmt

LECTURES = ("000", "001", "002", "003")


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the random separable problems and the epoch caps."""

    separable_points: int = 200
    separable_margin: float = 0.05  # points closer than this to the true line are dropped
    seeds: int = 5
    max_epochs: int = 100
    xor_epochs: int = 100


FULL = Config()
QUICK = Config(separable_points=60, seeds=3, max_epochs=50, xor_epochs=20)


def build_model(variant="perceptron", input_dim=2):
    """One neuron, Dense(1) with zero initial weights (w0 <- 0, 01:154); its sign is the output."""
    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="neuron"),
        ],
        name=variant,
    )


def weights(model):
    """(w_1, ..., w_n, b) of the model's neuron."""
    neuron = model.layers[-1]
    return np.r_[keras.ops.convert_to_numpy(neuron.kernel).ravel(), keras.ops.convert_to_numpy(neuron.bias)]


def predict(model, x):
    """sign(<w, x> + b) through the Keras layer; sign(0) = 0 matches no label, as in Algorithm 1."""
    return np.sign(np.asarray(model(np.asarray(x, dtype="float32"))).ravel())


def train_perceptron(model, x, y, *, max_epochs, order=None, stop=True):
    """Algorithm 1 (01:153-163): if sign(<w, x_t>) != y_t then w <- w + y_t x_t (labels in {-1, +1}).

    Visits the rows cyclically (or in ``order(epoch)``), updates the model's neuron in place and
    stops after an epoch without mistakes when ``stop``. Returns (steps, epochs) DataFrames:
    one row per visited example and one per epoch (mistakes, weights and accuracy at its end).
    """
    neuron = model.layers[-1]
    x = np.asarray(x, dtype="float32")
    y = np.asarray(y, dtype="float32")
    augmented = np.c_[x, np.ones(len(x))]
    steps, epochs = [], []
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for i in range(len(x)) if order is None else order(epoch):
            before = weights(model)
            mistake = bool(np.sign(augmented[i] @ before) != y[i])
            if mistake:
                neuron.kernel.assign_add(y[i] * x[i][:, None])
                neuron.bias.assign_add([y[i]])
                mistakes += 1
            steps.append({"epoch": epoch, "index": i, "mistake": mistake, "before": before, "after": weights(model)})
        epochs.append(
            {
                "epoch": epoch,
                "mistakes": mistakes,
                "weights": weights(model),
                "accuracy": float((predict(model, x) == y).mean()),
            }
        )
        if stop and mistakes == 0:
            break
    return pd.DataFrame(steps), pd.DataFrame(epochs)


def add_subtract(x, y, *, max_epochs):
    """The add/subtract form (03:473-484), cyclic: P with w.x <= 0 -> add, N with w.x >= 0 -> subtract."""
    augmented = np.c_[x, np.ones(len(x))]
    w, trace = np.zeros(augmented.shape[1]), []
    for _ in range(max_epochs):
        changed = False
        for xi, yi in zip(augmented, y):
            if yi > 0 and w @ xi <= 0:
                w, changed = w + xi, True
            elif yi < 0 and w @ xi >= 0:
                w, changed = w - xi, True
            trace.append(w.copy())
        if not changed:
            break
    return np.array(trace)


def criterion(w, x, y):
    """Perceptron criterion J(w) = -sum_{i in M} y_i w.x_i over the mistakes M (03:495)."""
    augmented = np.c_[x, np.ones(len(x))]
    net = augmented @ w
    wrong = np.sign(net) != y
    return float(-(y[wrong] * net[wrong]).sum()), wrong


def separable_data(rng, n, margin):
    """n points in [-1, 1]^2 labelled by a random line, none closer to it than ``margin``."""
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    offset = rng.uniform(-0.3, 0.3)
    x = rng.uniform(-1, 1, (4 * n, 2))
    distance = x @ direction + offset
    keep = np.abs(distance) >= margin
    x, distance = x[keep][:n], distance[keep][:n]
    return x.astype("float32"), np.where(distance > 0, 1.0, -1.0).astype("float32"), np.r_[direction, offset]


def novikoff_bound(x, y, w_star):
    """(R / gamma)^2 with R = max ||(x, 1)|| and gamma the margin of the separator w_star in that space."""
    augmented = np.c_[x, np.ones(len(x))]
    radius = np.linalg.norm(augmented, axis=1).max()
    gamma = (y * (augmented @ w_star)).min() / np.linalg.norm(w_star)
    return float((radius / gamma) ** 2), float(radius), float(gamma)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    gates = {enc: ctx.load("and", encoding=enc) for enc in ("bipolar", "binary")}
    and_bip, and_bin = gates["bipolar"], gates["binary"]
    y_bin = 2 * and_bin.y_train - 1  # binary inputs, +-1 labels

    runs = {}
    model = build_model("and_bipolar")
    runs["AND bipolar"] = (*train_perceptron(model, and_bip.x_train, and_bip.y_train, max_epochs=cfg.max_epochs), model)
    model = build_model("and_binary")
    runs["AND binary"] = (*train_perceptron(model, and_bin.x_train, y_bin, max_epochs=cfg.max_epochs), model)
    xor = ctx.load("xor")
    y_xor = 2 * xor.y_train - 1
    model = build_model("xor")
    runs["XOR"] = (*train_perceptron(model, xor.x_train, y_xor, max_epochs=cfg.xor_epochs, stop=False), model)
    rng = np.random.default_rng(ctx.seed)
    model = build_model("xor_shuffled")
    shuffled = train_perceptron(
        model,
        xor.x_train,
        y_xor,
        max_epochs=cfg.xor_epochs,
        stop=False,
        order=lambda epoch: rng.permutation(len(xor.x_train)),
    )

    separable = []
    for k in range(cfg.seeds):
        x, y, w_star = separable_data(np.random.default_rng(ctx.seed + k), cfg.separable_points, cfg.separable_margin)
        model = build_model(f"separable_seed{k}")
        steps, epochs = train_perceptron(model, x, y, max_epochs=cfg.max_epochs)
        separable.append((x, y, steps, epochs, novikoff_bound(x, y, w_star), model))
    runs["separable (seed 0)"] = (*separable[0][2:4], separable[0][5])

    rows = [
        {
            "problem": name,
            "epochs": len(ep),
            "updates": int(st["mistake"].sum()),
            "final_mistakes": int(ep["mistakes"].iloc[-1]),
            "final_accuracy": ep["accuracy"].iloc[-1],
            "final_weights": str(np.round(ep["weights"].iloc[-1], 4).tolist()),
        }
        for name, (st, ep, _) in runs.items()
        if not name.startswith("separable")
    ]
    for k, (_x, _y, st, ep, (bound, radius, gamma), _) in enumerate(separable):
        rows.append(
            {
                "problem": f"separable seed {ctx.seed + k}",
                "epochs": len(ep),
                "updates": int(st["mistake"].sum()),
                "final_mistakes": int(ep["mistakes"].iloc[-1]),
                "final_accuracy": ep["accuracy"].iloc[-1],
                "final_weights": str(np.round(ep["weights"].iloc[-1], 4).tolist()),
                "novikoff_bound": bound,
                "radius": radius,
                "margin": gamma,
            }
        )

    claims = [
        _claim_only_on_mistakes(runs, separable),
        _claim_add_subtract(and_bin.x_train, y_bin, runs["AND binary"][0], cfg),
        _claim_worked(runs),
        _claim_separable(separable, cfg),
        _claim_xor(runs["XOR"], shuffled, xor.x_train, y_xor),
        _claim_criterion(runs, and_bin.x_train, y_bin),
        _claim_delta_rule(ctx.seed),
        _claim_linear_units(ctx.seed),
    ]
    notes.append(
        "Slip S6 (03:501): descending the perceptron criterion is w - alpha dJ/dw = w + alpha sum_M y_i x_i; "
        "the slide's w + alpha dJ/dw climbs J."
    )
    notes.append(
        "The slide figures of the worked iterations are lost (03:490): the bipolar and binary AND runs are "
        "the catalogue's extension, with w0 = 0 and the truth tables' row order."
    )
    figures = {
        "boundary_per_epoch": _boundary_figure(
            runs, separable[0], {"bipolar": (and_bip.x_train, and_bip.y_train), "binary": (and_bin.x_train, y_bin)}
        ),
        "mistakes_per_epoch": plots.learning_curves(
            {name: ep for name, (_, ep, _) in runs.items()},
            ("mistakes", "accuracy"),
            title="Perceptron: mistakes and accuracy at the end of each epoch",
        ),
    }
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes)


def _claim_only_on_mistakes(runs, separable):
    all_steps = pd.concat([st for st, _, _ in runs.values()] + [s[2] for s in separable])
    changed = np.array([not np.array_equal(a, b) for a, b in zip(all_steps["before"], all_steps["after"])])
    mistakes = all_steps["mistake"].to_numpy()
    first = runs["AND bipolar"][0].iloc[0]
    return check(
        "The rule changes w only on a mistake, sign(<w, x>) != y, by y x; with w0 = 0, sign(0) = 0 matches no "
        "label, so the first example is always a mistake",
        np.array_equal(changed, mistakes) and bool(first["mistake"]),
        f"{len(all_steps)} visited examples: {int(mistakes.sum())} mistakes, {int(changed.sum())} weight changes, "
        f"all on mistakes: {np.array_equal(changed, mistakes)}; first step at w = 0 is a mistake: {bool(first['mistake'])}",
        "01:149-163, 03:467",
    )


def _claim_add_subtract(x, y, steps, cfg):
    trace = add_subtract(x, y, max_epochs=cfg.max_epochs)
    algorithm1 = np.stack(steps["after"].to_numpy())
    zero_net_positive = float(np.r_[x[0], 1.0] @ np.zeros(3)) >= 0  # f = 1 iff w.x >= 0 (03:442)
    same = trace.shape == algorithm1.shape and np.array_equal(trace, algorithm1)
    return check(
        "The add/subtract form (P with w.x <= 0: add; N with w.x >= 0: subtract) makes exactly Algorithm 1's "
        "updates; the tie w.x = 0 is 'positive' for the output f (03:442) yet a mistake for a P example when learning",
        same and zero_net_positive,
        f"binary-input AND: {len(trace)} steps, identical weight traces: {same}; at w = 0, f = 1 for every input "
        f"while the first P example still triggers 'add'",
        "03:442, 03:473-484",
    )


def _claim_worked(runs):
    steps, epochs, _ = runs["AND bipolar"]
    first_epoch = [tuple(w.astype(int).tolist()) for w in steps[steps["epoch"] == 1]["after"]]
    final = tuple(epochs["weights"].iloc[-1].astype(int).tolist())
    line = (-final[0] / final[1], -final[2] / final[1])
    bin_steps, bin_epochs, _ = runs["AND binary"]
    return check(
        "Worked iterations (ext): bipolar AND from w0 = 0 goes (1,1,1) -> (0,2,0) -> (1,1,-1), the 4th pattern is "
        "already right, epoch 2 has no mistake; the line x2 = -x1 + 1 is Hebb's, but the perceptron stops at "
        "(1,1,-1) where Hebb goes on to (2,2,-2). Binary-input AND (+-1 labels) also converges",
        first_epoch == [(1, 1, 1), (0, 2, 0), (1, 1, -1), (1, 1, -1)]
        and len(epochs) == 2
        and epochs["mistakes"].iloc[-1] == 0
        and line == (-1.0, 1.0)
        and bin_epochs["accuracy"].iloc[-1] == 1.0,
        f"bipolar epoch 1: {first_epoch}; mistakes per epoch {epochs['mistakes'].tolist()}; line x2 = {line[0]:g} x1 + "
        f"{line[1]:g}. Binary: {len(bin_epochs)} epochs, {int(bin_steps['mistake'].sum())} updates, final "
        f"w = {bin_epochs['weights'].iloc[-1].astype(int).tolist()}",
        "03:366-406, 03:473-490",
    )


def _claim_separable(separable, cfg):
    parts, ok = [], True
    for _x, _y, steps, epochs, (bound, _, gamma), _ in separable:
        updates = int(steps["mistake"].sum())
        converged = epochs["mistakes"].iloc[-1] == 0 and epochs["accuracy"].iloc[-1] == 1.0
        ok &= bool(converged and updates <= bound)
        parts.append(f"{len(epochs)} epochs, {updates} updates <= bound {bound:.0f} (margin {gamma:.3f})")
    return check(
        f"On linearly separable data the perceptron finds a separating line: mistakes reach 0 in finitely many epochs, "
        f"training accuracy 1.0, and the number of updates stays within Novikoff's bound (R / gamma)^2 (ext) "
        f"({cfg.seeds} random problems of {cfg.separable_points} points)",
        ok,
        "; ".join(parts),
        "03:430, 00:305-311",
    )


def _claim_xor(cyclic, shuffled, x, y):
    steps, epochs, _ = cyclic
    back_to_zero = all(not np.any(w) for w in epochs["weights"])
    every_step = [float((np.sign(np.c_[x, np.ones(len(x))] @ w) == y).mean()) for w in steps["after"]]
    shuffled_best = max(float((np.sign(np.c_[x, np.ones(len(x))] @ w) == y).mean()) for w in shuffled[0]["after"])
    return check(
        "On XOR the perceptron never converges: from w0 = 0 in table order the weights return to (0, 0, 0) at the end "
        "of every epoch with 4 mistakes (a cycle of one epoch), and no weight vector it visits, in any order, "
        "classifies more than 3 of the 4 points",
        back_to_zero
        and set(epochs["mistakes"]) == {4}
        and max(every_step) <= 0.75
        and shuffled_best <= 0.75
        and shuffled[1]["mistakes"].min() > 0,
        f"{len(epochs)} epochs: mistakes per epoch {sorted(set(epochs['mistakes']))}, weights at every epoch end = 0: "
        f"{back_to_zero}; best accuracy along the cyclic run {max(every_step):g}, along a shuffled run "
        f"{shuffled_best:g} (fewest mistakes in an epoch {shuffled[1]['mistakes'].min()})",
        "00:328-330, 02:95-99, 03:225-249",
    )


def _claim_criterion(runs, x, y):
    steps = runs["AND binary"][0]
    values = [criterion(w, x, y) for w in steps["before"]]
    strictly_wrong = [bool((np.sign(np.c_[x, np.ones(len(x))] @ w) == -y).any()) for w in steps["before"]]
    j_final, wrong_final = criterion(runs["AND binary"][1]["weights"].iloc[-1], x, y)
    j_final += 0.0  # no "-0" in the evidence
    ok = (
        all(j >= 0 for j, _ in values)
        and j_final == 0
        and not wrong_final.any()
        and all(j > 0 for (j, _), s in zip(values, strictly_wrong) if s)
    )
    # S6: along -dJ/dw the criterion falls; along +dJ/dw (the slide's sign) it rises.
    w = next(w for w, s in zip(steps["before"], strictly_wrong) if s)
    j, wrong = criterion(w, x, y)
    grad = -(y[wrong, None] * np.c_[x, np.ones(len(x))][wrong]).sum(axis=0)
    down, up = criterion(w - 1e-3 * grad, x, y)[0], criterion(w + 1e-3 * grad, x, y)[0]
    tape_grad = _criterion_autodiff(w, x, y)
    return check(
        "Perceptron criterion J(w) = -sum_{i in M} y_i w.x_i: J >= 0, J = 0 at convergence, J > 0 whenever a point is "
        "on the wrong side (ties w.x = 0, e.g. w = 0, are mistakes with J = 0); dJ/dw = -sum_M y_i x_i, and descent "
        "is w - alpha dJ/dw (slip S6: the slide's w + alpha dJ/dw raises J)",
        ok and down < j < up and np.allclose(tape_grad, grad, atol=1e-6),
        f"binary AND: J along the run from {fmt(max(v for v, _ in values))} to {fmt(j_final)} at convergence; at "
        f"w = {w.astype(int).tolist()}: J = {fmt(j)}, J(w - 1e-3 g) = {fmt(down)}, J(w + 1e-3 g) = {fmt(up)}; "
        f"GradientTape dJ/dw = {np.round(tape_grad, 6).tolist()} vs formula {grad.tolist()}",
        "03:492-501",
    )


def _criterion_autodiff(w, x, y):
    w = tf.Variable(w, dtype=tf.float64)
    augmented = tf.constant(np.c_[x, np.ones(len(x))], tf.float64)
    with tf.GradientTape() as tape:
        net = tf.linalg.matvec(augmented, w)
        wrong = tf.cast(tf.sign(net) != y, tf.float64)
        j = -tf.reduce_sum(wrong * y * net)
    return tape.gradient(j, w).numpy()


def _claim_delta_rule(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3))
    y = rng.normal(size=(16, 1))
    layer = keras.layers.Dense(
        1, use_bias=False, dtype="float64", kernel_initializer=keras.initializers.RandomNormal(seed=seed)
    )
    with tf.GradientTape() as tape:
        y_hat = layer(x)
        j = 0.5 * tf.reduce_sum((y - y_hat) ** 2)
    autodiff = tape.gradient(j, layer.kernel).numpy()
    delta = (x * (y - np.asarray(y_hat))).sum(axis=0)[:, None]  # Delta w_j / eta = sum_i (y - y_hat) x_j
    err = np.abs(-autodiff - delta).max()
    return check(
        "Single-layer delta rule: for J = 1/2 sum (y - y_hat)^2 with y_hat = w.x, Delta w_j = eta sum_i (y - y_hat) x_j "
        "= -eta dJ/dw_j (the analytic gradient equals automatic differentiation)",
        err < 1e-6,
        f"max |-dJ/dw (GradientTape) - sum (y - y_hat) x| = {fmt(err)} on 16 random examples, 3 inputs (float64)",
        "02:65-85",
    )


def _claim_linear_units(seed):
    from nnzoo.recipes.xor_mlp import collapse_linear_stack, linear_stack

    stack = linear_stack(seed=seed)
    single = collapse_linear_stack(stack)
    x = np.random.default_rng(seed).normal(size=(64, 2)).astype("float32")
    err = np.abs(np.asarray(stack(x)) - np.asarray(single(x))).max()
    return check(
        "'Add more units? useless!': without an activation, layers compose to one, S(W1 W2 W3 x) = S(W' x), so a "
        "stack of linear units is still a single-layer perceptron (full check in xor_mlp)",
        err < 1e-5,
        f"3-layer linear stack vs the collapsed single Dense: max |difference| = {fmt(err)}",
        "01:179-189",
    )


def _boundary_figure(runs, separable, gates):
    """One panel per problem: the points and the line w.x + b = 0 after each epoch (dark = early)."""
    from matplotlib import colormaps

    x, y, _, epochs, _, _ = separable
    panels = [
        ("AND bipolar", *gates["bipolar"], runs["AND bipolar"][1], (-1.8, 1.8)),
        ("AND binary, +-1 labels", *gates["binary"], runs["AND binary"][1], (-0.8, 1.8)),
        ("separable data (seed 0)", x, y, epochs, (-1.2, 1.2)),
    ]
    fig, axes = plots.grid(
        len(panels), ncols=3, size=(3.6, 3.6), title="Perceptron decision boundary at the end of each epoch"
    )
    for ax, (title, px, py, ep, lim) in zip(axes, panels):
        plots.truth_points(ax, px, py, annotate=False, size=60 if len(px) <= 8 else 10)
        colors = colormaps["viridis"](np.linspace(0, 0.9, len(ep)))
        for k, w in enumerate(ep["weights"]):
            plots.decision_line(
                ax,
                w[:2],
                w[2],
                lim=lim,
                color=colors[k],
                lw=1,
                label=f"epoch {k + 1}" if k in (0, len(ep) - 1) else None,
            )
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="x-small")
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
