"""gradient_descent recipe in quick mode: step sizes, the quadratic's digits, batch regimes, epochs."""

import math

import numpy as np
import pytest
from nnzoo.recipes import gradient_descent as gd

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("gradient_descent", quick=True, out=tmp_path_factory.mktemp("gradient_descent"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 4
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        gd,
        result,
        {
            "smaller_batches_fluctuate_more": {"swing": {"batch": 0.0, "mini-batch": 0.4, "stochastic": 0.3}},
            "gradient_variance_falls_like_one_over_batch": {"measured_ratios": [1.0, 1.0]},  # no fall with |B|
            "regimes_reach_the_optimum": {"worst_excess": {"batch": 0.5, "mini-batch": 0.0}},
            "iterations_are_batches": {"iterations": {"batch": 2, "mini-batch": 2, "stochastic": 2}},  # one per epoch
        },
    )


def test_update_rules_are_worked_examples(result):
    worked = {w.example: w for w in result.worked}
    counts = next(w for w in result.worked if w.example.startswith("GD iterations to f < 1e-6"))
    assert counts.computed == counts.slide == "420 / 81 / 39 / 20 / 212 / diverges / diverges"
    for example in (
        "f = x1^2 + x1 x2 + 4 x2^2 and its gradient at (3, 3)",
        "Eigenvalues of the Hessian [[2, 1], [1, 8]]: 5 -+ sqrt(10)",
        "Stability limit 2 / lambda_max",
    ):
        assert worked[example].computed == worked[example].slide, example
    lr_01 = next(w for w in result.worked if w.example.startswith("x_1..x_5 on f = x^2 from x0 = 1 at lr 0.1"))
    assert lr_01.slide.startswith(lr_01.computed)


def test_x_squared_sequences():
    assert np.allclose(gd.gd_1d(0.1)[1:6], [0.8, 0.64, 0.512, 0.4096, 0.32768])
    assert gd.gd_1d(0.5)[1] == 0 and np.allclose(np.abs(gd.gd_1d(1.0)), 1)
    assert abs(gd.gd_1d(1.1)[-1]) > 1


def test_quadratic_digits():
    lam = np.linalg.eigvalsh(gd.HESSIAN)
    assert gd.quadratic(gd.X0) == 54 and (gd.HESSIAN @ gd.X0).tolist() == [9, 27]
    assert (round(lam[0], 4), round(lam[1], 4)) == (1.8377, 8.1623)
    assert round(2 / lam.max(), 5) == 0.24503 and round(2 / lam.sum(), 10) == 0.2
    counts = {eta: gd.descend(gd.X0, eta)[1] for eta in (0.01, 0.05, 0.1, 0.2, 0.24, 0.25, 0.3)}
    assert counts == {0.01: 420, 0.05: 81, 0.1: 39, 0.2: 20, 0.24: 212, 0.25: math.inf, 0.3: math.inf}


def test_iterations_match_keras(result):
    rows = result.table[result.table["experiment"] == "epochs_vs_iterations"]
    assert (rows["optimizer_iterations"] == rows["expected_iterations"]).all()
    mini = rows[rows["batch_size"] == 500].iloc[0]
    assert mini["n_train"] == 2000 and mini["optimizer_iterations"] == 4 * mini["epochs"]


def test_files_written(result):
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "trajectories.png",
        "batch_regimes.png",
        "keras_regimes.png",
    ):
        assert (result.out_dir / name).stat().st_size > 0, name
