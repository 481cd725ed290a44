"""Multi-step execution (``steps_per_execution > 1``) under a tf.distribute strategy, corrected while it runs.

Keras 3.15's multi-step loop (keras/src/backend/tensorflow/trainer.py, ``multi_step_on_iterator``) calls the
one-step ``tf.function`` inside a ``tf.cond`` inside a ``tf.while_loop``. Under a strategy with more than one
replica that step all-reduces the gradients with collective ops, and TensorFlow gives every collective a fresh
instance key at call time: ``CollectiveReplicaLauncher._next_instance_key`` (tensorflow/python/distribute/
cross_device_utils.py) makes the key a call-time capture, ``FuncGraph.capture_call_time_value``, a placeholder
the function's caller feeds on each call. When the caller is itself a graph being traced, the capture moves
one graph out. ``tf.while_loop`` passes its body's call-time captures on to the graph around it
(``while_v2`` reads ``deferred_external_captures``); ``tf.cond`` does not: ``cond_v2`` builds its ``If`` op
from the branches' ``external_captures`` alone, so the key's placeholder in the branch is never fed and
``fit`` fails with "You must feed a value for placeholder tensor 'while/cond/Placeholder' with dtype int32"
(keras-team/keras #19246). ``evaluate`` and ``predict`` run no collective in their step, so they work.

The correction hands a call-time capture requested in a ``tf.cond`` branch to the graph around the branch,
as ``tf.while_loop`` does for its body and as ``_next_instance_key`` itself does when it is called in a
control-flow graph. The branch then captures that graph's placeholder as an ordinary input of the ``If`` op,
and the outer function feeds it a fresh key on each call; each of the steps in one call reuses it, as
tf.keras 2's ``steps_per_execution`` loop did. Only a capture that ``tf.cond`` would leave unfed takes this
path, and only while a distributed ``fit`` runs; one process keeps Keras and TensorFlow untouched.
"""

import contextlib

from tensorflow.python.ops.control_flow_v2_func_graphs import CondBranchFuncGraph


def _capture_in_outer_graph(branch, closure, spec, key=None, default_value=None):
    """``capture_call_time_value`` of a ``tf.cond`` branch: the graph around it captures, the branch uses that."""
    outer = branch.outer_graph
    with outer.as_default():
        return outer.capture_call_time_value(closure, spec, key=key, default_value=default_value)


@contextlib.contextmanager
def corrected_cond_captures():
    """Install the correction (see the module docstring) for the block, then restore TensorFlow's own."""
    original = CondBranchFuncGraph.capture_call_time_value
    CondBranchFuncGraph.capture_call_time_value = _capture_in_outer_graph
    try:
        yield
    finally:
        CondBranchFuncGraph.capture_call_time_value = original
