"""Input standardization inside the model, safe for features that are constant on the training split."""

import keras
import numpy as np


def standardizer(x_train, min_variance=1.0):
    """A fixed ``keras.layers.Normalization`` with the training split's mean and variance.

    Variances are floored at ``min_variance``: a feature that is constant in training (digits has
    five always-blank pixels) would otherwise be divided by sqrt(eps) = 3e-4 and turn a stray
    non-zero test value into 1e7. The layer is built fresh on every call, so each model owns one.
    """
    x = np.asarray(x_train, dtype="float64").reshape(len(x_train), -1)
    return keras.layers.Normalization(mean=x.mean(axis=0), variance=np.maximum(x.var(axis=0), min_variance))
