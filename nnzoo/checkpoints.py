"""Checkpoints that let ``nnzoo run --resume`` continue a killed run exactly where it stopped.

A deterministic recipe makes the same sequence of ``ctx.train`` calls every time, so call number
and variant name (``003-bn_after``) identify a variant's progress across processes. For each call
one file in ``OUT/checkpoints/`` holds, after a completed epoch, every model variable (weights,
BatchNormalization statistics, dropout seed states), every optimizer variable (slots, step counter),
the history so far and Python's and NumPy's random states; once the variant is finished, the same
plus its test metrics. Each file is written atomically (nnzoo.io), so a kill while writing one
leaves the previous one.

Unlike keras.callbacks.BackupAndRestore (which saves weights in place and restarts the interrupted
epoch without its data position), a resumed variant starts at the epoch after the last saved one
and replays the tf.data shuffles of the epochs before it, so it sees the same batches in the same
order as an uninterrupted run, and its numbers are equal.

Saving takes milliseconds to a tenth of a second, so when epochs are shorter than that a checkpoint
is written only every few epochs (at most MAX_OVERHEAD of the training time); a resumed variant then
redoes those few epochs, with the same numbers.

A call with callbacks of the recipe's own (or ``--monitor``) is not checkpointed: their state lives
in Python objects nnzoo cannot save, so such a variant is retrained from its start, which gives the
same numbers because every variant starts from its seed.
"""

import json
import random
import re
import time
import zipfile
from pathlib import Path

import keras
import numpy as np

from nnzoo import io
from nnzoo.errors import NnzooError

FOLDER = "checkpoints"
MAX_OVERHEAD = 0.05  # at most this share of a variant's training time goes to its checkpoints


class RunCheckpoints:
    """The checkpoint folder of one run; hands each ``ctx.train`` call its own VariantCheckpoint."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.calls = 0

    def next_call(self, name, *, resumable):
        """The checkpoint of the next train call, or None for a call that cannot be checkpointed."""
        self.calls += 1
        if not resumable:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        key = f"{self.calls:03d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}"
        return VariantCheckpoint(self.folder / f"{key}.npz")

    def remove(self):
        """Delete the checkpoints once the run is finished (only files of nnzoo's own naming)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if re.fullmatch(r"\d{3,}-[A-Za-z0-9_.-]+\.npz", path.name) or io.is_partial(path):
                path.unlink()
        if not any(self.folder.iterdir()):
            self.folder.rmdir()


class VariantCheckpoint:
    """One train call's saved state: after its last completed epoch, or once it is finished."""

    def __init__(self, path):
        self.path = Path(path)

    def load(self, model):
        """Restore the saved state into ``model`` (built and compiled); None when nothing is saved.

        Returns a dict with ``epoch`` (epochs completed), ``history`` (rows so far), ``seconds``
        (per epoch) and, for a finished variant, ``finished`` with its val/test metrics and time.
        """
        if not self.path.exists():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                meta = json.loads(str(saved["meta"]))
                arrays = [saved[f"v{k}"] for k in range(meta["variables"])]
                numpy_state = saved["numpy_state"]
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as err:
            raise NnzooError(
                f"Checkpoint {str(self.path)!r} is damaged ({err}); delete it to retrain "
                f"this variant from its start. Received: checkpoint={str(self.path)!r}"
            ) from None
        variables = state_variables(model)
        if len(arrays) != len(variables) or any(a.shape != tuple(v.shape) for a, v in zip(arrays, variables)):
            raise NnzooError(
                f"Checkpoint {str(self.path)!r} does not match the model this run builds "
                f"({len(arrays)} saved variables, {len(variables)} in the model); was the recipe "
                f"changed? Received: checkpoint={str(self.path)!r}"
            )
        for variable, value in zip(variables, arrays):
            variable.assign(value)
        random.setstate(_python_state(meta["python_state"]))
        np.random.set_state((meta["numpy_state"][0], numpy_state, *meta["numpy_state"][1:]))
        return meta

    def save(self, model, *, epoch, history, seconds, finished=None):
        """Write the state after ``epoch`` completed epochs (atomically, replacing the previous one)."""
        variables = state_variables(model)
        name, keys, pos, has_gauss, cached = np.random.get_state()
        meta = {
            "epoch": epoch,
            "history": history,
            "seconds": list(seconds),
            "finished": finished,
            "variables": len(variables),
            "python_state": random.getstate(),
            "numpy_state": [name, int(pos), int(has_gauss), float(cached)],
        }
        arrays = {f"v{k}": keras.ops.convert_to_numpy(v.value) for k, v in enumerate(variables)}
        with io.atomic_path(self.path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), numpy_state=keys, **arrays)

    def saver(self, timer, first_rows):
        """A Keras callback saving this checkpoint after epochs (``timer`` holds the epoch times)."""
        return _EpochSaver(self, timer, first_rows)


class _EpochSaver(keras.callbacks.Callback):
    """Saves after an epoch unless that would spend more than MAX_OVERHEAD of the training time on saving:
    epochs of milliseconds are saved every few epochs, slow epochs every epoch."""

    def __init__(self, checkpoint, timer, first_rows):
        super().__init__()
        self.checkpoint, self.timer, self.rows = checkpoint, timer, list(first_rows)
        self.cost, self.saved_at = 0.0, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({k: float(v) for k, v in (logs or {}).items()})
        if not save_due(time.perf_counter() - self.saved_at, self.cost):
            return
        start = time.perf_counter()
        self.checkpoint.save(self.model, epoch=epoch + 1, history=self.rows, seconds=self.timer.seconds)
        self.saved_at = time.perf_counter()
        self.cost = self.saved_at - start


def save_due(training_seconds, save_seconds):
    """Whether ``training_seconds`` of training since the last save justify a save that takes ``save_seconds``."""
    return save_seconds <= MAX_OVERHEAD * training_seconds


def state_variables(model):
    """Everything training changes: the model's variables (seed states included) and the optimizer's."""
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return [*model.variables, *optimizer.variables]


def _python_state(saved):
    """``random.setstate`` wants tuples where JSON gave lists."""
    version, internal, gauss = saved
    return version, tuple(internal), gauss
