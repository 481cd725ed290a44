"""The batchnorm recipe end to end in quick mode: files, claims, saved models (the same seed run twice is
tests/test_recipe_gradient_clipping.py's)."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

import nnzoo

DETERMINISTIC = (
    "Train mode computes",
    "Inference uses moving averages",
    "BN can recover the identity",
    "The lecture's Keras models",
    "Before BN the Dense bias is useless",
    "At inference BN uses",
    "A from-scratch BN-before network",
    "Folding BN into the preceding Dense",
)


def test_writes_every_artefact(batchnorm_run):
    out = batchnorm_run.out_dir
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "learning_curves.png",
        "activations.png",
        "high_learning_rate.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.rglob(".*partial*")), "a temporary file was left behind"
    report = (out / "report.md").read_text()
    assert "## Claims" in report and "![learning_curves](learning_curves.png)" in report


def test_run_json_records_configuration_seed_versions_time(batchnorm_run):
    info = json.loads((batchnorm_run.out_dir / "run.json").read_text())
    assert info["seed"] == 0 and info["quick"] is True
    assert info["config"]["epochs"] == 8 and info["wall_time_s"] > 0
    assert info["versions"]["keras"].startswith("3.") and info["versions"]["tensorflow"]
    assert info["claims"]["total"] == len(batchnorm_run.claims)


def test_deterministic_claims_hold(batchnorm_run):
    by_text = {c.claim: c for c in batchnorm_run.claims}
    for prefix in DETERMINISTIC:
        claim = next(c for text, c in by_text.items() if text.startswith(prefix))
        assert claim.passed, (claim.claim, claim.evidence)


def test_verdicts_can_fail(batchnorm_run, verdicts_can_fail):
    from nnzoo.recipes import batchnorm

    verdicts_can_fail(
        batchnorm,
        batchnorm_run,
        {
            "train_mode_matches_formula": {"formula_error": 0.1},
            "moving_averages_match": {"trainable": ["beta", "gamma", "moving_mean"]},
            "identity_recoverable": {"error": 0.1},
            "parameter_counts_match": {"before": (51_146, 51_018)},
            "bias_cancels_before_bn": {"max_difference": 1.0},
            "bn_reaches_target_sooner": {"plain_epochs": 3.0, "bn_epochs": {"bn_after": 4.0, "bn_before": 2.0}},
            "bn_tolerates_high_rate": {"plain_diverged": False},
            "inference_ignores_the_batch": {"inference_difference": 0.1},
            "scratch_bn_trains_like_keras": {"curve_difference": 0.1},
            "folding_keeps_outputs": {"slide_error": 0.0},
            "small_batches_break_bn": {"small_accuracy": 0.9, "large_accuracy": 0.9},
        },
    )


def test_the_lecture_parameter_counts_appear_in_the_evidence(batchnorm_run):
    claim = next(c for c in batchnorm_run.claims if c.claim.startswith("The lecture's Keras models"))
    assert "51,146" in claim.evidence and "51,082" in claim.evidence


def test_training_claims_are_reported_with_numbers(batchnorm_run):
    for c in batchnorm_run.claims:
        assert c.evidence and any(ch.isdigit() for ch in c.evidence), c.claim


def test_saved_variants_with_metadata(batchnorm_run):
    models = batchnorm_run.out_dir / "models"
    for variant in ("plain", "bn_after", "bn_before"):
        meta = json.loads((models / f"{variant}.json").read_text())
        assert (models / meta["model_file"]).exists()
        assert meta["dataset"]["spec"]["name"] == "digits" and meta["input_shape"] == [64]
        assert meta["preprocessing"][0]["type"] == "Normalization" and len(meta["preprocessing"][0]["mean"]) == 64
        assert 0 <= meta["test_metrics"]["accuracy"] <= 1


def test_build_model_rejects_unknown_variant():
    from nnzoo.recipes import batchnorm

    with pytest.raises(ValueError, match="Received: variant='bn_sideways'"):
        batchnorm.build_model("bn_sideways")


@pytest.mark.slow
def test_full_size_claims(tmp_path):
    """The demo's training claims (faster convergence, the high learning rate, small batches) need the full size."""
    full = nnzoo.run("batchnorm", quick=False, out=tmp_path / "full", verbose=0)
    failed = [(c.claim, c.evidence) for c in full.claims if not c.passed]
    assert not failed


def test_train_mode_measurement_normalizes_with_each_batch(batchnorm_run):
    """What the small-batch claim measures: the saved bn_before network in train mode, normalizing each batch of
    2 or 64 validation examples with that batch's statistics, gives the recorded accuracies; train mode differs
    from inference at both sizes, and the network's own moving statistics are left as they were."""
    from nnzoo.recipes import batchnorm

    from nnzoo import datasets

    model = keras.saving.load_model(batchnorm_run.out_dir / "models" / "bn_before.keras")
    moving = [np.array(w) for w in model.non_trainable_weights]
    data = datasets.load("digits", seed=0)
    recorded = pd.read_csv(batchnorm_run.out_dir / "results.csv").query("experiment == 'batch_statistics'")
    for batch_size in (2, 64):
        gap, accuracy = batchnorm._train_mode_accuracy(model, data, batch_size)
        row = recorded[recorded["batch_size"] == batch_size].iloc[0]
        assert gap > 1e-3 and accuracy == pytest.approx(row["train_mode_val_accuracy"], abs=1e-9)
    assert all(np.array_equal(a, np.array(b)) for a, b in zip(moving, model.non_trainable_weights))
