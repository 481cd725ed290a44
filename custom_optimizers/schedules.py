"""The lectures' learning-rate decays (03:1926-1953) as Keras LearningRateSchedules.

A schedule is called with the optimizer's step count; ``decay_steps`` optimizer steps make one unit
of the lecture's t (pass the steps per epoch to decay per epoch). Each is usable as any optimizer's
``learning_rate`` and serializes with ``get_config``.
"""

import keras
from keras import ops


class _Decay(keras.optimizers.schedules.LearningRateSchedule):
    """Shared argument checks, config and t = step / decay_steps; subclasses give the formula."""

    def __init__(self, initial_learning_rate, decay_steps=1, name=None):
        super().__init__()
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.name = name or type(self).__name__

    def __call__(self, step):
        with keras.name_scope(self.name):
            lr0 = ops.convert_to_tensor(self.initial_learning_rate)
            t = ops.divide(ops.cast(step, lr0.dtype), ops.cast(self.decay_steps, lr0.dtype))
            return self.decay(lr0, t)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps, "name": self.name}


@keras.saving.register_keras_serializable(package="nnzoo")
class StepDecay(_Decay):
    """Step decay (03:1934-1936): lr = lr0 * factor^floor(t / drop_every); factor 0.5 halves it.

    With t counted in ``decay_steps`` units (e.g. epochs), the rate drops by ``factor`` every
    ``drop_every`` units. Equal to ``keras.optimizers.schedules.ExponentialDecay(lr0,
    decay_steps * drop_every, factor, staircase=True)``.
    """

    def __init__(self, initial_learning_rate, drop_every, factor=0.5, decay_steps=1, name=None):
        super().__init__(initial_learning_rate, decay_steps, name)
        if drop_every <= 0:
            raise ValueError(f"Argument `drop_every` must be > 0. Received: drop_every={drop_every}")
        if not 0 < factor <= 1:
            raise ValueError(f"Argument `factor` must be in (0, 1]. Received: factor={factor}")
        self.drop_every = drop_every
        self.factor = factor

    def decay(self, lr0, t):
        drops = ops.floor(ops.divide(t, ops.cast(self.drop_every, lr0.dtype)))
        return ops.multiply(lr0, ops.power(ops.cast(self.factor, lr0.dtype), drops))

    def get_config(self):
        return {**super().get_config(), "drop_every": self.drop_every, "factor": self.factor}


@keras.saving.register_keras_serializable(package="nnzoo")
class ExpDecay(_Decay):
    """Exponential decay (03:1938-1942): lr = lr0 * e^(-k t).

    Equal to ``keras.optimizers.schedules.ExponentialDecay(lr0, decay_steps, decay_rate=e^(-k))``,
    which writes the same curve as lr0 * decay_rate^t.
    """

    def __init__(self, initial_learning_rate, k, decay_steps=1, name=None):
        super().__init__(initial_learning_rate, decay_steps, name)
        if k < 0:
            raise ValueError(f"Argument `k` must be >= 0. Received: k={k}")
        self.k = k

    def decay(self, lr0, t):
        return ops.multiply(lr0, ops.exp(ops.multiply(ops.cast(-self.k, lr0.dtype), t)))

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@keras.saving.register_keras_serializable(package="nnzoo")
class OneOverTDecay(_Decay):
    """1/t decay (03:1944-1947): lr = lr0 / (1 + k t).

    Equal to ``keras.optimizers.schedules.InverseTimeDecay(lr0, decay_steps, decay_rate=k)``.
    """

    def __init__(self, initial_learning_rate, k, decay_steps=1, name=None):
        super().__init__(initial_learning_rate, decay_steps, name)
        if k < 0:
            raise ValueError(f"Argument `k` must be >= 0. Received: k={k}")
        self.k = k

    def decay(self, lr0, t):
        return ops.divide(lr0, ops.add(1.0, ops.multiply(ops.cast(self.k, lr0.dtype), t)))

    def get_config(self):
        return {**super().get_config(), "k": self.k}
