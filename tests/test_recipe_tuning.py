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
    assert "3 ln 10 = 6.9078" in guard.evidence and round(3 * math.log(10), 4) == 6.9078


def test_search_rows_and_files(result):
    stages = result.table["stage"].value_counts()
    assert stages["coarse"] == tuning.QUICK.coarse_trials and stages["fine"] == tuning.QUICK.fine_trials
    assert (result.out_dir / "search.png").exists() and (result.out_dir / "bracket.png").exists()
    assert any("S32" in n for n in result.notes)


def test_grid_has_three_values_per_parameter():
    assert tuning.toy_objective(0.37, 0.9) == 0.0 and tuning.toy_objective(0.0, 0.0) < 0
