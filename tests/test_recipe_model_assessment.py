"""model_assessment recipe and nnzoo.assessment: the lecture's worked numbers, the six diagnoses, files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402
from nnzoo.assessment import bias_variance, binary_metrics, confusion  # noqa: E402
from nnzoo.errors import NnzooError  # noqa: E402

# Every claim is deterministic at quick size (fixed seeds; Monte Carlo with 400 repeats per order).


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("model_assessment", quick=True, out=tmp_path_factory.mktemp("model_assessment"), verbose=0)


def test_claims_hold(result):
    assert not [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert len(result.claims) == 7


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import model_assessment

    verdicts_can_fail(
        model_assessment,
        result,
        {
            "splits_keep_sizes_and_shares": {"drifts": {10_000: 0.02, 1_000_000: 0.0}},
            "formulas_match_libraries": {"sklearn_layout": [[40, 10], [20, 30]]},
            "confusion_formulas_match_evaluate": {"keras_gap": 0.01},
            "diagnoses_match_lecture": {"diagnoses": ["Low-bias, high-variance"] * 6},
            "error_decomposes_and_trades_off": {"variance": {1: 0.1, 3: 0.05, 5: 0.2}},
            "low_order_underfits_high_order_overfits": {"high_train": 0.1, "high_test": 0.15},
            "each_example_validated_once": {"times_validated": (0, 2)},
        },
    )


def test_worked_examples(result):  # the metrics example (01:569-587), the threshold rows (01:693-704), S33
    metrics, thresholds, s33 = result.worked[:4], result.worked[4:7], result.worked[7]
    assert [round(w.computed, 4) for w in metrics] == [0.70, 0.80, 0.6667, 0.75]
    assert thresholds[0].computed == "none"
    assert thresholds[1].computed.startswith("(1, 8, 10)") and thresholds[2].computed.startswith("(7.5, 8, 10)")
    assert s33.computed < 1e-20


@pytest.mark.parametrize(
    "errors, label",
    [
        ((0, 1, 15), "Low-bias, high-variance"),
        ((0, 15, 16), "High-bias, low-variance"),
        ((0, 15, 30), "High-bias, high-variance"),
        ((0, 0.5, 1), "Low-bias, low-variance"),
        ((1, 8, 10), "High-bias, low-variance"),
        ((7.5, 8, 10), "Low-bias, high-variance"),
    ],
)
def test_lecture_diagnoses(errors, label):
    found = bias_variance(*errors)
    assert found.diagnosis == label
    assert found.bias == pytest.approx(errors[1] - errors[0]) and found.variance == pytest.approx(errors[2] - errors[1])


def test_bias_variance_rejects_bad_input():
    with pytest.raises(NnzooError, match="Received: e_test"):
        bias_variance(0, 1, float("nan"))


def test_worked_metrics_and_layout():
    m = binary_metrics(tp=40, fp=10, fn=20, tn=30)
    assert (m["accuracy"], m["precision"], round(m["recall"], 4), m["specificity"]) == (0.70, 0.80, 0.6667, 0.75)
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1])
    assert np.array_equal(confusion(y_true, y_pred, labels=(1, 0)), confusion_matrix(y_true, y_pred, labels=[1, 0]).T)


def test_kfold_validates_each_example_once(result):
    folds = result.table[result.table["experiment"] == "kfold"]
    assert len(folds) == 5 and folds["val_size"].sum() == folds["train_size"].iloc[0] + folds["val_size"].iloc[0]


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "run.json", "confusion_matrix.png", "bias_variance.png"):
        assert (result.out_dir / name).is_file(), name


@pytest.mark.slow
def test_full_size(tmp_path):
    full = nnzoo.run("model_assessment", quick=False, out=tmp_path / "full", verbose=0)
    assert full.passed, [(c.claim, c.evidence) for c in full.failed_claims]
