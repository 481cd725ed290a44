"""Steps per second of the reference MLP 784-256-256-10: one process vs N local workers (MultiWorkerMirroredStrategy).

The same global batch (default 64) and data (random, MNIST-shaped) in both; each measurement is the mean of the
epochs after the first (the first traces the step). Also printed: the gradient bytes each step all-reduces, and
what a ring all-reduce sends per worker per step, 2(N-1)/N times that (docs/distributed.md). One command runs
both measurements: ``python benchmarks/multiworker_speed.py [--workers 2] [--n 8192] [--epochs 3]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from peers import keras_mlp  # noqa: E402


def reference_mlp():
    return keras_mlp((784, 256, 256, 10))


def measure(args, out):
    """Train in this process (alone, or as the TF_CONFIG worker it is) and, if it writes, save steps/s to ``out``."""
    import numpy as np
    from nnzoo.datasets import Dataset

    from nnzoo import cluster, runner, training

    strategy = cluster.multi_worker_strategy(cluster.from_environ()) if os.environ.get("TF_CONFIG") else None
    rng = np.random.default_rng(0)
    x = rng.random((args.n, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.n).astype("int32")
    empty = np.zeros((0, 784), "float32"), np.zeros((0,), "int32")
    data = Dataset("bench", x, y, *empty, *empty, task="classification", class_names=tuple("0123456789"))
    with runner.distributed_fixes(strategy):
        trained = training.train(
            "bench", reference_mlp, data, epochs=args.epochs, batch_size=args.batch, verbose=0, strategy=strategy
        )
    steps = -(-args.n // args.batch)
    seconds = float(trained.history["seconds"].iloc[1:].mean())
    params = sum(int(np.prod(w.shape)) for w in trained.model.trainable_weights)
    if runner.writes_run_folder(strategy):
        Path(out).write_text(json.dumps({"steps_per_s": steps / seconds, "params": params}))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n", type=int, default=8192, help="training examples")
    parser.add_argument("--batch", type=int, default=64, help="global batch size")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # internal: one measurement to this file
    args = parser.parse_args()
    if args.measure:
        return measure(args, args.measure)
    from nnzoo import launcher

    options = ["--n", str(args.n), "--batch", str(args.batch), "--epochs", str(args.epochs)]
    with tempfile.TemporaryDirectory() as folder:
        one, many = Path(folder) / "one.json", Path(folder) / "many.json"
        env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        subprocess.run([sys.executable, __file__, *options, "--measure", str(one)], env=env, check=True)
        status = launcher.launch(
            [sys.executable, __file__, *options, "--measure", str(many)], args.workers, log=lambda text: None
        )
        if status != 0:
            sys.exit(f"the {args.workers}-worker measurement failed (exit status {status})")
        alone, together = json.loads(one.read_text()), json.loads(many.read_text())
    gradient_bytes = 4 * alone["params"]
    ring = 2 * (args.workers - 1) / args.workers * gradient_bytes
    print(
        f"reference MLP 784-256-256-10 ({alone['params']:,} parameters), global batch {args.batch}, "
        f"{args.n} examples, {os.cpu_count()} CPUs on this machine"
    )
    print(f"  1 process          : {alone['steps_per_s']:8.1f} steps/s")
    print(
        f"  {args.workers} local workers    : {together['steps_per_s']:8.1f} steps/s  "
        f"({together['steps_per_s'] / alone['steps_per_s']:.2f}x)"
    )
    print(
        f"  gradient all-reduced per step: {gradient_bytes:,} bytes (float32); a ring all-reduce sends "
        f"2(N-1)/N x that = {ring:,.0f} bytes per worker per step"
    )


if __name__ == "__main__":
    main()
