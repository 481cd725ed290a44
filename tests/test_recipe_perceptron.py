"""perceptron recipe in quick mode: the learning rule, its worked iterations, convergence and the XOR cycle."""

import numpy as np
import pytest
from nnzoo.recipes import perceptron

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("perceptron", quick=True, out=tmp_path_factory.mktemp("perceptron"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 8
    assert not result.failed_claims, [c.claim for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    verdicts_can_fail(
        perceptron,
        result,
        {
            "updates_only_on_mistakes": {"first_is_mistake": False},
            "add_subtract_is_algorithm_1": {"max_difference": 1.0},
            "and_iterations_match_the_worked_example": {"mistakes_per_epoch": [3, 1, 0]},
            "converges_within_novikoff": {"updates": [10**9] * 5},
            "xor_cycles_forever": {"best_shuffled_accuracy": 1.0},
            "criterion_behaves": {"j_down": 1e9},  # S6: the slide's sign, stepping up J
            "delta_rule_is_minus_gradient": {"max_difference": 0.1},
            "linear_layers_collapse": {"max_difference": 0.1},
        },
    )


def test_bipolar_and_weights_match_the_hebb_slide_line():
    x = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], "float32")
    y = np.array([1, -1, -1, -1], "float32")
    model = perceptron.build_model()
    steps, epochs = perceptron.train_perceptron(model, x, y, max_epochs=10)
    assert [w.tolist() for w in steps["after"][:3]] == [[1, 1, 1], [0, 2, 0], [1, 1, -1]]  # 03:370-402 corrected
    assert perceptron.weights(model).tolist() == [1, 1, -1]
    assert epochs["mistakes"].tolist()[-1] == 0
    assert (perceptron.predict(model, x) == y).all()


def test_xor_returns_to_zero_every_epoch():
    x = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], "float32")
    y = np.array([-1, 1, 1, -1], "float32")
    model = perceptron.build_model()
    _, epochs = perceptron.train_perceptron(model, x, y, max_epochs=5, stop=False)
    assert epochs["mistakes"].tolist() == [4] * 5
    assert all(not w.any() for w in epochs["weights"])


def test_criterion_is_zero_without_mistakes():
    x = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], "float32")
    y = np.array([1, -1, -1, -1], "float32")
    j, wrong = perceptron.criterion(np.array([2.0, 3.0, -4.0]), x, y)
    assert j == 0 and not wrong.any()
    j, wrong = perceptron.criterion(np.array([1.0, 1.0, 1.0]), x, y)
    assert j > 0 and wrong.sum() == 3


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "boundary_per_epoch.png", "mistakes_per_epoch.png"):
        assert (result.out_dir / name).is_file(), name


def test_slip_s6_named(result):
    assert any("S6" in note for note in result.notes)
    assert any("S6" in c.claim and c.passed for c in result.claims)
