"""Train one small MLP with nnzoo.training.train under MirroredStrategy on two logical CPUs, with
steps_per_execution 1, 3 and the default (train installs the correction); then with Keras's own fit, multi-step,
without it. Writes OUT.npz (final weights and per-epoch losses) and OUT.json (what each run used,
and the error of the run without the fixes). Usage: python tests/_multistep_mirrored.py OUT

Logical devices must be configured before TensorFlow initialises, hence a process of its own.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from nnzoo import quiet_tensorflow  # noqa: E402

quiet_tensorflow.load()  # as `nnzoo run` would

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from nnzoo.datasets import Dataset  # noqa: E402

from nnzoo.training import train  # noqa: E402

RUNS = {"spe1": 1, "spe3": 3, "default": None}


def build():
    import keras

    return keras.Sequential(
        [keras.Input((16,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(4, activation="softmax")]
    )


def fit(data, strategy, steps_per_execution):
    return train(
        "mlp",
        build,
        data,
        epochs=3,
        batch_size=32,
        optimizer="adam",
        seed=0,
        strategy=strategy,
        verbose=0,
        steps_per_execution=steps_per_execution,
    )


def main(out):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 16)).astype("float32")
    y = rng.integers(0, 4, 256)
    data = Dataset("random", x, y, x[:64], y[:64], x[:64], y[:64], task="classification")
    arrays, facts = {}, {"replicas": strategy.num_replicas_in_sync, "runs": {}}
    for name, steps_per_execution in RUNS.items():
        trained = fit(data, strategy, steps_per_execution)
        arrays.update({f"{name}/{i}": w for i, w in enumerate(trained.model.get_weights())})
        arrays[f"{name}/loss"] = trained.history["loss"].to_numpy()
        facts["runs"][name] = {
            "steps_per_execution": int(trained.model.steps_per_execution),
            "iterations": trained.iterations,
            "epochs": len(trained.history),
        }
    try:
        with strategy.scope():
            model = build()
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", steps_per_execution=3)
        model.fit(data.x_train, data.y_train, batch_size=32, epochs=1, verbose=0)
        facts["without_fixes"] = None
    except tf.errors.InvalidArgumentError as error:
        facts["without_fixes"] = error.message
    np.savez(f"{out}.npz", **arrays)
    with open(f"{out}.json", "w") as f:
        json.dump(facts, f)


if __name__ == "__main__":
    main(sys.argv[1])
