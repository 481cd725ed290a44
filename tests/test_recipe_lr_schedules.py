"""lr_schedules recipe: the quick run's claims (all deterministic), its table and the files written."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("lr_schedules", quick=True, out=tmp_path_factory.mktemp("lr_schedules"), verbose=0)


def test_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) == 5
    assert any("S21" in c.claim for c in result.claims)


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import lr_schedules

    verdicts_can_fail(
        lr_schedules,
        result,
        {
            "schedules_match_formulas": {"max_errors": {"step": 0.0, "exponential": 1e-3, "one_over_t": 0.0}},
            "schedules_equal_keras_twins": {
                "relative_differences": {"step": 0.5, "exponential": 0.0, "one_over_t": 0.0}
            },
            "fit_uses_the_schedule": {
                "rate_errors": {"constant": 0.0, "step": 0.05, "exponential": 0.0, "one_over_t": 0.0}
            },
            "annealing_settles_lower": {
                "settled": {"constant": 1.0, "step": 0.5, "exponential": 1.5, "one_over_t": 0.5}
            },
            "decay_per_epoch_is_step_decay": {"max_difference": 0.01},
        },
    )


def test_table_and_files(result):
    digits = result.table[result.table["experiment"] == "digits"].set_index("schedule")
    assert list(digits.index) == ["constant", "step", "exponential", "one_over_t"]
    assert digits.loc["step", "final_learning_rate"] == pytest.approx(0.05)  # halved once in the quick 6 epochs
    assert np.isfinite(digits["final_val_accuracy"]).all() and (digits["final_val_accuracy"] > 0.8).all()
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "learning_rates.png",
        "learning_curves.png",
        "noisy_sgd.png",
    ):
        assert (result.out_dir / name).is_file(), name
