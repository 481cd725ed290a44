"""The two reductions that stop Keras 3's ``fit`` under MultiWorkerMirroredStrategy, corrected while it runs.

Keras 3.15's TensorFlow trainer (keras/src/backend/tensorflow/trainer.py) was only ever exercised with
one worker (keras-team/keras #20585). With two or more, two of its calls into tf.distribute are wrong:

1. ``TensorFlowTrainer._maybe_symbolic_build`` takes the first distributed batch, a nest ``(x, y)`` of
   ``PerReplica`` values, and hands the whole nest to ``strategy.reduce("MEAN", batch)``, only to learn the
   batch's shapes. ``Strategy.reduce`` takes one value. On one worker TensorFlow treats the tuple as a
   "non-distributed value" and hands it back, which is why MirroredStrategy works; with several workers it
   sends it to the collective ops, which call ``convert_to_tensor`` on the tuple: "Attempt to convert a
   value (PerReplica:{...}) ... to a Tensor". Reading that batch also opens one extra iterator on the
   dataset, which moves a seeded ``reshuffle_each_iteration`` shuffle on by one epoch. The fix builds from
   the dataset's element spec (one replica's shapes and dtypes, all the build needs): no batch is read and
   no collective is spent on it.
2. ``reduce_per_replica`` averages the logs of a step (scalar loss and metrics) across workers with
   ``strategy.reduce("MEAN", v, axis=0)``; a scalar has no axis 0 ("Invalid reduction dimension 0 for input
   with 0 dimensions"). The fix reduces scalars with ``axis=None``, the mean across replicas that the
   single-worker branch of the same function computes; everything else keeps Keras's own code.

Gradients, variables and the all-reduce itself stay TensorFlow's: ``fit`` still runs its train step through
``strategy.run``, and the optimizer's update goes through MultiWorkerMirroredStrategy's collective ops.
The corrections are installed only for the duration of a multi-worker ``fit``/``evaluate``; one process
keeps Keras untouched.
"""

import contextlib

import tensorflow as tf
from keras.src import tree
from keras.src.backend.tensorflow import trainer as keras_tf_trainer


def is_multi_worker(strategy):
    """True for a MultiWorkerMirroredStrategy that spans more than one process."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and strategy.extended._in_multi_worker_mode()


def _first_local(strategy, value):
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def _replica_spec(spec):
    """One replica's TensorSpec from a PerReplicaSpec (a plain TensorSpec is its own)."""
    return tf.nest.flatten(spec, expand_composites=True)[0]


@contextlib.contextmanager
def corrected_reductions():
    """Install the two corrections (see the module docstring) for the block, then restore Keras's own."""
    trainer_cls = keras_tf_trainer.TensorFlowTrainer
    original_build, original_reduce = trainer_cls._maybe_symbolic_build, keras_tf_trainer.reduce_per_replica

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and is_multi_worker(self._distribute_strategy):
            data_batch = tree.map_structure(_replica_spec, iterator.data_adapter.get_tf_dataset().element_spec)
            iterator = None
        return original_build(self, iterator=iterator, data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not is_multi_worker(strategy):
            return original_reduce(values, strategy, reduction)

        def reduce(value):
            if _first_local(strategy, value).shape.rank == 0:
                return strategy.reduce("MEAN", value, axis=None)
            return original_reduce(value, strategy, reduction)

        return tree.map_structure(reduce, values)

    trainer_cls._maybe_symbolic_build, keras_tf_trainer.reduce_per_replica = maybe_symbolic_build, reduce_per_replica
    try:
        yield
    finally:
        trainer_cls._maybe_symbolic_build, keras_tf_trainer.reduce_per_replica = original_build, original_reduce
