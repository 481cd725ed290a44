"""Epoch time with nnzoo.monitor.TrainingMonitor at its default frequency vs without it.

The same model trains on the same data in this process, with and without the monitor, alternated and
repeated (medians), twice: with nnzoo's fast default of up to 64 steps per call into the train function,
where the monitor's batch hooks run once per call (goal <= 1.15x), and with one step per call, as the
monitoring recipe trains so that the update ratio is each step's own (every step then pays the hooks).
Usage: python benchmarks/monitor_overhead.py [--epochs 5] [--repeat 8] [--runs 3]
"""

import argparse
import dataclasses
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from nnzoo import datasets, training  # noqa: E402
from nnzoo.monitor import TrainingMonitor  # noqa: E402

GOAL = 1.15


def model():
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def epoch_seconds(data, epochs, monitored, steps_per_execution):
    callbacks = [TrainingMonitor.for_data(data, verbose=0)] if monitored else []
    trained = training.train(
        "bench", model, data, epochs=epochs + 1, callbacks=callbacks, verbose=0, steps_per_execution=steps_per_execution
    )
    return float(trained.history["seconds"].iloc[1:].mean())  # the first epoch pays for tracing


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=8, help="copies of digits' training split (a bigger epoch)")
    parser.add_argument("--runs", type=int, default=3, help="alternated runs of each, whose median is shown")
    args = parser.parse_args()
    data = datasets.load("digits")
    data = dataclasses.replace(
        data, x_train=np.tile(data.x_train, (args.repeat, 1)), y_train=np.tile(data.y_train, args.repeat)
    )
    print(f"MLP 64-256-256-10 on {len(data.x_train)} examples, {args.epochs} epochs each, median of {args.runs} runs")
    missed = False
    for steps, label in ((None, "up to 64 steps per call (default)"), (1, "one step per call")):
        seconds = {False: [], True: []}
        for _ in range(args.runs):
            for monitored in (False, True):
                seconds[monitored].append(epoch_seconds(data, args.epochs, monitored, steps))
        base, with_monitor = (statistics.median(seconds[m]) for m in (False, True))
        verdict = ""
        if steps is None:
            verdict = f" (goal {GOAL}x: {'ok' if with_monitor / base <= GOAL else 'MISSED'})"
            missed = with_monitor / base > GOAL
        print(f"  {label}:")
        print(f"    without monitor : {base:.3f} s/epoch (baseline)")
        print(f"    with monitor    : {with_monitor:.3f} s/epoch  ratio {with_monitor / base:.2f}x{verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
