"""InvertedDropout: drop with probability ``rate`` and scale the kept units by 1/(1 - rate)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="nnzoo")
class InvertedDropout(keras.layers.Layer):
    """The lectures' inverted dropout (02:1009-1066, 03:2465-2506), as a Keras layer.

    While training: keep each unit with probability 1 - rate (mask m ~ U(0, 1) >= rate) and
    scale by 1/(1 - rate), so E[y] = x and nothing changes at test time; at inference the layer
    is the identity. (Slip S23: with p the *drop* rate the factors are 1 - p, not p.)
    Same constructor as keras.layers.Dropout (rate, noise_shape, seed); the mask is drawn with
    keras.random.uniform from a SeedGenerator, which draws the same numbers as Keras's Dropout
    for the same seed, so the two layers drop the same units.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                f"Received: rate={rate}"
            )
        self.rate = rate
        self.seed = seed
        self.noise_shape = _validate_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        if self.rate >= 1:
            return ops.zeros_like(inputs)
        shape = (
            ops.shape(inputs)
            if self.noise_shape is None
            else tuple(inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape))
        )
        keep = (
            keras.random.uniform(shape, minval=0.0, maxval=1.0, dtype=inputs.dtype, seed=self.seed_generator)
            >= self.rate
        )
        return inputs * (1.0 / (1.0 - self.rate)) * ops.cast(keep, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


def _validate_noise_shape(noise_shape):
    """A tuple of positive ints or None, with Keras's error wording."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected a tuple or list of integers. "
            f"Received: noise_shape={noise_shape}"
        )
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected an iterable of integers "
            f"(e.g., a tuple or list). Received: noise_shape={noise_shape}"
        ) from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if not isinstance(dim, int):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all elements to be "
                f"integers or None. Received element at index {i}: {dim} (type: {type(dim).__name__})"
            )
        if dim <= 0:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all dimensions to be "
                f"positive integers or None. Received negative or zero value at index {i}: {dim}"
            )
    return noise_shape
