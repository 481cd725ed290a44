"""Trajectory equality: each scratch optimizer and its Keras twin take the same 100 steps in float32.

Problems: (a) lecture 002's ill-conditioned quadratic f = x1^2 + x1 x2 + 4 x2^2 from (3, 3) and
(b) a 64-16-10 MLP on digits batches. Every rule variant (momentum, Nesterov, centered, AMSGrad) runs
plain and with three bundles of base-class options that hold each option (clipnorm, clipvalue,
global_clipnorm, weight_decay, EMA with overwriting, gradient accumulation, each lecture schedule as
learning_rate) at least once on the quadratic (44 pairs); on the MLP every variant runs plain and
with clipnorm + weight_decay + EMA + accumulation + exponential decay (22 pairs). The slow test crosses every variant with every
single option (110 pairs per problem). All pairs of a problem step inside one tf.function that
returns each pair's largest weight difference, so tracing happens once.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from nnzoo.custom_optimizers import TWINS, ExpDecay, OneOverTDecay, StepDecay

STEPS = 100
TOLERANCE = 1e-5
LEARNING_RATES = {"sgd": 0.05, "adagrad": 0.1, "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.01}
VARIANTS = {
    "sgd": [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}],
    "adagrad": [{}],
    "adadelta": [{}],
    "rmsprop": [{}, {"momentum": 0.9}, {"centered": True}, {"momentum": 0.9, "centered": True}],
    "adam": [{}, {"amsgrad": True}],
}
# One option at a time (the slow test crosses every variant with each of these).
SINGLE = {
    "none": lambda lr: {},
    "clipnorm": lambda lr: {"clipnorm": 0.1},
    "clipvalue": lambda lr: {"clipvalue": 0.01},
    "global_clipnorm": lambda lr: {"global_clipnorm": 0.2},
    "weight_decay": lambda lr: {"weight_decay": 0.01},
    "ema": lambda lr: {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    "accumulation": lambda lr: {"gradient_accumulation_steps": 3},
    "step_decay": lambda lr: {"learning_rate": StepDecay(lr, drop_every=20, factor=0.5)},
    "exp_decay": lambda lr: {"learning_rate": ExpDecay(lr, k=0.02)},
    "one_over_t_decay": lambda lr: {"learning_rate": OneOverTDecay(lr, k=0.05)},
}


def _together(*names):
    return lambda lr: {key: value for name in names for key, value in SINGLE[name](lr).items()}


# The default test: every variant with no option and with three bundles that together hold every
# option once (clipnorm/clipvalue/global_clipnorm and the three schedules exclude each other).
BUNDLES = {
    "none": SINGLE["none"],
    "clipnorm+weight_decay+ema+step_decay": _together("clipnorm", "weight_decay", "ema", "step_decay"),
    "clipvalue+accumulation+exp_decay": _together("clipvalue", "accumulation", "exp_decay"),
    "global_clipnorm+weight_decay+one_over_t_decay": _together("global_clipnorm", "weight_decay", "one_over_t_decay"),
}

# On the MLP (slower to trace) every variant runs plain and with one bundle of five options.
MLP_BUNDLES = {
    "none": SINGLE["none"],
    "clipnorm+weight_decay+ema+accumulation+exp_decay": _together(
        "clipnorm", "weight_decay", "ema", "accumulation", "exp_decay"
    ),
}


def combos(extras):
    for name, variants in VARIANTS.items():
        lr = LEARNING_RATES[name]
        for variant in variants:
            for extra, make in extras.items():
                yield f"{name}{variant or ''}+{extra}", name, {"learning_rate": lr, **variant, **make(lr)}


def quadratic_loss(weights, _x, _y):
    x = weights[0]
    return x[0] ** 2 + x[0] * x[1] + 4 * x[1] ** 2


def _with_ones(x):
    return ops.concatenate([x, ops.ones_like(x[:, :1])], axis=1)


def mlp_loss(weights, x, y):
    """64-16-10 relu MLP; each weight matrix holds its layer's bias as a last row (fewer variables to trace)."""
    w1, w2 = weights
    logits = ops.matmul(_with_ones(ops.relu(ops.matmul(_with_ones(x), w1))), w2)
    return ops.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))


def run_pairs(initial, loss_fn, batches, extras=BUNDLES):
    """Step every (scratch, built-in) pair; per pair, the largest |w_scratch - w_builtin| over all steps
    and the largest distance the built-in moved from the start."""
    labels, pairs = [], []
    for label, name, kwargs in combos(extras):
        sides = []
        for cls in TWINS[name]:
            weights = [keras.Variable(w, dtype="float32") for w in initial]
            optimizer = cls(**kwargs)
            optimizer.build(weights)
            sides.append((weights, optimizer))
        labels.append(label)
        pairs.append(sides)

    @tf.function(autograph=False)
    def step(x, y):
        for sides in pairs:
            for weights, optimizer in sides:
                with tf.GradientTape() as tape:
                    loss = loss_fn(weights, x, y)
                optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        diff = [ops.max(ops.stack([ops.max(ops.abs(a - b)) for a, b in zip(s[0][0], s[1][0])])) for s in pairs]
        moved = [ops.max(ops.stack([ops.max(ops.abs(b - w0)) for b, w0 in zip(s[1][0], initial)])) for s in pairs]
        return ops.stack(diff), ops.stack(moved)

    worst = np.zeros(len(pairs))
    for x, y in batches:
        diff, moved = step(x, y)
        worst = np.maximum(worst, np.asarray(diff))
    return labels, worst, np.asarray(moved)


def check(labels, worst, moved, min_move):
    bad = {label: float(w) for label, w in zip(labels, worst) if not w <= TOLERANCE}
    assert not bad, f"scratch and built-in weights differ by more than {TOLERANCE}: {bad}"
    still = {label: float(m) for label, m in zip(labels, moved) if not m > min_move}
    assert not still, f"trajectories that hardly moved prove nothing: {still}"


def test_trajectories_equal_on_the_lecture_quadratic():
    dummy = (np.zeros((1,), "float32"), np.zeros((1,), "float32"))
    labels, worst, moved = run_pairs([np.array([3.0, 3.0], "float32")], quadratic_loss, [dummy] * STEPS)
    check(labels, worst, moved, min_move=1e-3)


def mlp_initial():
    rng = np.random.default_rng(0)
    w1, w2 = rng.uniform(-0.3, 0.3, (65, 16)), rng.uniform(-0.5, 0.5, (17, 10))
    w1[-1], w2[-1] = 0.0, 0.0  # zero biases
    return [w1.astype("float32"), w2.astype("float32")]


@pytest.fixture(scope="module")
def digits_batches():
    from nnzoo.datasets import load

    data = load("digits", seed=0)
    x, y = data.x_train / 16.0, data.y_train
    starts = (np.arange(STEPS) * 32) % (len(x) - 32)
    return [(x[s : s + 32], y[s : s + 32]) for s in starts]


def test_trajectories_equal_on_a_digits_mlp(digits_batches):
    labels, worst, moved = run_pairs(mlp_initial(), mlp_loss, digits_batches, MLP_BUNDLES)
    check(labels, worst, moved, min_move=1e-3)


@pytest.mark.slow
def test_trajectories_equal_for_every_variant_and_single_option(digits_batches):
    dummy = (np.zeros((1,), "float32"), np.zeros((1,), "float32"))
    check(*run_pairs([np.array([3.0, 3.0], "float32")], quadratic_loss, [dummy] * STEPS, SINGLE), min_move=0.01)
    check(*run_pairs(mlp_initial(), mlp_loss, digits_batches, SINGLE), min_move=1e-3)
