"""The perceptron learning rule: it converges on separable data (Novikoff's bound) and cycles forever on XOR.

Topic: Rosenblatt's perceptron — update only on mistakes (w <- w + y x), the add/subtract form,
convergence on linearly separable data, the XOR failure, the perceptron criterion J(w) and the
single-layer delta rule. The neuron is a keras Dense(1) layer whose kernel and bias the rule
updates in place (the rule is not gradient descent on a loss, so it is not a Keras optimizer).

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines
305-334); UPM Madrid, "Training feedforward neural networks" (001, 147-189); Sharif Univ.,
"Introduction to neural networks" (002, 65-105); Univ. Bretagne Sud, "ANN part I" (003, 423-501).
Slip followed by the mathematics: S6 (the criterion update is w - alpha dJ/dw, not w + alpha dJ/dw).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import plots
from nnzoo.results import RecipeResult, fmt, judge

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
        "nnzoo's extension, with w0 = 0 and the truth tables' row order."
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


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------

AND_EPOCH_1 = [(1, 1, 1), (0, 2, 0), (1, 1, -1), (1, 1, -1)]  # nnzoo's worked iterations (03:370-402 corrected)


def updates_only_on_mistakes(weight_changed, mistakes, first_is_mistake):
    """``weight_changed`` and ``mistakes`` flag each visited example; the first one is visited at w = 0."""
    return weight_changed == mistakes and first_is_mistake


def add_subtract_is_algorithm_1(steps, max_difference, positive_ties_added):
    """``steps`` counts the steps of the two traces, ``max_difference`` the largest |difference| of their weights,
    ``positive_ties_added`` flags, for each P example met with w.x = 0, whether the add/subtract form added it."""
    return steps[0] == steps[1] and max_difference == 0 and bool(positive_ties_added) and all(positive_ties_added)


def and_iterations_match_the_worked_example(first_epoch, mistakes_per_epoch, line, binary_accuracy):
    """``line`` is (slope, intercept) of the final boundary x2 = slope x1 + intercept."""
    return (
        first_epoch == AND_EPOCH_1
        and len(mistakes_per_epoch) == 2
        and mistakes_per_epoch[-1] == 0
        and line == (-1.0, 1.0)
        and binary_accuracy == 1.0
    )


def converges_within_novikoff(final_mistakes, final_accuracies, updates, bounds):
    """One entry per random separable problem."""
    return (
        all(m == 0 for m in final_mistakes)
        and all(a == 1.0 for a in final_accuracies)
        and all(u <= b for u, b in zip(updates, bounds))
    )


def xor_cycles_forever(
    zero_at_epoch_end, mistakes_per_epoch, best_cyclic_accuracy, best_shuffled_accuracy, fewest_shuffled_mistakes
):
    return (
        all(zero_at_epoch_end)
        and set(mistakes_per_epoch) == {4}
        and best_cyclic_accuracy <= 0.75
        and best_shuffled_accuracy <= 0.75
        and fewest_shuffled_mistakes > 0
    )


def criterion_behaves(criteria, strictly_wrong, final_criterion, final_mistakes, j, j_down, j_up, autodiff_error):
    """``criteria`` is J before each step of the run, ``strictly_wrong`` whether a point was then on the wrong side;
    ``j_down`` and ``j_up`` are J after a small step against and along dJ/dw from the point where J = ``j``."""
    return (
        all(c >= 0 for c in criteria)
        and final_criterion == 0
        and final_mistakes == 0
        and all(c > 0 for c, wrong in zip(criteria, strictly_wrong) if wrong)
        and j_down < j < j_up
        and autodiff_error <= 1e-6
    )


def delta_rule_is_minus_gradient(max_difference):
    return max_difference < 1e-6


def linear_layers_collapse(max_difference):
    return max_difference < 1e-5


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_only_on_mistakes(runs, separable):
    all_steps = pd.concat([st for st, _, _ in runs.values()] + [s[2] for s in separable])
    changed = [not np.array_equal(a, b) for a, b in zip(all_steps["before"], all_steps["after"])]
    mistakes = all_steps["mistake"].tolist()
    first = bool(runs["AND bipolar"][0].iloc[0]["mistake"])
    return judge(
        "The rule changes w only on a mistake, sign(<w, x>) != y; with w0 = 0, sign(0) = 0 matches no label, so the "
        "first example is always a mistake",
        updates_only_on_mistakes,
        {"weight_changed": changed, "mistakes": mistakes, "first_is_mistake": first},
        f"{len(all_steps)} visited examples: {sum(mistakes)} mistakes, {sum(changed)} weight changes, "
        f"all on mistakes: {changed == mistakes}; first step at w = 0 is a mistake: {first}",
        "01:149-163, 03:467",
    )


def _claim_add_subtract(x, y, steps, cfg):
    trace = add_subtract(x, y, max_epochs=cfg.max_epochs)
    algorithm1 = np.stack(steps["after"].to_numpy())
    difference = float(np.abs(trace - algorithm1).max()) if trace.shape == algorithm1.shape else np.inf
    before = np.vstack([np.zeros(trace.shape[1]), trace[:-1]])
    rows = np.arange(len(trace)) % len(x)  # the form visits the rows cyclically
    tie = (y[rows] > 0) & (np.einsum("ij,ij->i", np.c_[x, np.ones(len(x))][rows], before) == 0)
    added = (trace[tie] != before[tie]).any(axis=1).tolist()
    return judge(
        "The add/subtract form (P with w.x <= 0: add; N with w.x >= 0: subtract) makes exactly Algorithm 1's "
        "updates: the tie w.x = 0, 'positive' for the output f (03:442), is a mistake for a P example when learning",
        add_subtract_is_algorithm_1,
        {"steps": (len(trace), len(algorithm1)), "max_difference": difference, "positive_ties_added": added},
        f"binary-input AND: {len(trace)} add/subtract steps vs {len(algorithm1)} Algorithm 1 steps, max |difference| "
        f"of the weight traces {fmt(difference)}; a P example met w.x = 0 {len(added)} times and was added "
        f"{sum(added)} times",
        "03:442, 03:473-484",
    )


def _claim_worked(runs):
    steps, epochs, _ = runs["AND bipolar"]
    first_epoch = [tuple(w.astype(int).tolist()) for w in steps[steps["epoch"] == 1]["after"]]
    final = tuple(epochs["weights"].iloc[-1].astype(int).tolist())
    line = (-final[0] / final[1], -final[2] / final[1])
    bin_steps, bin_epochs, _ = runs["AND binary"]
    return judge(
        "Worked iterations (ext): bipolar AND from w0 = 0 goes (1,1,1) -> (0,2,0) -> (1,1,-1), the 4th pattern is "
        "already right, epoch 2 has no mistake; the line x2 = -x1 + 1 is Hebb's, but the perceptron stops at "
        "(1,1,-1) where Hebb goes on to (2,2,-2). Binary-input AND (+-1 labels) also converges",
        and_iterations_match_the_worked_example,
        {
            "first_epoch": first_epoch,
            "mistakes_per_epoch": epochs["mistakes"].tolist(),
            "line": line,
            "binary_accuracy": float(bin_epochs["accuracy"].iloc[-1]),
        },
        f"bipolar epoch 1: {first_epoch}; mistakes per epoch {epochs['mistakes'].tolist()}; line x2 = {line[0]:g} x1 + "
        f"{line[1]:g}. Binary: {len(bin_epochs)} epochs, {int(bin_steps['mistake'].sum())} updates, final "
        f"w = {bin_epochs['weights'].iloc[-1].astype(int).tolist()}, accuracy {fmt(bin_epochs['accuracy'].iloc[-1])}",
        "03:366-406, 03:473-490",
    )


def _claim_separable(separable, cfg):
    measured = {"final_mistakes": [], "final_accuracies": [], "updates": [], "bounds": []}
    parts = []
    for _x, _y, steps, epochs, (bound, _, gamma), _ in separable:
        updates = int(steps["mistake"].sum())
        measured["final_mistakes"].append(int(epochs["mistakes"].iloc[-1]))
        measured["final_accuracies"].append(float(epochs["accuracy"].iloc[-1]))
        measured["updates"].append(updates)
        measured["bounds"].append(bound)
        parts.append(
            f"{len(epochs)} epochs, {int(epochs['mistakes'].iloc[-1])} mistakes in the last, accuracy "
            f"{fmt(epochs['accuracy'].iloc[-1])}, {updates} updates vs bound {bound:.0f} (margin {gamma:.3f})"
        )
    return judge(
        f"On linearly separable data the perceptron finds a separating line: mistakes reach 0 in finitely many epochs, "
        f"training accuracy 1.0, and the number of updates stays within Novikoff's bound (R / gamma)^2 (ext) "
        f"({cfg.seeds} random problems of {cfg.separable_points} points)",
        converges_within_novikoff,
        measured,
        "; ".join(parts),
        "03:430, 00:305-311",
    )


def _claim_xor(cyclic, shuffled, x, y):
    steps, epochs, _ = cyclic
    zero = [not np.any(w) for w in epochs["weights"]]
    every_step = [float((np.sign(np.c_[x, np.ones(len(x))] @ w) == y).mean()) for w in steps["after"]]
    shuffled_best = max(float((np.sign(np.c_[x, np.ones(len(x))] @ w) == y).mean()) for w in shuffled[0]["after"])
    fewest = int(shuffled[1]["mistakes"].min())
    return judge(
        "On XOR the perceptron never converges: from w0 = 0 in table order the weights return to (0, 0, 0) at the end "
        "of every epoch with 4 mistakes (a cycle of one epoch), and no weight vector it visits, in any order, "
        "classifies more than 3 of the 4 points",
        xor_cycles_forever,
        {
            "zero_at_epoch_end": zero,
            "mistakes_per_epoch": epochs["mistakes"].tolist(),
            "best_cyclic_accuracy": max(every_step),
            "best_shuffled_accuracy": shuffled_best,
            "fewest_shuffled_mistakes": fewest,
        },
        f"{len(epochs)} epochs: mistakes per epoch {sorted(set(epochs['mistakes']))}, weights at every epoch end = 0: "
        f"{all(zero)}; best accuracy along the cyclic run {max(every_step):g}, along a shuffled run "
        f"{shuffled_best:g} (fewest mistakes in an epoch {fewest})",
        "00:328-330, 02:95-99, 03:225-249",
    )


def _claim_criterion(runs, x, y):
    steps = runs["AND binary"][0]
    criteria = [criterion(w, x, y)[0] for w in steps["before"]]
    strictly_wrong = [bool((np.sign(np.c_[x, np.ones(len(x))] @ w) == -y).any()) for w in steps["before"]]
    j_final, wrong_final = criterion(runs["AND binary"][1]["weights"].iloc[-1], x, y)
    j_final += 0.0  # no "-0" in the evidence
    # S6: along -dJ/dw the criterion falls; along +dJ/dw (the slide's sign) it rises.
    w = next(w for w, s in zip(steps["before"], strictly_wrong) if s)
    j, wrong = criterion(w, x, y)
    grad = -(y[wrong, None] * np.c_[x, np.ones(len(x))][wrong]).sum(axis=0)
    down, up = criterion(w - 1e-3 * grad, x, y)[0], criterion(w + 1e-3 * grad, x, y)[0]
    tape_grad = _criterion_autodiff(w, x, y)
    return judge(
        "Perceptron criterion J(w) = -sum_{i in M} y_i w.x_i: J >= 0, J = 0 at convergence, J > 0 whenever a point is "
        "on the wrong side (ties w.x = 0, e.g. w = 0, are mistakes with J = 0); dJ/dw = -sum_M y_i x_i, and descent "
        "is w - alpha dJ/dw (slip S6: the slide's w + alpha dJ/dw raises J)",
        criterion_behaves,
        {
            "criteria": criteria,
            "strictly_wrong": strictly_wrong,
            "final_criterion": j_final,
            "final_mistakes": int(wrong_final.sum()),
            "j": j,
            "j_down": down,
            "j_up": up,
            "autodiff_error": float(np.abs(tape_grad - grad).max()),
        },
        f"binary AND: J along the run from {fmt(max(criteria))} to {fmt(j_final)} at convergence (min "
        f"{fmt(min(criteria) + 0.0)}; {sum(strictly_wrong)} of {len(criteria)} steps start with a point on the wrong side); "
        f"at w = {w.astype(int).tolist()}: J = {fmt(j)}, J(w - 1e-3 g) = {fmt(down)}, J(w + 1e-3 g) = {fmt(up)}; "
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
    return judge(
        "Single-layer delta rule: for J = 1/2 sum (y - y_hat)^2 with y_hat = w.x, Delta w_j = eta sum_i (y - y_hat) x_j "
        "= -eta dJ/dw_j (the analytic gradient equals automatic differentiation)",
        delta_rule_is_minus_gradient,
        {"max_difference": float(err)},
        f"max |-dJ/dw (GradientTape) - sum (y - y_hat) x| = {fmt(err)} on 16 random examples, 3 inputs (float64)",
        "02:65-85",
    )


def _claim_linear_units(seed):
    from nnzoo.recipes.xor_mlp import collapse_linear_stack, linear_stack

    stack = linear_stack(seed=seed)
    single = collapse_linear_stack(stack)
    x = np.random.default_rng(seed).normal(size=(64, 2)).astype("float32")
    err = np.abs(np.asarray(stack(x)) - np.asarray(single(x))).max()
    return judge(
        "'Add more units? useless!': without an activation, layers compose to one, S(W1 W2 W3 x) = S(W' x), so a "
        "stack of linear units is still a single-layer perceptron (full check in xor_mlp)",
        linear_layers_collapse,
        {"max_difference": float(err)},
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
