"""dropout recipe in quick mode: scaling, the mask enumeration, zero gradients, the scratch twin, files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

import nnzoo  # noqa: E402

# The gap claim needs the full size (100 epochs, 3 seeds).
SLOW_ONLY = ("Dropout(0.2) and Dropout(0.5) narrow",)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("dropout", quick=True, out=tmp_path_factory.mktemp("dropout"), verbose=0)


def test_deterministic_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed and not c.claim.startswith(SLOW_ONLY)]
    assert not failed
    assert len(result.claims) == 5


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import dropout

    verdicts_can_fail(
        dropout,
        result,
        {
            "drop_fraction_is_rate": {"fractions": {0.2: 0.8}},
            "kept_units_scaled_up": {"all_kept_exact": [True, False]},
            "dropped_units_get_zero_gradient": {"dropped_gradients": [0.0, 2.0]},
            "dropout_narrows_gap": {
                "loss_gaps": {"none": 0.1, "dropout_0.2": 0.2, "dropout_0.5": 0.05},
                "accuracy_gaps": {"none": 0.1, "dropout_0.2": 0.0, "dropout_0.5": 0.0},
            },
            "scratch_trains_like_keras": {"max_difference": 0.01},
        },
    )


def test_the_lecture_expectation_example():
    from nnzoo.recipes.dropout import mask_expectations

    rows, plain, inverted, full = mask_expectations()
    assert len(rows) == 4
    assert plain == pytest.approx(0.475) and full == pytest.approx(0.95)  # 02:1058-1066 (S24: E_train = 0.5 E_test)
    assert inverted == pytest.approx(0.95) and mask_expectations(keep=0.8)[2] == pytest.approx(0.95)


def test_keras_dropout_scale_is_one_over_keep():
    import keras
    import numpy as np

    out = np.asarray(keras.layers.Dropout(0.2, seed=1)(np.ones((1, 1000), "float32"), training=True))
    assert set(np.unique(out).tolist()) == {0.0, 1.25}  # S23: 1/(1 - 0.2), not 1/0.2


def test_scratch_layer_matches_keras(result):
    claim = next(c for c in result.claims if c.claim.startswith("nnzoo's from-scratch InvertedDropout"))
    assert claim.passed, claim.evidence
    assert set(result.table["variant"].dropna()) >= {"none", "dropout_0.2", "dropout_0.5", "scratch_0.5"}


def test_files_written(result):
    out = result.out_dir
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "learning_curves.png",
        "mask_expectation.png",
        "models/dropout_0.5.keras",
    ):
        assert (out / name).stat().st_size > 0, name
    notes = " ".join(result.notes)
    assert "S23" in notes and "S24" in notes
    assert f"{result.worked[-1].computed:.2f}" == "1233.02"  # 02:1030-1036


def test_tunable_model_compiles():
    import keras_tuner
    from nnzoo.recipes import dropout

    from nnzoo import datasets

    model = dropout.tunable_model(keras_tuner.HyperParameters(), datasets.load("digits"))
    assert model.optimizer is not None and model.output_shape == (None, 10)


@pytest.mark.slow
def test_full_size_claims(tmp_path):
    full = nnzoo.run("dropout", quick=False, out=tmp_path / "full", verbose=0)
    failed = [(c.claim, c.evidence) for c in full.claims if not c.passed]
    assert not failed
