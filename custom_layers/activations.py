"""Activation functions and their hand-written derivatives (lectures 000-004).

Each ``name(x)`` is written with keras.ops and each ``name_derivative(x)`` is the derivative
worked out by hand; the tests check every derivative against automatic differentiation.
Importing ``nnzoo.custom_layers`` registers each function for serialization (package "nnzoo")
and under the string ``"scratch_<name>"`` so that ``Dense(activation="scratch_relu")`` works.
"""

import math

import keras
from keras import ops

LEAKY_SLOPE = 0.01  # the lecture's leaky ReLU (02:43); Keras's LeakyReLU defaults to 0.3
ELU_ALPHA = 1.0


def sigmoid(x):
    """1 / (1 + e^-x)."""
    return 1.0 / (1.0 + ops.exp(-x))


def sigmoid_derivative(x):
    """s(x) (1 - s(x)); at most 0.25, at x = 0."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """(e^x - e^-x) / (e^x + e^-x), written as 2 s(2x) - 1 to stay finite for large |x|."""
    return 2.0 * sigmoid(2.0 * x) - 1.0


def tanh_derivative(x):
    """1 - tanh(x)^2."""
    return 1.0 - ops.square(tanh(x))


def relu(x):
    """max(0, x)."""
    return ops.maximum(x, 0.0)


def relu_derivative(x):
    """1 for x > 0, else 0 (Keras and the lectures take 0 at x = 0)."""
    return ops.cast(x > 0, x.dtype)


def leaky_relu(x):
    """x for x >= 0, 0.01 x otherwise."""
    return ops.where(x >= 0, x, LEAKY_SLOPE * x)


def leaky_relu_derivative(x):
    return ops.where(x >= 0, ops.ones_like(x), LEAKY_SLOPE * ops.ones_like(x))


def elu(x):
    """x for x > 0, alpha (e^x - 1) otherwise (slip S29: not max(alpha(e^x - 1), x))."""
    return ops.where(x > 0, x, ELU_ALPHA * (ops.exp(ops.minimum(x, 0.0)) - 1.0))


def elu_derivative(x):
    return ops.where(x > 0, ops.ones_like(x), ELU_ALPHA * ops.exp(ops.minimum(x, 0.0)))


def gelu(x):
    """x Phi(x) with Phi the standard normal CDF (exact, not the tanh approximation)."""
    return 0.5 * x * (1.0 + ops.erf(x / math.sqrt(2.0)))


def gelu_derivative(x):
    """Phi(x) + x phi(x)."""
    return 0.5 * (1.0 + ops.erf(x / math.sqrt(2.0))) + x * ops.exp(-0.5 * ops.square(x)) / math.sqrt(2.0 * math.pi)


def softplus(x):
    """log(1 + e^x), computed stably as max(x, 0) + log(1 + e^-|x|)."""
    return ops.maximum(x, 0.0) + ops.log1p(ops.exp(-ops.abs(x)))


def softplus_derivative(x):
    """The sigmoid."""
    return sigmoid(x)


def softmax(x, axis=-1):
    """e^(x_i - max x) / sum_j e^(x_j - max x) along ``axis``."""
    e = ops.exp(x - ops.max(x, axis=axis, keepdims=True))
    return e / ops.sum(e, axis=axis, keepdims=True)


def softmax_derivative(x, axis=-1):
    """The diagonal of the Jacobian, s_i (1 - s_i) (the full Jacobian is diag(s) - s s^T)."""
    s = softmax(x, axis=axis)
    return s * (1.0 - s)


def linear(x):
    return x


def linear_derivative(x):
    return ops.ones_like(x)


def step(x):
    """Heaviside: 1 for x >= 0, else 0 (McCulloch-Pitts, perceptron)."""
    return ops.cast(x >= 0, x.dtype)


def step_derivative(x):
    """0 almost everywhere (undefined at 0): why the perceptron needs its own learning rule."""
    return ops.zeros_like(x)


def sign(x):
    """+1 for x >= 0, -1 otherwise (bipolar units)."""
    return ops.where(x >= 0, ops.ones_like(x), -ops.ones_like(x))


def sign_derivative(x):
    return ops.zeros_like(x)


NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "softmax", "linear", "step", "sign")
FUNCTIONS = {name: globals()[name] for name in NAMES}
DERIVATIVES = {name: globals()[f"{name}_derivative"] for name in NAMES}


def _register():
    """Register each function for .keras serialization and under 'scratch_<name>' for string lookup.

    keras.activations.get() resolves strings only through Keras's own table of built-ins, so the
    names are added there too (prefixed, so no built-in is shadowed).
    """
    from keras.src import activations as keras_activations

    for name, fn in FUNCTIONS.items():
        fn.__name__ = f"scratch_{name}"
        registered = keras.saving.register_keras_serializable(package="nnzoo", name=f"scratch_{name}")(fn)
        keras_activations.ALL_OBJECTS_DICT.setdefault(f"scratch_{name}", registered)


_register()
