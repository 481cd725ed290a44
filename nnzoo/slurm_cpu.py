"""TensorFlow's SlurmClusterResolver for tasks that train on CPUs, which TensorFlow's own cannot describe.

With ``gpus_per_task`` 0 its ``cluster_spec()`` lays tasks out with ``range(0, gpus_per_node, 0)``, a
ValueError (tensorflow/tensorflow#56894, TensorFlow 2.21 still). Here the resolver lays out one slot per task
(``gpus_per_node=tasks_per_node, gpus_per_task=1``) that is never made visible (``auto_set_gpu=False``), and
reports 0 accelerators, which is what makes MultiWorkerMirroredStrategy train on the CPU. Ranks, hosts, ports
and the cluster spec stay TensorFlow's.
"""

import tensorflow as tf


class CpuSlurmClusterResolver(tf.distribute.cluster_resolver.SlurmClusterResolver):
    """SlurmClusterResolver whose tasks have no GPU."""

    def __init__(self, port_base, tasks_per_node):
        super().__init__(port_base=port_base, gpus_per_node=tasks_per_node, gpus_per_task=1, auto_set_gpu=False)

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None):
        return {"GPU": 0}
