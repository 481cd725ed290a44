"""losses recipe in quick mode: lecture 001's tables to the slides' digits, conventions, the quiz."""

import pytest
from nnzoo.recipes import losses

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("losses", quick=True, out=tmp_path_factory.mktemp("losses"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 5
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        losses,
        result,
        {
            "keras_losses_match_formulas": {"max_gap": 0.01},
            "one_hot_and_single_ce": {"ce": 0.0458},  # log10 0.9
            "uniform_prediction_costs_ln10": {"loss": 1.0},
            "keras_mse_mae_are_means": {"max_error": 0.5},
            "only_quadratic_is_a_loss": {"usable": ["e^3", "5e^2 - 2"]},
        },
    )


def test_tables_are_worked_examples_beside_the_slides(result):
    rows = {w.example: (w.computed, w.slide) for w in result.worked}
    for model, ce, mse, ace in (("model 1", 0.33, 0.81, 1.38), ("model 2", 0.33, 0.34, 0.64)):
        for k, v in (("CE", ce), ("MSE", mse), ("ACE", ace)):
            computed, slide = rows[f"{model}: {k}"]
            assert round(computed, 2) == v and slide == str(v)


@pytest.mark.parametrize("model, ce, mse, ace", [("model 1", 0.33, 0.81, 1.38), ("model 2", 0.33, 0.34, 0.64)])
def test_tables_to_the_slides_digits(model, ce, mse, ace):
    for values in (losses.by_hand(losses.TABLES[model]), losses.with_keras(losses.TABLES[model])):
        assert (round(values["CE"], 2), round(values["MSE"], 2), round(values["ACE"], 2)) == (ce, mse, ace)


def test_other_conventions_do_not_give_the_slides_digits():
    alt = losses.conventions(losses.TABLES["model 1"])
    assert round(alt["ACE without 1/n"], 4) == 4.1352 and round(alt["ACE with log10"], 4) == 0.5986
    assert round(alt["MSE mean over classes"], 5) == 0.26889


def test_quiz_only_the_quadratic_is_a_loss():
    found = losses.quiz(losses.QUICK)
    assert [name for name, f in found.items() if f["usable"]] == ["5e^2 - 2"]


def test_uniform_prediction_costs_ln10(result):
    claim = next(c for c in result.claims if "ln 10" in c.claim)
    assert claim.passed and "2.302585" in claim.evidence


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "tables.png", "quiz.png"):
        assert (result.out_dir / name).stat().st_size > 0, name
