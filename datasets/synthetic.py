"""The lectures' toy problems, generated with a fixed seed.

Logic gates and XOR (binary or bipolar truth tables), TensorFlow Playground's four 2-D sets
(circle, xor, gauss, spiral; ported from its dataset.ts), a cubic polynomial (lecture 004)
and two features of wildly different scales (lecture 001).
"""

import itertools

import numpy as np
from nnzoo.datasets.dataset import DEFAULT_SPLIT, Dataset, stratified_split

from nnzoo.errors import NnzooError, check_range, unknown_name

GATES = {
    "and": lambda bits: all(bits),
    "or": lambda bits: any(bits),
    "nand": lambda bits: not all(bits),
    "nor": lambda bits: not any(bits),
    "xor": lambda bits: sum(bits) % 2 == 1,
}
ENCODINGS = ("binary", "bipolar")
PLAYGROUND_KINDS = ("circle", "xor", "gauss", "spiral")


def gate(gate="and", inputs=2, encoding="binary"):
    """The full truth table of a logic gate; every split holds the whole table.

    A truth table has nothing to hold out, so train, validation and test are the same rows.
    Binary uses {0, 1} for inputs and targets, bipolar uses {-1, +1} for both (Hebb's rule).
    """
    if gate not in GATES:
        raise unknown_name("gate", gate, GATES)
    if encoding not in ENCODINGS:
        raise unknown_name("encoding", encoding, ENCODINGS)
    check_range("inputs", inputs, 1, 10, integer=True)
    rows = list(itertools.product((1, 0), repeat=inputs))  # the slides list (1,1) first
    x = np.array(rows, dtype="float32")
    y = np.array([GATES[gate](r) for r in rows], dtype="float32")
    if encoding == "bipolar":
        x, y = 2 * x - 1, 2 * y - 1
    spec = {"name": gate, "inputs": inputs, "encoding": encoding}
    labels = ("-1", "+1") if encoding == "bipolar" else ("0", "1")
    return Dataset(
        gate,
        x,
        y,
        x,
        y,
        x,
        y,
        task="classification",
        class_names=labels,
        spec=spec,
        description=f"{gate.upper()} truth table, {inputs} inputs, {encoding}",
    )


def playground(kind="circle", n=500, noise=0.0, split=DEFAULT_SPLIT, seed=0):
    """TensorFlow Playground's 2-D classification sets; ``noise`` in [0, 0.5] as its slider."""
    if kind not in PLAYGROUND_KINDS:
        raise unknown_name("kind", kind, PLAYGROUND_KINDS)
    check_range("n", n, 20, 10**7, integer=True)
    check_range("noise", noise, 0.0, 0.5)
    rng = np.random.default_rng(seed)
    x, y = _PLAYGROUND[kind](rng, n, noise)
    parts = stratified_split(x.astype("float32"), y.astype("int32"), split=split, seed=seed)
    return Dataset(
        kind,
        *parts,
        task="classification",
        class_names=("0", "1"),
        spec={"name": kind, "n": n, "noise": noise, "split": list(split), "seed": seed},
        description=f"TensorFlow Playground '{kind}', {n} points, noise {noise}",
    )


def _circle(rng, n, noise, radius=5.0):
    def ring(lo, hi, count):
        r = rng.uniform(lo, hi, count)
        angle = rng.uniform(0, 2 * np.pi, count)
        pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        return pts + rng.uniform(-radius, radius, pts.shape) * noise

    inner, outer = ring(0, radius * 0.5, n // 2), ring(radius * 0.7, radius, n - n // 2)
    labels = np.r_[np.ones(len(inner)), np.zeros(len(outer))]
    return np.vstack([inner, outer]), labels


def _xor(rng, n, noise, padding=0.3):
    pts = rng.uniform(-5, 5, (n, 2))
    pts += np.where(pts > 0, padding, -padding)
    labels = (pts[:, 0] * pts[:, 1] >= 0).astype(float)
    return pts + rng.uniform(-5, 5, pts.shape) * noise, labels


def _gauss(rng, n, noise):
    std = np.sqrt(0.5 + (4.0 - 0.5) * noise / 0.5)
    pos = rng.normal((2, 2), std, (n // 2, 2))
    neg = rng.normal((-2, -2), std, (n - n // 2, 2))
    return np.vstack([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))]


def _spiral(rng, n, noise, radius=5.0):
    def arm(delta, count):
        i = np.arange(count)
        r = i / count * radius
        t = 1.75 * i / count * 2 * np.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        return pts + rng.uniform(-1, 1, pts.shape) * noise

    a, b = arm(0.0, n // 2), arm(np.pi, n - n // 2)
    return np.vstack([a, b]), np.r_[np.ones(len(a)), np.zeros(len(b))]


_PLAYGROUND = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral}


def cubic(n=50, x_range=(-2.0, 2.0), coefficients=(1.0, -2.0, -1.0, 3.0), noise=0.5, split=DEFAULT_SPLIT, seed=0):
    """y = w1 x^3 + w2 x^2 + w3 x + w4 + noise on an even grid (lecture 004's model fitting).

    The slides lost the data; x in [-2, 2] with 50 points keeps lr = 7.5e-4 stable.
    """
    check_range("n", n, 8, 10**7, integer=True)
    check_range("noise", noise, 0.0)
    lo, hi = (float(v) for v in x_range)
    if not lo < hi:
        raise NnzooError(f"x_range must be (low, high) with low < high. Received: x_range={x_range!r}")
    if len(coefficients) != 4:
        raise NnzooError(f"coefficients must be (w1, w2, w3, w4). Received: coefficients={coefficients!r}")
    rng = np.random.default_rng(seed)
    x = np.linspace(lo, hi, n)
    y = np.polyval(coefficients, x) + rng.normal(0, noise, n)
    parts = stratified_split(x[:, None].astype("float32"), y.astype("float32"), split=split, seed=seed, stratify=False)
    return Dataset(
        "cubic",
        *parts,
        task="regression",
        spec={
            "name": "cubic",
            "n": n,
            "x_range": [lo, hi],
            "coefficients": list(coefficients),
            "noise": noise,
            "split": list(split),
            "seed": seed,
        },
        description=f"cubic polynomial {tuple(coefficients)} on [{lo}, {hi}], {n} points",
    )


def scales(n=1000, noise=0.1, split=DEFAULT_SPLIT, seed=0):
    """Two features of wildly different scales (lecture 001): x1 ~ U(-50,000, 1,000,000), x2 ~ U(0, 0.01).

    The target is linear in both standardized features, so both matter to the fit.
    """
    check_range("n", n, 10, 10**7, integer=True)
    check_range("noise", noise, 0.0)
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(-50_000, 1_000_000, n)
    x2 = rng.uniform(0.0, 0.01, n)
    z1 = (x1 - x1.mean()) / x1.std()
    z2 = (x2 - x2.mean()) / x2.std()
    y = 2.0 * z1 - 3.0 * z2 + 1.0 + rng.normal(0, noise, n)
    x = np.stack([x1, x2], axis=1)
    parts = stratified_split(x, y.astype("float64"), split=split, seed=seed, stratify=False)
    return Dataset(
        "scales",
        *parts,
        task="regression",
        spec={"name": "scales", "n": n, "noise": noise, "split": list(split), "seed": seed},
        description="x1 in [-50,000, 1,000,000], x2 in [0, 0.01]; y linear in both",
    )
