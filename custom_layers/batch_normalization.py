"""ScratchBatchNormalization: batch statistics while training, moving averages at inference."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchBatchNormalization(keras.layers.Layer):
    """A from-scratch ``keras.layers.BatchNormalization`` (lectures 000, 001, 002, 003).

    Training (``training=True`` and the layer trainable), over the batch B:

        mu_B = mean(x),  sigma2_B = mean((x - mu_B)^2)          (biased, 1/m)
        x_hat = (x - mu_B) / sqrt(sigma2_B + eps),  y = gamma * x_hat + beta
        mu_mov <- a mu_mov + (1 - a) mu_B,  sigma2_mov <- a sigma2_mov + (1 - a) sigma2_B   (a = momentum)

    Inference: the same formula with mu_mov and sigma2_mov, which are non-trainable weights
    (slip S26: the lecture calls them trainable) updated only when ``training=True``.
    Same constructor and defaults as Keras's layer. Batch renormalization and synchronized
    (cross-replica) statistics are beyond the lectures: ``renorm=True`` or ``synchronized=True``
    raise a ValueError rather than being ignored.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        if renorm:
            raise ValueError(
                "ScratchBatchNormalization does not implement batch renormalization; use "
                f"keras.layers.BatchNormalization. Received: renorm={renorm!r}"
            )
        if synchronized:
            raise ValueError(
                "ScratchBatchNormalization does not implement synchronized statistics; use "
                f"keras.layers.BatchNormalization. Received: synchronized={synchronized!r}"
            )
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.moving_mean_initializer = keras.initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = keras.initializers.get(moving_variance_initializer)
        self.beta_regularizer = keras.regularizers.get(beta_regularizer)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
        self.beta_constraint = keras.constraints.get(beta_constraint)
        self.gamma_constraint = keras.constraints.get(gamma_constraint)
        self.renorm, self.renorm_clipping, self.renorm_momentum = renorm, renorm_clipping, renorm_momentum
        self.synchronized = synchronized
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        shape = (input_shape[self.axis],)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                trainable=True,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                trainable=True,
                autocast=False,
            )
        self.moving_mean = self.add_weight(
            shape=shape, name="moving_mean", initializer=self.moving_mean_initializer, trainable=False, autocast=False
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
            autocast=False,
        )
        self.input_spec = keras.layers.InputSpec(ndim=len(input_shape), axes={self.axis: input_shape[self.axis]})
        self._reduction_axes = [a for a in range(len(input_shape)) if a != self.axis % len(input_shape)]
        self._broadcast = [1 if a in self._reduction_axes else input_shape[a] for a in range(len(input_shape))]

    def compute_output_shape(self, input_shape):
        if self.axis >= len(input_shape) or self.axis < -len(input_shape):
            raise ValueError(
                f"Axis {self.axis} is out of bounds for input shape {input_shape}. Received: axis={self.axis}"
            )
        return input_shape

    def _moments(self, x, mask):
        """Batch mean and biased variance per feature; masked positions do not count."""
        if mask is None:
            mean = ops.mean(x, axis=self._reduction_axes)
            centered = x - ops.reshape(mean, self._broadcast)
            return mean, ops.mean(ops.square(centered), axis=self._reduction_axes)
        weights = ops.cast(ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x)), x.dtype)
        count = ops.sum(weights, axis=self._reduction_axes) + keras.config.epsilon()
        mean = ops.sum(x * weights, axis=self._reduction_axes) / count
        centered = (x - ops.reshape(mean, self._broadcast)) * weights
        return mean, ops.sum(ops.square(centered), axis=self._reduction_axes) / count

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={mask.shape}, inputs.shape={inputs.shape}"
            )
        dtype = keras.backend.result_type(inputs.dtype, "float32")
        x = ops.cast(inputs, dtype)
        if training and self.trainable:
            mean, variance = self._moments(x, mask)
            self.moving_mean.assign(ops.cast(self.moving_mean, dtype) * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                ops.cast(self.moving_variance, dtype) * self.momentum + variance * (1.0 - self.momentum)
            )
        else:
            mean, variance = ops.cast(self.moving_mean, dtype), ops.cast(self.moving_variance, dtype)
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * ops.cast(self.gamma, dtype)
        y = (x - ops.reshape(mean, self._broadcast)) * ops.reshape(inv, self._broadcast)
        if self.beta is not None:
            y = y + ops.reshape(ops.cast(self.beta, dtype), self._broadcast)
        return ops.cast(y, self.compute_dtype)

    def get_config(self):
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": keras.initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": keras.initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": keras.regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": keras.regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": keras.constraints.serialize(self.beta_constraint),
            "gamma_constraint": keras.constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
        return {**super().get_config(), **config}
