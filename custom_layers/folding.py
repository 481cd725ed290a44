"""fold_batch_norm: merge each BatchNormalization into the linear layer right before it (lecture 002).

In inference mode BN is an affine map per feature, so after Dense(x) = x W + b it can be folded:

    W' = W * gamma / sqrt(sigma^2 + eps),   b' = (b - mu) * gamma / sqrt(sigma^2 + eps) + beta

(slip S25: the slide omits gamma, exact only when gamma = 1). The folded model computes the same
outputs without the BN layers' extra work at test time.
"""

import keras
import numpy as np
from nnzoo.custom_layers.batch_normalization import ScratchBatchNormalization
from nnzoo.custom_layers.dense import ScratchDense

BN_TYPES = (keras.layers.BatchNormalization, ScratchBatchNormalization)
LINEAR_TYPES = (keras.layers.Dense, ScratchDense)


def _is_linear(layer):
    return isinstance(layer, LINEAR_TYPES) and layer.activation in (None, keras.activations.linear)


def fold_parameters(kernel, bias, gamma, beta, mean, variance, epsilon):
    """W', b' for BN(x W + b) == x W' + b' (numpy, float64 inside)."""
    scale = np.asarray(gamma, dtype="float64") / np.sqrt(np.asarray(variance, dtype="float64") + epsilon)
    kernel = np.asarray(kernel, dtype="float64") * scale
    bias = (np.asarray(bias, dtype="float64") - mean) * scale + beta
    return kernel, bias


def fold_batch_norm(model):
    """A new Sequential model with every foldable BN merged into its preceding linear layer.

    Returns ``(folded_model, report)`` where report is {"folded": [BN names], "skipped": {BN name:
    reason}}. A BN is foldable when it directly follows a Dense/ScratchDense without activation
    (the "BN before activation" placement) and normalizes the last axis.
    """
    if not isinstance(model, keras.Sequential):
        raise ValueError(f"fold_batch_norm needs a keras.Sequential model. Received: model={type(model).__name__}")
    layers = list(model.layers)
    report = {"folded": [], "skipped": {}}
    new_layers, k = [], 0
    while k < len(layers):
        layer = layers[k]
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        if _is_linear(layer) and isinstance(nxt, BN_TYPES) and nxt.axis in (-1, len(nxt.input.shape) - 1):
            kernel = np.asarray(layer.kernel)
            bias = np.zeros(kernel.shape[1]) if layer.bias is None else np.asarray(layer.bias)
            n = kernel.shape[1]
            gamma = np.ones(n) if nxt.gamma is None else np.asarray(nxt.gamma)
            beta = np.zeros(n) if nxt.beta is None else np.asarray(nxt.beta)
            w, b = fold_parameters(
                kernel, bias, gamma, beta, np.asarray(nxt.moving_mean), np.asarray(nxt.moving_variance), nxt.epsilon
            )
            dense = keras.layers.Dense(n, use_bias=True, name=f"{layer.name}_folded")
            dense.build(layer.input.shape)
            dense.set_weights([w.astype(kernel.dtype), b.astype(kernel.dtype)])
            new_layers.append(dense)
            report["folded"].append(nxt.name)
            k += 2
            continue
        if isinstance(layer, BN_TYPES):
            prev = layers[k - 1] if k else None
            report["skipped"][layer.name] = (
                f"follows {type(prev).__name__} '{prev.name}' with activation "
                f"'{getattr(prev.activation, '__name__', prev.activation)}' (BN after the activation)"
                if isinstance(prev, LINEAR_TYPES)
                else f"follows {type(prev).__name__ if prev else 'the input'}, not a linear Dense layer"
            )
        new_layers.append(_clone(layer))
        k += 1
    folded = keras.Sequential(
        [keras.Input(model.input_shape[1:], dtype=model.inputs[0].dtype), *new_layers], name=f"{model.name}_folded"
    )
    return folded, report


def _clone(layer):
    """A fresh copy of ``layer`` with the same weights."""
    copy = layer.__class__.from_config(layer.get_config())
    copy.build(layer.input.shape)
    copy.set_weights(layer.get_weights())
    return copy
