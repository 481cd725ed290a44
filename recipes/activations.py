"""Activation functions and their derivatives: formulas vs Keras and autodiff, saturation, dying ReLU.

Topic: linear, sigmoid, tanh, ReLU, leaky ReLU, ELU, GELU, softplus ("smooth ReLU") and softmax —
the lectures' formulas and derivatives checked against keras.activations and tf.GradientTape,
their ranges, saturation and vanishing gradients (sigma'(10), tanh'(5), 0.25^L, a 10-layer
sigmoid net), the non-saturating ReLU, dying ReLUs (zero gradient) against leaky ReLU, the
derivative TensorFlow assigns to ReLU at 0, ReLU's sparsity and ELU's mean closer to zero.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 155-245);
UPM Madrid, "Training feedforward neural networks" (001, lines 252-324); Sharif Univ., "Introduction to neural
networks" (002, lines 40-54, 730-767); Univ. Bretagne Sud, "ANN part I" (003, lines 545-605, 1036-1084); Univ.
Milano-Bicocca, "Neural networks" (004, lines 748-903). Slips followed by the
mathematics: S29 (ELU is not max(alpha(e^z - 1), z)), S30 (ReLU is non-decreasing, not
strictly increasing), S31 (a *saturating* function squeezes its input).
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from nnzoo.custom_layers import activations as scratch

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "001", "002", "003", "004")
LEAKY_SLOPE = 0.01  # 02:43 (Keras LeakyReLU defaults to 0.3)
ELU_ALPHA = 1.0


def _phi(x):
    return np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)


def _erf(x):
    return np.vectorize(math.erf)(x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name -> (the lectures' formula, its derivative), both float64 numpy; and the Keras function.
FORMULAS = {
    "linear": (lambda x: x, lambda x: np.ones_like(x)),  # 01:324, 03:559, 03:1042
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),  # 03:575, 03:1055
    "tanh": (
        lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),  # 03:592, 03:1069
        lambda x: 1 - np.tanh(x) ** 2,
    ),
    "relu": (lambda x: np.where(x > 0, x, 0.0), lambda x: np.where(x > 0, 1.0, 0.0)),  # 02:43
    "leaky_relu": (lambda x: np.maximum(LEAKY_SLOPE * x, x), lambda x: np.where(x >= 0, 1.0, LEAKY_SLOPE)),
    "elu": (
        lambda x: np.where(x > 0, x, ELU_ALPHA * (np.exp(np.minimum(x, 0)) - 1)),  # 02:43
        lambda x: np.where(x > 0, 1.0, ELU_ALPHA * np.exp(np.minimum(x, 0))),
    ),
    "gelu": (
        lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),  # 02:49
        lambda x: 0.5 * (1 + _erf(x / np.sqrt(2))) + x * _phi(x),
    ),
    "softplus": (lambda x: np.log1p(np.exp(x)), _sigmoid),  # 04:767
}
KERAS = {
    "linear": keras.activations.linear,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
    "relu": keras.activations.relu,
    "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=LEAKY_SLOPE),
    "elu": lambda x: keras.activations.elu(x, alpha=ELU_ALPHA),
    "gelu": lambda x: keras.activations.gelu(x, approximate=False),
    "softplus": keras.activations.softplus,
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Grid and sample sizes; the deep-net and dying-ReLU experiments' sizes."""

    grid_points: int = 4000  # even, so x = 0 is not on the grid (kinks are checked separately)
    grid_limit: float = 10.0
    normal_samples: int = 1_000_000
    depth: int = 10
    units: int = 64
    seeds: int = 3
    # Plain SGD on raw digits (0-16) at the edge of stability: many ReLU units die, yet both networks learn
    # (at 0.2 the leaky network's loss is NaN from the first epoch and the ReLU one sits at chance).
    dying_learning_rate: float = 0.1
    dying_epochs: int = 3


FULL = Config()
QUICK = Config(grid_points=1000, normal_samples=200_000, seeds=2)


def scratch_derivatives():
    """{name: derivative} hand-written in nnzoo.custom_layers.activations, one per lecture formula."""
    return {name: getattr(scratch, f"{name}_derivative") for name in FORMULAS}


def activation_layer(name):
    """The Keras layer for activation ``name`` (leaky ReLU with the lectures' slope 0.01)."""
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)
    if name == "elu":
        return keras.layers.ELU(alpha=ELU_ALPHA)
    return keras.layers.Activation(name)


def build_model(activation, config=FULL, *, input_dim=64, num_classes=10, depth=None, initializer="glorot_uniform"):
    """An MLP of ``depth`` Dense(units) layers, each followed by ``activation``, and a softmax output."""
    if activation not in FORMULAS:
        raise ValueError(f"Unknown activation; expected one of {tuple(FORMULAS)}. Received: activation={activation!r}")
    layers = [keras.Input((input_dim,))]
    for _ in range(depth or 2):
        layers += [keras.layers.Dense(config.units, kernel_initializer=initializer), activation_layer(activation)]
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers, name=activation)


def handmade_network(activation="relu", w6=0.0):
    """Lecture 004's hand-made 2-2-1 example (04:831-845): x = (2, 1), y = 5, hidden ReLU units o3, o4.

    The slide's w6 = 0 also blocks the gradient to o4; pass another ``w6`` to isolate the activation's part.
    """
    return keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(
                2,
                kernel_initializer=keras.initializers.Constant([[0.0, -4.0], [2.0, -1.0]]),
                bias_initializer=keras.initializers.Constant([3.0, 1.0]),
                name="o1_o2",
            ),
            activation_layer(activation),
            keras.layers.Dense(
                1,
                kernel_initializer=keras.initializers.Constant([[-2.0], [w6]]),
                bias_initializer=keras.initializers.Constant([6.0]),
                name="o5",
            ),
        ]
    )


def autodiff(fn, x):
    x = tf.constant(x, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x).numpy(), np.asarray(y)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    grid = np.linspace(-cfg.grid_limit, cfg.grid_limit, cfg.grid_points)
    rows, values, grads = [], {}, {}
    for name, (formula, derivative) in FORMULAS.items():
        tape_grad, keras_value = autodiff(KERAS[name], grid)
        values[name], grads[name] = formula(grid), derivative(grid)
        rows.append(
            {
                "function": name,
                "max_err_value_vs_keras": np.abs(keras_value - values[name]).max(),
                "max_err_derivative_vs_autodiff": np.abs(tape_grad - grads[name]).max(),
                "min": values[name].min(),
                "max": values[name].max(),
                "max_derivative": grads[name].max(),
            }
        )
    table = pd.DataFrame(rows)

    digits = ctx.load("digits")
    dying = {
        act: ctx.train(
            act,
            lambda act=act: build_model(act, cfg),
            digits,
            epochs=cfg.dying_epochs,
            optimizer="sgd",
            learning_rate=cfg.dying_learning_rate,
        )
        for act in ("relu", "leaky_relu")
    }
    claims = [
        _claim_formulas(table, grid),
        _claim_ranges(),
        _claim_derivatives(table, grid, grads),
        _claim_saturation(cfg, ctx.seed),
        _claim_non_saturating(grid),
        _claim_dying(dying, digits, cfg),
        _claim_relu_at_zero(),
        _claim_sparsity(cfg, ctx.seed),
        _claim_elu_mean(cfg, ctx.seed),
    ]
    notes.append(
        "Slip S29 (01:309): ELU is z for z > 0 and alpha (e^z - 1) for z <= 0; max(alpha (e^z - 1), z) is wrong "
        "for z > 0 (alpha = 1, z = 1 gives 1.718, not 1)."
    )
    notes.append("Slip S30 (03:600): ReLU is non-decreasing, not strictly increasing (flat for a < 0).")
    notes.append(
        "Slip S31 (02:732): a *saturating* activation squeezes its input; the formula given there "
        "(|f| -> infinity at an end) defines a non-saturating one."
    )
    notes.append("Keras's LeakyReLU defaults to negative_slope 0.3; the lectures' 0.01 (02:43) is passed explicitly.")
    figure = _figure(grid, values, grads)
    return RecipeResult(table, {"functions_and_derivatives": figure}, claims, notes=notes, worked=_worked_examples())


def _worked_examples():
    relu_sum = float(np.asarray(keras.activations.relu(tf.constant(0.7 * 0.6 + 0.2 * 0.5 + 0.6 * 0.6, tf.float64))))
    return [
        WorkedExample("ReLU in action: ReLU(0.7 x 0.6 + 0.2 x 0.5 + 0.6 x 0.6)", relu_sum, "0.88", "00:198-213"),
        WorkedExample(
            "S29's max(alpha (e^z - 1), z) at alpha = 1, z = 1 (ELU(1) is 1)",
            max(math.exp(1) - 1, 1.0),
            "ELU(z) = max(alpha (e^z - 1), z)",
            "01:309",
        ),
        WorkedExample("Bound on a product of 10 sigmoid derivatives: 0.25^10", 0.25**10, "0.25^L", "02:741-757"),
    ]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def formulas_match_keras(max_error, tanh_identity_error, gelu_at_1, gelu_at_minus_1, softmax_error):
    return (
        max_error < 1e-6
        and tanh_identity_error < 1e-12
        and abs(gelu_at_1 - 0.841345) < 1e-6
        and abs(gelu_at_minus_1 + 0.158655) < 1e-6
        and softmax_error < 1e-6
    )


def ranges_hold(sigmoid_gap, tanh_gap, softmax_min, softmax_sum_error, relu_min, relu_at_50):
    return (
        sigmoid_gap > 0
        and tanh_gap > 0
        and softmax_min > 0
        and softmax_sum_error < 1e-6
        and relu_min == 0
        and relu_at_50 == 50
    )


def derivatives_match_autodiff(max_error, sigmoid_prime_at_0, sigmoid_prime_max, softplus_prime_at_07, scratch_error):
    return (
        max_error < 1e-6
        and abs(sigmoid_prime_at_0 - 0.25) < 1e-12
        and sigmoid_prime_max <= 0.25
        and abs(softplus_prime_at_07 - 0.668188) < 1e-6
        and scratch_error < 1e-6
    )


def gradients_vanish(sigmoid_prime_at_10, tanh_prime_at_5, largest_chain, bound, sigmoid_ratio, relu_ratio):
    return (
        abs(sigmoid_prime_at_10 - 4.54e-5) < 5e-8
        and abs(tanh_prime_at_5 - 1.82e-4) < 5e-7
        and largest_chain <= bound
        and sigmoid_ratio < 1e-3
        and relu_ratio > 1e-1
    )


def relu_does_not_saturate(all_slopes_one, relu_at_1e6, sigmoid_at_1e6, tanh_at_1e6, flat_step):
    return all_slopes_one and relu_at_1e6 == 1e6 and sigmoid_at_1e6 <= 1 and tanh_at_1e6 <= 1 and flat_step == 0


def relu_units_die(
    o2,
    o5,
    loss,
    dead_kernel_grad_norm,
    dead_bias_grad,
    unblocked_grad_norm,
    leaky_grad_min,
    elu_grad_min,
    relu_dead_fraction,
    leaky_dead_fraction,
):
    slide = o2 == -8 and o5 == -4 and loss == 81
    return (
        slide
        and dead_kernel_grad_norm == 0
        and dead_bias_grad == 0
        and unblocked_grad_norm == 0
        and leaky_grad_min > 0
        and elu_grad_min > 0
        and relu_dead_fraction >= 0.25
        and leaky_dead_fraction == 0
    )


def relu_prime_at_zero_is_left(relu_prime_at_0):
    return relu_prime_at_0 == 0.0


def half_of_relu_outputs_are_zero(zero_fraction, standard_error):
    return abs(zero_fraction - 0.5) < 5 * standard_error


def elu_mean_closer_to_zero(elu_mean, relu_mean, exact_elu, exact_relu, tolerance):
    return (
        abs(elu_mean - exact_elu) < tolerance
        and abs(relu_mean - exact_relu) < tolerance
        and abs(elu_mean) < abs(relu_mean)
    )


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_formulas(table, grid):
    worst = table.set_index("function")["max_err_value_vs_keras"]
    tanh_identity = np.abs(FORMULAS["tanh"][0](grid) - (np.exp(2 * grid) - 1) / (np.exp(2 * grid) + 1)).max()
    gelu = {
        v: float(np.asarray(keras.activations.gelu(tf.constant(v, tf.float64), approximate=False))) for v in (1, -1)
    }
    logits = np.random.default_rng(0).normal(0, 3, (64, 10))
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    softmax_err = np.abs(np.asarray(keras.activations.softmax(tf.constant(logits))) - softmax).max()
    return judge(
        f"The lectures' formulas equal keras.activations on x in [{grid[0]:g}, {grid[-1]:g}] (max error < 1e-6): linear, "
        "sigmoid, tanh (and (e^2a - 1)/(e^2a + 1)), ReLU, leaky ReLU (0.01), ELU (alpha 1), GELU 1/2 x (1 + erf(x/sqrt 2)) "
        "with gelu(1) = 0.841345, gelu(-1) = -0.158655, softplus log(1 + e^x), softmax",
        formulas_match_keras,
        {
            "max_error": worst.max(),
            "tanh_identity_error": tanh_identity,
            "gelu_at_1": gelu[1],
            "gelu_at_minus_1": gelu[-1],
            "softmax_error": softmax_err,
        },
        "max |formula - keras|: "
        + ", ".join(f"{k} {fmt(v, 2)}" for k, v in worst.items())
        + f"; tanh identity {fmt(tanh_identity, 2)}; gelu(1) = {gelu[1]:.6f}, gelu(-1) = {gelu[-1]:.6f}; softmax "
        f"{fmt(softmax_err, 2)}",
        "01:267-324, 02:40-54, 03:559-605, 04:752-769",
    )


def _claim_ranges():
    x = np.linspace(-50, 50, 10001)
    sig_gaps = (_sigmoid(x).min(), _sigmoid(-x).min())  # sigma > 0 and 1 - sigma = sigma(-x) > 0
    tanh_gaps = ((2 * _sigmoid(2 * x)).min(), (2 * _sigmoid(-2 * x)).min())  # 1 + tanh, 1 - tanh
    x32 = tf.constant(x, tf.float32)
    first_one = {
        name: float(np.abs(x[np.abs(np.asarray(KERAS[name](x32))) == 1.0]).min()) for name in ("sigmoid", "tanh")
    }
    logits = np.random.default_rng(1).normal(0, 5, (256, 10)).astype("float32")
    soft = np.asarray(keras.activations.softmax(tf.constant(logits)))
    relu = np.asarray(keras.activations.relu(tf.constant(x)))
    return judge(
        "Ranges on x in [-50, 50]: sigmoid in (0, 1), always positive; tanh in (-1, 1); ReLU >= 0 and not bounded above; "
        "softmax strictly positive and summing to 1 (to 1e-6)",
        ranges_hold,
        {
            "sigmoid_gap": min(sig_gaps),
            "tanh_gap": min(tanh_gaps),
            "softmax_min": soft.min(),
            "softmax_sum_error": np.abs(soft.sum(axis=1) - 1).max(),
            "relu_min": relu.min(),
            "relu_at_50": relu.max(),
        },
        f"smallest gaps to the bounds (exact complements, float64): sigmoid {fmt(min(sig_gaps))}, tanh "
        f"{fmt(min(tanh_gaps))}; in float32 Keras rounds sigmoid to 1 from |x| = {first_one['sigmoid']:.2f} and tanh to "
        f"+-1 from |x| = {first_one['tanh']:.2f}; softmax min {fmt(soft.min())}, max |sum - 1| "
        f"{fmt(np.abs(soft.sum(axis=1) - 1).max())}; ReLU min {relu.min():g}, ReLU(50) = {relu.max():g}",
        "02:743, 02:752, 03:567-570, 03:584-587, 03:598-599, 03:642-643",
    )


def _claim_derivatives(table, grid, grads):
    worst = table.set_index("function")["max_err_derivative_vs_autodiff"]
    sig_prime_max = (grid[np.argmax(grads["sigmoid"])], grads["sigmoid"].max())
    at0 = float(autodiff(KERAS["sigmoid"], np.array([0.0]))[0][0])
    softplus_07 = float(autodiff(KERAS["softplus"], np.array([0.7]))[0][0])
    scratch_err = {
        n: float(np.abs(np.asarray(d(tf.constant(grid))) - grads[n]).max()) for n, d in scratch_derivatives().items()
    }
    return judge(
        "Derivatives equal automatic differentiation (to 1e-6): linear' = 1, sigma' = sigma (1 - sigma), tanh' = "
        "1 - tanh^2 (and ReLU, leaky ReLU, ELU, GELU, softplus); sigma'(0) = 0.25 is the maximum; softplus' = sigmoid "
        "(0.668188 at x = 0.7); nnzoo.custom_layers' hand-written derivatives agree",
        derivatives_match_autodiff,
        {
            "max_error": worst.max(),
            "sigmoid_prime_at_0": at0,
            "sigmoid_prime_max": grads["sigmoid"].max(),
            "softplus_prime_at_07": softplus_07,
            "scratch_error": max(scratch_err.values()),
        },
        "max |formula - GradientTape|: "
        + ", ".join(f"{k} {fmt(v, 2)}" for k, v in worst.items())
        + f"; GradientTape sigma'(0) = {at0}, grid max {fmt(sig_prime_max[1])} at x = {sig_prime_max[0]:.4f}; "
        f"softplus'(0.7) = {softplus_07:.6f}; custom_layers vs formula: "
        + ", ".join(f"{k} {fmt(v, 2)}" for k, v in scratch_err.items()),
        "03:1036-1084",
    )


def _claim_saturation(cfg, seed):
    sig10 = float(autodiff(KERAS["sigmoid"], np.array([10.0]))[0][0])
    tanh5 = float(autodiff(KERAS["tanh"], np.array([5.0]))[0][0])
    points = np.random.default_rng(seed).normal(0, 2, (1000, cfg.depth))
    chain = np.prod(FORMULAS["sigmoid"][1](points), axis=1).max()
    ratios = {act: [_gradient_ratio(act, cfg, seed + k) for k in range(cfg.seeds)] for act in ("sigmoid", "relu")}
    sig, relu = np.median(ratios["sigmoid"]), np.median(ratios["relu"])
    return judge(
        f"Saturation and vanishing gradients: sigma'(10) = 4.54e-5, tanh'(5) = 1.82e-4, a product of L sigmoid "
        f"derivatives is <= 0.25^L; (ext) in a {cfg.depth}-layer sigmoid MLP the first layer's "
        "gradient norm is orders of magnitude below the last's, with ReLU it is not",
        gradients_vanish,
        {
            "sigmoid_prime_at_10": sig10,
            "tanh_prime_at_5": tanh5,
            "largest_chain": chain,
            "bound": 0.25**cfg.depth,
            "sigmoid_ratio": sig,
            "relu_ratio": relu,
        },
        f"sigma'(10) = {sig10:.4g}, tanh'(5) = {tanh5:.4g}, 0.25^{cfg.depth} = {0.25**cfg.depth:.4g}, largest product of "
        f"{cfg.depth} sigma' at 1000 random points {fmt(chain)}; ||dL/dW_1|| / ||dL/dW_{cfg.depth}|| (Glorot init, "
        f"{cfg.seeds} seeds): sigmoid "
        + ", ".join(fmt(r) for r in ratios["sigmoid"])
        + "; ReLU "
        + ", ".join(fmt(r) for r in ratios["relu"]),
        "00:243-245, 01:257-264, 02:741-757, 03:579-580",
    )


def _gradient_ratio(activation, cfg, seed):
    """||dL/dW|| of the first hidden layer over the last one's, one batch, freshly initialized net."""
    keras.utils.set_random_seed(seed)
    model = build_model(activation, cfg, input_dim=cfg.units, depth=cfg.depth)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, cfg.units)).astype("float32")
    y = rng.integers(0, 10, 256)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][:-1]
    grads = tape.gradient(loss, [d.kernel for d in dense])
    return float(tf.norm(grads[0]) / tf.norm(grads[-1]))


def _claim_non_saturating(grid):
    positive = grid[grid > 0]
    derivative, _ = autodiff(KERAS["relu"], positive)
    big = {n: float(np.asarray(KERAS[n](tf.constant([1e6], tf.float64)))[0]) for n in ("relu", "sigmoid", "tanh")}
    flat = float(
        np.asarray(KERAS["relu"](tf.constant([-2.0, -1.0])))[1] - np.asarray(KERAS["relu"](tf.constant([-2.0])))[0]
    )
    return judge(
        "ReLU does not saturate for z > 0: ReLU'(z) = 1 for every z > 0 and ReLU(z) -> infinity, while sigmoid and tanh "
        "stay bounded (S31: that is the definition of non-saturating); ReLU is non-decreasing, not strictly increasing "
        "(S30)",
        relu_does_not_saturate,
        {
            "all_slopes_one": bool(np.all(derivative == 1.0)),
            "relu_at_1e6": big["relu"],
            "sigmoid_at_1e6": big["sigmoid"],
            "tanh_at_1e6": big["tanh"],
            "flat_step": flat,
        },
        f"ReLU' on {len(positive)} grid points > 0: all 1 = {bool(np.all(derivative == 1.0))}; f(1e6): {big}; "
        f"ReLU(-1) - ReLU(-2) = {flat:g}",
        "01:280-291, 02:730-767, 03:600",
    )


def _claim_dying(dying, data, cfg):
    handmade = {}
    x, y = tf.constant([[2.0, 1.0]]), tf.constant([[5.0]])
    for act, w6 in (("relu", 0.0), ("relu", 1.0), ("leaky_relu", 1.0), ("elu", 1.0)):
        net = handmade_network(act, w6)
        with tf.GradientTape() as tape:
            out = net(x)
            loss = tf.reduce_sum((out - y) ** 2)
        hidden = net.layers[0]
        g_kernel, g_bias = tape.gradient(loss, [hidden.kernel, hidden.bias])
        handmade[act if w6 == 0 else f"{act} w6=1"] = (
            float(out[0, 0]),
            float(loss),
            np.asarray(g_kernel, dtype=float)[:, 1] + 0.0,
            float(np.asarray(g_bias)[1]) + 0.0,
            float(np.asarray(hidden(x))[0, 1]),
        )
    relu = handmade["relu"]
    zero_grad = {act: _zero_gradient_units(r.model, data.x_train, data.y_train) for act, r in dying.items()}
    return judge(
        "Dying ReLU: a unit whose pre-activation is negative on every input gets exactly zero gradient (lecture 004's "
        "example: o2 = -8 gives dL/dw3 = dL/dw4 = dL/db2 = 0); with leaky ReLU (0.01) or ELU the same unit's gradient is "
        f"non-zero; (ext) after SGD at lr {cfg.dying_learning_rate:g} on raw digits at least a quarter of the ReLU units "
        "are dead while both networks learn, and no leaky unit is",
        relu_units_die,
        {
            "o2": relu[4],
            "o5": relu[0],
            "loss": relu[1],
            "dead_kernel_grad_norm": float(np.abs(relu[2]).sum()),
            "dead_bias_grad": relu[3],
            "unblocked_grad_norm": float(np.abs(handmade["relu w6=1"][2]).sum()) + abs(handmade["relu w6=1"][3]),
            "leaky_grad_min": min(
                float(np.abs(handmade["leaky_relu w6=1"][2]).min()), abs(handmade["leaky_relu w6=1"][3])
            ),
            "elu_grad_min": min(float(np.abs(handmade["elu w6=1"][2]).min()), abs(handmade["elu w6=1"][3])),
            "relu_dead_fraction": zero_grad["relu"],
            "leaky_dead_fraction": zero_grad["leaky_relu"],
        },
        f"ReLU: o2 = {relu[4]:g}, o5 = {relu[0]:g}, loss {relu[1]:g}, (dL/dw3, dL/dw4) = {relu[2].tolist()}, dL/db2 = "
        f"{relu[3]:g}. The slide's w6 = 0 blocks that gradient too, so with w6 = 1 (chosen): ReLU "
        f"{handmade['relu w6=1'][2].tolist()}, {handmade['relu w6=1'][3]:g}; leaky "
        f"{np.round(handmade['leaky_relu w6=1'][2], 4).tolist()}, {handmade['leaky_relu w6=1'][3]:.4g}; ELU "
        f"{np.round(handmade['elu w6=1'][2], 5).tolist()}, {handmade['elu w6=1'][3]:.4g}. Hidden units with zero gradient on the "
        f"whole training set after {cfg.dying_epochs} epochs: ReLU {zero_grad['relu']:.0%}, leaky ReLU "
        f"{zero_grad['leaky_relu']:.0%} (val accuracy {dying['relu'].final('val_accuracy'):.3f} vs "
        f"{dying['leaky_relu'].final('val_accuracy'):.3f})",
        "01:293-307, 04:892-903",
        variants=dying.values(),
        chance=1 / data.num_classes,
    )


def _zero_gradient_units(model, x, y):
    """Fraction of hidden units whose incoming weights get exactly zero gradient over all of (x, y)."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)][:-1]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    grads = tape.gradient(loss, [d.kernel for d in dense])
    dead = [np.all(np.asarray(g) == 0, axis=0) for g in grads]
    return float(np.concatenate(dead).mean())


def _claim_relu_at_zero():
    grads = {n: float(autodiff(KERAS[n], np.array([0.0]))[0][0]) for n in ("relu", "leaky_relu")}
    return judge(
        "ReLU is not differentiable at 0 and a framework picks a one-sided derivative: TensorFlow gives ReLU'(0) = 0 "
        "(the left derivative)",
        relu_prime_at_zero_is_left,
        {"relu_prime_at_0": grads["relu"]},
        f"GradientTape at 0: ReLU {grads['relu']:g}, leaky ReLU {grads['leaky_relu']:g}",
        "04:783-786",
    )


def _claim_sparsity(cfg, seed):
    z = np.random.default_rng(seed).normal(size=cfg.normal_samples)
    zeros = float((np.asarray(keras.activations.relu(tf.constant(z))) == 0).mean())
    se = math.sqrt(0.25 / cfg.normal_samples)
    return judge(
        "ReLU gives sparse activities: ReLU(N(0, 1)) is exactly 0 about half the time",
        half_of_relu_outputs_are_zero,
        {"zero_fraction": zeros, "standard_error": se},
        f"{zeros:.4f} exact zeros over {cfg.normal_samples:,} samples (standard error {se:.4f})",
        "03:601",
    )


def _claim_elu_mean(cfg, seed):
    z = np.random.default_rng(seed).normal(size=cfg.normal_samples)
    elu = float(np.asarray(KERAS["elu"](tf.constant(z))).mean())
    relu = float(np.asarray(KERAS["relu"](tf.constant(z))).mean())
    exact_relu = 1 / math.sqrt(2 * math.pi)  # E[max(0, Z)]
    exact_elu = exact_relu + math.exp(0.5) * 0.5 * math.erfc(1 / math.sqrt(2)) - 0.5  # + E[(e^Z - 1) 1{Z <= 0}]
    tol = 5 * 1.0 / math.sqrt(cfg.normal_samples)
    return judge(
        "ELU's average output is closer to 0 than ReLU's: on N(0, 1) inputs the mean ELU (alpha 1) is ~0.16, the mean "
        "ReLU 0.3989",
        elu_mean_closer_to_zero,
        {"elu_mean": elu, "relu_mean": relu, "exact_elu": exact_elu, "exact_relu": exact_relu, "tolerance": tol},
        f"sample means ELU {elu:.4f} (exact {exact_elu:.4f}), ReLU {relu:.4f} (exact 1/sqrt(2 pi) = {exact_relu:.4f})",
        "01:303-307",
    )


def _figure(grid, values, grads):
    names = list(FORMULAS)
    fig, axes = plots.grid(
        len(names) + 1,
        ncols=3,
        size=(3.4, 2.6),
        title="Activation functions (solid) and their derivatives (dashed), lecture formulas",
    )
    window = np.abs(grid) <= 5
    for ax, name in zip(axes, names):
        ax.plot(grid[window], values[name][window], label="g(x)")
        ax.plot(grid[window], grads[name][window], "--", label="g'(x)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(name, fontsize="small")
        ax.grid(alpha=0.3)
    x = grid[window]
    soft = np.asarray(keras.activations.softmax(tf.constant(np.c_[x, np.zeros_like(x), -np.ones_like(x)])))
    axes[-1].plot(x, soft)
    axes[-1].set_title("softmax([x, 0, -1]) components", fontsize="small")
    axes[0].legend(fontsize="x-small")
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
