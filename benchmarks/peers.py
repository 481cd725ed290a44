"""nnzoo.training beside its peers on this machine: PyTorch eager, scikit-learn's MLPClassifier, Keras's default fit.

Two workloads, each at 1 and at 2 threads, every framework in the same child process per thread count:
(a) one epoch of the reference MLP 784-256-256-10 on 60,000 x 784 (Adam, batch 128), after one warm-up
epoch, beside the arithmetic limit: the epoch's matmul FLOPs (6 per weight per example) at the matmul
peak measured in that process; (b) the digits network 64-128-10 from nothing to trained (30 epochs,
batch 32, Adam 1e-3), wall time including building and compiling, with its test accuracy.

Threads are pinned, since PyTorch's OpenMP threads spin when another core is busy: the child gets
OMP_NUM_THREADS / MKL_NUM_THREADS / OPENBLAS_NUM_THREADS = n and OMP_WAIT_POLICY=PASSIVE (or --omp-wait-policy
ACTIVE), TensorFlow
intra-op n and inter-op 1, torch.set_num_threads(n) and set_num_interop_threads(1), and scikit-learn runs
under threadpoolctl's limit n. Ratios are against baselines measured in the same child.

Usage: python benchmarks/peers.py [--threads 1 2] [--n 60000] [--omp-wait-policy PASSIVE|ACTIVE]. Needs PyTorch: pip install 'nnzoo[bench]'.
Exits 1 when a target is missed: (a) nnzoo <= 0.8x PyTorch and <= 1.5x the arithmetic limit; (b) nnzoo
<= 2x scikit-learn's time at equal accuracy (within 0.03).
"""

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time

TARGETS = {"mlp_vs_torch": 0.8, "mlp_vs_arithmetic": 1.5, "digits_vs_sklearn": 2.0}
ACCURACY_TOLERANCE = 0.03


def child(threads, n):
    """Measure everything at ``threads`` threads; returns a dict of seconds and accuracies."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    out = {"threads": threads, "matmul_flops": matmul_peak(tf)}
    out.update(reference_mlp_epoch(n, out["matmul_flops"]))
    out.update(digits_to_trained(threads))
    return out


def matmul_peak(tf):
    """FLOP/s of a 2048 x 2048 float32 matmul, best of 5."""
    a = tf.random.normal((2048, 2048))
    tf.linalg.matmul(a, a).numpy()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        tf.linalg.matmul(a, a).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best


def keras_mlp(sizes):
    import keras

    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(units, activation="relu") for units in sizes[1:-1]]
    return keras.Sequential([*layers, keras.layers.Dense(sizes[-1], activation="softmax")])


def torch_mlp(sizes):
    import torch

    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))


def torch_epochs(model, x, y, batch_size, epochs, lr=1e-3, seed=0):
    """Plain PyTorch eager training: shuffled mini-batches, Adam, cross-entropy on logits."""
    import torch

    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()


def reference_mlp_epoch(n, flops_per_second):
    import numpy as np
    import torch
    from nnzoo.datasets import Dataset

    from nnzoo import training

    sizes = (784, 256, 256, 10)
    rng = np.random.default_rng(0)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n).astype("int32")
    empty = np.zeros((0, 784), "float32"), np.zeros((0,), "int32")
    data = Dataset("bench", x, y, *empty, *empty, task="classification", class_names=tuple("0123456789"))
    batch = 128

    training.seed_everything(0)
    model = keras_mlp(sizes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # warm-up: tracing is not an epoch's cost
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0)
    keras_fit = (time.perf_counter() - start) / 2

    trained = training.train("nnzoo", lambda: keras_mlp(sizes), data, epochs=3, batch_size=batch, verbose=0)
    nnzoo_epoch = float(trained.history["seconds"].iloc[1:].mean())

    net, tx, ty = torch_mlp(sizes), torch.from_numpy(x), torch.from_numpy(y).long()
    torch_epochs(net, tx, ty, batch, 1)
    start = time.perf_counter()
    torch_epochs(net, tx, ty, batch, 2)
    torch_epoch = (time.perf_counter() - start) / 2

    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return {
        "mlp_keras_fit_s": keras_fit,
        "mlp_nnzoo_s": nnzoo_epoch,
        "mlp_torch_s": torch_epoch,
        "mlp_arithmetic_s": 6 * weights * n / flops_per_second,
    }


def digits_to_trained(threads):
    import numpy as np
    import torch
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    from nnzoo import datasets, training

    data = datasets.load("digits")
    data = dataclasses.replace(data, x_train=data.x_train / 16, x_val=data.x_val / 16, x_test=data.x_test / 16)
    sizes, epochs, batch = (64, 128, 10), 30, 32
    out = {}

    start = time.perf_counter()
    trained = training.train(
        "digits", lambda: keras_mlp(sizes), data, epochs=epochs, batch_size=batch, verbose=0, validation=False
    )
    out["digits_nnzoo_s"] = time.perf_counter() - start
    out["digits_nnzoo_acc"] = trained.test["accuracy"]
    # what bounds (b): the same 30 epochs again, with nothing left to build, compile or trace
    train_ds = training.make_dataset(data.x_train, data.y_train, batch, shuffle_seed=0)
    start = time.perf_counter()
    trained.model.fit(train_ds, epochs=epochs, verbose=0)
    out["digits_nnzoo_epochs_s"] = time.perf_counter() - start
    out["digits_steps"] = epochs * int(train_ds.cardinality())

    training.seed_everything(0)
    start = time.perf_counter()
    model = keras_mlp(sizes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, batch_size=batch, epochs=epochs, verbose=0)
    out["digits_keras_fit_s"] = time.perf_counter() - start
    out["digits_keras_fit_acc"] = model.evaluate(data.x_test, data.y_test, verbose=0, return_dict=True)["accuracy"]

    with threadpool_limits(threads):
        start = time.perf_counter()
        mlp = MLPClassifier(
            (128,), alpha=0.0, batch_size=batch, learning_rate_init=1e-3, max_iter=epochs, tol=0.0, random_state=0
        )
        mlp.fit(data.x_train, data.y_train)
        out["digits_sklearn_s"] = time.perf_counter() - start
    out["digits_sklearn_acc"] = float(mlp.score(data.x_test, data.y_test))

    start = time.perf_counter()
    net = torch_mlp(sizes)
    torch_epochs(net, torch.from_numpy(data.x_train), torch.from_numpy(data.y_train).long(), batch, epochs)
    out["digits_torch_s"] = time.perf_counter() - start
    with torch.no_grad():
        predicted = net(torch.from_numpy(data.x_test)).argmax(1).numpy()
    out["digits_torch_acc"] = float(np.mean(predicted == data.y_test))
    return out


def run_child(threads, n, wait_policy):
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    env = {**os.environ, **dict.fromkeys(names, str(threads)), "OMP_WAIT_POLICY": wait_policy}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    argv = [sys.executable, __file__, "--child", str(threads), "--n", str(n)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the {threads}-thread measurement failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(m):
    """Print one thread count's numbers and ratios; returns the targets it missed."""
    missed = []
    mlp = {"nnzoo.training": m["mlp_nnzoo_s"], "Keras fit": m["mlp_keras_fit_s"], "PyTorch eager": m["mlp_torch_s"]}
    print(f"\n{m['threads']} thread(s); matmul peak {m['matmul_flops'] / 1e9:.1f} GFLOP/s")
    print(f"  (a) reference MLP, one epoch (arithmetic limit {m['mlp_arithmetic_s']:.3f} s):")
    for name, seconds in mlp.items():
        print(
            f"      {name:15s} {seconds:6.3f} s  {seconds / m['mlp_torch_s']:5.2f}x PyTorch  "
            f"{seconds / m['mlp_arithmetic_s']:5.2f}x the limit"
        )
    ratios = {
        "mlp_vs_torch": m["mlp_nnzoo_s"] / m["mlp_torch_s"],
        "mlp_vs_arithmetic": m["mlp_nnzoo_s"] / m["mlp_arithmetic_s"],
        "digits_vs_sklearn": m["digits_nnzoo_s"] / m["digits_sklearn_s"],
    }
    print("  (b) digits 64-128-10, 30 epochs, from nothing to trained:")
    for name in ("nnzoo", "keras_fit", "torch", "sklearn"):
        seconds, accuracy = m[f"digits_{name}_s"], m[f"digits_{name}_acc"]
        print(
            f"      {name:15s} {seconds:6.3f} s  {seconds / m['digits_sklearn_s']:5.2f}x scikit-learn  acc {accuracy:.3f}"
        )
    alone = m["digits_nnzoo_epochs_s"]
    print(
        f"      nnzoo's 30 epochs alone (already traced) {alone:.3f} s = {alone / m['digits_sklearn_s']:.2f}x "
        f"scikit-learn's whole training, {alone / m['digits_steps'] * 1e3:.3f} ms per step"
    )
    equal = abs(m["digits_nnzoo_acc"] - m["digits_sklearn_acc"]) <= ACCURACY_TOLERANCE
    for name, target in TARGETS.items():
        ok = ratios[name] <= target and (name != "digits_vs_sklearn" or equal)
        print(f"  target {name}: {ratios[name]:.2f}x (target <= {target}x): {'ok' if ok else 'MISSED'}")
        missed += [] if ok else [f"{name} at {m['threads']} thread(s)"]
    return missed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument(
        "--omp-wait-policy",
        choices=("PASSIVE", "ACTIVE"),
        default="PASSIVE",
        help="OpenMP threads sleep (PASSIVE: fair when other work shares the cores) or spin (ACTIVE: faster alone)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n)))
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("benchmarks/peers.py needs PyTorch: pip install 'nnzoo[bench]'") from None
    print(f"nnzoo beside its peers, {os.cpu_count()} CPUs, reference MLP on {args.n} examples")
    missed = [target for threads in args.threads for target in report(run_child(threads, args.n, args.omp_wait_policy))]
    print(f"\nmissed: {', '.join(missed)}" if missed else "\nevery target met")
    raise SystemExit(1 if missed else 0)


if __name__ == "__main__":
    main()
