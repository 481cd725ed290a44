"""Model assessment in the lecture's terms: the confusion matrix as the slides lay it out, the four
binary metrics, and the bias/variance diagnosis from human, training and test error (01:569-704).
"""

import math
from typing import NamedTuple

import numpy as np

from nnzoo.errors import NnzooError


class BiasVariance(NamedTuple):
    """Avoidable bias (E_train - E_human), variance (E_test - E_train) and the lecture's label."""

    bias: float
    variance: float
    diagnosis: str  # such as "Low-bias, high-variance"


def bias_variance(e_human, e_train, e_test, *, threshold=1.0):
    """Diagnose a model from its errors in percent (01:681-704).

    bias = E_train - E_human and variance = E_test - E_train. A gap is "high" when it exceeds
    ``threshold`` percentage points *and* is at least as large as the other gap: no single absolute
    threshold reproduces all six rows of the lecture's two examples (a gap of 2 points is "low"
    beside a bias of 7 but "high" beside a bias of 0.5), while this rule reproduces every one.
    """
    values = {"e_human": e_human, "e_train": e_train, "e_test": e_test, "threshold": threshold}
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.number))
            or not math.isfinite(value)
            or value < 0
        ):
            raise NnzooError(f"{name} must be a finite error in percent, >= 0. Received: {name}={value!r}")
    bias, variance = float(e_train - e_human), float(e_test - e_train)
    high_bias = bias > threshold and bias >= variance
    high_variance = variance > threshold and variance >= bias
    label = f"{'High' if high_bias else 'Low'}-bias, {'high' if high_variance else 'low'}-variance"
    return BiasVariance(bias, variance, label)


def confusion(y_true, y_pred, labels):
    """Counts with rows = predicted class and columns = ground truth, in ``labels`` order (01:575-579).

    This is the transpose of ``sklearn.metrics.confusion_matrix`` (rows = true class). For a binary
    task with ``labels=(1, 0)`` it reads [[TP, FP], [FN, TN]] as on the slide.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise NnzooError(f"y_true and y_pred must have the same length. Received: {len(y_true)} and {len(y_pred)}")
    index = {label: k for k, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for truth, guess in zip(y_true.tolist(), y_pred.tolist()):
        if truth in index and guess in index:
            matrix[index[guess], index[truth]] += 1
    return matrix


def binary_metrics(tp, fp, fn, tn):
    """Accuracy, precision, recall (sensitivity) and specificity from the four counts (01:569-572)."""
    return {
        "accuracy": (tp + tn) / (tp + tn + fp + fn),
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "specificity": tn / (tn + fp),
    }
