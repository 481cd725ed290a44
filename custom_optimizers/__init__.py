"""From-scratch Keras optimizers and learning-rate schedules that match the built-ins.

Each optimizer subclasses ``keras.optimizers.Optimizer`` (not the built-in it replaces), writes its
lecture's update rule out in ``update_step`` and steps exactly like its Keras twin, so either can be
passed to ``model.compile(optimizer=...)``.
"""

import keras
from nnzoo.custom_optimizers.adadelta import ScratchAdadelta
from nnzoo.custom_optimizers.adagrad import ScratchAdagrad
from nnzoo.custom_optimizers.adam import ScratchAdam
from nnzoo.custom_optimizers.rmsprop import ScratchRMSprop
from nnzoo.custom_optimizers.schedules import ExpDecay, OneOverTDecay, StepDecay
from nnzoo.custom_optimizers.sgd import ScratchSGD

# Each scratch class beside the Keras built-in it reproduces, by the built-in's registered name.
TWINS = {
    "sgd": (ScratchSGD, keras.optimizers.SGD),
    "adagrad": (ScratchAdagrad, keras.optimizers.Adagrad),
    "adadelta": (ScratchAdadelta, keras.optimizers.Adadelta),
    "rmsprop": (ScratchRMSprop, keras.optimizers.RMSprop),
    "adam": (ScratchAdam, keras.optimizers.Adam),
}

__all__ = [
    "ExpDecay",
    "OneOverTDecay",
    "ScratchAdadelta",
    "ScratchAdagrad",
    "ScratchAdam",
    "ScratchRMSprop",
    "ScratchSGD",
    "StepDecay",
    "TWINS",
]
