"""xor_mlp recipe in quick mode: hand-built nets, the trained MLP, linear collapse."""

import json

import numpy as np
import pytest
from nnzoo.recipes import xor_mlp

import nnzoo

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("xor_mlp", quick=True, out=tmp_path_factory.mktemp("xor_mlp"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 5
    assert not result.failed_claims, [c.claim for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        xor_mlp,
        result,
        {
            "hand_built_networks_compute_xor": {"step_outputs": [0, 1, 1, 1]},
            "trained_mlp_solves_xor": {"accuracy": 0.75},
            "narrow_net_gets_stuck_more": {"stuck_fractions": {2: 0.0, 8: 0.0}},
            "linear_layers_collapse": {"trained_accuracy": 1.0},
            "one_hidden_layer_approximates": {"mses": [0.1, 0.01, 0.02, 0.005]},
        },
    )


def test_truth_table_and_least_squares_are_worked_examples(result):
    table, lstsq = result.worked
    assert table.computed == table.slide == "00 -> 0, 01 -> 1, 10 -> 1, 11 -> 0"
    np.testing.assert_allclose(json.loads(lstsq.computed), [0, 0, 0.5], atol=1e-12)  # 04:789-816


def test_hand_built_networks_compute_xor():
    assert np.asarray(xor_mlp.build_model("step")(X)).ravel().tolist() == [0, 1, 1, 0]
    assert np.asarray(xor_mlp.build_model("relu_exact")(X)).ravel().tolist() == [0, 1, 1, 0]


def test_linear_stack_collapses():
    stack = xor_mlp.linear_stack(seed=3)
    single = xor_mlp.collapse_linear_stack(stack)
    assert len(single.layers) == 1
    probe = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    assert np.abs(np.asarray(stack(probe)) - np.asarray(single(probe))).max() < 1e-5


def test_parallel_mlps_are_independent():
    model = xor_mlp.parallel_mlps(3, 2, "tanh")
    assert model.output_shape == (None, 3)
    assert model.count_params() == 3 * (4 * 2 + 1)


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="Received: variant='cnn'"):
        xor_mlp.build_model("cnn")


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "decision_regions.png", "models/mlp.keras"):
        assert (result.out_dir / name).is_file(), name


@pytest.mark.slow
def test_full_size_claims_hold(tmp_path):
    result = nnzoo.run("xor_mlp", quick=False, out=tmp_path / "full", verbose=0)
    assert not result.failed_claims, [c.claim for c in result.failed_claims]
