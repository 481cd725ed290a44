"""The lecture schedules: closed forms, the Keras schedules they equal, config and errors."""

import math

import keras
import numpy as np
import pytest
from nnzoo.custom_optimizers import ExpDecay, OneOverTDecay, ScratchSGD, StepDecay

STEPS = np.arange(0, 200)


def values(schedule):
    return np.array([float(schedule(s)) for s in STEPS])


def test_closed_forms_and_keras_equivalents():
    lr0, k, per_epoch = 0.1, 0.1, 7
    t = STEPS / per_epoch
    step = StepDecay(lr0, drop_every=5, factor=0.5, decay_steps=per_epoch)
    exp = ExpDecay(lr0, k=k, decay_steps=per_epoch)
    inv = OneOverTDecay(lr0, k=k, decay_steps=per_epoch)
    np.testing.assert_allclose(values(step), lr0 * 0.5 ** np.floor(t / 5), rtol=1e-6)
    np.testing.assert_allclose(values(exp), lr0 * np.exp(-k * t), rtol=1e-6)
    np.testing.assert_allclose(values(inv), lr0 / (1 + k * t), rtol=1e-6)
    schedules = keras.optimizers.schedules
    np.testing.assert_allclose(
        values(step), values(schedules.ExponentialDecay(lr0, 5 * per_epoch, 0.5, staircase=True)), rtol=1e-6
    )
    np.testing.assert_allclose(values(exp), values(schedules.ExponentialDecay(lr0, per_epoch, math.exp(-k))), rtol=1e-6)
    np.testing.assert_allclose(values(inv), values(schedules.InverseTimeDecay(lr0, per_epoch, k)), rtol=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [
        StepDecay(0.2, drop_every=3, factor=0.3, decay_steps=2, name="s"),
        ExpDecay(0.2, k=0.05, decay_steps=4),
        OneOverTDecay(0.2, k=0.5),
    ],
)
def test_config_round_trip_inside_an_optimizer(schedule):
    restored = type(schedule).from_config(schedule.get_config())
    assert restored.get_config() == schedule.get_config()
    optimizer = ScratchSGD(learning_rate=schedule)
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(clone._learning_rate) is type(schedule)
    assert clone._learning_rate.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepDecay(0.1, drop_every=0), "drop_every=0"),
        (lambda: StepDecay(0.1, drop_every=2, factor=1.5), "factor=1.5"),
        (lambda: ExpDecay(0.1, k=-1.0), "k=-1.0"),
        (lambda: OneOverTDecay(0.1, k=0.1, decay_steps=0), "decay_steps=0"),
    ],
)
def test_invalid_arguments_say_what_was_received(make, message):
    with pytest.raises(ValueError, match=f"Received: {message}"):
        make()
