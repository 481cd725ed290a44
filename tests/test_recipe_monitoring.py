"""The monitoring recipe in quick mode: every lecture-000 diagnostic is produced and its claims hold."""

import pytest

import nnzoo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("monitoring", quick=True, out=tmp_path_factory.mktemp("monitoring"), verbose=0)


def test_all_claims_hold_in_quick_mode(result):
    failing = [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert not failing, failing
    assert len(result.claims) == 7


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import monitoring

    verdicts_can_fail(
        monitoring,
        result,
        {
            "diagnoses_match_the_lecture": {"diagnoses": {**monitoring.EXPECTED, "high": "learning rate looks good"}},
            "good_rate_ends_lowest": {"final_losses": {"very_low": 2.3, "low": 1.2, "good": 1.5, "high": 2.0}},
            "update_ratio_near_target": {"ratio": 1.3},  # slip S20's reference value
            "update_ratio_scales_with_rate": {"factors": [10.0, 1.5]},
            "regularization_shrinks_the_gap": {"large_gaps": [0.2], "regularized_gaps": [0.3]},
            "small_init_collapses_activations": {"last_to_first_std": {"tanh_small": 0.9, "tanh_glorot": 0.9}},
            "regularized_filters_are_smoother": {"regularized": 1.2, "unconverged": 1.1, "unregularized": 1.3},
        },
    )


def test_regime_diagnoses_and_files(result):
    table = result.table.set_index("variant")
    assert table.loc["adam_very_high", "epochs_run"] < table.loc["adam_good", "epochs_run"]
    assert "run stopped: loss exploded" in table.loc["adam_very_high", "diagnosis"]
    assert "overfitting" in table.loc["large_seed0", "diagnosis"]
    for name in (
        "loss_per_learning_rate.png",
        "train_vs_validation.png",
        "dashboard_good.png",
        "first_layer_good.png",
        "claims.json",
    ):
        assert (result.out_dir / name).stat().st_size > 0
    assert any("S20" in n for n in result.notes)
    assert "S20" in (result.out_dir / "report.md").read_text()


def test_monitor_flag_on_another_recipe(tmp_path):
    run = nnzoo.run("model_fitting", quick=True, out=tmp_path / "mf", monitor=True, verbose=0)
    assert (tmp_path / "mf" / "monitor" / "cubic" / "monitor.csv").exists()
    assert (tmp_path / "mf" / "monitor" / "cubic" / "findings.json").exists()
    assert (tmp_path / "mf" / "monitor_cubic_dashboard.png").exists()
    assert any(n.startswith("monitor [cubic]") for n in run.notes)
    assert list((tmp_path / "mf" / "tensorboard" / "cubic").glob("events.out.tfevents.*"))
