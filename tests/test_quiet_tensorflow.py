"""nnzoo.quiet_tensorflow.load in a fresh process: TensorFlow's start-up lines are not shown, the garbage
that was there before is collected, the objects the import made are frozen out of later collections, and
the collector is left as the caller had it."""

import subprocess
import sys

import pytest

CHECK = """
import gc, sys, weakref
class Node:
    pass
cycle = Node(); cycle.me = cycle; garbage = weakref.ref(cycle); del cycle
if sys.argv[1] == "disabled":
    gc.disable()
before = gc.get_threshold()
from nnzoo import quiet_tensorflow
quiet_tensorflow.load()
print(garbage() is None, gc.isenabled(), gc.get_freeze_count(), gc.get_threshold() == before)
"""


@pytest.mark.parametrize("collector", ["enabled", "disabled"])
def test_load_is_quiet_collects_what_was_garbage_and_freezes_the_import(collector):
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, collector],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},  # no TF_CPP_MIN_LOG_LEVEL from the test session
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == ""  # not "Could not find cuda drivers", not absl's first lines
    collected, enabled, frozen, same_threshold = proc.stdout.split()
    assert collected == "True"  # a cycle that was garbage before the import is not frozen with it
    assert enabled == str(collector == "enabled")
    assert int(frozen) > 100_000  # TensorFlow's and Keras's objects, out of every later collection
    assert same_threshold == "True"
