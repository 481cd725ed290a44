"""preprocessing recipe in quick mode: conditioning, scalers, whitening, the Normalization layer, files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402

# The digits comparison needs 15 epochs and 3 seeds; every other claim holds in quick mode.
SLOW_ONLY = ("Zero mean, unit variance inputs suit a tanh network",)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("preprocessing", quick=True, out=tmp_path_factory.mktemp("preprocessing"), verbose=0)


def test_deterministic_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed and not c.claim.startswith(SLOW_ONLY)]
    assert not failed
    assert len(result.claims) == 8


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import preprocessing

    verdicts_can_fail(
        preprocessing,
        result,
        {
            "standardizing_removes_the_elongation": {"raw_converged": [True, False]},
            "normalization_layer_lets_sgd_fit": {"raw_losses": [1e-6]},
            "centering_zeroes_the_means": {"feature_mean": 0.5},
            "standardization_gives_unit_scale": {"stds": [1.0, 0.5]},
            "training_statistics_do_not_leak": {"moved_with_training_stats": 0.1},
            "min_max_maps_onto_unit_interval": {"inlier_span": 1.0},
            "whitening_gives_identity_and_amplifies_noise": {"noise_gains": [1.0] * 5},
            "standardized_inputs_fit_better": {"standardized_loss": 1.0, "raw_loss": 0.5},
        },
    )


def test_condition_numbers(result):
    t = result.table[(result.table["experiment"] == "conditioning") & (result.table["lr_times_lambda_max"] == 1.0)]
    kappa = t.set_index("scaling")["condition_number"]
    assert kappa["raw"] > 1e15 and kappa["standardized"] < 1.1 and 10 < kappa["min_max"] < 100
    assert not t.set_index("scaling")["converged"]["raw"]


def test_slide_ranges_and_s22():
    from nnzoo import datasets

    x = datasets.load("scales").x_train
    assert x[:, 0].min() >= -50_000 and x[:, 0].max() <= 1_000_000
    assert x[:, 1].min() >= 0.0 and x[:, 1].max() <= 0.01
    sigma = x.std(axis=0)
    divided_by_variance = (x - x.mean(axis=0)) / sigma**2  # the slide's X / sigma^2 (S22)
    np.testing.assert_allclose(divided_by_variance.std(axis=0), 1 / sigma)


def test_gradient_descent_helper_reaches_the_optimum():
    from nnzoo.recipes.preprocessing import design, gradient_descent, hessian

    rng = np.random.default_rng(0)
    a = design(rng.standard_normal((200, 2)))
    y = a @ np.array([2.0, -1.0, 0.5])
    lr = 1 / np.linalg.eigvalsh(hessian(a)).max()
    path, losses = gradient_descent(a, y, lr, 500)
    np.testing.assert_allclose(path[-1], [2.0, -1.0, 0.5], atol=1e-6)
    assert losses[-1] < 1e-10


def test_saved_model_keeps_the_normalization_layer(result):
    import json

    meta = json.loads((result.out_dir / "models" / "scales_normalized.json").read_text())
    assert meta["preprocessing"][0]["type"] == "Normalization" and len(meta["preprocessing"][0]["mean"]) == 2


def test_files_written(result):
    out = result.out_dir
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "loss_contours.png",
        "gd_loss.png",
        "learning_curves.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "S22" in " ".join(result.notes)


def test_build_model_rejects_unknown_variant():
    from nnzoo.recipes import preprocessing

    from nnzoo import datasets

    with pytest.raises(ValueError, match="Received: variant='whitened'"):
        preprocessing.build_model("whitened", data=datasets.load("scales"))


@pytest.mark.slow
def test_full_size_claims(tmp_path):
    full = nnzoo.run("preprocessing", quick=False, out=tmp_path / "full", verbose=0)
    failed = [(c.claim, c.evidence) for c in full.claims if not c.passed]
    assert not failed
