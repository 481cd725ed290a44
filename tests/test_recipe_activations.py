"""activations recipe in quick mode: formulas, derivatives, the saturation numbers and dying ReLU."""

import numpy as np
import pytest
import tensorflow as tf
from nnzoo.recipes import activations

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("activations", quick=True, out=tmp_path_factory.mktemp("activations"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 9
    assert not result.failed_claims, [c.claim for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        activations,
        result,
        {
            "formulas_match_keras": {"gelu_at_1": 0.8},
            "ranges_hold": {"sigmoid_gap": 0.0},
            "derivatives_match_autodiff": {"scratch_error": 1e-3},
            "gradients_vanish": {"sigmoid_ratio": 0.5},
            "relu_does_not_saturate": {"relu_at_1e6": 1.0},
            "relu_units_die": {"leaky_dead_fraction": 0.3},
            "relu_prime_at_zero_is_left": {"relu_prime_at_0": 1.0},
            "half_of_relu_outputs_are_zero": {"zero_fraction": 0.3},
            "elu_mean_closer_to_zero": {"elu_mean": 0.5},
        },
    )


def test_dying_relu_networks_learn(result):
    claim = next(c for c in result.claims if c.verdict == "relu_units_die")
    assert claim.measured["relu_dead_fraction"] >= 0.25 and claim.measured["leaky_dead_fraction"] == 0
    assert "unsound" not in claim.evidence


def test_worked_relu_example_beside_the_slide(result):  # 00:209-213
    relu = next(w for w in result.worked if w.example.startswith("ReLU in action"))
    assert relu.slide == "0.88" and abs(relu.computed - 0.88) < 1e-12
    assert "Worked examples from the slides" in (result.out_dir / "report.md").read_text()


def test_saturation_numbers():
    sig10 = activations.autodiff(activations.KERAS["sigmoid"], np.array([10.0]))[0][0]
    tanh5 = activations.autodiff(activations.KERAS["tanh"], np.array([5.0]))[0][0]
    assert f"{sig10:.2e}" == "4.54e-05"
    assert f"{tanh5:.2e}" == "1.82e-04"


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


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="Received: activation='swish2'"):
        activations.build_model("swish2")


def test_slips_named(result):
    notes = " ".join(result.notes)
    assert all(s in notes for s in ("S29", "S30", "S31"))


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "functions_and_derivatives.png"):
        assert (result.out_dir / name).is_file(), name
