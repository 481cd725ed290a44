"""The scratch layers compute what Keras's built-ins compute: forward, gradients, 20 training steps,
serialization in a fresh process; activations' derivatives; MCP units; batch-norm folding."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from nnzoo.custom_layers import (
    InvertedDropout,
    MCPNeuron,
    ScratchBatchNormalization,
    ScratchDense,
    activations,
    fold_batch_norm,
)

TOL = 1e-5
RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 6)).astype("float32")
Y = RNG.integers(0, 3, 32)


def twin_models(make_layers):
    """Two models whose layers come from make_layers(scratch) with identical initial weights."""
    keras.utils.set_random_seed(0)
    builtin = keras.Sequential([keras.Input((6,)), *make_layers(False)])
    scratch = keras.Sequential([keras.Input((6,)), *make_layers(True)])
    scratch.set_weights(builtin.get_weights())
    return builtin, scratch


def dense(scratch, *args, **kwargs):
    return (ScratchDense if scratch else keras.layers.Dense)(*args, **kwargs)


def bn(scratch, **kwargs):
    return (ScratchBatchNormalization if scratch else keras.layers.BatchNormalization)(**kwargs)


def dropout(scratch, rate, seed):
    return (InvertedDropout if scratch else keras.layers.Dropout)(rate, seed=seed)


ARCHITECTURES = {
    "dense": lambda s: [dense(s, 8, activation="relu", kernel_regularizer="l2"), dense(s, 3, use_bias=False)],
    "bn_before": lambda s: [
        dense(s, 8, use_bias=False),
        bn(s, momentum=0.9),
        keras.layers.Activation("relu"),
        dense(s, 3),
    ],
    "bn_after": lambda s: [dense(s, 8, activation="tanh"), bn(s, center=False, epsilon=1e-2), dense(s, 3)],
    "dropout": lambda s: [dense(s, 16, activation="relu"), dropout(s, 0.4, 7), dense(s, 3)],
}


def loss_and_grads(model, training):
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x, training=training)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(Y, out, from_logits=True))
    return out, tape.gradient(loss, [x, *model.trainable_weights])


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("training", [True, False])
def test_forward_and_gradients_match(arch, training):
    builtin, scratch = twin_models(ARCHITECTURES[arch])
    out_b, grads_b = loss_and_grads(builtin, training)
    out_s, grads_s = loss_and_grads(scratch, training)
    np.testing.assert_allclose(out_s, out_b, atol=TOL)
    assert len(grads_s) == len(grads_b)
    for gs, gb in zip(grads_s, grads_b):
        np.testing.assert_allclose(gs, gb, atol=TOL)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_twenty_optimizer_steps_match(arch):
    builtin, scratch = twin_models(ARCHITECTURES[arch])
    for model in (builtin, scratch):
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(X, Y, batch_size=8, epochs=5, shuffle=False, verbose=0)  # 4 steps per epoch: 20 steps
    assert int(builtin.optimizer.iterations) == int(scratch.optimizer.iterations) == 20
    for ws, wb in zip(scratch.weights, builtin.weights):  # trainable and BN moving statistics
        np.testing.assert_allclose(ws, wb, atol=TOL)


def test_batch_norm_on_images_with_axis_and_mask():
    x = RNG.normal(size=(4, 5, 3, 2)).astype("float32")
    for axis in (1, -1):
        b, s = keras.layers.BatchNormalization(axis=axis), ScratchBatchNormalization(axis=axis)
        for training in (True, False):
            np.testing.assert_allclose(s(x, training=training), b(x, training=training), atol=TOL)
    seq = RNG.normal(size=(3, 7, 4)).astype("float32")
    mask = np.array([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5], dtype=bool)
    b, s = keras.layers.BatchNormalization(), ScratchBatchNormalization()
    np.testing.assert_allclose(s(seq, training=True, mask=mask), b(seq, training=True, mask=mask), atol=TOL)
    np.testing.assert_allclose(s.moving_mean, b.moving_mean, atol=TOL)


def test_moving_statistics_move_only_in_training():
    layer = ScratchBatchNormalization()
    layer(X, training=False)
    np.testing.assert_array_equal(layer.moving_mean, np.zeros(6))
    layer(X, training=True)
    np.testing.assert_allclose(layer.moving_mean, 0.01 * X.mean(axis=0), atol=1e-7)
    assert {w.name for w in layer.non_trainable_weights} == {"moving_mean", "moving_variance"}


def test_inverted_dropout_scaling_and_identity():
    layer = InvertedDropout(0.25, seed=3)
    ones = np.ones((200, 50), "float32")
    out = np.asarray(layer(ones, training=True))
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02 and abs(out.mean() - 1) < 0.03
    np.testing.assert_array_equal(layer(ones, training=False), ones)
    shaped = np.asarray(InvertedDropout(0.5, noise_shape=(None, 1), seed=1)(ones, training=True))
    assert all(len(set(row)) == 1 for row in shaped)  # one mask value per example


def test_unsupported_arguments_raise_clearly():
    with pytest.raises(ValueError, match="quantization.*Received: quantization_config"):
        ScratchDense(3, quantization_config={"mode": "int8"})
    with pytest.raises(ValueError, match="renormalization.*Received: renorm=True"):
        ScratchBatchNormalization(renorm=True)
    with pytest.raises(ValueError, match="Received: units=0"):
        ScratchDense(0)
    with pytest.raises(ValueError, match="Received: rate=1.5"):
        InvertedDropout(1.5)


def test_lora_freezes_the_kernel():
    layer = ScratchDense(4, lora_rank=2)
    layer.build((None, 6))
    assert layer.lora_enabled and not layer._kernel.trainable and len(layer.trainable_weights) == 3
    np.testing.assert_allclose(layer(X), X @ np.asarray(layer._kernel) + np.asarray(layer.bias), atol=TOL)


@pytest.mark.parametrize(
    "layer",
    [
        ScratchDense(
            5,
            activation="scratch_tanh",
            use_bias=False,
            kernel_initializer="he_normal",
            kernel_regularizer=keras.regularizers.L1L2(1e-3, 1e-4),
            bias_constraint="non_neg",
            activity_regularizer="l2",
        ),
        ScratchBatchNormalization(
            axis=1,
            momentum=0.9,
            epsilon=1e-2,
            center=False,
            gamma_initializer="zeros",
            beta_regularizer="l2",
            gamma_constraint="unit_norm",
        ),
        InvertedDropout(0.3, noise_shape=(None, 1), seed=11),
        MCPNeuron([[1.0], [1.0]], [2.0], inhibitory=[[False], [True]]),
    ],
)
def test_config_round_trip(layer):
    config = layer.get_config()
    again = layer.__class__.from_config(config)
    assert again.get_config() == config


SERIALIZE = textwrap.dedent("""
    import sys, numpy as np, keras
    import nnzoo.custom_layers
    model = keras.saving.load_model(sys.argv[1])
    np.testing.assert_array_equal(model.predict(np.load(sys.argv[2]), verbose=0), np.load(sys.argv[3]))
    print("IDENTICAL", [type(l).__name__ for l in model.layers])
""")


def test_model_with_every_scratch_layer_saves_and_loads_in_a_fresh_process(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6,)),
            ScratchDense(8, use_bias=False),
            ScratchBatchNormalization(),
            keras.layers.Activation("scratch_elu"),
            InvertedDropout(0.2, seed=1),
            ScratchDense(4, activation="scratch_gelu"),
            MCPNeuron(np.eye(4, dtype="float32"), [0.1] * 4),
        ]
    )
    model(X, training=True)  # move the BN statistics away from their initial values
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", model.predict(X, verbose=0))
    proc = subprocess.run(
        [sys.executable, "-c", SERIALIZE, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "IDENTICAL" in proc.stdout and "MCPNeuron" in proc.stdout


# ---- activations ------------------------------------------------------------------------------------

GRID = np.linspace(-8, 8, 4001)[np.abs(np.linspace(-8, 8, 4001)) > 1e-9]  # kinks at 0 checked separately


@pytest.mark.parametrize("name", [n for n in activations.NAMES if n not in ("step", "sign", "softmax")])
def test_derivative_equals_autodiff(name):
    x = tf.constant(GRID, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = activations.FUNCTIONS[name](x)
    auto = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(activations.DERIVATIVES[name](x).numpy(), auto, atol=1e-6)


def test_softmax_and_threshold_functions():
    z = tf.constant(RNG.normal(size=(5, 4)), dtype=tf.float64)
    np.testing.assert_allclose(activations.softmax(z), keras.activations.softmax(z), atol=1e-12)
    with tf.GradientTape() as tape:
        tape.watch(z)
        s = activations.softmax(z)[:, 0]
    np.testing.assert_allclose(tape.gradient(s, z)[:, 0], activations.softmax_derivative(z)[:, 0], atol=1e-12)
    grid = tf.constant(GRID)
    for name in ("step", "sign"):
        assert np.all(activations.DERIVATIVES[name](grid).numpy() == 0)
    assert activations.step(tf.constant([-1.0, 0.0, 2.0])).numpy().tolist() == [0, 1, 1]
    assert activations.sign(tf.constant([-1.0, 0.0, 2.0])).numpy().tolist() == [-1, 1, 1]


@pytest.mark.parametrize(
    "name, builtin",
    [
        ("relu", keras.activations.relu),
        ("tanh", keras.activations.tanh),
        ("sigmoid", keras.activations.sigmoid),
        ("elu", keras.activations.elu),
        ("softplus", keras.activations.softplus),
    ],
)
def test_registered_names_match_keras(name, builtin):
    layer = keras.layers.Dense(3, activation=f"scratch_{name}", kernel_initializer="ones")
    reference = keras.layers.Dense(3, activation=builtin, kernel_initializer="ones")
    np.testing.assert_allclose(layer(X), reference(X), atol=1e-6)


# ---- McCulloch-Pitts --------------------------------------------------------------------------------

INPUTS = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], "float32")


def test_mcp_gates_and_xor():
    def gate(w, t, inh=None):
        return np.asarray(MCPNeuron(np.array(w, "float32").reshape(-1, 1), [t], inh)(INPUTS)).ravel()

    assert gate([1, 1], 2).tolist() == [1, 0, 0, 0]  # AND
    assert gate([1, 1], 1).tolist() == [1, 1, 1, 0]  # OR
    assert np.asarray(MCPNeuron([[0.0]], [0.0], [[True]])(np.array([[1.0], [0.0]]))).ravel().tolist() == [0, 1]  # NOT
    assert gate([1, 1], 1, [[False], [True]]).tolist() == [0, 1, 0, 0]  # x1 AND NOT x2
    xor = keras.Sequential(
        [keras.Input((2,)), MCPNeuron([[1, 1], [1, 1]], [1, 2]), MCPNeuron([[1], [0]], [1], [[False], [True]])]
    )
    assert np.asarray(xor(INPUTS)).ravel().tolist() == [0, 1, 1, 0]
    assert not xor.trainable_weights


# ---- batch-norm folding -------------------------------------------------------------------------------


def test_fold_batch_norm_matches_and_reports():
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            ScratchDense(8),
            ScratchBatchNormalization(),
            keras.layers.Activation("tanh"),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(X, RNG.normal(size=(32, 3)), epochs=3, batch_size=8, verbose=0)  # non-trivial gamma, beta, stats
    folded, report = fold_batch_norm(model)
    assert len(report["folded"]) == 2 and len(report["skipped"]) == 1
    assert "BN after the activation" in next(iter(report["skipped"].values()))
    np.testing.assert_allclose(folded(X), model(X, training=False), atol=TOL)
    assert (
        sum(isinstance(layer, (keras.layers.BatchNormalization, ScratchBatchNormalization)) for layer in folded.layers)
        == 1
    )
