"""``nnzoo run --resume``: killed (SIGKILL) between variants and while a checkpoint is written mid-variant,
then interrupted with Ctrl-C and resumed to the end, a run equals an uninterrupted one with the same seed."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import _resume_recipe
import numpy as np
import pytest

import nnzoo
from nnzoo import checkpoints, cli, errors

HERE = Path(__file__).parent
DRIVER = HERE / "_resume_driver.py"


@pytest.fixture
def tiny(monkeypatch):
    _resume_recipe.register(monkeypatch)
    monkeypatch.setattr(checkpoints, "MAX_OVERHEAD", float("inf"))  # a checkpoint after every epoch
    return _resume_recipe.NAME


def drive(log, moment, out, *options):
    """The tiny recipe in a child process that kills itself at ``moment`` (see _resume_driver.py)."""
    return subprocess.run(
        [sys.executable, str(DRIVER), str(log), moment, str(out), *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE,
    )


def trained(log, start):
    """The checkpoints saved since line ``start`` of the log, as (key, epoch, kind) triples."""
    lines = Path(log).read_text().splitlines()[start:]
    return [(key, int(epoch), kind) for key, epoch, kind in (line.split() for line in lines)]


def ctrl_c_after(monkeypatch, log, key, at_epoch):
    """Log every checkpoint saved in this process, and press Ctrl-C (SIGINT) once ``key`` saved ``at_epoch``.
    Returns the function that puts the previous SIGINT handler back."""
    original = checkpoints.VariantCheckpoint.save

    def save(self, model, *, epoch, history, seconds, finished=None):
        original(self, model, epoch=epoch, history=history, seconds=seconds, finished=finished)
        with open(log, "a") as handle:
            handle.write(f"{self.path.stem} {epoch} {'finished' if finished else 'epoch'}\n")
        if (self.path.stem, epoch, finished) == (key, at_epoch, None):
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(checkpoints.VariantCheckpoint, "save", save)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    return lambda: signal.signal(signal.SIGINT, previous)


def weights(path):
    import keras

    return keras.saving.load_model(path).get_weights()


def test_killed_and_interrupted_run_resumes_to_the_uninterrupted_numbers(tiny, tmp_path, monkeypatch, capsys):
    reference = nnzoo.run(tiny, seed=3, out=tmp_path / "reference", verbose=0)
    out, log = tmp_path / "killed", tmp_path / "log"
    out.mkdir()
    (out / ".run.0a1b2c3d.partial.json").write_text("{")  # a kill during the very first write
    assert cli.main(["run", tiny, "--out", str(out), "--seed", "3"]) == 2  # without --resume: refused
    assert "add --resume" in capsys.readouterr().err

    between = drive(log, "after:001-first:done", out, "--seed", "3", "--resume")  # between variants
    assert between.returncode == -signal.SIGKILL, between.stderr
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert trained(log, 0) == [
        ("001-first", 1, "epoch"),
        ("001-first", 2, "epoch"),
        ("001-first", 3, "epoch"),
        ("001-first", 3, "finished"),
    ]

    writing = drive(log, "writing:002-second:3", out, "--seed", "3", "--resume")  # mid-variant, in a write
    assert writing.returncode == -signal.SIGKILL, writing.stderr
    assert trained(log, 4) == [("002-second", 1, "epoch"), ("002-second", 2, "epoch")]  # "first" not retrained
    assert list((out / "checkpoints").glob(".002-second.*.partial.npz"))  # the write the kill interrupted
    with np.load(out / "checkpoints" / "002-second.npz") as saved:  # the previous checkpoint is whole
        assert json.loads(str(saved["meta"]))["epoch"] == 2

    restore = ctrl_c_after(monkeypatch, log, "002-second", 4)
    try:
        status = cli.main(["run", tiny, "--out", str(out), "--seed", "3", "--quiet", "--resume"])
    finally:
        restore()
    err = capsys.readouterr().err
    assert status == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"nnzoo run: interrupted; resume with: nnzoo run {tiny} --out {out} --seed 3 --quiet --resume"
    )
    assert trained(log, 6) == [("002-second", 3, "epoch"), ("002-second", 4, "epoch")]  # after epoch 2
    record = json.loads((out / "run.json").read_text())
    assert (record["status"], record["reason"]) == ("interrupted", "interrupted by Ctrl-C (SIGINT)")

    resumed = nnzoo.run(tiny, seed=3, out=out, verbose=0, resume=True)
    assert trained(log, 8) == [("002-second", 5, "epoch"), ("002-second", 5, "finished")]  # "recorded" retrained
    for name in ("results.csv", "claims.json"):
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    assert resumed.table.equals(reference.table)
    for model in ("first", "second"):
        for ours, theirs in zip(
            weights(out / "models" / f"{model}.keras"),
            weights(tmp_path / "reference" / "models" / f"{model}.keras"),
            strict=True,
        ):
            np.testing.assert_array_equal(ours, theirs)
    assert json.loads((out / "run.json").read_text())["status"] == "finished"
    assert not (out / "checkpoints").exists()
    assert not [p.name for p in out.rglob("*") if ".partial" in p.name]
    assert cli.main(["run", tiny, "--out", str(out), "--seed", "3", "--resume"]) == 0  # finished: nothing to do
    assert "already finished" in capsys.readouterr().err
    with pytest.raises(errors.NnzooError, match="is finished"):
        nnzoo.run(tiny, seed=3, out=out, verbose=0, resume=True)


@pytest.mark.parametrize("stop_on_nan", [True, False])
def test_a_diverging_variant_stops_in_the_epoch_its_loss_turns_nan(stop_on_nan):
    from nnzoo import datasets
    from nnzoo.context import RunContext

    ctx = RunContext(recipe="divergence", seed=0)
    data = datasets.load("xor_2d", n=64)
    trained = ctx.train(
        "huge_lr",
        _resume_recipe.build_model,
        data,
        save=False,
        epochs=6,
        batch_size=16,
        optimizer="sgd",
        learning_rate=1e9,
        stop_on_nan=stop_on_nan,
    )
    losses = trained.history["loss"].to_numpy()
    assert trained.diverged_at is not None and not np.isfinite(losses[trained.diverged_at - 1])
    assert np.isfinite(losses[: trained.diverged_at - 1]).all()
    assert len(losses) == (trained.diverged_at if stop_on_nan else 6)
    assert ctx.training_notes == [
        f"[huge_lr] diverged: the loss is {losses[trained.diverged_at - 1]} in epoch {trained.diverged_at}"
    ]


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a checkpoint"])
def test_a_damaged_checkpoint_is_named_as_damaged(tmp_path, content):
    model = _resume_recipe.build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = tmp_path / "001-first.npz"
    path.write_bytes(content)
    with pytest.raises(errors.NnzooError, match=r"001-first.npz' is damaged .*delete it to retrain"):
        checkpoints.VariantCheckpoint(path).load(model)


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    import keras

    model = _resume_recipe.build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    checkpoint = checkpoints.VariantCheckpoint(tmp_path / "001-first.npz")
    checkpoint.save(model, epoch=1, history=[{"loss": 1.0}], seconds=[0.1])
    other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    other.compile(optimizer="adam", loss="mse")
    with pytest.raises(errors.NnzooError, match="does not match the model"):
        checkpoint.load(other)
    assert checkpoint.load(model)["epoch"] == 1


def test_checkpoints_cost_at_most_their_share_of_training():
    assert checkpoints.save_due(training_seconds=2.0, save_seconds=0.1)
    assert not checkpoints.save_due(training_seconds=1.0, save_seconds=0.1)


def test_resuming_from_an_epoch_before_the_last_gives_the_same_numbers(tmp_path, monkeypatch):
    """With saving throttled to the first epoch only, a variant stopped in epoch 4 continues from epoch 1."""
    import keras

    from nnzoo import datasets, training

    class StopAtEpoch4(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                raise KeyboardInterrupt

    data = datasets.load("xor_2d", n=64)
    options = dict(epochs=5, batch_size=16, seed=2, verbose=0)
    reference = training.train("v", _resume_recipe.build_model, data, **options)
    monkeypatch.setattr(checkpoints, "MAX_OVERHEAD", 0.0)  # nothing after the first epoch is worth a save
    checkpoint = checkpoints.VariantCheckpoint(tmp_path / "001-v.npz")
    with pytest.raises(KeyboardInterrupt):
        training.train(
            "v", _resume_recipe.build_model, data, checkpoint=checkpoint, callbacks=[StopAtEpoch4()], **options
        )
    with np.load(checkpoint.path) as saved:
        assert json.loads(str(saved["meta"]))["epoch"] == 1
    resumed = training.train("v", _resume_recipe.build_model, data, checkpoint=checkpoint, **options)
    for ours, theirs in zip(resumed.model.get_weights(), reference.model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert resumed.history.drop(columns="seconds").equals(reference.history.drop(columns="seconds"))
