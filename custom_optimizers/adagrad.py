"""AdaGrad: a per-parameter learning rate that shrinks with the sum of squared gradients."""

import keras
from keras import ops
from nnzoo.custom_optimizers._slots import make_slots


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchAdagrad(keras.optimizers.Optimizer):
    r"""AdaGrad; steps exactly like ``keras.optimizers.Adagrad``.

    Every parameter i keeps the sum of its squared gradients G_t (the diagonal of 04:1139's
    G_t = sum_tau g_tau g_tau^T) and is stepped with its own learning rate (04:1118-1164)::

        G_t = G_{t-1} + g_t^2                       (elementwise; G_0 = initial_accumulator_value)
        x_{t+1} = x_t - eta * g_t / sqrt(G_t + eps)

    The step decays like 1/sqrt(t) under a constant gradient, the answer to 03:1836's "What happens
    with AdaGrad?".

    Where the lectures differ: 04:1153 puts eps inside the square root, as here and in Keras; the
    code of 03:1818 adds 1e-7 outside it, ``dx / (sqrt(G) + 1e-7)``, and starts G at 0 where Keras
    starts it at 0.1 (set ``initial_accumulator_value=0.0`` for the lecture's start). This class
    follows Keras, so the two are interchangeable; 04's summary table credits AdaGrad with momentum
    (S19), but there is no velocity term.

    Args:
        learning_rate: float, ``LearningRateSchedule`` or zero-argument callable. Defaults to 0.001.
        initial_accumulator_value: starting value of G. Defaults to 0.1.
        epsilon: added to G under the square root. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name: as for
            every ``keras.optimizers.Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        """Create the accumulator G per variable, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(variables)
        self.sum_squares = make_slots(
            self, variables, ["accumulator"], initializer=keras.initializers.Constant(self.initial_accumulator_value)
        )[0]

    def update_step(self, gradient, variable, learning_rate):
        """One step of the rule in the class docstring for ``variable``."""
        eta = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        big_g = self.sum_squares[self._get_variable_index(variable)]
        self.assign_add(big_g, ops.square(g))  # G += g^2
        self.assign_sub(variable, ops.divide(ops.multiply(eta, g), ops.sqrt(ops.add(big_g, self.epsilon))))

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
