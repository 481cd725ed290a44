"""AdaDelta: RMSProp's decaying average of g^2, with the step scaled by a decaying average of past steps."""

import keras
from keras import ops
from nnzoo.custom_optimizers._slots import make_slots


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchAdadelta(keras.optimizers.Optimizer):
    r"""AdaDelta (Zeiler 2012); steps exactly like ``keras.optimizers.Adadelta``.

    Two decaying averages with the same decay rate gamma (``rho``), both starting at 0::

        E[g^2]_t        = gamma E[g^2]_{t-1} + (1 - gamma) g_t^2
        dx_t            = - sqrt(E[dx^2]_{t-1} + eps) / sqrt(E[g^2]_t + eps) * g_t
        E[dx^2]_t       = gamma E[dx^2]_{t-1} + (1 - gamma) dx_t^2
        x_{t+1}         = x_t + eta * dx_t

    Where the lecture differs (slip S18): 04:1166-1176 stops after the first line and steps with
    x_{t+1} = x_t - eta / sqrt(E[g^2]_t + eps) * g_t, which is RMSProp (``ScratchRMSprop``), not
    AdaDelta. AdaDelta replaces the fixed eta by RMS[dx]_{t-1} = sqrt(E[dx^2]_{t-1} + eps), so the
    step carries the parameter's own units. Zeiler's rule has no learning rate (eta = 1); Keras, and
    this class, keep ``learning_rate`` as a multiplier (default 0.001). The summary table's
    "momentum" for AdaDelta (04:1201, S19) is not a velocity term.

    Args:
        learning_rate: float, ``LearningRateSchedule`` or zero-argument callable. Defaults to 0.001.
        rho: the decay rate gamma. Defaults to 0.95.
        epsilon: added under both square roots. Defaults to 1e-7.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name: as for
            every ``keras.optimizers.Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
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
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables):
        """Create E[g^2] and E[dx^2] per variable."""
        if self.built:
            return
        super().build(variables)
        self.mean_sq_grads, self.mean_sq_steps = make_slots(
            self, variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        """One step of the rule in the class docstring for ``variable``."""
        eta = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        gamma = self.rho
        index = self._get_variable_index(variable)
        mean_sq_grad, mean_sq_step = self.mean_sq_grads[index], self.mean_sq_steps[index]

        def rms(mean_square):
            return ops.sqrt(ops.add(mean_square, self.epsilon))

        self.assign(mean_sq_grad, ops.add(ops.multiply(gamma, mean_sq_grad), ops.multiply(1 - gamma, ops.square(g))))
        step = ops.negative(ops.divide(ops.multiply(rms(mean_sq_step), g), rms(mean_sq_grad)))
        self.assign(mean_sq_step, ops.add(ops.multiply(gamma, mean_sq_step), ops.multiply(1 - gamma, ops.square(step))))
        self.assign_add(variable, ops.multiply(eta, step))

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
