"""regularization recipe in quick mode: penalty values, L1 sparsity, max-norm, files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402

# Claims on training behaviour that need the full size (150 epochs / 80 epochs, 3 seeds).
SLOW_ONLY = ("Raising lambda", "Data augmentation", "H2O's regularized network")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("regularization", quick=True, out=tmp_path_factory.mktemp("regularization"), verbose=0)


def test_deterministic_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed and not c.claim.startswith(SLOW_ONLY)]
    assert not failed
    assert len(result.claims) == 9


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import regularization

    verdicts_can_fail(
        regularization,
        result,
        {
            "l2_penalty_is_lambda_sum_squares": {"penalty_terms": 2},
            "l1_sparsifies_l2_shrinks": {"l1_irrelevant_zero": 0.0},
            "elastic_net_matches": {"value_error": 1e-3},
            "stronger_lambda_shrinks_and_smooths": {"boundary_changes": [10, 12, 8]},
            "three_penalties_activity_per_example": {"whole_batch_activity": result.claims[4].measured["penalties"][0]},
            "max_norm_holds_the_bound": {"constrained_max": 10.0},
            "augmentation_narrows_gap": {"gap": 0.2, "plain_gap": 0.1},
            "regularization_narrows_gap_keeping_accuracy": {"val_accuracy": 0.5, "plain_val_accuracy": 0.9},
            "regularized_step_matches": {"max_error": 0.1},
        },
    )


def test_l1_zeroes_irrelevant_weights_l2_does_not(result):
    t = result.table[result.table["experiment"] == "sparsity"].set_index("variant")
    assert t.loc["l1", "irrelevant_below_1e-3"] > t.loc["l2", "irrelevant_below_1e-3"] + 0.3
    assert t.loc["l2", "kernel_norm"] < t.loc["none", "kernel_norm"]


def test_max_norm_bound(result):
    row = result.table[result.table["experiment"] == "max_norm"].iloc[0]
    assert row["max_unit_norm"] <= row["strength"] + 1e-6


def test_lecture_code_penalties():
    import keras

    layer = keras.layers.Dense(
        4,
        kernel_regularizer=keras.regularizers.L2(1e-4),
        bias_regularizer=keras.regularizers.L2(1e-4),
        activity_regularizer=keras.regularizers.L2(1e-5),
        bias_initializer="ones",
    )
    x = np.ones((2, 3), dtype="float32")
    out = np.asarray(layer(x))
    values = sorted(float(np.asarray(v)) for v in layer.losses)
    w = np.asarray(layer.kernel)
    expected = sorted([1e-4 * (w**2).sum(), 1e-4 * 4.0, 1e-5 * (out**2).sum() / 2])
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_figures_and_files(result):
    out = result.out_dir
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "decision_boundaries.png",
        "weight_histograms.png",
        "learning_curves.png",
    ):
        assert (out / name).stat().st_size > 0, name


def test_build_model_rejects_unknown_variant():
    from nnzoo.recipes import regularization

    with pytest.raises(ValueError, match="Received: variant='l3'"):
        regularization.build_model("l3")


def test_tunable_model_compiles():
    import keras_tuner
    from nnzoo.recipes import regularization

    from nnzoo import datasets

    model = regularization.tunable_model(keras_tuner.HyperParameters(), datasets.load("digits"))
    assert model.optimizer is not None and model.output_shape == (None, 10)


@pytest.mark.slow
def test_full_size_claims(tmp_path):
    full = nnzoo.run("regularization", quick=False, out=tmp_path / "full", verbose=0)
    failed = [(c.claim, c.evidence) for c in full.claims if not c.passed]
    assert not failed
