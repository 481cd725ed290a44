"""ScratchDense: the fully connected layer y = activation(x W + b), written with keras.ops."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchDense(keras.layers.Layer):
    """A from-scratch ``keras.layers.Dense`` (lectures 002, 003: the layer of neurons).

    ``y = activation(x W + b)`` with W of shape (input_dim, units). Same constructor and
    defaults as Keras's Dense. LoRA is supported (``lora_rank``/``lora_alpha`` or ``enable_lora``:
    the kernel is W + (alpha / rank) A B with W frozen); quantization is not, and
    ``quantization_config`` raises a ValueError instead of being ignored.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        if not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. Received: units={units}"
            )
        if quantization_config is not None:
            raise ValueError(
                "ScratchDense does not implement quantization; use keras.layers.Dense. "
                f"Received: quantization_config={quantization_config!r}"
            )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.input_spec = keras.layers.InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        self._kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        if self.lora_enabled:
            return self._kernel + (self.lora_alpha / self.lora_rank) * ops.matmul(
                self.lora_kernel_a, self.lora_kernel_b
            )
        return self._kernel

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze W and learn a rank-``rank`` correction A B (LoRA), as Keras's Dense does."""
        if self.kernel_constraint:
            raise ValueError(
                "Lora is incompatible with kernel constraints. In order to enable lora on this layer, "
                "remove the `kernel_constraint` argument."
            )
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        self._tracker.unlock()
        self.lora_kernel_a = self.add_weight(
            name="lora_kernel_a",
            shape=(self._kernel.shape[0], rank),
            initializer=keras.initializers.get(a_initializer),
            dtype="float32",
            regularizer=self.kernel_regularizer,
        )
        self.lora_kernel_b = self.add_weight(
            name="lora_kernel_b",
            shape=(rank, self._kernel.shape[1]),
            initializer=keras.initializers.get(b_initializer),
            dtype="float32",
            regularizer=self.kernel_regularizer,
        )
        self._kernel.trainable = False
        self._tracker.lock()
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def save_own_variables(self, store):
        """Save the kernel with any LoRA correction merged in, then the bias (Keras's layout)."""
        if not self.built:
            return
        store["0"] = self.kernel
        if self.bias is not None:
            store["1"] = self.bias

    def load_own_variables(self, store):
        if not self.built:
            return
        expected = 1 + (self.bias is not None)
        if len(store.keys()) != expected:
            raise ValueError(
                f"Layer '{self.name}' expected {expected} variables, but received "
                f"{len(store.keys())} variables during loading."
            )
        self._kernel.assign(store["0"])
        if self.bias is not None:
            self.bias.assign(store["1"])
        if self.lora_enabled:  # the saved kernel already holds the merged correction
            self.lora_kernel_a.assign(ops.zeros(self.lora_kernel_a.shape))
            self.lora_kernel_b.assign(ops.zeros(self.lora_kernel_b.shape))

    def quantize(self, *args, **kwargs):
        raise ValueError(
            f"ScratchDense does not implement quantization; use keras.layers.Dense. Received: args={args!r}"
        )

    def call(self, inputs, training=None):
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        if self.activation is not None:
            x = self.activation(x)
        return x

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return {**super().get_config(), **config}
