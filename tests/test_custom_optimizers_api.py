"""Each scratch optimizer has its built-in twin's constructor and config, and is its own class."""

import inspect
import re

import keras
import numpy as np
import pytest
from nnzoo.custom_optimizers import TWINS


@pytest.mark.parametrize("name", list(TWINS))
def test_same_constructor_as_the_builtin(name):
    scratch, builtin = TWINS[name]
    ours, theirs = inspect.signature(scratch.__init__), inspect.signature(builtin.__init__)
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == [
        (p.name, p.default, p.kind) for p in theirs.parameters.values()
    ]


@pytest.mark.parametrize("name", list(TWINS))
def test_from_scratch_and_registered(name):
    scratch, builtin = TWINS[name]
    assert issubclass(scratch, keras.optimizers.Optimizer) and not issubclass(scratch, builtin)
    assert keras.saving.get_registered_name(scratch) == f"nnzoo>{scratch.__name__}"
    for method in ("build", "update_step", "get_config"):
        assert method in vars(scratch), method  # the rule is written here, not inherited
    # the docstring states the rule with lecture line references and says where Keras's form differs
    assert re.search(r"\b0[0-4]:\d+", scratch.__doc__) and "Keras" in scratch.__doc__


@pytest.mark.parametrize("name", list(TWINS))
def test_config_has_every_builtin_key(name):
    scratch, builtin = TWINS[name]
    options = {
        "sgd": {"momentum": 0.5, "nesterov": True},
        "rmsprop": {"momentum": 0.3, "centered": True},
        "adam": {"amsgrad": True},
        "adagrad": {"initial_accumulator_value": 0.2},
        "adadelta": {"rho": 0.8},
    }
    common = dict(
        learning_rate=0.02,
        weight_decay=0.01,
        clipnorm=1.5,
        use_ema=True,
        ema_momentum=0.9,
        ema_overwrite_frequency=3,
        loss_scale_factor=2.0,
        gradient_accumulation_steps=2,
        name="x",
        **options[name],
    )
    ours, theirs = scratch(**common).get_config(), builtin(**common).get_config()
    assert ours == theirs
    assert scratch.from_config(ours).get_config() == ours


@pytest.mark.parametrize("name", list(TWINS))
def test_slots_match_the_builtins_in_number_order_and_shape(name):
    scratch, builtin = TWINS[name]
    options = {"sgd": {"momentum": 0.9}, "rmsprop": {"momentum": 0.5, "centered": True}, "adam": {"amsgrad": True}}
    shapes = {}
    for cls in (scratch, builtin):
        weights = [keras.Variable(np.zeros((3, 2)), name="kernel"), keras.Variable(np.zeros(2), name="bias")]
        optimizer = cls(**options.get(name, {}))
        optimizer.build(weights)
        shapes[cls] = [(v.name, tuple(v.shape)) for v in optimizer.variables]
    assert shapes[scratch] == shapes[builtin]


def test_sgd_without_momentum_has_no_slot_and_rejects_bad_momentum():
    scratch, _ = TWINS["sgd"]
    optimizer = scratch(learning_rate=0.5)
    optimizer.build([keras.Variable(np.zeros(3))])
    assert len(optimizer.variables) == 2  # iterations and learning rate
    with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]\. Received: momentum=1.5"):
        scratch(momentum=1.5)
