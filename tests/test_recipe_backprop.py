"""backprop recipe in quick mode: the slides' worked numbers, three ways, and the engine itself."""

import pytest
from nnzoo.recipes import backprop

import nnzoo
from nnzoo import autodiff


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return nnzoo.run("backprop", quick=True, out=tmp_path_factory.mktemp("backprop"), verbose=0)


def test_all_claims_hold(result):
    assert len(result.claims) == 8
    assert not result.failed_claims, [(c.claim, c.evidence) for c in result.failed_claims]


def test_verdicts_can_fail(result, verdicts_can_fail):
    from nnzoo.recipes import backprop

    verdicts_can_fail(
        backprop,
        result,
        {
            "x2y_over_z_matches_slide": {"tools_agree": False},
            "sum_times_matches_slide": {"computed": {"q": 3, "f": -12, "df/dx": -4, "df/dy": 4, "df/dz": 3}},
            "hand_made_matches_slide": {"tools_agree": False},
            "one_step_matches": {"w5": -2.0},
            "precipitation_matches_slide": {"grad_w31": 0.3033201},
            "softmax_gradient_is_f_minus_e": {"max_error": 0.1},
            "matrix_backprop_matches": {"fd_error": 0.1},
            "jacobian_form_matches": {"jacobian_error": 1e-3},
        },
    )


def test_x2y_over_z_digits():
    f, n = backprop.by_hand(backprop.x2y_over_z, {"x": 3.0, "y": 4.0, "z": 2.0})
    assert (n["v"].value, n["u"].value, f.value) == (9, 36, 18)
    assert (n["x"].grad, n["y"].grad, n["z"].grad) == (12, 4.5, -9)


def test_sum_times_digits():
    f, n = backprop.by_hand(backprop.sum_times, {"x": -2.0, "y": 5.0, "z": -4.0})
    assert (n["q"].value, f.value) == (3, -12)
    assert (n["x"].grad, n["y"].grad, n["z"].grad, n["q"].grad) == (-4, -4, 3, -4)


def test_hand_made_network_digits():
    loss, n = backprop.by_hand(backprop.hand_made_loss, backprop.HAND_MADE)
    assert [n[k].value for k in ("o1", "o2", "o3", "o4", "o5")] == [5, -8, 5, 0, -4] and loss.value == 81
    assert (n["o5"].grad, n["w5"].grad, n["o3"].grad, n["o1"].grad, n["w1"].grad) == (-18, -90, 36, 36, 72)
    tape_loss, grads, updated = backprop.with_tape("hand_made", 1e-3)
    assert tape_loss == 81 and grads["w5"] == -90 and grads["w1"] == 72
    assert round(updated["w5"], 2) == -1.91 and round(updated["w1"], 3) == -0.072  # S4: the slide prints -2.00


def test_precipitation_digits():
    loss, n = backprop.by_hand(backprop.precipitation_loss, backprop.PRECIPITATION)
    assert round(loss.value, 4) == 0.2119 and round(n["y_hat"].value, 10) == 0.229 and round(n["z1"].value, 10) == 0.51
    assert round(n["w31"].grad, 10) == -0.33201  # S1: the slide prints +0.3033201
    _, _, updated = backprop.with_tape("precipitation", 0.001)
    assert round(updated["w31"], 10) == 0.30033201  # S2


def test_engine_accumulates_over_shared_nodes():
    x = autodiff.Node(3.0, "x")
    f = (x * x + x).named("f").backward()  # f = x^2 + x, f' = 2x + 1
    assert f.value == 12 and x.grad == 7
    [(src, dst, local, upstream)] = autodiff.named_edges(f)  # the three paths x -> f folded into one edge
    assert src is x and dst is f and local == 7 and upstream == 1


def test_unknown_variant_is_rejected():
    with pytest.raises(ValueError, match="Received: variant='cnn'"):
        backprop.build_model("cnn")


def test_files_written(result):
    for name in ("results.csv", "claims.json", "report.md", "computational_graphs.png", "network_graphs.png"):
        assert (result.out_dir / name).stat().st_size > 0, name
    assert "S4" in (result.out_dir / "report.md").read_text()
