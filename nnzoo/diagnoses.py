"""Named findings about a training run, from its numbers, following lecture 000 (and 001, 003).

Each function takes plain numbers (loss sequences, accuracies, per-layer statistics) and returns
a list of :class:`Finding`; ``ok=False`` marks a problem. They are pure functions so each rule
can be tested on constructed sequences.
"""

import dataclasses
import math

import numpy as np

UPDATE_RATIO_TARGET = 1e-3  # lecture 000:1014-1026 (the slide's "1.3" is a lost "1e-3", slip S20)
EXPLOSION_FACTOR = 3.0  # lecture 003:2150: stop when the cost exceeds 3x the original cost


@dataclasses.dataclass(frozen=True)
class Finding:
    name: str  # a short label such as "learning rate too low"
    ok: bool  # False when the finding is a problem to act on
    evidence: str  # the numbers behind it
    advice: str = ""

    def to_dict(self):
        return dataclasses.asdict(self)

    def __str__(self):
        mark = "ok" if self.ok else "problem"
        return f"[{mark}] {self.name}: {self.evidence}" + (f" -> {self.advice}" if self.advice else "")


def exploded(losses, start=None, factor=EXPLOSION_FACTOR):
    """True when a loss is NaN/inf or exceeds ``factor`` times the starting loss."""
    losses = np.asarray(losses, dtype=float)
    if losses.size == 0:
        return False
    start = losses[0] if start is None else start
    return bool((~np.isfinite(losses)).any() or (losses > factor * start).any())


def learning_rate(losses, start=None, factor=EXPLOSION_FACTOR):
    """Diagnose the learning rate from the shape of the training-loss curve (lecture 000's picture).

    - explodes: NaN/inf or above ``factor`` x the starting loss -> much too high;
    - barely moves: less than 10 % of the starting loss gained -> too low;
    - linear: the first quarter of the steps gains no more than ~40 % of the total drop (a
      good rate front-loads the decrease, an exponential-looking curve) -> too low;
    - plateau: the second half gains under 2 % of the total drop while the loss stays
      above 25 % of where it started -> too high (it settles at a worse value);
    - otherwise: looks good.
    """
    losses = np.asarray(losses, dtype=float)
    start = float(losses[0]) if start is None else float(start)
    if exploded(losses, start, factor):
        worst = losses[~np.isfinite(losses)][:1].tolist() or [float(np.nanmax(losses))]
        return Finding(
            "learning rate much too high",
            False,
            f"loss went from {start:.4g} to {worst[0]:.4g} (> {factor:g}x the start or NaN)",
            "stop the run and lower the learning rate",
        )
    final, n = float(losses[-1]), len(losses)
    drop = start - final
    if drop < 0.1 * start:
        return Finding(
            "learning rate too low",
            False,
            f"loss moved only from {start:.4g} to {final:.4g} ({drop / start:.1%} of the start)",
            "raise the learning rate",
        )
    quarter = start - float(losses[max(1, n // 4)])
    second_half = float(losses[n // 2]) - final
    if quarter <= 0.4 * drop:
        return Finding(
            "learning rate too low",
            False,
            f"the first quarter of training gained {quarter / drop:.0%} of the total drop: the loss "
            f"falls almost linearly ({start:.4g} -> {final:.4g})",
            "raise the learning rate",
        )
    if second_half < 0.02 * drop and final > 0.25 * start:
        return Finding(
            "learning rate too high",
            False,
            f"the loss stalls at {final:.4g} ({final / start:.0%} of the start); the second half "
            f"gained {second_half / drop:.1%} of the drop",
            "lower the learning rate",
        )
    return Finding(
        "learning rate looks good",
        True,
        f"loss {start:.4g} -> {final:.4g}; first quarter gained {quarter / drop:.0%} of the drop",
    )


def fit(train_accuracy, val_accuracy, *, gap=0.05, low=0.8):
    """Overfitting (train >> validation) or underfitting (both low, no gap), lecture 000/001."""
    difference = train_accuracy - val_accuracy
    evidence = f"train accuracy {train_accuracy:.4f}, validation {val_accuracy:.4f} (gap {difference:+.4f})"
    if difference > gap:
        return Finding("overfitting", False, evidence, "more regularization or more data")
    if train_accuracy < low:
        return Finding("underfitting", False, evidence, "more capacity or longer training")
    return Finding("train and validation agree", True, evidence)


def update_ratio(ratios_by_layer, target=UPDATE_RATIO_TARGET, factor=10.0):
    """The update-to-weight ratio should be about 1e-3 (within ``factor`` of it)."""
    values = {k: v for k, v in ratios_by_layer.items() if v is not None and math.isfinite(v) and v > 0}
    if not values:
        return Finding("update/weight ratio", True, "no weights moved yet")
    median = float(np.median(list(values.values())))
    shown = ", ".join(f"{k} {v:.2e}" for k, v in values.items())
    if median > target * factor:
        return Finding(
            "update/weight ratio too high",
            False,
            f"median {median:.2e} ({shown})",
            "the learning rate is probably too high",
        )
    if median < target / factor:
        return Finding(
            "update/weight ratio too low",
            False,
            f"median {median:.2e} ({shown})",
            "the learning rate is probably too low",
        )
    return Finding("update/weight ratio near 1e-3", True, f"median {median:.2e} ({shown})")


def gradient_flow(grad_norms_by_layer, factor=100.0):
    """Vanishing or exploding gradients: the first layer's gradient norm vs the last layer's."""
    norms = [v for v in grad_norms_by_layer.values() if v is not None and math.isfinite(v)]
    if len(norms) < 2:
        return Finding("gradient flow", True, "fewer than two layers with gradients")
    first, last = norms[0], norms[-1]
    ratio = first / last if last > 0 else float("inf")
    evidence = f"|grad| first layer {first:.3g}, last layer {last:.3g} (ratio {ratio:.3g})"
    if ratio < 1 / factor:
        return Finding("vanishing gradients", False, evidence, "better initialization, ReLU, or batch norm")
    if ratio > factor:
        return Finding("exploding gradients", False, evidence, "smaller initialization or gradient clipping")
    return Finding("gradients flow", True, evidence)


def unit_health(dead_by_layer, saturated_by_layer, threshold=0.5):
    """Dead ReLUs (never active on the probe batch) and saturated tanh/sigmoid units."""
    findings = []
    for label, values, advice in (
        ("dead ReLU units", dead_by_layer, "lower the learning rate or use leaky ReLU"),
        ("saturated units", saturated_by_layer, "better initialization or batch norm"),
    ):
        bad = {k: v for k, v in values.items() if v > threshold}
        shown = ", ".join(f"{k} {v:.0%}" for k, v in values.items()) or "no such layers"
        findings.append(Finding(label if bad else f"no {label}", not bad, shown, advice if bad else ""))
    return findings
