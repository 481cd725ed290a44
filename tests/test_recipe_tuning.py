"""The tuning recipe in quick mode: the lecture's procedure, with its worked numbers."""

import math

import pytest
from nnzoo.recipes import tuning

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("tuning", quick=True, out=tmp_path_factory.mktemp("tuning"), verbose=0)


def test_claims_hold(result):
    failing = [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert not failing, failing


def test_overfit_starts_at_ln10_and_the_guard_threshold(result):
    row = result.table.set_index("trial").loc["overfit_20"]
    assert row["train_accuracy"] == 1.0 and row["final_loss"] < 0.01
    overfit = next(c for c in result.claims if c.claim.startswith("Sanity check"))
    assert "2.302585" in overfit.evidence
    guard = next(c for c in result.claims if "too high" in c.claim)
    assert f"threshold {3 * math.log(10):.4g}" in guard.evidence  # 3x the chance loss of the first epoch


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        tuning,
        result,
        {
            "overfits_tiny_set": {"train_accuracy": 0.95},
            "loss_barely_moves": {"relative_change": 0.2},
            "explosion_stops_only_the_high_rate": {"good_stopped": True},
            "best_rates_inside_range": {"best_coarse": 1.0, "high": 1.0},
            "fine_beats_coarse": {"mean_fine": 0.1, "mean_coarse": 0.5},
            "log_space_spreads_decades": {"log_top_decade": 0.9},
            "random_beats_grid": {"random_mean_best": -0.1, "grid_best": -0.0169},
        },
    )


def test_search_rows_and_files(result):
    stages = result.table["stage"].value_counts()
    assert stages["coarse"] == tuning.QUICK.coarse_trials and stages["fine"] == tuning.QUICK.fine_trials
    assert (result.out_dir / "search.png").exists() and (result.out_dir / "bracket.png").exists()
    assert any("S32" in n for n in result.notes)


def test_grid_has_three_values_per_parameter():
    assert tuning.toy_objective(0.37, 0.9) == 0.0 and tuning.toy_objective(0.0, 0.0) < 0
