"""Stochastic gradient descent with optional (Nesterov) momentum, written from the update rule."""

import numbers

import keras
from keras import ops
from nnzoo.custom_optimizers._slots import make_slots


@keras.saving.register_keras_serializable(package="nnzoo")
class ScratchSGD(keras.optimizers.Optimizer):
    r"""Gradient descent, with momentum and Nesterov momentum; steps exactly like ``keras.optimizers.SGD``.

    Vanilla update (00:1048, 03:1724), with gradient :math:`g_t = \nabla f(x_t)` and learning rate
    :math:`\eta`::

        x_{t+1} = x_t - eta * g_t

    Momentum (00:1060-1062, 04:1092-1093), velocity ``v`` with friction ``mu`` (``momentum``), v_0 = 0::

        v_{t+1} = mu * v_t - eta * g_t
        x_{t+1} = x_t + v_{t+1}

    Lecture 003 (03:1734-1737) writes v_{t+1} = rho v_t + g_t, x_{t+1} = x_t - alpha v_{t+1}: for a
    constant learning rate it is the same trajectory with v scaled by -1/alpha. This class keeps the
    first (Keras's) sign convention, where v is the step itself. The code under 03:1729 and 03:1744
    adds the step (``x += ...``); the formulas beside it subtract, as here (slip S15).

    Nesterov (00:1068-1072, 03:1798-1800, 04:1108-1116) takes the gradient at the look-ahead point
    x_t + mu v_t. Keras, and this class, store that look-ahead point instead of x, writing
    w_t = x_t + mu v_t, so the gradient is taken at the stored weights::

        v_{t+1} = mu * v_t - eta * g(w_t)
        w_{t+1} = w_t + mu * v_{t+1} - eta * g(w_t)

    w_0 = x_0 because v_0 = 0, and every later w_t is the lecture's x_t + mu v_t.

    With ``momentum=0`` no velocity slot is created (the optimizer holds only its iteration count and
    learning rate). Weight decay, gradient clipping, EMA, loss scaling and gradient accumulation come
    from the base class, as for every Keras optimizer.

    Args:
        learning_rate: float, ``LearningRateSchedule`` or zero-argument callable. Defaults to 0.01.
        momentum: float in [0, 1]; 0 is vanilla gradient descent. Defaults to 0.0.
        nesterov: whether to use Nesterov momentum. Defaults to False.
        weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, name: as for
            every ``keras.optimizers.Optimizer``.
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
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
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def build(self, variables):
        """Create one velocity slot per variable, only when momentum is used."""
        if self.built:
            return
        super().build(variables)
        self.velocities = make_slots(self, variables, ["momentum"])[0] if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        """One step of the rule in the class docstring for ``variable``."""
        eta = ops.cast(learning_rate, variable.dtype)
        g = ops.cast(gradient, variable.dtype)
        if not self.velocities:
            self.assign_sub(variable, ops.multiply(g, eta))
            return
        v = self.velocities[self._get_variable_index(variable)]
        mu = ops.cast(self.momentum, variable.dtype)
        self.assign(v, ops.subtract(ops.multiply(v, mu), ops.multiply(g, eta)))  # v = mu v - eta g
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(v, mu), ops.multiply(g, eta)))
        else:
            self.assign_add(variable, v)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
