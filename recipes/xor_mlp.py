"""XOR needs a hidden layer: hand-built and trained MLPs solve it, a stack of linear layers cannot.

Topic: the multi-layer perceptron on XOR — a hand-built network of threshold units and the
exact ReLU solution, a trained Keras MLP (and how often a 2-2-1 net gets stuck), the collapse of
linear layers into one (S(W1 W2 W3 x) = S(W' x)), and one hidden layer as a universal approximator.

Lectures: UPM Madrid, "Training feedforward neural networks" (001, lines 179-223); Sharif Univ.,
"Introduction to neural networks" (002, 109-210); Univ. Bretagne Sud, "ANN part I" (003, 656-680);
Univ. Milano-Bicocca, "Neural networks" (004, 789-816). The slides' MLP weights were in lost
figures (02:197-210): the step-unit weights and the ReLU solution (Goodfellow et al., Deep
Learning 6.1) are chosen here.
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
from keras import ops
from nnzoo.recipes.mcp_neurons import threshold_layer

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("001", "002", "003", "004")
VARIANTS = ("step", "relu_exact", "mlp", "linear")
XOR_TABLE = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}  # 03:215-219


@dataclasses.dataclass(frozen=True)
class Config:
    """Training sizes. The 4-point table is repeated ``repeats`` times so one epoch is many updates."""

    width: int = 8
    activation: str = "tanh"
    learning_rate: float = 0.05  # Adam
    repeats: int = 64
    batch_size: int = 4
    epochs: int = 30  # x repeats = Adam steps on the 4 points
    inits: int = 40  # independent initializations per width in the stuck count
    inits_widths: tuple = (2, 8)
    margin: float = 0.2
    sine_widths: tuple = (2, 8, 32, 128)
    sine_points: int = 512
    sine_target_mse: float = 1e-3


FULL = Config()
QUICK = Config(epochs=10, inits=16)


def build_model(variant, config=FULL, *, name=None):
    """The XOR network ``variant``: "step" / "relu_exact" (fixed weights), "mlp" / "linear" (trainable)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    if variant == "step":  # hidden OR and AND (02:201 blocks (b), (a)); out = [OR - AND >= 0.5]
        layers = [
            threshold_layer([[1, 1], [1, 1]], [0.5, 1.5], name="or_and"),
            threshold_layer([[1], [-1]], [0.5], name="or_not_and"),
        ]
    elif variant == "relu_exact":  # h = ReLU(x W + c), y = h w
        layers = [
            keras.layers.Dense(
                2,
                activation="relu",
                name="hidden",
                kernel_initializer=keras.initializers.Constant([[1, 1], [1, 1]]),
                bias_initializer=keras.initializers.Constant([0, -1]),
            ),
            keras.layers.Dense(
                1, use_bias=False, name="out", kernel_initializer=keras.initializers.Constant([[1], [-2]])
            ),
        ]
    elif variant == "mlp":
        layers = [
            keras.layers.Dense(config.width, activation=config.activation),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    else:  # linear layers, one sigmoid at the end: still a single linear boundary
        layers = [
            keras.layers.Dense(config.width),
            keras.layers.Dense(config.width),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    return keras.Sequential([keras.Input((2,)), *layers], name=name or variant)


def linear_stack(sizes=(2, 8, 8, 1), seed=0):
    """Dense layers without activation (random weights and biases)."""
    return keras.Sequential(
        [
            keras.Input((sizes[0],)),
            *[
                keras.layers.Dense(
                    n,
                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k),
                    bias_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed + k),
                )
                for k, n in enumerate(sizes[1:])
            ],
        ]
    )


def collapse_linear_stack(model):
    """One Dense equal to a stack of linear Dense layers: W' = W1 W2 ..., b' = (b1 W2 + b2) W3 + ... ."""
    kernel, bias = None, None
    for layer in model.layers:
        w, b = (np.asarray(v, dtype="float64") for v in (layer.kernel, layer.bias))
        kernel, bias = (w, b) if kernel is None else (kernel @ w, bias @ w + b)
    single = keras.Sequential(
        [
            keras.Input((kernel.shape[0],)),
            keras.layers.Dense(
                kernel.shape[1],
                activation=model.layers[-1].activation,
                kernel_initializer=keras.initializers.Constant(kernel),
                bias_initializer=keras.initializers.Constant(bias),
            ),
        ]
    )
    return single


def parallel_mlps(n, width, activation, input_dim=2, name=None):
    """``n`` independent input_dim-width-1 MLPs as one Sequential of two EinsumDense layers.

    Each net has its own weights, initialized as keras Dense does (Glorot-uniform kernels with
    its own fan-in and fan-out, zero biases); the output has one sigmoid column per net.
    """

    def glorot(fan_in, fan_out):
        limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
        return keras.initializers.RandomUniform(-limit, limit)

    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            keras.layers.EinsumDense(
                "bi,nih->bnh",
                output_shape=(n, width),
                bias_axes="nh",
                activation=activation,
                kernel_initializer=glorot(input_dim, width),
            ),
            keras.layers.EinsumDense(
                "bnh,nh->bn",
                output_shape=(n,),
                bias_axes="n",
                activation="sigmoid",
                kernel_initializer=glorot(width, 1),
            ),
        ],
        name=name,
    )


def side_by_side(branches, input_dim):
    """Independent networks in one Keras model: each sees the input and gives one output column.

    With a loss that sums the columns' losses, each branch's gradient is exactly its own, so one
    fit trains them all at once (one traced graph instead of one per network).
    """
    inputs = keras.Input((input_dim,))
    return keras.Model(inputs, keras.layers.Concatenate()([branch(inputs) for branch in branches]))


def summed_loss(kind):
    """Per-example loss summed over the side-by-side columns ("bce" or "mse")."""

    def loss(y_true, y_pred):
        y_true = ops.broadcast_to(ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, 1)), ops.shape(y_pred))
        each = ops.binary_crossentropy(y_true, y_pred) if kind == "bce" else ops.square(y_true - y_pred)
        return ops.sum(each, axis=-1)

    return loss


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    xor = ctx.load("xor")
    x, y = xor.x_train, xor.y_train
    tiled = dataclasses.replace(xor, x_train=np.tile(x, (cfg.repeats, 1)), y_train=np.tile(y, cfg.repeats))
    fit = dict(
        data=tiled, epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate, optimizer="adam"
    )

    mlp = ctx.train("mlp", lambda: build_model("mlp", cfg), loss="binary_crossentropy", metrics=["accuracy"], **fit)
    linear = ctx.train(
        "linear", lambda: build_model("linear", cfg), loss="binary_crossentropy", metrics=["accuracy"], **fit
    )
    layout = [w for w in cfg.inits_widths for _ in range(cfg.inits)]
    many = ctx.train(
        "inits",
        lambda: side_by_side(
            [parallel_mlps(cfg.inits, w, cfg.activation, name=f"width{w}") for w in cfg.inits_widths], 2
        ),
        loss=summed_loss("bce"),
        metrics=[],
        save=False,
        **fit,
    )
    p_many = np.asarray(many.model(x))
    solved = {
        w: [bool(_margin(p_many[:, j], y) > 0) for j, wj in enumerate(layout) if wj == w] for w in cfg.inits_widths
    }
    margins = {w: [float(_margin(p_many[:, j], y)) for j, wj in enumerate(layout) if wj == w] for w in cfg.inits_widths}
    sine = _sine_fits(cfg, ctx.seed)

    fixed = {v: np.asarray(build_model(v, cfg)(x)).ravel() for v in ("step", "relu_exact")}
    rows = [
        {"model": v, "outputs": str(np.round(fixed[v], 6).tolist()), "accuracy": _accuracy(fixed[v], y, 0.5)}
        for v in fixed
    ]
    for name, r in (("mlp", mlp), ("linear", linear)):
        p = np.asarray(r.model(x)).ravel()
        rows.append(
            {
                "model": name,
                "outputs": str(np.round(p.astype(float), 4).tolist()),
                "accuracy": _accuracy(p, y, 0.5),
                "final_loss": r.final("loss"),
                "margin": _margin(p, y),
                "params": r.model.count_params(),
            }
        )
    for w in cfg.inits_widths:
        rows.append(
            {
                "model": f"2-{w}-1 x {cfg.inits} inits",
                "solved_fraction": float(np.mean(solved[w])),
                "margin": float(np.median(margins[w])),
                "params": 4 * w + 1,
            }
        )
    rows += [{"model": f"sine 1-{w}-1", "final_loss": mse} for w, mse in sine.items()]

    claims = [
        _claim_hand_built(x, y, fixed),
        _claim_trained(mlp, x, y, margins, cfg),
        _claim_stuck(many, solved, cfg),
        _claim_linear(ctx.seed, linear, x, y),
        _claim_universal(sine, cfg),
    ]
    notes.append(
        "The slides' weights for the XOR networks were in lost figures (02:197-210): the step-unit weights "
        "and the ReLU solution here are chosen, not the slides'."
    )
    figure = _regions_figure(
        {
            "trained MLP (2-8-1 tanh)": mlp.model,
            "linear stack (2-8-8-1)": linear.model,
            "exact ReLU solution": build_model("relu_exact", cfg),
        },
        x,
        y,
    )
    return RecipeResult(
        pd.DataFrame(rows), {"decision_regions": figure}, claims, notes=notes, worked=_worked_examples(x, y)
    )


def _accuracy(p, y, threshold):
    return float(((p > threshold).astype(int) == y).mean())


def _margin(p, y):
    """min over points of the signed distance of p from 0.5 (positive on the right side)."""
    return float(np.min(np.where(y == 1, p - 0.5, 0.5 - p)))


def _sine_fits(cfg, seed):
    """Train-set MSE of 1-k-1 tanh nets on sin(x) whose output layer is the least-squares optimum.

    The hidden units are random (the first k of one Dense(max k) layer, so the nets are nested)
    and the output weights are solved exactly: this measures what one hidden layer of k units can
    represent, the theorem's point, without the optimizer's luck (which the theorem leaves open).
    """
    widths = cfg.sine_widths
    x = np.linspace(-np.pi, np.pi, cfg.sine_points, dtype="float32")[:, None]
    y = np.sin(x.astype("float64")).ravel()
    hidden = keras.layers.Dense(
        max(widths),
        activation="tanh",
        kernel_initializer=keras.initializers.RandomNormal(stddev=2.0, seed=seed),
        bias_initializer=keras.initializers.RandomUniform(-np.pi, np.pi, seed=seed),
    )
    features = np.asarray(hidden(x), dtype="float64")
    kernel, bias = np.asarray(hidden.kernel), np.asarray(hidden.bias)
    mse = {}
    for k in widths:
        coef = np.linalg.lstsq(np.c_[features[:, :k], np.ones(len(x))], y, rcond=None)[0]
        net = keras.Sequential(
            [
                keras.Input((1,)),
                keras.layers.Dense(
                    k,
                    activation="tanh",
                    kernel_initializer=keras.initializers.Constant(kernel[:, :k]),
                    bias_initializer=keras.initializers.Constant(bias[:k]),
                ),
                keras.layers.Dense(
                    1,
                    kernel_initializer=keras.initializers.Constant(coef[:k, None]),
                    bias_initializer=keras.initializers.Constant(coef[k:]),
                ),
            ]
        )
        mse[k] = float(np.mean((np.asarray(net(x), dtype="float64").ravel() - y) ** 2))
    return mse


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def hand_built_networks_compute_xor(blocks, block_targets, step_outputs, relu_outputs, targets):
    """``blocks`` maps each step-unit block to its outputs on the four rows, ``block_targets`` to its truth table."""
    return blocks == block_targets and step_outputs == targets and relu_outputs == targets


def trained_mlp_solves_xor(accuracy, margin, init_margins, margin_needed):
    """``margin`` is the seed run's smallest distance from 0.5 on the right side, ``init_margins`` the other inits'."""
    return accuracy == 1.0 and margin >= margin_needed and np.mean([m >= margin_needed for m in init_margins]) >= 0.9


def narrow_net_gets_stuck_more(stuck_fractions):
    """``stuck_fractions`` maps a hidden width to the fraction of its initializations that did not solve XOR."""
    narrow, wide = min(stuck_fractions), max(stuck_fractions)
    return stuck_fractions[narrow] > 0 and stuck_fractions[narrow] > stuck_fractions[wide]


def linear_layers_collapse(float32_error, float64_error, trained_error, trained_accuracy):
    return float32_error < 1e-5 and float64_error < 1e-12 and trained_error < 1e-5 and trained_accuracy <= 0.75


def one_hidden_layer_approximates(mses, target_mse):
    """``mses`` are the train-set MSEs in order of growing width."""
    return all(b <= a for a, b in zip(mses, mses[1:])) and mses[-1] < target_mse


# ---- measurements ---------------------------------------------------------------------------------------


def _worked_examples(x, y):
    table = {"".join(str(int(v)) for v in xi): int(t) for xi, t in zip(x, y)}
    lstsq = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y.astype("float64"), rcond=None)[0]
    return [
        WorkedExample(
            "XOR truth table: the 'xor' dataset's label per input row",
            ", ".join(f"{k} -> {table[k]}" for k in sorted(table)),
            ", ".join(f"{a}{b} -> {v}" for (a, b), v in XOR_TABLE.items()),
            "03:212-219",
        ),
        WorkedExample(
            "Least-squares linear fit (w1, w2, b) to the four XOR points",
            str(np.round(lstsq, 12).tolist()),
            "w = (0, 0), b = 0.5: the constant 0.5 on every input",
            "04:789-816",
        ),
    ]


def _claim_hand_built(x, y, fixed):
    blocks = {"x1 AND x2": ([[1], [1]], [1.5]), "x1 OR x2": ([[1], [1]], [0.5]), "x1 AND NOT x2": ([[1], [-1]], [0.5])}
    tables = {
        name: np.asarray(threshold_layer(w, t)(x)).ravel().astype(int).tolist() for name, (w, t) in blocks.items()
    }
    expected = {
        "x1 AND x2": (x[:, 0] * x[:, 1]),
        "x1 OR x2": np.maximum(x[:, 0], x[:, 1]),
        "x1 AND NOT x2": x[:, 0] * (1 - x[:, 1]),
    }
    return judge(
        "Hand-built MLPs compute XOR: step units AND = [x1 + x2 - 1.5 > 0], OR = [x1 + x2 - 0.5 > 0], x1 AND NOT x2 = "
        "[x1 - x2 - 0.5 > 0] give their truth tables, and XOR = [OR - AND - 0.5 > 0]; (ext) the exact ReLU solution "
        "h = ReLU(x [[1,1],[1,1]] + [0,-1]), y = h . [1,-2] gives exactly 0, 1, 1, 0",
        hand_built_networks_compute_xor,
        {
            "blocks": tables,
            "block_targets": {k: v.astype(int).tolist() for k, v in expected.items()},
            "step_outputs": fixed["step"].astype(int).tolist(),
            "relu_outputs": fixed["relu_exact"].tolist(),
            "targets": y.astype(int).tolist(),
        },
        f"on rows {x.astype(int).tolist()}: blocks {tables}; step network {fixed['step'].astype(int).tolist()}; "
        f"ReLU network {fixed['relu_exact'].tolist()} (targets {y.astype(int).tolist()})",
        "02:185-210",
    )


def _claim_trained(mlp, x, y, margins, cfg):
    p = np.asarray(mlp.model(x)).ravel()
    wide_margin = margins[cfg.width]
    return judge(
        f"A trained Keras MLP (Dense({cfg.width}, {cfg.activation}) -> Dense(1, sigmoid), Adam lr {cfg.learning_rate}, "
        f"{cfg.epochs * cfg.repeats} steps) solves XOR: accuracy 1.0 with every output on the right side of 0.5 by "
        f">= {cfg.margin}, for the run's seed and for >= 90% of {cfg.inits} other initializations",
        trained_mlp_solves_xor,
        {
            "accuracy": _accuracy(p, y, 0.5),
            "margin": _margin(p, y),
            "init_margins": wide_margin,
            "margin_needed": cfg.margin,
        },
        f"seed run outputs {np.round(p.astype(float), 3).tolist()} (margin {fmt(_margin(p, y))}); {cfg.inits} inits: "
        f"{sum(m > 0 for m in wide_margin)} solved, {sum(m >= cfg.margin for m in wide_margin)} with margin >= "
        f"{cfg.margin}, median margin {fmt(np.median(wide_margin))}",
        "02:185-210, 01:203-223",
        variants=[mlp],
        chance=0.5,
    )


def _claim_stuck(many, solved, cfg):
    stuck = {w: 1 - float(np.mean(s)) for w, s in solved.items()}
    return judge(
        f"A 2-2-1 net can get stuck in a local minimum for some initializations while a wider one rarely does "
        f"({cfg.inits} independent initializations each, trained side by side)",
        narrow_net_gets_stuck_more,
        {"stuck_fractions": stuck},
        "; ".join(
            f"2-{w}-1: {int(round(stuck[w] * len(solved[w])))}/{len(solved[w])} stuck ({stuck[w]:.0%})" for w in solved
        ),
        "02:185-210",
        variants=[many],
    )


def _claim_linear(seed, linear, x, y):
    stack = linear_stack(seed=seed)
    single = collapse_linear_stack(stack)
    probe = np.random.default_rng(seed).normal(size=(256, 2)).astype("float32")
    err32 = float(np.abs(np.asarray(stack(probe)) - np.asarray(single(probe))).max())
    ws = [(np.asarray(layer.kernel, "float64"), np.asarray(layer.bias, "float64")) for layer in stack.layers]
    h = probe.astype("float64")
    for w, b in ws:
        h = h @ w + b
    kernel, bias = ws[0]
    for w, b in ws[1:]:
        kernel, bias = kernel @ w, bias @ w + b
    err64 = float(np.abs(h - (probe @ kernel + bias)).max())
    p = np.asarray(linear.model(x)).ravel()
    trained_err = float(np.abs(np.asarray(collapse_linear_stack(linear.model)(x)).ravel() - p).max())
    return judge(
        "Linear layers collapse: a stack of Dense layers without activation equals one Dense with W' = W1 W2 W3, "
        "b' = (b1 W2 + b2) W3 + b3 (to 1e-5 in float32, 1e-12 in float64); trained on XOR such a stack cannot exceed "
        "accuracy 0.75",
        linear_layers_collapse,
        {
            "float32_error": err32,
            "float64_error": err64,
            "trained_error": trained_err,
            "trained_accuracy": _accuracy(p, y, 0.5),
        },
        f"2-8-8-1 random stack vs collapsed Dense: max |diff| {fmt(err32)} (float32), {fmt(err64)} (float64); trained "
        f"linear stack: outputs {np.round(p.astype(float), 3).tolist()}, accuracy {_accuracy(p, y, 0.5):g}, equals its "
        f"collapse to {fmt(trained_err)}",
        "01:179-189, 02:183, 04:789-816",
        variants=[linear],
    )


def _claim_universal(sine, cfg):
    widths = list(sine)
    return judge(
        f"(ext) One hidden layer approximates a continuous function arbitrarily well given enough units: 1-k-1 tanh "
        f"nets on sin(x), x in [-pi, pi] ({cfg.sine_points} points), k = {widths}, with least-squares output weights: "
        f"the MSE does not increase with k and the widest reaches < {cfg.sine_target_mse:g}",
        one_hidden_layer_approximates,
        {"mses": [sine[w] for w in widths], "target_mse": cfg.sine_target_mse},
        ", ".join(f"{w} units: {fmt(m)}" for w, m in sine.items()) + " (random hidden units, nested; 03:680's "
        "caveat: the theorem says such weights exist, not that training finds them)",
        "03:675-680",
    )


def _regions_figure(models, x, y):
    fig, axes = plots.grid(
        len(models), ncols=len(models), size=(3.6, 3.4), title="XOR: output (probability of class 1) over the plane"
    )
    for ax, (name, model) in zip(axes, models.items()):
        plots.decision_regions(
            ax,
            lambda g, m=model: np.clip(np.asarray(m(g)).ravel(), 0, 1),
            x,
            y,
            margin=0.5,
            levels=np.linspace(0, 1, 11),
        )
        ax.set_title(name, fontsize="small")
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
