"""TrainingMonitor statistics on hand-checkable models, every diagnosis on constructed curves,
the explosion stop, and the TensorBoard event files."""

import keras
import numpy as np
import pytest

from nnzoo import diagnoses
from nnzoo.monitor import TrainingMonitor


def fit(model, x, y, monitor, *, lr=0.1, epochs=1, batch_size=None, loss="mse"):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss)
    model.fit(x, y, epochs=epochs, batch_size=batch_size or len(x), verbose=0, callbacks=[monitor], shuffle=False)
    return monitor


def test_update_ratio_of_one_known_step():
    # w = (1,1,1,1), x = (1,1,1,1), y = 0: p = 4, dL/dw = 2 p x = 8, so dW = -0.8 each:
    # ||dW|| = 1.6, ||W|| = 2, ratio 0.8.
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    x, y = np.ones((1, 4), "float32"), np.zeros((1, 1), "float32")
    monitor = fit(model, x, y, TrainingMonitor(x, y, verbose=0))
    ratio = monitor.latest("update_ratio")
    assert list(ratio.values()) == pytest.approx([0.8], rel=1e-6)
    assert monitor.start_loss == pytest.approx(16.0)


def test_ratio_is_per_step_under_steps_per_execution():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    x, y = np.ones((4, 4), "float32"), np.zeros((4, 1), "float32")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4), loss="mse", steps_per_execution=4)
    monitor = TrainingMonitor(x, y, verbose=0)
    model.fit(x, y, epochs=1, batch_size=1, verbose=0, callbacks=[monitor], shuffle=False)
    # four nearly identical tiny steps: the mean per-step ratio is about one step's, 8e-4 * 2 / 2
    assert list(monitor.latest("update_ratio").values())[0] == pytest.approx(8e-4, rel=0.01)


def test_dead_relu_and_saturated_fractions():
    kernel = np.array([[-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]], "float32")
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(
                3, activation="relu", kernel_initializer=keras.initializers.Constant(kernel), name="relu"
            ),
            keras.layers.Dense(4, activation="tanh", kernel_initializer=keras.initializers.Constant(50.0), name="tanh"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    x = np.abs(np.random.default_rng(0).normal(size=(32, 2))).astype("float32") + 0.1
    monitor = fit(model, x, np.zeros((32, 1), "float32"), TrainingMonitor(x, np.zeros((32, 1)), verbose=0), lr=0.0)
    assert monitor.latest("dead_fraction") == {"relu": pytest.approx(1 / 3)}
    assert monitor.latest("saturated_fraction") == {"tanh": pytest.approx(1.0)}
    names = {f.name for f in monitor.findings()}
    assert "saturated units" in names and "no dead ReLU units" in names


def test_an_output_layer_with_a_saturating_activation_is_probed_once_as_hidden_layer_and_output():
    model = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(4, activation="tanh", kernel_initializer="ones", name="out")]
    )
    x = np.full((8, 2), 10.0, "float32")  # tanh(20) saturates
    monitor = fit(model, x, np.ones((8, 4), "float32"), TrainingMonitor(x, np.ones((8, 4)), verbose=0), lr=0.0)
    assert monitor.latest("saturated_fraction") == {"out": pytest.approx(1.0)}
    gradient = monitor.to_frame().query("kind == 'gradient' and layer == 'out'").set_index("stat").value
    assert gradient["norm"] == pytest.approx(0.0, abs=1e-6)  # saturated output, target met: no gradient


def test_weight_activation_gradient_statistics():
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(2, activation="relu", kernel_initializer="ones", name="hidden"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    x = np.ones((5, 3), "float32")
    monitor = fit(model, x, np.zeros((5, 1)), TrainingMonitor(x, np.zeros((5, 1)), verbose=0), lr=0.0)
    df = monitor.to_frame()
    weight = df.query("kind == 'weight' and layer == 'hidden'").set_index("stat").value
    assert weight["mean"] == 1.0 and weight["std"] == 0.0 and weight["norm"] == pytest.approx(np.sqrt(6))
    act = df.query("kind == 'activation' and layer == 'hidden'").set_index("stat").value
    assert act["mean"] == pytest.approx(3.0)
    assert set(df.query("kind == 'gradient'").layer) == {"hidden", "out"}
    assert {"loss"} <= set(df.query("kind == 'metric'").stat)


def test_explosion_stops_training():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, kernel_initializer="ones")])
    x = np.ones((8, 4), "float32")
    y = np.zeros((8, 1), "float32")
    monitor = fit(model, x, y, TrainingMonitor(x, y, verbose=0), lr=1.0, epochs=50, batch_size=1)
    assert monitor.stopped_at is not None and len(monitor.epochs) < 50
    assert monitor.findings()[0].name == "run stopped: loss exploded"
    calm = fit(
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, kernel_initializer="ones")]),
        x,
        y,
        TrainingMonitor(x, y, verbose=0, stop_on_explosion=False),
        lr=1.0,
        epochs=3,
        batch_size=1,
    )
    assert calm.stopped_at is None and len(calm.epochs) == 3


def test_every_n_steps():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    x, y = np.ones((16, 4), "float32"), np.zeros((16, 1), "float32")
    monitor = fit(model, x, y, TrainingMonitor(x, y, every=4, verbose=0), lr=0.01, epochs=1, batch_size=1)
    assert sorted(monitor.to_frame().step.unique()) == [4, 8, 12, 16]


def test_bad_options():
    with pytest.raises(ValueError, match="Received: every='weekly'"):
        TrainingMonitor(np.ones((2, 2)), np.ones(2), every="weekly")


# ---- diagnoses on constructed loss sequences ------------------------------------------------------


def test_learning_rate_readings():
    steps = np.arange(50)
    assert diagnoses.learning_rate([2.3, 2.3, float("nan")]).name == "learning rate much too high"
    assert diagnoses.learning_rate([2.0, 3.0, 7.0]).name == "learning rate much too high"
    assert diagnoses.learning_rate(2.3 - 0.001 * steps).name == "learning rate too low"  # barely moves
    assert diagnoses.learning_rate(2.3 - 0.03 * steps).name == "learning rate too low"  # linear
    assert diagnoses.learning_rate(0.1 + 2.2 * np.exp(-steps / 5)).name == "learning rate looks good"
    plateau = np.r_[2.3, 1.2 + 0.01 * np.sin(steps[1:])]
    assert diagnoses.learning_rate(plateau).name == "learning rate too high"


def test_fit_update_ratio_gradient_flow():
    assert diagnoses.fit(1.0, 0.8).name == "overfitting"
    assert diagnoses.fit(0.6, 0.6).name == "underfitting"
    assert diagnoses.fit(0.95, 0.93).ok
    assert diagnoses.update_ratio({"a": 1e-3, "b": 2e-3}).ok
    assert diagnoses.update_ratio({"a": 0.5}).name == "update/weight ratio too high"
    assert diagnoses.update_ratio({"a": 1e-6}).name == "update/weight ratio too low"
    assert diagnoses.gradient_flow({"first": 1e-6, "last": 1.0}).name == "vanishing gradients"
    assert diagnoses.gradient_flow({"first": 1e4, "last": 1.0}).name == "exploding gradients"
    assert diagnoses.gradient_flow({"first": 0.5, "last": 1.0}).ok


def test_tensorboard_event_files(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, activation="relu", name="hidden"), keras.layers.Dense(1, name="out")]
    )
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    fit(model, x, y, TrainingMonitor(x, y, log_dir=tmp_path, verbose=0), lr=0.01, epochs=2)
    events = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0}).Reload()
    tags = set(events.Tags()["tensors"])
    assert {"loss", "update_ratio/hidden", "weight/hidden", "activation/hidden", "gradient/out"} <= tags
    assert len(events.Tensors("loss")) == 2


def test_figures_and_files(tmp_path):
    from nnzoo import datasets

    data = datasets.load("digits")
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(10, activation="softmax")]
    )
    monitor = TrainingMonitor.for_data(data, verbose=0)
    fit(model, data.x_train[:64], data.y_train[:64], monitor, loss="sparse_categorical_crossentropy", lr=0.01)
    assert set(monitor.figures()) == {"dashboard", "first_layer"}
    monitor.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"monitor.csv", "findings.json", "dashboard.png", "first_layer.png"}
