"""early_stopping recipe: quick run's claims, the H2O rule by hand, and the files written."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("early_stopping", quick=True, out=tmp_path_factory.mktemp("early_stopping"), verbose=0)


def test_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) == 6


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import early_stopping

    verdicts_can_fail(
        early_stopping,
        result,
        {
            "stops_patience_after_best": {"final_gaps": [0.1, 0.1]},  # the returned model is not the last epoch's
            "restore_returns_best_epoch": {"val_gaps": [0.05, 0.0]},
            "best_epoch_weights_smaller": {"best_norms": [1e9, 1e9]},
            "relative_rule_stops": {"fast_stop": 9},  # stops although it improves 0.25 % per 5 events
            "relative_rule_ignores_units": {"absolute_stops": (20, 20)},  # min_delta as if it were relative
            "stopping_saves_epochs": {"epochs_run": [10**6, 10**6]},
        },
    )


def test_stops_patience_after_best(result):
    stopped = result.table[result.table["variant"] != "no_stopping"]
    assert (stopped["stopped_epoch"] - stopped["best_epoch"] == result.info["config"]["patience"]).all()
    restored = stopped[stopped["variant"] == "restore"]
    assert np.allclose(restored["returned_val_accuracy"], restored["best_val_accuracy"])


def test_relative_rule_by_hand():
    from nnzoo.recipes.early_stopping import relative_stop

    # 0.01 %/event: five events gain 0.05 % < 0.1 %, so it stops at the first complete window (event 9).
    assert relative_stop((1 - 1e-4) ** np.arange(40), 5, 1e-3) == 9
    assert relative_stop((1 - 5e-4) ** np.arange(40), 5, 1e-3) is None
    curve = 0.1 + np.exp(-np.arange(60) / 5)
    assert relative_stop(curve) == relative_stop(1000 * curve)


def test_files_written(result):
    out = result.out_dir
    for name in ("results.csv", "claims.json", "report.md", "run.json", "validation_curve.png"):
        assert (out / name).is_file(), name


@pytest.mark.slow
def test_full_size(tmp_path):
    """At full size (patience 40, 300 epochs, 3 seeds) every claim holds too."""
    full = nnzoo.run("early_stopping", quick=False, out=tmp_path / "full", verbose=0)
    assert full.info["config"]["patience"] == 40
    assert full.passed, [(c.claim, c.evidence) for c in full.failed_claims]
