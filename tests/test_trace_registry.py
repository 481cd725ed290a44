"""Training a model leaves nothing of its traced graph behind once the model is dropped (keras-tuner #873):
TensorFlow's custom-gradient registrations made while training are released, and the model still trains,
evaluates and exports after that."""

import gc

import keras
import pytest
from tensorflow.python.framework import func_graph, ops

from nnzoo import datasets, training
from nnzoo.trace_registry import released_custom_gradients


@pytest.fixture(scope="module")
def data():
    return datasets.load("digits", n_train=200)


def build():
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])


def custom_gradients():
    return {name for name in ops._gradient_registry._registry if name.startswith("CustomGradient-")}


def live_graphs():
    gc.collect()
    return sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())


def test_training_registers_custom_gradients_that_keep_its_graph(data):
    """Without the release, the registry grows by each trained model and holds its graph."""
    before = custom_gradients()
    model = build()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data.x_train, data.y_train, epochs=1, verbose=0)
    assert custom_gradients() - before


def test_train_leaves_no_graph_behind(data, tmp_path):
    training.train("warmup", build, data, epochs=1, verbose=0)
    keras.backend.clear_session()
    graphs, registered = live_graphs(), custom_gradients()
    for k in range(3):
        trained = training.train(f"v{k}", build, data, epochs=2, verbose=0, save_dir=tmp_path)
        assert custom_gradients() == registered
        trained.model.fit(data.x_train, data.y_train, epochs=1, verbose=0)  # the released model trains on
        trained.model.export(tmp_path / f"v{k}", verbose=False)
        del trained
        keras.backend.clear_session()
    assert custom_gradients() == registered
    assert live_graphs() <= graphs


def test_release_keeps_what_was_there():
    registry = ops._gradient_registry._registry
    before = dict(registry)
    with released_custom_gradients():
        ops.RegisterGradient("CustomGradient-nnzoo-test")(lambda op, grad: grad)
        ops.RegisterGradient("NnzooTestOp")(lambda op, grad: grad)
    assert "CustomGradient-nnzoo-test" not in registry and "NnzooTestOp" in registry
    assert all(registry[name] is entry for name, entry in before.items())
    del registry["NnzooTestOp"]
