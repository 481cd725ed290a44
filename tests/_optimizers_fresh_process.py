"""Checks that need a fresh Python process, for tests/test_custom_optimizers_in_keras.py.

Run as ``python _optimizers_fresh_process.py WORKDIR``: it splits the CPU into two logical devices
(which must happen before TensorFlow initializes), then for every scratch optimizer
(1) loads WORKDIR/<name>.keras saved by the parent process and continues training,
(2) trains the same model from scratch in ``fit`` with ``jit_compile=True``, and
(3) trains it inside ``tf.distribute.MirroredStrategy`` over the two logical CPUs; (2) and (3) run
for EPOCHS_BEFORE_SAVE epochs, to compare with the built-in's weights at the save. Final weights go to WORKDIR/fresh.npz and facts
about the loaded optimizers to WORKDIR/fresh.json; the parent compares them.
"""

import json
import sys
from pathlib import Path

EPOCHS_BEFORE_SAVE = 2
EPOCHS_AFTER_SAVE = 2
BATCH = 32


def optimizer(name, cls):
    """The optimizer under test: each with a non-default variant, two with a lecture schedule."""
    from nnzoo.custom_optimizers import ExpDecay, StepDecay

    return {
        "sgd": lambda: cls(learning_rate=StepDecay(0.1, drop_every=6), momentum=0.9, nesterov=True),
        "adagrad": lambda: cls(learning_rate=0.05),
        "adadelta": lambda: cls(learning_rate=1.0),
        "rmsprop": lambda: cls(learning_rate=0.005, momentum=0.5, centered=True),
        "adam": lambda: cls(learning_rate=ExpDecay(0.01, k=0.05), amsgrad=True),
    }[name]()


def data():
    from nnzoo.datasets import load

    digits = load("digits", seed=0)
    return digits.x_train[:128] / 16.0, digits.y_train[:128]


def compiled_model(opt, jit_compile=False):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])
    model.compile(
        optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit_compile
    )
    return model


def fit(model, epochs):
    x, y = data()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
    return model.get_weights()


def main(workdir):
    from nnzoo import quiet_tensorflow

    quiet_tensorflow.load()  # as `nnzoo run` would
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from nnzoo.custom_optimizers import TWINS

    weights, facts = {}, {}
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for name, (scratch, _) in TWINS.items():
        loaded = keras.saving.load_model(workdir / f"{name}.keras")
        facts[name] = {
            "class": type(loaded.optimizer).__name__,
            "iterations": int(loaded.optimizer.iterations),
            "replicas": strategy.num_replicas_in_sync,
        }
        weights[f"{name}/resumed"] = fit(loaded, EPOCHS_AFTER_SAVE)
        weights[f"{name}/jit"] = fit(compiled_model(optimizer(name, scratch), jit_compile=True), EPOCHS_BEFORE_SAVE)
        with strategy.scope():
            model = compiled_model(optimizer(name, scratch))
        weights[f"{name}/mirrored"] = fit(model, EPOCHS_BEFORE_SAVE)
    import numpy as np

    np.savez(workdir / "fresh.npz", **{f"{key}/{i}": w for key, ws in weights.items() for i, w in enumerate(ws)})
    (workdir / "fresh.json").write_text(json.dumps(facts))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
