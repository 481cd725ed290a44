"""MCPNeuron: a layer of McCulloch-Pitts threshold units (lecture 003, lines 140-272)."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="nnzoo")
class MCPNeuron(keras.layers.Layer):
    """McCulloch-Pitts units: fixed weights, a threshold, and absolute inhibition.

    Unit j outputs 1 when sum_i w_ij x_i >= theta_j and no inhibitory input of that unit is
    active (x_i > 0 with inhibitory[i, j] true); otherwise 0. Nothing is trainable: the
    weights are a choice, not learned (learning arrives with Hebb and the perceptron).

    Args:
        weights: (inputs, units) excitatory weights.
        thresholds: (units,) thresholds theta.
        inhibitory: optional (inputs, units) booleans marking absolute inhibitory inputs.
    """

    def __init__(self, weights, thresholds, inhibitory=None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        w = np.asarray(weights, dtype="float32")
        if w.ndim == 1:
            w = w[:, None]
        t = np.asarray(thresholds, dtype="float32").reshape(-1)
        if w.ndim != 2 or t.shape != (w.shape[1],):
            raise ValueError(
                "weights must be (inputs, units) and thresholds (units,). "
                f"Received: weights shape={w.shape}, thresholds shape={t.shape}"
            )
        inh = (
            np.zeros_like(w, dtype=bool) if inhibitory is None else np.asarray(inhibitory, dtype=bool).reshape(w.shape)
        )
        self.unit_weights, self.thresholds, self.inhibitory = w.tolist(), t.tolist(), inh.tolist()
        self._w, self._t, self._inh = w, t, inh.astype("float32")

    @classmethod
    def from_weights(cls, weights, thresholds, inhibitory=None, name=None):
        return cls(weights, thresholds, inhibitory=inhibitory, name=name)

    def build(self, input_shape):
        if input_shape[-1] != self._w.shape[0]:
            raise ValueError(f"MCPNeuron expects {self._w.shape[0]} inputs. Received: input_shape={input_shape}")
        self.kernel = self.add_weight(
            name="kernel", shape=self._w.shape, trainable=False, initializer=keras.initializers.Constant(self._w)
        )
        self.threshold = self.add_weight(
            name="threshold", shape=self._t.shape, trainable=False, initializer=keras.initializers.Constant(self._t)
        )
        self.inhibition = self.add_weight(
            name="inhibition",
            shape=self._inh.shape,
            trainable=False,
            initializer=keras.initializers.Constant(self._inh),
        )

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        fires = ops.matmul(x, self.kernel) >= self.threshold
        inhibited = ops.matmul(ops.cast(x > 0, "float32"), self.inhibition) > 0
        return ops.cast(ops.logical_and(fires, ops.logical_not(inhibited)), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self._w.shape[1])

    def get_config(self):
        return {
            **super().get_config(),
            "weights": self.unit_weights,
            "thresholds": self.thresholds,
            "inhibitory": self.inhibitory,
        }
