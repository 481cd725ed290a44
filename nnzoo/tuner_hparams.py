"""A search in TensorBoard's HParams dashboard (asked of KerasTuner for years: keras-tuner #298, #427):
``tensorboard --logdir OUT/tensorboard`` shows every trial's hyperparameters and metrics as a table and a
parallel-coordinates view.

One run folder per ended trial, ``trial_ID``, written under a temporary name and renamed, so a kill
never leaves half a trial; the experiment's columns are written once at the top.
"""

import os
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api


def logdir(out):
    return Path(out) / "tensorboard"


def trial_metrics(trial):
    """A trial's last value of each metric it reported (none for a failed trial)."""
    return {name: float(trial.metrics.get_last_value(name)) for name in sorted(trial.metrics.metrics)}


def write_trial(out, trial):
    """Write one ended trial's hyperparameters, status and metrics, unless written already."""
    root = logdir(out)
    final = root / f"trial_{trial.trial_id}"
    if final.exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f".trial_{trial.trial_id}.partial*"):  # ours, left by a kill
        shutil.rmtree(stale)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".trial_{trial.trial_id}.partial"))
    writer = tf.summary.create_file_writer(str(tmp))
    with writer.as_default():
        hparams_api.hparams({**trial.hyperparameters.values, "status": str(trial.status)}, trial_id=trial.trial_id)
        for name, value in trial_metrics(trial).items():
            tf.summary.scalar(name, value, step=0)
    writer.close()
    os.replace(tmp, final)


def write_search(out, oracle, objective):
    """Every ended trial not written yet, and the experiment's columns (the hyperparameters, the objective
    first among the metrics) if not written yet."""
    ended = [t for t in oracle.trials.values() if str(t.status) in ("COMPLETED", "FAILED", "INVALID")]
    for trial in ended:
        write_trial(out, trial)
    root = logdir(out)
    if any(root.glob("events.out.tfevents*")):
        return
    names = list(dict.fromkeys(n for t in ended for n in t.hyperparameters.values))
    metrics = [objective, *sorted({m for t in ended for m in t.metrics.metrics} - {objective})]
    root.mkdir(parents=True, exist_ok=True)
    writer = tf.summary.create_file_writer(str(root))
    with writer.as_default():
        hparams_api.hparams_config(
            hparams=[hparams_api.HParam(n) for n in [*names, "status"]],
            metrics=[hparams_api.Metric(m) for m in metrics],
        )
    writer.close()
