"""gradient_clipping recipe: quick run's claims, the worked vectors against nnzoo's digits, files, the same seed
twice in one process."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402

# All claims hold at quick size (2 seeds, 5 epochs); the full run repeats the cliff over 3 seeds.


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run(
        "gradient_clipping", quick=True, seed=0, out=tmp_path_factory.mktemp("gradient_clipping"), verbose=0
    )


def test_claims_hold(result):
    assert not [(c.claim, c.evidence) for c in result.claims if not c.passed]
    assert len(result.claims) == 5


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import gradient_clipping

    verdicts_can_fail(
        gradient_clipping,
        result,
        {
            "clipping_by_value_turns_the_step": {"cosines": [1.0, 1.0]},  # the direction kept
            "clipping_by_norm_keeps_the_direction": {"cosines": [0.98995, 0.90532]},  # the direction turned
            "keras_applies_the_clipped_gradient": {
                "errors": {"clipvalue": 0.0, "clipnorm": 0.0, "global_clipnorm": 0.4}
            },
            "clipnorm_survives_the_cliff": {"by_norm_ratios": [float("inf"), 1.0]},
            "clipping_by_norm_never_turns": {"by_norm_max_deviation": 0.1},
        },
    )


def test_worked_examples_show_the_values_beside_them(result):
    assert len(result.worked) == 7
    for w in result.worked:
        shown = w.computed if isinstance(w.computed, str) else f"{w.computed:.5f}"
        assert shown == w.slide, (w.example, w.computed, w.slide)


def test_worked_vectors():
    from nnzoo.recipes.gradient_clipping import clip_by_norm, clip_by_value, cosine, keras_step

    g1, g2 = np.array([3.0, 4.0]), np.array([0.5, -20.0])
    assert np.array_equal(clip_by_value(g1), [1, 1]) and np.array_equal(clip_by_value(g2), [0.5, -1])
    assert round(cosine(g1, clip_by_value(g1)), 5) == 0.98995
    assert round(cosine(g2, clip_by_value(g2)), 5) == 0.90532
    assert np.allclose(clip_by_norm(g1), [0.6, 0.8])
    assert np.allclose(np.round(clip_by_norm(g2), 6), [0.024992, -0.999688])
    per_variable, joint = keras_step(clipnorm=1.0), keras_step(global_clipnorm=1.0)
    assert np.allclose(per_variable[0], [0.6, 0.8], atol=1e-6)
    assert np.allclose(joint[0], g1 / np.sqrt(9 + 16 + 0.25 + 400), atol=1e-6)


def test_unclipped_explodes(result):
    table = result.table.set_index("variant")
    assert not table.loc["none", "loss_finite"].any()
    assert table.loc["by_norm", "loss_finite"].all() and (table.loc["by_norm", "max_loss_ratio"] <= 3).all()


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "run.json", "loss_curves.png"):
        assert (result.out_dir / name).is_file(), name


def test_same_seed_same_results(result, tmp_path):
    """Seed 0 again in the same process, after everything the first run left there: the same numbers (the
    second seed's variants on reused graphs, a run stopped on NaN) and the same verdicts."""
    again = nnzoo.run("gradient_clipping", quick=True, seed=0, out=tmp_path / "again", verbose=0)
    timing = [c for c in again.table.columns if "seconds" in c]
    first = pd.read_csv(result.out_dir / "results.csv").drop(columns=timing)
    second = pd.read_csv(tmp_path / "again" / "results.csv").drop(columns=timing)
    pd.testing.assert_frame_equal(first, second)
    assert [c.passed for c in again.claims] == [c.passed for c in result.claims]
    assert json.loads((tmp_path / "again" / "run.json").read_text())["seed"] == 0


@pytest.mark.slow
def test_full_size(tmp_path):
    full = nnzoo.run("gradient_clipping", quick=False, out=tmp_path / "full", verbose=0)
    assert full.passed, [(c.claim, c.evidence) for c in full.failed_claims]
