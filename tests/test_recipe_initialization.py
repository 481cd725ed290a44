"""initialization recipe in quick mode: the slides' activation statistics, formulas, symmetry, files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnzoo  # noqa: E402

# Training claims that need the full size (20 epochs, 3 seeds); every other claim holds in quick mode.
SLOW_ONLY = ("With ReLU, HeNormal trains",)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("initialization", quick=True, out=tmp_path_factory.mktemp("initialization"), verbose=0)


def _claim(result, prefix):
    return next(c for c in result.claims if c.claim.startswith(prefix))


def test_deterministic_claims_hold(result):
    failed = [(c.claim, c.evidence) for c in result.claims if not c.passed and not c.claim.startswith(SLOW_ONLY)]
    assert not failed
    assert len(result.claims) == 14


def _layers(result, scheme):
    stats = result.table[(result.table["experiment"] == "activation_statistics") & (result.table["scheme"] == scheme)]
    return stats.set_index("layer")


def test_small_init_matches_the_slide_except_s11(result):
    s = _layers(result, "small_0.01")["std"].to_numpy()
    np.testing.assert_allclose(s[:3], [0.213081, 0.047551, 0.010630], rtol=0.05)
    assert s[3] < 0.01 and s[4] < 0.001  # the slide's 0.992378 and 0.998532 are slip S11
    assert s[-1] < 1e-5


def test_large_init_saturates(result):
    s = _layers(result, "large_1.0")
    assert s["std"].between(0.975, 0.99).all() and (s["std"] < 1.001311).all()  # S12
    assert s["saturated"].between(0.88, 0.92).all()


def test_xavier_and_he_match_the_slides(result):
    xt = _layers(result, "xavier_tanh")["std"].to_numpy()
    assert abs(xt[0] - 0.627953) < 0.01 and abs(xt[-1] - 0.228888) < 0.01
    xr = _layers(result, "xavier_relu")
    assert abs(xr["mean"].iloc[0] - 0.398623) < 0.01 and abs(xr["std"].iloc[0] - 0.582273) < 0.01
    he = _layers(result, "he_relu")
    assert abs(he["mean"].iloc[0] - 0.562408) < 0.01 and abs(he["std"].iloc[0] - 0.825232) < 0.01


def test_formulas_are_worked_examples_beside_the_slides(result):
    worked = {w.slide: w.computed for w in result.worked}
    for slide in ("0.0019231", "0.043853", "0.075955", "0.0025510", "0.087482", "0.003846"):
        assert f"{worked[slide]:.{len(slide) - 2}f}" == slide
    assert "| Glorot variance 2/(n_in + n_out), 784 -> 256 |" in (result.out_dir / "report.md").read_text()


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import initialization

    verdicts_can_fail(
        initialization,
        result,
        {
            "zero_init_cannot_learn": {"val_accuracy": 0.9},
            "constant_init_stays_symmetric": {"column_spread": 0.1},
            "small_init_collapses": {"layer4_std": 0.99},
            "large_init_saturates": {"saturated": [0.5] * 10},
            "xavier_tanh_decays_slowly": {"stds": [0.628, 0.7, 0.228]},
            "xavier_relu_halves": {"decay": 1.0},
            "he_keeps_scale": {"last_over_first": 0.1},
            "keras_samples_formula": {"normal_var_ratio": 2.0},
            "he_differs_from_slide_variants": {"over_upm": 1.0},
            "uniform_init_shrinks": {"variance_times_3n": 3.0},
            "small_init_fails_deep": {"deep_accuracy": 0.9},
            "he_beats_glorot": {"he_epochs": 9.0, "glorot_epochs": 3.0},
            "norms_scale_geometrically": {"gain_11": 1.0},
            "keras_code_init": {"max_bias": 0.1},
        },
    )


def test_notes_name_the_slips(result):
    notes = " ".join(result.notes)
    for slip in ("S11", "S12", "S13", "S14", "S27", "S28"):
        assert slip in notes
    small = _layers(result, "small_0.01")["std"]
    assert f"are {small.iloc[3]:.2g} and {small.iloc[4]:.2g} here" in notes  # computed, not typed in


def test_files_written(result):
    out = result.out_dir
    for name in (
        "results.csv",
        "claims.json",
        "report.md",
        "run.json",
        "activation_histograms.png",
        "layer_std.png",
        "learning_curves.png",
        "models/deep_he_relu.keras",
    ):
        assert (out / name).stat().st_size > 0, name


def test_build_model_rejects_unknown_variant():
    from nnzoo.recipes import initialization

    with pytest.raises(ValueError, match="Received: variant='ones'"):
        initialization.build_model("ones")


def test_tunable_model_compiles():
    import keras_tuner
    from nnzoo.recipes import initialization

    from nnzoo import datasets

    model = initialization.tunable_model(keras_tuner.HyperParameters(), datasets.load("digits"))
    assert model.optimizer is not None and model.output_shape == (None, 10)


@pytest.mark.slow
def test_full_size_claims(tmp_path):
    full = nnzoo.run("initialization", quick=False, out=tmp_path / "full", verbose=0)
    failed = [(c.claim, c.evidence) for c in full.claims if not c.passed]
    assert not failed
