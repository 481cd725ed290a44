"""Per-step training time of each nnzoo scratch optimizer against its Keras built-in twin.

The reference MLP 784-256-256-10 trains with ``fit`` on MNIST-shaped random data. Scratch and
built-in alternate for several rounds in this one process (each side's fastest round counts: the
least disturbed by other load on the machine), so the
printed ratio compares like with like on this machine; the goal is at most 1.05x. Short rounds,
many of them, keep a burst of load from other processes from landing on one side only. The op
count of each optimizer's traced update is printed too: equal counts mean equal work per step.
Usage: python benchmarks/custom_optimizers.py [--steps 50] [--rounds 20]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from fit_speed import reference_mlp  # noqa: E402
from nnzoo.custom_optimizers import TWINS  # noqa: E402

CASES = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {}),
    ("adadelta", {}),
    ("rmsprop", {}),
    ("rmsprop", {"momentum": 0.9, "centered": True}),
    ("adam", {}),
    ("adam", {"amsgrad": True}),
]


def compiled(cls, options):
    keras.utils.set_random_seed(0)
    model = reference_mlp()
    model.compile(optimizer=cls(**options), loss="sparse_categorical_crossentropy")
    return model


def update_ops(model):
    """Number of graph ops in one traced ``optimizer.apply`` on the model's variables."""
    variables = model.trainable_variables
    grads = [tf.zeros(v.shape, v.dtype) for v in variables]
    apply = tf.function(lambda g: model.optimizer.apply(g, variables))
    return len(apply.get_concrete_function(grads).graph.get_operations())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=50, help="training steps per timed round")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((32 * args.steps, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(x)).astype("int32")

    print(f"reference MLP 784-256-256-10, batch 32, {args.steps} steps x {args.rounds} rounds, {os.cpu_count()} CPUs")
    print(f"  {'optimizer':45s} {'built-in ms/step':>17s} {'scratch ms/step':>16s} {'ratio':>6s} {'update ops':>11s}")
    ratios = []
    for name, options in CASES:
        scratch, builtin = TWINS[name]
        models = {cls: compiled(cls, options) for cls in (builtin, scratch)}
        for model in models.values():
            model.fit(x[: 32 * 10], y[: 32 * 10], batch_size=32, verbose=0)  # warm-up: tracing is not a step's cost
        times = {cls: [] for cls in models}
        for _ in range(args.rounds):
            for cls, model in models.items():
                start = time.perf_counter()
                model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
                times[cls].append((time.perf_counter() - start) / args.steps * 1e3)
        base, ours = min(times[builtin]), min(times[scratch])
        ratios.append(ours / base)
        label = f"{scratch.__name__}({', '.join(f'{k}={v}' for k, v in options.items())})"
        ops = "/".join(str(update_ops(models[cls])) for cls in (builtin, scratch))
        print(f"  {label:45s} {base:17.3f} {ours:16.3f} {ours / base:5.2f}x {ops:>11s}")
    print(f"  geometric mean ratio {np.exp(np.mean(np.log(ratios))):.3f}x (goal <= 1.05x)")


if __name__ == "__main__":
    main()
