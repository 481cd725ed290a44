"""RMSProp: AdaGrad with a leaky (decaying) average of squared gradients, optionally centered and with momentum."""

import keras
from keras import ops
from nnzoo.custom_optimizers._slots import make_slots


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchRMSprop(keras.optimizers.Optimizer):
    r"""RMSProp; steps exactly like ``keras.optimizers.RMSprop``.

    The lecture's rule (03:1853-1861), with decay rate rho (``decay_rate`` in the slide's code)::

        v_t     = rho v_{t-1} + (1 - rho) g_t^2               (v_0 = 0)
        x_{t+1} = x_t - eta g_t / sqrt(v_t + eps)

    Unlike AdaGrad's sum, the leaky average forgets: under a constant gradient the step tends to
    eta * sign(g) and does not decay. Two options beyond the lecture, both Keras's:

    - ``centered=True`` divides by an estimate of the gradient's variance instead of its raw second
      moment: gbar_t = rho gbar_{t-1} + (1 - rho) g_t and the denominator is
      sqrt(v_t - gbar_t^2 + eps).
    - ``momentum=mu > 0`` accumulates the steps: m_t = mu m_{t-1} + eta g_t / sqrt(...),
      x_{t+1} = x_t - m_t (m is the step with a positive sign here, unlike SGD's velocity).

    Where the lecture differs: its code adds 1e-7 outside the square root, ``dx / (sqrt(v) + 1e-7)``;
    Keras, and this class, add eps inside, sqrt(v + eps). They agree whenever v >> eps. The rule
    04:1166-1176 labels "AdaDelta" is this one (slip S18).

    Args:
        learning_rate: float, ``LearningRateSchedule`` or zero-argument callable. Defaults to 0.001.
        rho: decay rate of the averages. Defaults to 0.9.
        momentum: mu; 0 adds no momentum slot. Defaults to 0.0.
        epsilon: added under the square root. Defaults to 1e-7.
        centered: whether to normalize by the estimated variance. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name: as for
            every ``keras.optimizers.Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
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
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables):
        """Create v per variable, plus m (momentum > 0) and gbar (centered), in Keras's order."""
        if self.built:
            return
        super().build(variables)
        (self.mean_squares,) = make_slots(self, variables, ["velocity"])
        self.momentums = make_slots(self, variables, ["momentum"])[0] if self.momentum > 0 else []
        self.mean_grads = make_slots(self, variables, ["average_gradient"])[0] if self.centered else []

    def update_step(self, gradient, variable, learning_rate):
        """One step of the rule in the class docstring for ``variable``."""
        eta = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        rho = self.rho
        index = self._get_variable_index(variable)
        v = self.mean_squares[index]

        self.assign(v, ops.add(ops.multiply(rho, v), ops.multiply(1 - rho, ops.square(g))))
        if self.centered:
            gbar = self.mean_grads[index]
            self.assign(gbar, ops.add(ops.multiply(rho, gbar), ops.multiply(1 - rho, g)))
            denominator = ops.add(ops.subtract(v, ops.square(gbar)), self.epsilon)
        else:
            denominator = ops.add(v, self.epsilon)
        increment = ops.divide(ops.multiply(eta, g), ops.sqrt(denominator))
        if self.momentum > 0:
            m = self.momentums[index]
            self.assign(m, ops.add(ops.multiply(self.momentum, m), increment))
            self.assign_sub(variable, m)
        else:
            self.assign_sub(variable, increment)

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config
