"""optimizers recipe: quick run's claims, the worked iteration counts and steps, files written."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402

# Training-behaviour claims, decided over 3 seeds only at full size.
SLOW_ONLY = ("Recommended",)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("optimizers", quick=True, out=tmp_path_factory.mktemp("optimizers"), verbose=0)


def test_deterministic_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed and not c.claim.startswith(SLOW_ONLY)]
    assert not failed
    assert len(result.claims) == 12


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import optimizers

    verdicts_can_fail(
        optimizers,
        result,
        {
            "vanilla_gd_counts": {"iterations": {0.01: 882, 0.019: 463, 0.021: 900}},
            "momentum_forms_agree": {"keras_gap": 0.1},
            "keras_stores_look_ahead": {"look_ahead_gap": 0.1},
            "newton_one_step": {"iterations_ill_conditioned": 2},
            "conditioning_counts": {"mild_momentum": 30},
            "adagrad_step_decays": {"effective_sparse": 0.0},
            "rmsprop_step_does_not_decay": {"last_step": 0.1},
            "adam_matches_keras": {"relative_gap": 0.01},
            "slide_adadelta_is_rmsprop": {"gap_to_rmsprop": 1.0},
            "summary_table_holds": {"velocity_variants": ["adagrad", "adam", "momentum", "nesterov"]},
            "recommended_beat_sgd": {"mean_val_accuracy": {"sgd": 0.9, "nesterov": 0.8, "adam": 0.95}},
            "scratch_trains_like_builtin": {"loss_gaps": {"adam": 0.5}},
        },
    )


def test_adam_first_step_is_a_worked_example(result):
    corrected = next(w for w in result.worked if w.example.startswith("Adam's corrected"))
    uncorrected = next(w for w in result.worked if w.example.startswith("Adam's uncorrected"))
    assert round(corrected.computed, 7) == 0.9999998 and round(uncorrected.computed, 4) == 3.1623  # 03:1889-1898


def test_iteration_counts_match_the_worked_numbers():
    from nnzoo.recipes.optimizers import iterations_to, numpy_path

    counts = {
        rule: iterations_to(numpy_path(rule, lr, 2000))
        for rule, lr in (
            ("sgd", 0.01),
            ("momentum", 0.01),
            ("nesterov", 0.01),
            ("adagrad", 1.0),
            ("adam", 0.1),
            ("newton", 1.0),
        )
    }
    assert counts == {"sgd": 882, "momentum": 162, "nesterov": 99, "adagrad": 265, "adam": 305, "newton": 1}
    assert iterations_to(numpy_path("sgd", 0.019, 2000)) == 463
    assert np.isnan(iterations_to(numpy_path("sgd", 0.021, 2000)))


def test_adagrad_steps_decay():
    from nnzoo.recipes.optimizers import numpy_step_sizes

    steps = numpy_step_sizes("adagrad", 1.0, 100)
    assert np.allclose(steps[[0, 3, 15, 99]], [1.0, 0.5, 0.25, 0.1], atol=1e-6)


def test_tunable_model_compiles():
    keras_tuner = pytest.importorskip("keras_tuner")
    from nnzoo.recipes.optimizers import tunable_model

    from nnzoo import datasets

    hp = keras_tuner.HyperParameters()
    model = tunable_model(hp, datasets.load("digits"))
    assert model.optimizer is not None and {"optimizer", "learning_rate"} <= set(hp.values)


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "run.json", "trajectories.png", "digits_loss.png"):
        assert (result.out_dir / name).is_file(), name


@pytest.mark.slow
def test_full_size(tmp_path):
    """Full size: all 7 optimizers x 3 seeds on digits, every built-in beside its from-scratch twin."""
    full = nnzoo.run("optimizers", quick=False, out=tmp_path / "full", verbose=0)
    assert full.passed, [(c.claim, c.evidence) for c in full.failed_claims]
