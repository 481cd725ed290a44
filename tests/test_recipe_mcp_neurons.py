"""mcp_neurons recipe: the slides' truth tables, the threshold sweep and the XOR proof, in quick mode."""

import json

import numpy as np
import pytest
from nnzoo.recipes import mcp_neurons

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("mcp_neurons", quick=True, out=tmp_path_factory.mktemp("mcp_neurons"), verbose=0)


def test_all_claims_hold(result):
    assert result.claims and not result.failed_claims, [c.claim for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        mcp_neurons,
        result,
        {
            "eats_only_the_blueberry": {"eats": [1, 1, 0, 0]},
            "gates_match_truth_tables": {"not_outputs": [0, 1]},
            "threshold_switches_and_or": {"swept": {0.5: "OR", 1.5: "OR", 2.0: "AND"}},
            "only_xor_and_xnor_need_two_lines": {"grid_solutions": 1},
            "two_layers_compute_xor": {"hidden_pair_network": [0, 1, 1, 1]},
        },
    )


def test_xor_decompositions_are_worked_examples(result):
    assert [w.computed for w in result.worked] == ["[0, 1, 1, 0]", "[0, 1, 1, 0]"]


def test_slide_truth_tables():
    x = mcp_neurons.INPUTS
    assert mcp_neurons.outputs(mcp_neurons.build_model("and"), x) == [0, 0, 0, 1]
    assert mcp_neurons.outputs(mcp_neurons.build_model("or"), x) == [0, 1, 1, 1]
    assert mcp_neurons.outputs(mcp_neurons.build_model("not"), np.array([[0.0], [1.0]], "float32")) == [1, 0]
    assert mcp_neurons.outputs(mcp_neurons.build_model("xor"), x) == [0, 1, 1, 0]
    assert mcp_neurons.outputs(mcp_neurons.build_model("xor_or_nand"), x) == [0, 1, 1, 0]


def test_threshold_alone_switches_and_or():
    assert mcp_neurons.unit_outputs((1, 1), 2).tolist() == [0, 0, 0, 1]
    assert mcp_neurons.unit_outputs((1, 1), 1).tolist() == [0, 1, 1, 1]


def test_xor_certificate_is_a_proof():
    ok, certificate = mcp_neurons.realizable([0, 1, 1, 0])
    assert not ok and certificate is not None and all(c > 0 for c in certificate)
    ok, (w, theta) = mcp_neurons.realizable([0, 0, 0, 1])
    assert ok and mcp_neurons.unit_outputs(w, theta).tolist() == [0, 0, 0, 1]


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="Received: variant='nand3'"):
        mcp_neurons.build_model("nand3")


def test_files_written(result):
    out = result.out_dir
    for name in ("results.csv", "claims.json", "report.md", "run.json", "decision_lines.png"):
        assert (out / name).is_file(), name
    assert len(json.loads((out / "claims.json").read_text())) == 5
