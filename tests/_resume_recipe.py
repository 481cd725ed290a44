"""A tiny recipe for the resume and OS-failure tests (registered only in tests, with ``register``).

Three train calls cover what resuming must restore: "first" (dropout, batch normalization, Adam),
NumPy's global random state drawn between calls, "second" (SGD, saved), and "recorded" with a
callback of its own, which is retrained rather than checkpointed. One figure, so that a run writes
every kind of file a real recipe does.
"""

import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from nnzoo import registry
from nnzoo.results import RecipeResult, fmt, judge

NAME = "resume_tiny"
LECTURES = ()


def register(monkeypatch=None):
    """Make ``nnzoo run resume_tiny`` find this module (through pytest's monkeypatch when given)."""
    info = registry.RecipeInfo(NAME, "A tiny recipe for the resume tests.", LECTURES, Path(__file__), tunable=False)
    known = {**registry.recipes(), NAME: info}
    if monkeypatch is None:
        registry.recipes = lambda: known
        sys.modules[f"nnzoo.recipes.{NAME}"] = sys.modules[__name__]
    else:
        monkeypatch.setattr(registry, "recipes", lambda: known)
        monkeypatch.setitem(sys.modules, f"nnzoo.recipes.{NAME}", sys.modules[__name__])


def build_model():
    return keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


class Recorder(keras.callbacks.Callback):
    """State in a Python object: the reason a call with callbacks is retrained on resume."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(logs["loss"])


def run(ctx):
    data = ctx.load("xor_2d", n=200)
    first = ctx.train("first", build_model, data, epochs=3, batch_size=16)
    drawn = float(np.random.uniform())  # a resumed run must draw the same number here
    second = ctx.train("second", build_model, data, epochs=5, batch_size=16, optimizer="sgd", learning_rate=0.2)
    recorder = Recorder()
    recorded = ctx.train("recorded", build_model, data, epochs=3, batch_size=32, callbacks=[recorder], save=False)
    table = pd.DataFrame(
        [
            {
                "variant": t.name,
                "final_loss": t.final("loss"),
                "val_accuracy": t.final("val_accuracy"),
                "test_accuracy": t.test["accuracy"],
                "iterations": t.iterations,
            }
            for t in (first, second, recorded)
        ]
    )
    table["drawn"] = drawn
    fig = first.history.plot(x="epoch", y="loss").get_figure()
    claims = [
        judge(
            "SGD lowers the training loss",
            loss_falls,
            {"first": second.history["loss"].iloc[0], "last": second.final("loss")},
            f"{fmt(second.history['loss'].iloc[0])} -> {fmt(second.final('loss'))}",
            variants=[second],
        ),
        judge(
            "the callback saw every epoch",
            saw_every_epoch,
            {"seen": len(recorder.losses), "epochs": 3},
            f"{len(recorder.losses)} losses",
        ),
    ]
    return RecipeResult(table, figures={"loss": fig}, claims=claims)


def loss_falls(first, last):
    return last < first


def saw_every_epoch(seen, epochs):
    return seen == epochs
