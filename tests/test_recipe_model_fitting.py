"""model_fitting recipe in quick mode: four initializations, two learning rates, the stability bound."""

import numpy as np
import pytest
from nnzoo.recipes import model_fitting as mf

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("model_fitting", quick=True, out=tmp_path_factory.mktemp("model_fitting"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 5
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_lecture_initializations_and_rates():
    assert list(mf.INITS.values()) == [(-9, 2, 1, 30), (-9, 2, 1, -20), (-40, 0, 0, 0), (0, 0, 0, 0)]
    assert mf.RATES == (2e-5, 7.5e-4)


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        mf,
        result,
        {
            "every_start_reaches_least_squares": {"spread": 0.5},
            "larger_rate_converges_sooner_and_diverges_on_the_wide_range": {"iterations_large_rate": 50_000},
            "loss_never_rises": {"largest_rises": {"2e-05": 0.0, "0.00075": 0.01}},
            "cubic_validates_line_underfits": {"cubic_val_mse": 1.0},
            "keras_follows_numpy_steps": {"relative_difference": 0.1},
        },
    )


def test_stability_bound_on_the_chosen_range(result):  # the expected values for x in [-2, 2] and [-3, 3], N = 50
    smallest, lam_max, bound, wide_bound = (w.computed for w in result.worked)
    assert smallest > 0 and round(lam_max) == 1148
    assert bound == pytest.approx(1.74e-3, rel=1e-2) and wide_bound == pytest.approx(1.67e-4, rel=1e-2)


def test_every_init_reaches_least_squares(result):
    inits = result.table[result.table["experiment"] == "initialization"]
    w = inits[["w1", "w2", "w3", "w4"]].to_numpy()
    assert np.abs(w - w[0]).max() < 1e-3 and np.allclose(inits["final_loss"], inits["optimum"])


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "fits_and_losses.png"):
        assert (result.out_dir / name).stat().st_size > 0, name
