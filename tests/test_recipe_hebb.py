"""hebb recipe in quick mode: the slides' weight tables (corrected for S7-S10) digit for digit."""

import numpy as np
import pytest
from nnzoo.recipes import hebb

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("hebb", quick=True, out=tmp_path_factory.mktemp("hebb"), verbose=0)


def _run(x, y):
    model = hebb.build_model(input_dim=len(x[0]))
    changes, weights = hebb.hebb(model, np.array(x, "float32"), np.array(y, "float32"))
    return changes.astype(int).tolist(), weights.astype(int).tolist(), hebb.net_input(model, x)


def test_all_claims_hold(result):
    assert len(result.claims) == 5
    assert not result.failed_claims, [c.claim for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        hebb,
        result,
        {
            "binary_and_is_not_learned": {"outputs": [1, 0, 0, 0]},
            "bipolar_targets_alone_still_fail": {"net": [2.0, -2.0, -2.0, -2.0], "outputs": [1, -1, -1, -1]},
            "bipolar_and_is_learned": {"weights": [(1, 1, 1), (0, 2, 0), (0, 2, 0), (1, 1, -1)]},
            "three_input_first_pattern_wrong": {"outputs": [1, -1, -1, -1]},
            "perceptron_learns_what_hebb_misses": {"hebb_accuracy": 1.0},
        },
    )


def test_slides_printed_values_redone(result):  # S7, S8, S10 and the separating witness
    assert [w.computed for w in result.worked] == ["(-1, 1, -1)", "(0.0, 0.0)", "(-2, -2, -2, -4)", "[1, -1, -1, -1]"]


def test_binary_and_table():  # 03:329-349
    _, weights, net = _run([[1, 1], [1, 0], [0, 1], [0, 0]], [1, 0, 0, 0])
    assert weights == [[1, 1, 1]] * 4
    assert hebb.line(weights[0]) == (-1.0, -1.0)  # x2 = -x1 - 1 (03:335)
    assert (net > 0).all()  # every pattern is classified 1: learning fails


def test_bipolar_and_table():  # 03:366-406 with slips S7-S9 corrected
    changes, weights, net = _run([[1, 1], [1, -1], [-1, 1], [-1, -1]], [1, -1, -1, -1])
    assert changes == [[1, 1, 1], [-1, 1, -1], [1, -1, -1], [1, 1, -1]]
    assert weights == [[1, 1, 1], [0, 2, 0], [1, 1, -1], [2, 2, -2]]
    assert [hebb.line(w) for w in weights] == [(-1, -1), (0, 0), (-1, 1), (-1, 1)]  # 03:374, 384, 396, 406
    assert (np.sign(net) == [1, -1, -1, -1]).all()


def test_three_input_failure():  # 03:409-418 with slip S10 corrected
    x = [[1, 1, 1], [1, 1, -1], [1, -1, 1], [-1, 1, 1]]
    _, weights, net = _run(x, [1, -1, -1, -1])
    assert weights == [[1, 1, 1, 1], [0, 0, 2, 0], [-1, 1, 1, -1], [0, 0, 0, -2]]
    assert np.sign(net[0]) != 1  # the first pattern is wrong (03:418)


def test_slips_are_named(result):
    notes = " ".join(result.notes)
    for slip in ("S7", "S8", "S9", "S10"):
        assert slip in notes


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "decision_lines.png"):
        assert (result.out_dir / name).is_file(), name
