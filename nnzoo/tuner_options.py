"""What a ``nnzoo tune`` search is, checked without TensorFlow: its options, the tunable recipes, and
what makes two searches the same (so user errors answer before TensorFlow loads)."""

import dataclasses
import hashlib
import json

from nnzoo import registry
from nnzoo.errors import NnzooError, check_range, check_seed, unknown_name

TUNERS = ("random", "grid", "hyperband", "bayesian")
OBJECTIVES = {"val_loss": "min", "val_accuracy": "max", "val_mae": "min", "val_mse": "min"}
DEFAULT_MAX_TRIALS = 10
# Hyperband's budget: the most epochs one model gets (quick: two rounds, 6 trials; full: four rounds, 70 trials).
HYPERBAND_MAX_EPOCHS = {True: 3, False: 27}
HYPERBAND_FACTOR = 3


def tunable_recipes():
    """Recipes whose module defines a top-level ``tunable_model`` (read without importing them: no TensorFlow)."""
    return [name for name, info in registry.recipes().items() if info.tunable]


@dataclasses.dataclass(frozen=True)
class Options:
    """One search's options. ``max_trials=None``: 10, or for Hyperband the trials its schedule runs."""

    recipe: str
    tuner: str = "random"
    max_trials: int | None = None
    objective: str = "val_loss"
    folds: int = 1
    executions_per_trial: int = 1
    quick: bool = False
    seed: int = 0

    def validate(self):
        tunable = tunable_recipes()
        if self.recipe not in registry.recipes():
            raise unknown_name("recipe", self.recipe, tunable)
        if self.recipe not in tunable:
            raise NnzooError(
                f"Recipe {self.recipe!r} has no search space (tunable_model); tunable recipes: "
                f"{', '.join(tunable)}. Received: recipe={self.recipe!r}"
            )
        if self.tuner not in TUNERS:
            raise unknown_name("tuner", self.tuner, TUNERS)
        if self.objective not in OBJECTIVES:
            raise unknown_name("objective", self.objective, OBJECTIVES)
        if self.tuner == "hyperband" and self.max_trials is not None:
            raise NnzooError(
                "Hyperband runs the trials of its own schedule (6 with --quick, 70 at full size): "
                f"drop --max-trials. Received: tuner='hyperband', max_trials={self.max_trials!r}"
            )
        if self.max_trials is not None:
            check_range("--max-trials", self.max_trials, 1, 10_000, integer=True)
        if self.tuner == "hyperband" and self.folds > 1:
            raise NnzooError(
                "Hyperband continues each model from its checkpoint, which K folds would not share: "
                f"use --folds 1 with hyperband. Received: tuner='hyperband', folds={self.folds!r}"
            )
        check_range("--folds", self.folds, 1, 20, integer=True)
        check_range("--executions-per-trial", self.executions_per_trial, 1, 100, integer=True)
        check_seed(self.seed, "--seed")
        return self

    @property
    def trials(self):
        """The number of trials asked for (Hyperband's come from its schedule: None here)."""
        if self.tuner == "hyperband":
            return None
        return DEFAULT_MAX_TRIALS if self.max_trials is None else self.max_trials

    @property
    def keras_tuner_seed(self):
        """KerasTuner draws a random seed for a seed of 0 (``seed or random.randint(...)``): shift by one so
        that every nnzoo seed, the default 0 included, names one reproducible search."""
        return self.seed + 1


def search_options(options):
    """The options that make two searches the same: all but --max-trials (raising it extends a search)."""
    return {k: v for k, v in dataclasses.asdict(options).items() if k != "max_trials"}


def differing_options(options, record):
    """The search options in which ``options`` differ from a search record, as 'name: recorded' texts."""
    recorded = record.get("options", {})
    return [f"{k}: {recorded.get(k)!r}" for k, v in search_options(options).items() if recorded.get(k) != v]


def fingerprint(options, space):
    """What makes two searches the same: the search options and the search space."""
    text = json.dumps({"options": search_options(options), "space": space}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
