"""Adam: momentum on the gradient plus RMSProp's scaling, both bias-corrected; optional AMSGrad."""

import keras
from keras import ops
from nnzoo.custom_optimizers._slots import make_slots


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchAdam(keras.optimizers.Optimizer):
    r"""Adam with bias correction (Kingma and Ba 2014); steps exactly like ``keras.optimizers.Adam``.

    The lecture's rule (03:1889-1898), with t counting from 1 and m_0 = v_0 = 0::

        m_t     = beta1 m_{t-1} + (1 - beta1) g_t          (first moment: momentum)
        v_t     = beta2 v_{t-1} + (1 - beta2) g_t^2        (second moment: AdaGrad/RMSProp)
        mhat_t  = m_t / (1 - beta1^t),   vhat_t = v_t / (1 - beta2^t)     (bias correction)
        x_{t+1} = x_t - eta mhat_t / (sqrt(vhat_t) + eps)

    Keras, and this class, fold both corrections into the learning rate and add eps to sqrt(v_t)::

        alpha_t = eta sqrt(1 - beta2^t) / (1 - beta1^t)
        x_{t+1} = x_t - alpha_t m_t / (sqrt(v_t) + eps)

    which is the lecture's rule with eps replaced by eps sqrt(1 - beta2^t) (the paper's "epsilon
    hat"): the two differ only where sqrt(v_t) is comparable to eps. ``amsgrad=True`` divides by the
    running maximum vmax_t = max(vmax_{t-1}, v_t) instead of v_t.

    Slips in the lectures: the code at 03:1892 loops ``for t in range(num_iterations)``, so its
    first step divides by 1 - beta^0 = 0; t must start at 1, as here (S16). 04:1190 writes
    v_t = beta2 v_{t-1} + (1 - beta2) g_t without the square (S17).

    Args:
        learning_rate: float, ``LearningRateSchedule`` or zero-argument callable. Defaults to 0.001,
            the lecture's recommended default (03:2513).
        beta_1: decay rate of m. Defaults to 0.9.
        beta_2: decay rate of v. Defaults to 0.999.
        epsilon: Keras's epsilon hat. Defaults to 1e-7.
        amsgrad: whether to use the AMSGrad variant. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name: as for
            every ``keras.optimizers.Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables):
        """Create m and v per variable (and vmax with AMSGrad), in Keras's order."""
        if self.built:
            return
        super().build(variables)
        self.first_moments, self.second_moments = make_slots(self, variables, ["momentum", "velocity"])
        self.max_second_moments = make_slots(self, variables, ["velocity_hat"])[0] if self.amsgrad else []

    def update_step(self, gradient, variable, learning_rate):
        """One step of the rule in the class docstring for ``variable``."""
        eta = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)  # t starts at 1 (slip S16)
        beta1_t = ops.power(ops.cast(self.beta_1, variable.dtype), t)
        beta2_t = ops.power(ops.cast(self.beta_2, variable.dtype), t)
        index = self._get_variable_index(variable)
        m, v = self.first_moments[index], self.second_moments[index]

        alpha = eta * ops.sqrt(1 - beta2_t) / (1 - beta1_t)  # both bias corrections folded into the rate
        self.assign_add(m, ops.multiply(ops.subtract(g, m), 1 - self.beta_1))  # m += (1 - beta1)(g - m)
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(g), v), 1 - self.beta_2))
        if self.amsgrad:
            v_max = self.max_second_moments[index]
            self.assign(v_max, ops.maximum(v_max, v))
            v = v_max
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
