"""Let TensorFlow free a traced training step once its model is gone (keras-tuner #873, #1031).

Keras's optimizer sums the gradients through the replica context's ``all_reduce``, even on one device
(keras/src/backend/tensorflow/optimizer.py, ``_all_reduce_sum_gradients``). TensorFlow wraps that
``all_reduce`` in ``tf.custom_gradient`` (tensorflow/python/distribute/distribute_lib.py), whose graph-mode
form registers a gradient function under a fresh name ("CustomGradient-<uid>") in a process-wide registry
that is never cleared (tensorflow/python/ops/custom_gradient.py). The function closes over the traced
graph, so every model ever trained in a process keeps its whole training graph alive: about 5 MiB per
digits model, 30 trials of a search or the variants of ``run all`` one after another.

A registration is only read while its step is being traced, to differentiate it; running the traced step,
training the same model again, saving or exporting it never read it (a retrace registers anew). So the
registrations made while a model trains are dropped as soon as its training call returns.
"""

import contextlib

from tensorflow.python.framework import ops  # TF internal: the registry has no public handle

_PREFIX = "CustomGradient-"


@contextlib.contextmanager
def released_custom_gradients():
    """Drop the custom-gradient registrations made inside the block when it ends."""
    registry = ops._gradient_registry._registry
    before = set(registry)
    try:
        yield
    finally:
        for name in set(registry) - before:
            if name.startswith(_PREFIX):
                del registry[name]
