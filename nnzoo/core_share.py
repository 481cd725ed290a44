"""Share the machine's cores among recipes run side by side (``nnzoo run all --jobs N``).

TensorFlow gives every process as many intra-op and inter-op threads as the machine has cores, so N recipe
workers run N times as many busy threads as there are cores, and nnzoo's small models gain little from a
second thread even alone (docs/performance.md measures both). Each worker therefore gets its share of the
cores through TensorFlow's own variables, ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` (read
when TensorFlow creates its runtime), unless the user set them. Only single-device workers are given a share:
a process whose own devices or cluster peers run side by side (MirroredStrategy, MultiWorkerMirroredStrategy,
so ``--workers``) needs its inter-op threads for them: tried in the test suite, two ``--workers`` of one
thread each missed their coordination service's heartbeat under load.
"""

import os

VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cores():
    """The cores this process may run on (its CPU affinity, which taskset, cgroups and Slurm narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def thread_variables(processes, environ=None):
    """TensorFlow's thread variables for one of ``processes`` processes sharing this machine: the cores divided
    among them (at least one thread each), or the user's own values where set."""
    environ = os.environ if environ is None else environ
    share = str(max(1, cores() // processes))
    return {name: environ.get(name, share) for name in VARIABLES}


def tensorflow_threads():
    """The intra-op and inter-op threads TensorFlow runs this process with, for run.json: as set through
    ``tf.config.threading``, else as its variables say, else one per core (TensorFlow's default)."""
    import tensorflow as tf

    configured = (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )
    found = {}
    for key, name, value in zip(("intra_op", "inter_op"), VARIABLES, configured, strict=True):
        written = os.environ.get(name, "").strip()
        found[key] = value or (int(written) if written.isdigit() else 0) or cores()  # 0: TensorFlow's default
    return found
