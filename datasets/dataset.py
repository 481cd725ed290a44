"""The Dataset container and the stratified train/validation/test split every loader shares."""

import dataclasses

import numpy as np
from sklearn.model_selection import train_test_split

from nnzoo.errors import NnzooError

DEFAULT_SPLIT = (0.6, 0.2, 0.2)


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Train, validation and test arrays plus what export and reports need to know about them.

    ``spec`` holds the keyword arguments that make ``nnzoo.datasets.load(**spec)`` rebuild
    exactly these arrays, so a saved model can find its held-out test data again.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str  # "classification" or "regression"
    class_names: tuple = ()
    spec: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    image_shape: tuple = ()  # (height, width, channels) when each example is a picture

    @property
    def input_shape(self):
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def num_classes(self):
        return len(self.class_names)

    def metadata(self):
        """A JSON-ready description (no arrays)."""
        return {
            "name": self.name,
            "spec": dict(self.spec),
            "task": self.task,
            "input_shape": list(self.input_shape),
            "input_dtype": str(self.x_train.dtype),
            "class_names": list(self.class_names),
            "sizes": {"train": len(self.x_train), "val": len(self.x_val), "test": len(self.x_test)},
            "description": self.description,
            "image_shape": list(self.image_shape),
        }

    def take_train(self, n, seed=0):
        """A copy whose training split is a stratified subset of ``n`` examples (val/test kept)."""
        if n >= len(self.x_train):
            return self
        stratify = self.y_train if self.task == "classification" else None
        x, _, y, _ = train_test_split(self.x_train, self.y_train, train_size=n, random_state=seed, stratify=stratify)
        return dataclasses.replace(self, x_train=x, y_train=y, spec={**self.spec, "n_train": n, "train_seed": seed})


def check_split(split):
    """Validate fractions (train, val, test): three positive numbers summing to 1."""
    try:
        fractions = tuple(float(f) for f in split)
    except (TypeError, ValueError):
        fractions = ()
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise NnzooError(
            "split must be three positive fractions (train, val, test) that sum to 1, "
            f"such as (0.6, 0.2, 0.2) or (0.98, 0.01, 0.01). Received: split={split!r}"
        )
    return fractions


def stratified_split(x, y, split=DEFAULT_SPLIT, seed=0, stratify=True):
    """Split arrays into train/val/test at the given fractions, stratified on ``y`` if asked."""
    train_f, val_f, test_f = check_split(split)
    strat = y if stratify else None
    try:
        x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_f, random_state=seed, stratify=strat)
        strat = y_rest if stratify else None
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=val_f / (train_f + val_f), random_state=seed, stratify=strat
        )
    except ValueError as err:
        raise NnzooError(f"Cannot split {len(x)} examples as {split}: {err}. Received: split={split!r}") from None
    return x_train, y_train, x_val, y_val, x_test, y_test
