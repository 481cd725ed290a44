"""The shared claim machinery: a verdict judges measured numbers, and unsound variants fail any claim."""

import types

import numpy as np
import pandas as pd

from nnzoo.results import judge, unsound


def variant(name, losses, val_accuracy):
    history = pd.DataFrame({"loss": losses, "val_loss": losses})
    return types.SimpleNamespace(name=name, history=history, val={"accuracy": val_accuracy})


def below(value, limit):
    return value < limit


def test_verdict_decides_and_is_named():
    held = judge("small", below, {"value": 1, "limit": 2}, "1 < 2")
    failed = judge("small", below, {"value": 3, "limit": 2}, "3 > 2")
    assert held.passed and not failed.passed
    assert held.verdict == "below" and held.measured == {"value": 1, "limit": 2}
    assert "measured" not in held.to_dict()


def test_nan_loss_fails_the_claim_and_says_when():
    broken = variant("leaky_relu", [0.5, np.nan, np.nan], 0.9)
    claim = judge("small", below, {"value": 1, "limit": 2}, "1 < 2", variants=[broken])
    assert not claim.passed
    assert "leaky_relu's loss is not finite from epoch 2" in claim.evidence


def test_infinite_loss_fails_the_claim():
    assert unsound([variant("a", [np.inf], 0.9)]) == ["a's loss is not finite from epoch 1"]


def test_chance_accuracy_fails_only_a_claim_that_needs_learning():
    at_chance = variant("relu", [2.3, 2.3], 0.106)
    assert unsound([at_chance]) == []
    assert unsound([at_chance], chance=0.1) == ["relu sits at chance (val accuracy 0.106, chance 0.1)"]
    assert unsound([variant("relu", [0.3], 0.9)], chance=0.1) == []
