"""The shared training path: seeding, saving with metadata, atomic files, distribution."""

import json
import random
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnzoo import datasets, io, trace_reuse, training
from nnzoo.context import RunContext


def tiny_model(data):
    return keras.Sequential(
        [
            keras.Input(data.input_shape),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(data.num_classes, activation="softmax"),
        ]
    )


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def one_step_traces(model):
    """How often Keras's one-step ``tf.function`` inside ``model.train_function`` was traced
    (keras/src/backend/tensorflow/trainer.py, ``_make_function``: function -> multi_step_on_iterator ->
    one_step_on_data, wrapped by ``_autoconvert_optionals``)."""

    def closure(function):
        return dict(zip(function.__code__.co_freevars, (cell.cell_contents for cell in function.__closure__)))

    multi_step = closure(model.train_function)["multi_step_on_iterator"]
    one_step = closure(closure(multi_step.python_function)["func"])["one_step_on_data"].__wrapped__
    return one_step.experimental_get_tracing_count()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_the_train_step_is_traced_once_with_its_variables_made_first(digits, optimizer):
    """Variables made inside a first trace make tf.function trace the step again (nnzoo.training.build_state)."""
    trace_reuse.clear()
    trained = training.train("t", lambda: tiny_model(digits), digits, epochs=2, optimizer=optimizer, verbose=0)
    assert trained.model.optimizer.built and one_step_traces(trained.model) == 1


def test_same_seed_same_weights_and_history(digits):
    a = training.train("a", lambda: tiny_model(digits), digits, epochs=2, seed=5, verbose=0)
    b = training.train("b", lambda: tiny_model(digits), digits, epochs=2, seed=5, verbose=0)
    c = training.train("c", lambda: tiny_model(digits), digits, epochs=2, seed=6, verbose=0)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.history["loss"].tolist() == b.history["loss"].tolist() != c.history["loss"].tolist()
    kept = training.train("k", lambda: tiny_model(digits), digits, epochs=2, seed=5, verbose=0, keep_kernels=True)
    assert kept.history["loss"].tolist() == a.history["loss"].tolist()  # a reused graph, compiled once
    assert list(a.history.columns[:1]) == ["epoch"] and "val_accuracy" in a.history and "seconds" in a.history


def draws():
    """One draw from every stream a seed sets, and one from a stateful TensorFlow op run eagerly."""
    return {
        "python": random.random(),
        "numpy": float(np.random.rand()),
        "keras": keras.random.normal((3,)).numpy().tolist(),
        "tf.data": list(tf.data.Dataset.range(8).shuffle(8).as_numpy_iterator()),
        "stateful": tf.random.uniform((3,)).numpy().tolist(),
    }


@pytest.mark.parametrize("keep_kernels", [False, True])
def test_seed_everything_sets_the_seeds_keras_sets_and_keeps_kernels_when_asked(keep_kernels):
    keras.utils.set_random_seed(3)
    expected = draws()
    training.seed_everything(3, keep_kernels=keep_kernels)
    got = draws()
    restarted = got.pop("stateful") == expected.pop("stateful")
    assert got == expected
    assert restarted is not keep_kernels  # a kept kernel goes on with its stream; an emptied cache restarts it


def test_recipes_train_with_kept_kernels(digits, monkeypatch):
    asked = []
    real = training.train
    monkeypatch.setattr(
        training, "train", lambda *args, **kwargs: asked.append(kwargs["keep_kernels"]) or real(*args, **kwargs)
    )
    RunContext(recipe="t", seed=0, verbose=0).train("t", lambda: tiny_model(digits), digits, epochs=1, save=False)
    assert asked == [True]


@pytest.mark.parametrize("monitor", [False, True], ids=["plain", "monitored"])
def test_a_variant_trained_without_per_epoch_validation_has_the_same_numbers(digits, monitor):
    """``ctx.train(validation=False)`` drops only the per-epoch validation columns: the weights, the training
    curve and the final metrics are a validated run's. The monitor reads those columns, so it keeps them."""
    ctx = RunContext(recipe="t", seed=0, verbose=0, monitor=monitor)
    validated = ctx.train("v", lambda: tiny_model(digits), digits, epochs=2, save=False)
    unvalidated = ctx.train("u", lambda: tiny_model(digits), digits, epochs=2, save=False, validation=False)
    for a, b in zip(validated.model.get_weights(), unvalidated.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert unvalidated.history["loss"].tolist() == validated.history["loss"].tolist()
    assert unvalidated.val == validated.val and unvalidated.test == validated.test and validated.val
    assert "val_loss" in validated.history and ("val_loss" in unvalidated.history) is monitor


def test_saves_model_and_metadata(digits, tmp_path):
    trained = training.train(
        "tiny", lambda: tiny_model(digits), digits, epochs=1, verbose=0, save_dir=tmp_path, metadata={"recipe": "test"}
    )
    meta = json.loads((tmp_path / "tiny.json").read_text())
    assert meta["recipe"] == "test" and meta["class_names"] == [str(i) for i in range(10)]
    assert meta["test_metrics"] == pytest.approx(trained.test)
    loaded = keras.saving.load_model(tmp_path / "tiny.keras")
    np.testing.assert_allclose(
        loaded.predict(digits.x_test[:5], verbose=0), trained.model.predict(digits.x_test[:5], verbose=0), atol=1e-6
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json", "tiny.keras"]


def test_optimizer_forms(digits):
    assert training.resolve_optimizer("sgd", 0.3).learning_rate.numpy() == pytest.approx(0.3)
    assert isinstance(training.resolve_optimizer(lambda: keras.optimizers.Adam()), keras.optimizers.Adam)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "results.csv"
    with pytest.raises(RuntimeError):
        with io.atomic_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    io.write_text(final, "whole")
    assert final.read_text() == "whole" and list(tmp_path.iterdir()) == [final]


MIRRORED = textwrap.dedent("""
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    from nnzoo import quiet_tensorflow
    quiet_tensorflow.load()  # as `nnzoo run` would
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    import nnzoo
    # model_fitting trains Keras full-batch SGD and checks it against the numpy steps: under the
    # strategy each replica takes half of every batch and the all-reduced step must be the same
    result = nnzoo.run("model_fitting", quick=True, out=sys.argv[1], strategy=strategy, verbose=0)
    print("REPLICAS", strategy.num_replicas_in_sync, "FAILED", [c.claim for c in result.failed_claims])
""")


def test_recipe_runs_under_mirrored_strategy_on_two_logical_cpus(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(tmp_path / "run")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "REPLICAS 2 FAILED []" in proc.stdout, proc.stdout
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["strategy"] == "MirroredStrategy"
