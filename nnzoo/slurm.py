"""The Slurm cluster of ``--strategy multi-worker --cluster slurm``: checked before TensorFlow loads.

Inside ``srun`` every task finds Slurm's description of the job step in its environment; TensorFlow's
SlurmClusterResolver turns it into a cluster: the step's nodes in sorted order, on each node as many tasks as
Slurm placed there, on ports ``port_base``, ``port_base + 1``, ...; the task of rank ``SLURM_PROCID`` is
worker ``SLURM_PROCID`` and rank 0 is the chief. This module reads the same variables the same way, so a
missing or malformed one is a one-line NnzooError here, not a traceback from TensorFlow, and the
``--peer-timeout`` guard knows every task's address.
"""

import dataclasses
import os
import re
import shutil
import subprocess

from nnzoo.cluster import Cluster
from nnzoo.errors import NnzooError

VARIABLES = ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE")
PORT_BASE = 8888  # SlurmClusterResolver's default
_HOST_PART = re.compile(r"([^,\[\]]*)(?:\[([^\]]+)\])?")
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")
_TASKS = re.compile(r"(\d+)(?:\(x(\d+)\))?")


@dataclasses.dataclass(frozen=True)
class SlurmCluster:
    """The Cluster that SlurmClusterResolver will form, and what the resolver needs to form it."""

    cluster: Cluster
    port_base: int
    tasks_per_node: int  # the most tasks on one node
    gpus_per_node: int


def _bad(name, why, value):
    return NnzooError(f"--cluster slurm: {name} {why}. Received: {name}={value!r}")


def expand_hostlist(text):
    """Slurm's compressed host list (``n[01-03,07],m5``) as a list of host names, in order."""
    hosts = []
    for part in re.split(r",(?![^\[]*\])", text):
        match = _HOST_PART.fullmatch(part)
        if not part or not match:
            raise _bad("SLURM_STEP_NODELIST", "is not a Slurm host list like 'node[01-02],other'", text)
        prefix, ranges = match.groups()
        if ranges is None:
            hosts.append(prefix)
            continue
        for piece in ranges.split(","):
            numbers = _RANGE.fullmatch(piece)
            if not numbers or int(numbers.group(2) or numbers.group(1)) < int(numbers.group(1)):
                raise _bad("SLURM_STEP_NODELIST", f"has a bad range {piece!r}", text)
            first, last = numbers.group(1), numbers.group(2) or numbers.group(1)
            hosts += [f"{prefix}{i:0{len(first)}d}" for i in range(int(first), int(last) + 1)]
    if len(set(hosts)) != len(hosts):
        raise _bad("SLURM_STEP_NODELIST", "names a node twice", text)
    return hosts


def expand_tasks_per_node(text):
    """Slurm's tasks per node (``2(x3),1``) as one count per node, in the order of the host list."""
    counts = []
    for part in text.split(","):
        match = _TASKS.fullmatch(part)
        if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(2)) < 1):
            raise _bad("SLURM_STEP_TASKS_PER_NODE", "is not a Slurm task count list like '2(x3),1'", text)
        counts += [int(match.group(1))] * int(match.group(2) or 1)
    return counts


def _integer(environ, name, low, high):
    text = environ[name].strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise _bad(name, f"must be an integer in [{low}, {high}]", environ[name])
    return int(text)


def gpus_on_node(environ):
    """The GPUs this node offers its tasks, counted as SlurmClusterResolver counts them (CUDA_VISIBLE_DEVICES,
    else ``nvidia-smi --list-gpus``), without its traceback when nvidia-smi is absent: then there are none."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        return len([device for device in environ["CUDA_VISIBLE_DEVICES"].split(",") if device.strip()])
    if shutil.which("nvidia-smi") is None:
        return 0
    listed = subprocess.run(["nvidia-smi", "--list-gpus"], capture_output=True, text=True, check=False).stdout
    return sum(line.startswith("GPU ") for line in listed.splitlines())


def from_environ(port_base=PORT_BASE, environ=None):
    """The SlurmCluster of this ``srun`` task, or a NnzooError naming the missing or malformed variable."""
    environ = os.environ if environ is None else environ
    missing = [name for name in VARIABLES if not environ.get(name, "").strip()]
    if missing:
        raise NnzooError(
            f"--cluster slurm reads the variables Slurm sets in every task of `srun` ({', '.join(VARIABLES)}); "
            f"run nnzoo under srun (docs/distributed.md). Received: {', '.join(missing)} unset"
        )
    hosts = expand_hostlist(environ["SLURM_STEP_NODELIST"].strip())
    counts = expand_tasks_per_node(environ["SLURM_STEP_TASKS_PER_NODE"].strip())
    if len(counts) != len(hosts):
        raise NnzooError(
            f"--cluster slurm: SLURM_STEP_TASKS_PER_NODE gives {len(counts)} node(s) but SLURM_STEP_NODELIST "
            f"names {len(hosts)}. Received: SLURM_STEP_TASKS_PER_NODE={environ['SLURM_STEP_TASKS_PER_NODE']!r}, "
            f"SLURM_STEP_NODELIST={environ['SLURM_STEP_NODELIST']!r}"
        )
    tasks = _integer(environ, "SLURM_STEP_NUM_TASKS", sum(counts), sum(counts))
    rank = _integer(environ, "SLURM_PROCID", 0, tasks - 1)
    if port_base + max(counts) - 1 > 65535:
        raise NnzooError(
            f"--port-base {port_base} leaves no port for task {max(counts) - 1} of a node with {max(counts)} tasks "
            f"(allowed: 1 to {65536 - max(counts)}). Received: port_base={port_base}"
        )
    addresses = [f"{host}:{port_base + i}" for host, count in sorted(zip(hosts, counts)) for i in range(count)]
    cluster = Cluster({"worker": tuple(addresses)}, "worker", rank)
    return SlurmCluster(cluster, port_base, max(counts), gpus_on_node(environ))


def cluster_resolver(slurm):
    """TensorFlow's SlurmClusterResolver for ``slurm``; imports TensorFlow.

    Each task gets ``gpus_per_node // tasks_per_node`` GPUs (made visible to it alone). When that is 0 (a CPU
    node, or more tasks than GPUs) TensorFlow's resolver cannot form a cluster at all: its GPU allocation steps
    through the GPUs with ``range(0, gpus_per_node, 0)`` (tensorflow/tensorflow#56894); then the tasks train
    on CPUs, through CpuSlurmClusterResolver.
    """
    import tensorflow as tf

    if slurm.gpus_per_node // slurm.tasks_per_node:
        return tf.distribute.cluster_resolver.SlurmClusterResolver(
            port_base=slurm.port_base, gpus_per_node=slurm.gpus_per_node
        )
    from nnzoo.slurm_cpu import CpuSlurmClusterResolver

    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # what auto_set_gpu would set for a task given no GPU
    return CpuSlurmClusterResolver(port_base=slurm.port_base, tasks_per_node=slurm.tasks_per_node)
