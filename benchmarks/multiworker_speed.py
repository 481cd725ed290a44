"""Steps per second of the reference MLP 784-256-256-10: one process, MirroredStrategy on N logical CPUs of this
process, and N local workers (MultiWorkerMirroredStrategy); each with one step per call (steps_per_execution=1)
and with nnzoo's default (a whole epoch per call, at most 64 steps), both in the same process.

The same global batch (default 64) and data (random, MNIST-shaped) everywhere. Each setting trains one epoch
(which traces the step), then ``--epochs`` one-epoch fits alternate between the two step counts; the best epoch
of each counts, since other load on the machine only ever slows an epoch down, and alternating exposes both to
the same load. Also printed: the gradient bytes each step all-reduces, and what a ring all-reduce sends per
worker per step, 2(N-1)/N times that (docs/distributed.md). One command runs every measurement:
``python benchmarks/multiworker_speed.py [--workers 2] [--n 8192] [--epochs 5]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from peers import keras_mlp  # noqa: E402


def reference_mlp():
    return keras_mlp((784, 256, 256, 10))


def measure(args, out):
    """Train in this process (alone, on ``--mirrored`` logical CPUs, or as the TF_CONFIG worker it is) with one step
    per call and with the default; if this process writes, save both steps/s to ``out``."""
    import numpy as np
    import tensorflow as tf
    from nnzoo.datasets import Dataset

    from nnzoo import cluster, runner, training

    if args.mirrored:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.mirrored)
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(args.mirrored)])
    elif os.environ.get("TF_CONFIG"):
        strategy = cluster.multi_worker_strategy(cluster.from_environ())
    else:
        strategy = None
    rng = np.random.default_rng(0)
    x = rng.random((args.n, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.n).astype("int32")
    empty = np.zeros((0, 784), "float32"), np.zeros((0,), "int32")
    data = Dataset("bench", x, y, *empty, *empty, task="classification", class_names=tuple("0123456789"))
    steps = -(-args.n // args.batch)
    seconds = {"one": [], "default": []}
    models = {
        setting: training.train(
            "bench",
            reference_mlp,
            data,
            epochs=1,  # traces the step
            batch_size=args.batch,
            verbose=0,
            strategy=strategy,
            steps_per_execution=steps_per_execution,
        ).model
        for setting, steps_per_execution in (("one", 1), ("default", None))
    }
    dataset = training.strategy_dataset(strategy, x, y, args.batch)
    for _ in range(args.epochs):
        for setting, model in models.items():
            start = time.perf_counter()
            model.fit(dataset, epochs=1, verbose=0, shuffle=False)
            seconds[setting].append(time.perf_counter() - start)
    measured = {setting: steps / min(times) for setting, times in seconds.items()}
    model = models["default"]
    params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    if runner.writes_run_folder(strategy):
        Path(out).write_text(
            json.dumps(
                {
                    "steps_per_s": measured,
                    "steps_per_execution": int(model.steps_per_execution),
                    "params": params,
                }
            )
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n", type=int, default=8192, help="training examples")
    parser.add_argument("--batch", type=int, default=64, help="global batch size")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per step count")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # internal: one measurement to this file
    parser.add_argument("--mirrored", type=int, default=0, help=argparse.SUPPRESS)  # internal: on this many CPUs
    args = parser.parse_args()
    if args.measure:
        return measure(args, args.measure)
    from nnzoo import launcher

    options = ["--n", str(args.n), "--batch", str(args.batch), "--epochs", str(args.epochs)]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    with tempfile.TemporaryDirectory() as folder:
        files = {setting: Path(folder) / f"{setting}.json" for setting in ("alone", "mirrored", "workers")}
        subprocess.run([sys.executable, __file__, *options, "--measure", str(files["alone"])], env=env, check=True)
        subprocess.run(
            [sys.executable, __file__, *options, "--mirrored", str(args.workers), "--measure", str(files["mirrored"])],
            env=env,
            check=True,
        )
        status = launcher.launch(
            [sys.executable, __file__, *options, "--measure", str(files["workers"])],
            args.workers,
            log=lambda text: None,
        )
        if status != 0:
            sys.exit(f"the {args.workers}-worker measurement failed (exit status {status})")
        results = {setting: json.loads(path.read_text()) for setting, path in files.items()}
    params = results["alone"]["params"]
    gradient_bytes = 4 * params
    ring = 2 * (args.workers - 1) / args.workers * gradient_bytes
    print(
        f"reference MLP 784-256-256-10 ({params:,} parameters), global batch {args.batch}, "
        f"{args.n} examples, {os.cpu_count()} CPUs on this machine"
    )
    labels = {
        "alone": "1 process",
        "mirrored": f"Mirrored, {args.workers} CPUs",
        "workers": f"{args.workers} local workers",
    }
    print(f"  {'':22} {'1 step/call':>12} {'k steps/call':>13} {'k':>3} {'ratio':>6}")
    for setting, label in labels.items():
        one, many = results[setting]["steps_per_s"]["one"], results[setting]["steps_per_s"]["default"]
        k = results[setting]["steps_per_execution"]
        print(f"  {label:22} {one:8.1f} st/s {many:8.1f} st/s {k:3d} {many / one:5.2f}x")
    print(
        f"  gradient all-reduced per step: {gradient_bytes:,} bytes (float32); a ring all-reduce sends "
        f"2(N-1)/N x that = {ring:,.0f} bytes per worker per step"
    )


if __name__ == "__main__":
    main()
