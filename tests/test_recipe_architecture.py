"""architecture recipe in quick mode: parameter counts to the slides' digits, masks, the capacity sweep."""

import math

import pytest
from nnzoo.recipes import architecture

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("architecture", quick=True, out=tmp_path_factory.mktemp("architecture"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 6
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_parameter_counts():
    three = architecture.count(architecture.build_model("three_layer"))
    assert (three["layers"], three["neurons"], three["weights"], three["biases"], three["total"]) == (3, 9, 32, 9, 41)
    assert architecture.build_model("cifar_two_layer").count_params() == 154_160
    assert architecture.build_model("bn_after").count_params() == 51_146
    assert architecture.build_model("bn_before").count_params() == 51_082


def test_dropout_mask_exponent():
    assert round(4096 * math.log10(2), 2) == 1233.02


def test_capacity_labels(result):
    cap = result.table[result.table["experiment"] == "capacity"]
    first = cap[cap["seed"] == cap["seed"].min()]
    assert first["label"].iloc[0] == "underfitting" and first["label"].iloc[-1] == "overfitting"
    assert "good" in set(first["label"])


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="Received: variant='cnn'"):
        architecture.build_model("cnn")


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "capacity.png"):
        assert (result.out_dir / name).stat().st_size > 0, name
