"""``nnzoo run resume_tiny`` in a child process that stops itself at a chosen moment (tests/test_resume.py).

Usage: python _resume_driver.py LOG MOMENT OUT [nnzoo run options...]. Every checkpoint saved is logged
as "KEY EPOCH finished|epoch" to LOG; MOMENT says when the process kills itself:
  after:KEY:EPOCH   SIGKILL right after the checkpoint KEY at EPOCH is saved (mid-variant); EPOCH "done"
                    means the checkpoint of the finished variant (between variants)
  writing:KEY:EPOCH SIGKILL while that checkpoint is written: its temporary file is on disk, not yet renamed
  none              run to the end
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))

from nnzoo import quiet_tensorflow  # noqa: E402

quiet_tensorflow.load()  # as `nnzoo run` would, before the test recipe imports Keras

import _resume_recipe  # noqa: E402

from nnzoo import checkpoints, cli, io  # noqa: E402

log_path, moment, out, *options = sys.argv[1:]
kind, _, where = moment.partition(":")
key, _, at_epoch = where.rpartition(":")
saving = []
original_save, original_replace = checkpoints.VariantCheckpoint.save, io.os.replace


def save(self, model, *, epoch, history, seconds, finished=None):
    saving[:] = [self.path.stem, "done" if finished else str(epoch)]
    original_save(self, model, epoch=epoch, history=history, seconds=seconds, finished=finished)
    with open(log_path, "a") as log:
        log.write(f"{self.path.stem} {epoch} {'finished' if finished else 'epoch'}\n")
    if saving == [key, at_epoch]:
        os.kill(os.getpid(), signal.SIGKILL)


def replace(src, dst):
    if kind == "writing" and saving == [key, at_epoch] and str(dst).endswith(f"{key}.npz"):
        os.kill(os.getpid(), signal.SIGKILL)
    original_replace(src, dst)


checkpoints.MAX_OVERHEAD = float("inf")  # a checkpoint after every epoch, so the moments are exact
checkpoints.VariantCheckpoint.save = save
io.os.replace = replace
_resume_recipe.register()
sys.exit(cli.main(["run", _resume_recipe.NAME, "--out", out, "--quiet", *options]))
