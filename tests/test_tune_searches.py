"""The four searches end to end in quick mode (Hyperband in two rounds), each killed with SIGKILL mid-trial
(random's and Hyperband's again during the final retraining), resumed, and compared with the uninterrupted
search of the same seed run in another process (with the default seed 0: so this also shows seed 0 reproducible across
processes); the best model exported; the HParams event files read back. Hyperband's uninterrupted search and
export run as commands in processes of their own, the other three in the test's process (their killed and
resumed runs are commands). A slow test runs Hyperband at full size."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from _in_process import nnzoo

TUNE = [sys.executable, "-m", "nnzoo", "tune", "batchnorm"]
QUICK_ARGS = {
    "random": ["--max-trials", "3"],
    "grid": ["--max-trials", "3"],
    "bayesian": ["--max-trials", "3"],
    "hyperband": [],
}
RUN_COLUMNS = ["seconds", "tuner", "runs", "interrupted"]  # how a trial was run, not what it found
# Retraining the best trial is the same code for every tuner but for the epochs it takes (Hyperband's
# tuner/epochs), so a kill there is tested with the default tuner and with Hyperband
KILLED_IN_RETRAINING = ("random", "hyperband")


def tune_args(tuner, out, quick=True):
    return [*TUNE, "--tuner", tuner, *QUICK_ARGS[tuner], *(["--quick"] if quick else []), "--out", str(out)]


def begun_trials(out):
    """Trials a search has begun so far, from its executions/ records."""
    begun = set()
    for path in (out / "executions").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record["status"] == "RUNNING":
                begun.add(record["trial"])
    return begun


def run_until_killed(args, out, ready, timeout=600):
    """Start ``args``, SIGKILL it as soon as ``ready(out, stderr so far)`` holds; return its stderr."""
    err_path = out.parent / f"{out.name}.killed.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(args, stderr=err, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready(out, err_path.read_text()):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    seen = err_path.read_text()
    assert proc.returncode == -signal.SIGKILL, f"not killed (exit {proc.returncode}): {seen[-2000:]}"
    return seen


@pytest.fixture(scope="module", params=["random", "grid", "hyperband", "bayesian"])
def searches(request, tmp_path_factory):
    """One search run straight through, and the same search killed mid-trial, killed again while
    retraining the best model (KILLED_IN_RETRAINING), and resumed to the end."""
    tuner = request.param
    root = tmp_path_factory.mktemp(tuner)
    if tuner == "hyperband":  # as a command, which loads TensorFlow quietly (checked below)
        whole = subprocess.run(tune_args(tuner, root / "whole"), capture_output=True, text=True, timeout=900)
    else:  # in this process: the killed and resumed runs are commands, so seeds still meet across processes
        whole = nnzoo(*tune_args(tuner, root / "whole")[3:])
    assert whole.returncode == 0, whole.stderr[-3000:]
    killed = tune_args(tuner, root / "killed")
    run_until_killed(killed, root / "killed", lambda out, _: len(begun_trials(out)) >= 2)  # in trial 2
    if tuner in KILLED_IN_RETRAINING:
        run_until_killed(killed, root / "killed", lambda out, err: "[tune] retraining" in err)
    resumed = subprocess.run(killed, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return tuner, root / "whole", root / "killed", whole, resumed


def test_search_end_to_end_then_export(searches, tmp_path):
    tuner, whole, _, proc, _ = searches
    trials = pd.read_csv(whole / "trials.csv", dtype={"trial": str})
    assert set(trials["status"]) == {"COMPLETED"} and len(trials) == (6 if tuner == "hyperband" else 3)
    assert trials["error"].isna().all() and (trials["interrupted"] == 0).all() and (trials["runs"] == 1).all()
    meta = json.loads((whole / "best" / "best.json").read_text())
    best = trials.set_index("trial").loc[meta["trial"]]
    assert best["objective"] == trials["objective"].min()
    assert meta["hyperparameters"]["batch_size"] == best["batch_size"]
    if tuner == "hyperband":  # two rounds: a second-round trial continued from its first-round checkpoint
        second = trials[trials["tuner/round"] == 1]
        assert len(second) >= 1 and second["tuner/trial_id"].notna().all()
        assert all(
            (whole / "search" / f"trial_{int(t):04d}" / "checkpoint.weights.h5").exists()
            for t in second["tuner/trial_id"]
        )
        assert meta["epochs_trained"] == best["tuner/epochs"]  # the epochs its best trial ran in all
    else:
        assert meta["epochs_trained"] == best["epochs"] == 2
    assert f"{meta['epochs_trained']} epochs, batch size {best['batch_size']}" in proc.stderr
    export = ["export", str(whole), "--name", tuner, "--out", str(tmp_path / "saved")]
    if tuner == "hyperband":  # the search and the export as commands, which load TensorFlow quietly
        assert "absl::InitializeLog" not in proc.stderr  # (nnzoo.quiet_tensorflow)
        command = subprocess.run([sys.executable, "-m", "nnzoo", *export], capture_output=True, text=True, timeout=600)
        assert command.returncode == 0, command.stderr[-2000:]
        assert "absl::InitializeLog" not in command.stderr
    else:  # the same export in this process, which has TensorFlow loaded already
        assert nnzoo(*export).returncode == 0
    assert (tmp_path / "saved" / tuner / "1" / "saved_model.pb").exists()


def test_resume_after_sigkill_equals_the_uninterrupted_search(searches):
    _, whole, killed, _, resumed = searches
    straight = pd.read_csv(whole / "trials.csv", dtype={"trial": str})
    again = pd.read_csv(killed / "trials.csv", dtype={"trial": str})
    assert "resuming the search" in resumed.stderr
    pd.testing.assert_frame_equal(again.drop(columns=RUN_COLUMNS), straight.drop(columns=RUN_COLUMNS), rtol=1e-6)
    assert sorted(again["interrupted"]) == [0] * (len(again) - 1) + [1]  # the one cut off, rerun once
    assert (again["runs"] == 1).all()  # no trial counted twice
    best_straight, best_again = (json.loads((d / "best" / "best.json").read_text()) for d in (whole, killed))
    assert best_again["hyperparameters"] == best_straight["hyperparameters"]
    assert best_again["test_metrics"] == pytest.approx(best_straight["test_metrics"], rel=1e-6)


def hparams_sessions(logdir):
    """{trial id: (hyperparameters, {metric: value})} read back from a search's HParams event files."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    sessions = {}
    for run in sorted(p for p in logdir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        hparams, metrics = None, {}
        for path in run.glob("events.out.tfevents*"):
            for event in tf.compat.v1.train.summary_iterator(str(path)):
                for value in event.summary.value:
                    if value.metadata.plugin_data.plugin_name == "hparams":
                        data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                        if data.HasField("session_start_info"):
                            hparams = {
                                k: getattr(v, v.WhichOneof("kind")) for k, v in data.session_start_info.hparams.items()
                            }
                    elif value.HasField("tensor"):
                        metrics[value.tag] = float(tf.make_ndarray(value.tensor))
        sessions[run.name.removeprefix("trial_")] = (hparams, metrics)
    return sessions


def test_every_trial_is_in_the_hparams_dashboard(searches):
    tuner, whole, *_ = searches
    trials = pd.read_csv(whole / "trials.csv", dtype={"trial": str}).set_index("trial")
    sessions = hparams_sessions(whole / "tensorboard")
    assert sorted(sessions) == sorted(trials.index)
    for trial_id, (hparams, metrics) in sessions.items():
        row = trials.loc[trial_id]
        assert hparams["status"] == "COMPLETED" and hparams["placement"] == row["placement"]
        assert hparams["learning_rate"] == pytest.approx(row["learning_rate"])
        assert metrics["val_loss"] == pytest.approx(row["objective"], rel=1e-6)
    assert any((whole / "tensorboard").glob("events.out.tfevents*"))  # the experiment's columns


@pytest.mark.slow
def test_full_size_hyperband_end_to_end(tmp_path):
    out = tmp_path / "full"
    proc = subprocess.run(tune_args("hyperband", out, quick=False), capture_output=True, text=True, timeout=7200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trials = pd.read_csv(out / "trials.csv", dtype={"trial": str})
    assert len(trials) == 70 and set(trials["status"]) == {"COMPLETED"} and trials["tuner/round"].max() == 3
    meta = json.loads((out / "best" / "best.json").read_text())
    assert meta["epochs_trained"] == trials.set_index("trial").loc[meta["trial"], "tuner/epochs"]
    export = subprocess.run(
        [sys.executable, "-m", "nnzoo", "export", str(out), "--out", str(tmp_path / "saved")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert export.returncode == 0, export.stderr[-2000:]
