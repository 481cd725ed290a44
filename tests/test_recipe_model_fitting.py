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


def test_stability_bound_on_the_chosen_range():
    X = mf.features(np.linspace(-2, 2, 50))
    lam_max = np.linalg.eigvalsh(2 * X.T @ X).max()
    assert round(lam_max) == 1148 and 7.5e-4 < 2 / lam_max < 1.75e-3
    wide = mf.features(np.linspace(-3, 3, 50))
    assert 2 / np.linalg.eigvalsh(2 * wide.T @ wide).max() < 7.5e-4


def test_every_init_reaches_least_squares(result):
    inits = result.table[result.table["experiment"] == "initialization"]
    w = inits[["w1", "w2", "w3", "w4"]].to_numpy()
    assert np.abs(w - w[0]).max() < 1e-3 and np.allclose(inits["final_loss"], inits["optimum"])


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "fits_and_losses.png"):
        assert (result.out_dir / name).stat().st_size > 0, name
