"""Epoch time of the reference MLP 784-256-256-10: Keras's default fit vs nnzoo's training path.

Both run in this process on the same MNIST-shaped data (random, 60,000 x 784), so the printed
ratio compares like with like on this machine. Usage: python benchmarks/fit_speed.py [--epochs 3]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from nnzoo.datasets import Dataset  # noqa: E402
from peers import keras_mlp  # noqa: E402

from nnzoo import training  # noqa: E402


def reference_mlp():
    return keras_mlp((784, 256, 256, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n", type=int, default=60_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((args.n, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.n).astype("int32")
    empty = np.zeros((0, 784), "float32"), np.zeros((0,), "int32")
    data = Dataset("bench", x, y, *empty, *empty, task="classification", class_names=tuple("0123456789"))

    training.seed_everything(0)
    model = reference_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # warm-up: tracing is not an epoch's cost
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=args.epochs, verbose=0)
    default = (time.perf_counter() - start) / args.epochs

    trained = training.train("nnzoo", reference_mlp, data, epochs=args.epochs + 1, batch_size=32, verbose=0)
    nnzoo_epoch = float(trained.history["seconds"].iloc[1:].mean())
    print(f"reference MLP 784-256-256-10, batch 32, {args.n} examples, {os.cpu_count()} CPUs")
    print(f"  keras default fit : {default:.2f} s/epoch (baseline)")
    print(f"  nnzoo.training    : {nnzoo_epoch:.2f} s/epoch  ratio {nnzoo_epoch / default:.2f}x")


if __name__ == "__main__":
    main()
