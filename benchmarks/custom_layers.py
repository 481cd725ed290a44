"""Train-step time of each scratch layer against its Keras built-in, measured in the same run.

For Dense, BatchNormalization and Dropout, two identical MLPs (784-256-256-10 around the layer
under test) are trained on the same random MNIST-shaped batches; the printed ratio is
scratch / built-in seconds per step (goal <= 1.10x). Usage: python benchmarks/custom_layers.py
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from nnzoo.custom_layers import InvertedDropout, ScratchBatchNormalization, ScratchDense  # noqa: E402

PAIRS = {
    "Dense": (keras.layers.Dense, ScratchDense),
    "BatchNormalization": (keras.layers.BatchNormalization, ScratchBatchNormalization),
    "Dropout": (keras.layers.Dropout, InvertedDropout),
}


def model(kind, cls):
    dense = cls if kind == "Dense" else keras.layers.Dense
    middle = [] if kind == "Dense" else [cls(0.5) if kind == "Dropout" else cls()]
    return keras.Sequential(
        [keras.Input((784,)), dense(256, activation="relu"), *middle, dense(256, activation="relu"), *middle, dense(10)]
    )


def seconds_per_step(net, x, y, steps):
    net.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps_per_execution=50
    )
    net.fit(x, y, batch_size=32, epochs=1, verbose=0)  # warm-up and tracing
    start = time.perf_counter()
    net.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps


def main(n=32 * 400, rounds=3):
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    print(f"train step, MLP 784-256-256-10, batch 32, {n // 32} steps, best of {rounds}")
    for kind, (builtin, scratch) in PAIRS.items():
        times = {
            name: min(seconds_per_step(model(kind, cls), x, y, n // 32) for _ in range(rounds))
            for name, cls in (("builtin", builtin), ("scratch", scratch))
        }
        print(
            f"  {kind:<20} built-in {times['builtin'] * 1e3:.3f} ms  scratch {times['scratch'] * 1e3:.3f} ms  "
            f"ratio {times['scratch'] / times['builtin']:.2f}x"
        )


if __name__ == "__main__":
    main()
