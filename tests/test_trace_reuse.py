"""nnzoo.trace_reuse: a variant that runs the graph traced for an earlier one trains to the very same numbers as
when it traces its own, and nothing the graph bakes in is ever shared."""

import keras
import numpy as np
import pytest

from nnzoo import custom_layers, datasets, trace_reuse, training


@pytest.fixture(scope="module")
def data():
    return datasets.load("digits", seed=0)


@pytest.fixture(autouse=True)
def empty_cache():
    trace_reuse.clear()
    yield
    trace_reuse.clear()


def mlp(*, initializer="glorot_uniform", dropout=0.2, activation="relu", l2=None, scratch=False):
    """A small digits network with batch normalization, dropout and (optionally) nnzoo's scratch layers."""
    dense = custom_layers.ScratchDense if scratch else keras.layers.Dense
    regularizer = None if l2 is None else keras.regularizers.L2(l2)
    return lambda: keras.Sequential(
        [
            keras.Input((64,)),
            dense(32, kernel_initializer=initializer, kernel_regularizer=regularizer),
            keras.layers.BatchNormalization(),
            keras.layers.Activation(activation),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def train(data, build, seed, **options):
    options = {"epochs": 3, "verbose": 0, "optimizer": "adam", "learning_rate": 0.01, **options}
    return training.train("v", build, data, seed=seed, **options)


def state(trained):
    """Everything a training run leaves behind: weights (and BN statistics, seed states), optimizer and metrics."""
    model = trained.model
    values = [np.asarray(v) for v in [*model.variables, *model.optimizer.variables, *model.metrics_variables]]
    return values, trained.history.drop(columns="seconds"), trained.val, trained.test


def assert_same(a, b):
    (values_a, history_a, val_a, test_a), (values_b, history_b, val_b, test_b) = state(a), state(b)
    assert len(values_a) == len(values_b)
    for x, y in zip(values_a, values_b):
        np.testing.assert_array_equal(x, y)
    assert history_a.equals(history_b) and val_a == val_b and test_a == test_b


@pytest.mark.parametrize(
    "first, second, options",
    [
        ({}, {}, {}),  # another seed
        ({"initializer": "he_normal"}, {"initializer": "glorot_normal"}, {}),
        ({"l2": 1e-3, "scratch": True}, {"l2": 1e-3, "scratch": True}, {"optimizer": "sgd", "learning_rate": 0.1}),
    ],
    ids=["seed", "initializer", "scratch_layer_sgd_l2"],
)
def test_a_reused_trace_trains_to_the_numbers_of_its_own_trace(data, first, second, options):
    train(data, mlp(**first), seed=0, **options)
    reused = train(data, mlp(**second), seed=1, **{**options, "learning_rate": options.get("learning_rate", 0.01) / 2})
    assert isinstance(reused.model.train_function, trace_reuse._Rebound)  # it did reuse (Keras's internals held)
    assert isinstance(reused.model.test_function, trace_reuse._Rebound)
    trace_reuse.clear()
    own = train(data, mlp(**second), seed=1, **{**options, "learning_rate": options.get("learning_rate", 0.01) / 2})
    assert not isinstance(own.model.train_function, trace_reuse._Rebound)
    assert_same(reused, own)


@pytest.mark.parametrize(
    "change, options",
    [
        ({"dropout": 0.5}, {}),
        ({"activation": "tanh"}, {}),
        ({"l2": 1e-2}, {}),
        ({}, {"optimizer": keras.optimizers.Adam(0.01, beta_1=0.8)}),
        ({}, {"optimizer": "sgd"}),
        ({}, {"steps_per_execution": 1}),
        ({}, {"batch_size": 32, "loss": "sparse_categorical_crossentropy", "metrics": []}),
    ],
    ids=["dropout_rate", "activation", "regularizer", "optimizer_constant", "optimizer", "steps", "metrics"],
)
def test_what_the_graph_bakes_in_is_never_shared(data, change, options):
    train(data, mlp(l2=1e-3 if "l2" in change else None), seed=0)
    other = train(data, mlp(**change), seed=0, **options)
    assert not isinstance(other.model.train_function, trace_reuse._Rebound)


def test_evaluation_is_shared_across_optimizers(data):
    train(data, mlp(), seed=0)
    other = train(data, mlp(), seed=1, optimizer="sgd", learning_rate=0.1)
    assert isinstance(other.model.test_function, trace_reuse._Rebound)
    assert not isinstance(other.model.train_function, trace_reuse._Rebound)
    trace_reuse.clear()
    assert_same(other, train(data, mlp(), seed=1, optimizer="sgd", learning_rate=0.1))


def test_models_nnzoo_cannot_vouch_for_trace_their_own(data):
    def functional():
        inputs = keras.Input((64,))
        return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))

    def with_lambda():
        return keras.Sequential([keras.Input((64,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)])

    for build in (functional, with_lambda):
        train(data, build, seed=0, loss="sparse_categorical_crossentropy" if build is functional else None)
        again = train(data, build, seed=1)
        assert trace_reuse.signature(again.model, training.make_dataset(data.x_train, data.y_train, 32)) is None
        assert not isinstance(again.model.train_function, trace_reuse._Rebound)


def test_state_the_graph_does_not_know_means_a_trace_of_its_own(data):
    """A cached graph whose variables do not pair with the new model's is not run: the model traces afresh."""
    first = train(data, mlp(), seed=0)
    key = trace_reuse.signature(first.model, training.make_dataset(data.x_train, data.y_train, 32))
    concrete, variables = trace_reuse._cache[("train", key["train"])]
    trace_reuse._cache[("train", key["train"])] = (concrete, variables[:-1])
    retraced = train(data, mlp(), seed=1)
    assert not isinstance(retraced.model.train_function, trace_reuse._Rebound)
    trace_reuse.clear()
    assert_same(retraced, train(data, mlp(), seed=1))


def test_the_cache_holds_a_bounded_number_of_graphs(data, monkeypatch):
    monkeypatch.setattr(trace_reuse, "CACHE_SIZE", 4)  # the train and test graphs of two architectures
    for rate in (0.1, 0.2, 0.3):
        train(data, mlp(dropout=rate), seed=0, epochs=1)
    assert len(trace_reuse._cache) == 4
    assert not isinstance(train(data, mlp(dropout=0.1), seed=1, epochs=1).model.train_function, trace_reuse._Rebound)
    assert isinstance(train(data, mlp(dropout=0.3), seed=1, epochs=1).model.train_function, trace_reuse._Rebound)
