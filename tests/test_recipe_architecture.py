"""architecture recipe in quick mode: parameter counts to the slides' digits, masks, the capacity sweep."""

import pytest
from nnzoo.recipes import architecture

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("architecture", quick=True, out=tmp_path_factory.mktemp("architecture"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 6
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        architecture,
        result,
        {
            "lecture_network_counts": {"keras_layers": 4},  # the input counted as a layer
            "cifar_net_parameters": {"total": 154_100},
            "bn_parameter_counts_match": {"before": (51_146, 51_018)},  # the bias kept before BN
            "dropout_draws_every_mask": {"distinct_masks": 15},
            "training_error_falls_validation_u_shaped": {"val_mse": [[4.0, 2.0, 1.0, 0.9, 0.8]]},  # no U
            "smallest_underfits_largest_overfits": {
                "labels": [["underfitting", "good", "good"], ["good", "overfitting"]]
            },
        },
    )


def test_parameter_counts():
    three = architecture.count(architecture.build_model("three_layer"))
    assert (three["layers"], three["neurons"], three["weights"], three["biases"], three["total"]) == (3, 9, 32, 9, 41)
    assert architecture.build_model("cifar_two_layer").count_params() == 154_160
    assert architecture.build_model("bn_after").count_params() == 51_146
    assert architecture.build_model("bn_before").count_params() == 51_082


def test_slide_arithmetic_is_worked_examples(result):
    worked = {w.example.split(":")[0]: w.computed for w in result.worked}
    assert worked["Neurons of [3x4][4x4][4x1]"] == 9 and worked["Inputs of a 32x32x3 image"] == 3072
    assert worked["Parameters of the (3072, 50, 10) net"] == 154_160
    assert f"{worked['log10 of the number of masks of a 4096-unit layer']:.2f}" == "1233.02"  # 02:1036


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
