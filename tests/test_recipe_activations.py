"""activations recipe in quick mode: formulas, derivatives, the saturation numbers and dying ReLU."""

import math

import numpy as np
import pytest
import tensorflow as tf

import nnzoo
from nnzoo.recipes import activations


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("activations", quick=True, out=tmp_path_factory.mktemp("activations"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 10
    assert not result.failed_claims, [c.claim for c in result.failed_claims]


def test_relu_worked_example():  # 00:209-213
    total = 0.7 * 0.6 + 0.2 * 0.5 + 0.6 * 0.6
    assert abs(total - 0.88) < 1e-12
    assert abs(float(activations.KERAS["relu"](tf.constant(total, tf.float64))) - 0.88) < 1e-12


def test_saturation_numbers():
    sig10 = activations.autodiff(activations.KERAS["sigmoid"], np.array([10.0]))[0][0]
    tanh5 = activations.autodiff(activations.KERAS["tanh"], np.array([5.0]))[0][0]
    assert f"{sig10:.2e}" == "4.54e-05"
    assert f"{tanh5:.2e}" == "1.82e-04"
    assert f"{0.25 ** 10:.2e}" == "9.54e-07"


def test_handmade_example_dead_unit():  # 04:892: o2 = -8, o5 = -4, loss = 81
    net = activations.handmade_network("relu")
    x = tf.constant([[2.0, 1.0]])
    with tf.GradientTape() as tape:
        out = net(x)
        loss = tf.reduce_sum((out - 5.0) ** 2)
    assert float(out[0, 0]) == -4 and float(loss) == 81
    assert float(net.layers[0](x)[0, 1]) == -8
    g_kernel, g_bias = tape.gradient(loss, [net.layers[0].kernel, net.layers[0].bias])
    assert not np.any(np.asarray(g_kernel)[:, 1]) and float(g_bias[1]) == 0


def test_relu_gradient_at_zero_is_left_derivative():
    assert activations.autodiff(activations.KERAS["relu"], np.array([0.0]))[0][0] == 0.0


def test_elu_mean_exact_value():
    exact = 1 / math.sqrt(2 * math.pi) + math.exp(0.5) * 0.5 * math.erfc(1 / math.sqrt(2)) - 0.5
    assert round(exact, 2) == 0.16


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="Received: activation='swish2'"):
        activations.build_model("swish2")


def test_slips_named(result):
    notes = " ".join(result.notes)
    assert all(s in notes for s in ("S29", "S30", "S31"))


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "functions_and_derivatives.png"):
        assert (result.out_dir / name).is_file(), name
