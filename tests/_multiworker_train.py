"""Train three small digits models with nnzoo.training.train, alone or as one worker of a TF_CONFIG cluster
(or, with PORT_BASE, of the Slurm cluster of its SLURM_* variables); the process that writes (one alone, the
chief in a cluster) saves every variant's final weights to OUT.npz.

Variants: "plain" (no batch normalization), "bn" (Keras's per-replica statistics), "bn_sync"
(BatchNormalization(synchronized=True)). Usage: python tests/_multiworker_train.py OUT.npz [PORT_BASE]
"""

import os
import sys

import numpy as np

from nnzoo import quiet_tensorflow

quiet_tensorflow.load()  # as `nnzoo run` would, before nnzoo.training imports TensorFlow

from nnzoo.datasets import Dataset  # noqa: E402

from nnzoo import cluster, runner, slurm  # noqa: E402
from nnzoo.training import train  # noqa: E402

VARIANTS = ("plain", "bn", "bn_sync")


def build(variant):
    import keras

    layers = [keras.Input((64,)), keras.layers.Dense(32, use_bias=variant == "plain")]
    if variant != "plain":
        layers.append(keras.layers.BatchNormalization(synchronized=variant == "bn_sync"))
    layers += [keras.layers.Activation("relu"), keras.layers.Dense(10, activation="softmax")]
    return keras.Sequential(layers, name=variant)


def multi_worker_strategy(port_base):
    if port_base is not None:
        found = slurm.from_environ(int(port_base))
        return cluster.multi_worker_strategy(found.cluster, make_resolver=lambda: slurm.cluster_resolver(found))
    return cluster.multi_worker_strategy(cluster.from_environ()) if os.environ.get("TF_CONFIG") else None


def main(out, port_base=None):
    strategy = multi_worker_strategy(port_base)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 64)).astype("float32")
    y = rng.integers(0, 10, 256)
    data = Dataset(
        name="random",
        x_train=x,
        y_train=y,
        x_val=x[:64],
        y_val=y[:64],
        x_test=x[:64],
        y_test=y[:64],
        task="classification",
    )
    weights = {}
    for variant in VARIANTS:
        trained = train(
            variant,
            lambda variant=variant: build(variant),
            data,
            epochs=2,
            batch_size=32,
            optimizer="sgd",
            learning_rate=0.1,
            seed=0,
            strategy=strategy,
            verbose=0,
        )
        weights.update({f"{variant}/{i}": w for i, w in enumerate(trained.model.get_weights())})
    if runner.writes_run_folder(strategy):
        np.savez(out, **weights)


if __name__ == "__main__":
    main(*sys.argv[1:])
