"""Epoch time with nnzoo.monitor.TrainingMonitor at its default frequency vs without it.

Both runs train the same model on the same data in this process; the printed ratio is the
monitor's overhead (goal <= 1.15x). Usage: python benchmarks/monitor_overhead.py [--epochs 5]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from nnzoo import datasets, training  # noqa: E402
from nnzoo.monitor import TrainingMonitor  # noqa: E402


def model():
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def epoch_seconds(data, epochs, callbacks):
    trained = training.train("bench", model, data, epochs=epochs + 1, callbacks=callbacks, verbose=0)
    return float(trained.history["seconds"].iloc[1:].mean())  # the first epoch pays for tracing


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=8, help="copies of digits' training split (a bigger epoch)")
    args = parser.parse_args()
    data = datasets.load("digits")
    import dataclasses

    import numpy as np

    data = dataclasses.replace(
        data, x_train=np.tile(data.x_train, (args.repeat, 1)), y_train=np.tile(data.y_train, args.repeat)
    )
    base = epoch_seconds(data, args.epochs, [])
    monitored = epoch_seconds(data, args.epochs, [TrainingMonitor.for_data(data, verbose=0)])
    print(f"MLP 64-256-256-10 on {len(data.x_train)} examples, {args.epochs} epochs each")
    print(f"  without monitor : {base:.3f} s/epoch (baseline)")
    print(f"  with monitor    : {monitored:.3f} s/epoch  ratio {monitored / base:.2f}x")


if __name__ == "__main__":
    main()
