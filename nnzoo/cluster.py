"""The TF_CONFIG cluster of ``--strategy multi-worker``: checked before TensorFlow loads.

TF_CONFIG is TensorFlow's own description of a cluster (every machine sets it, only ``task`` differs)::

    {"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}

MultiWorkerMirroredStrategy accepts the jobs "chief" and "worker"; the chief (or worker 0 when there is no
chief job) is the one that writes the run folder. Anything else is a one-line NnzooError here, not a
traceback from deep inside TensorFlow.
"""

import dataclasses
import faulthandler
import json
import os
import re
import select
import socket
import subprocess
import sys
import time

from nnzoo.errors import NnzooError

JOBS = ("chief", "worker")
PEER_TIMEOUT_S = 300.0  # how long a task waits by default for the others of TF_CONFIG to come up
GUARD_LEAD_S = 0.5  # the guard speaks this long before faulthandler ends the waiting process
_ADDRESS = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


@dataclasses.dataclass(frozen=True)
class Cluster:
    """All tasks of the cluster in TensorFlow's order (chief first) and which one this process is."""

    jobs: dict
    task_type: str
    task_index: int

    @property
    def size(self):
        return sum(len(addresses) for addresses in self.jobs.values())

    @property
    def is_chief(self):
        return self.task_type == "chief" or ("chief" not in self.jobs and self.task_index == 0)

    @property
    def address(self):
        return self.jobs[self.task_type][self.task_index]

    @property
    def name(self):
        return f"{self.task_type} {self.task_index}"

    def peers(self):
        """(name, address) of every other task."""
        return [
            (f"{job} {i}", address)
            for job in JOBS
            for i, address in enumerate(self.jobs.get(job, ()))
            if (job, i) != (self.task_type, self.task_index)
        ]


def _bad(why, text):
    shown = text if len(text) <= 200 else text[:197] + "..."
    return NnzooError(
        f"TF_CONFIG {why}; expected like "
        '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}. '
        f"Received: TF_CONFIG={shown!r}"
    )


def parse_tf_config(text):
    """The Cluster described by a TF_CONFIG string, or a one-line NnzooError saying what is wrong."""
    try:
        config = json.loads(text)
    except ValueError as err:
        raise _bad(f"is not valid JSON ({err.msg} at character {err.pos})", text) from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict) or not config["cluster"]:
        raise _bad('needs a non-empty "cluster" object', text)
    jobs = config["cluster"]
    unknown = sorted(set(jobs) - set(JOBS))
    if unknown:
        raise _bad(f"names jobs {unknown} that MultiWorkerMirroredStrategy does not run (allowed: {list(JOBS)})", text)
    if "worker" not in jobs and "chief" not in jobs:
        raise _bad('needs a "worker" job', text)
    seen = set()
    for job, addresses in jobs.items():
        if not isinstance(addresses, list) or not addresses:
            raise _bad(f'job "{job}" must be a non-empty list of "host:port" strings', text)
        for address in addresses:
            match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
            if not match or not 1 <= int(match.group(2)) <= 65535:
                raise _bad(f'address {address!r} of job "{job}" is not host:port with a port in [1, 65535]', text)
            if address in seen:
                raise _bad(f"lists {address} twice", text)
            seen.add(address)
    if "chief" in jobs and len(jobs["chief"]) != 1:
        raise _bad('may have one "chief" at most', text)
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in jobs:
        raise _bad(f'needs "task": {{"type": one of {sorted(jobs)}, "index": N}}', text)
    index, count = task.get("index", 0), len(jobs[task["type"]])
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise _bad(
            f'task index {index!r} is outside the {count} "{task["type"]}" task(s) (allowed: 0 to {count - 1})', text
        )
    return Cluster({job: tuple(jobs[job]) for job in JOBS if job in jobs}, task["type"], index)


def from_environ(environ=None):
    """The Cluster in TF_CONFIG, or a NnzooError when it is missing or wrong."""
    environ = os.environ if environ is None else environ
    if not environ.get("TF_CONFIG", "").strip():
        raise NnzooError(
            "--strategy multi-worker needs TF_CONFIG describing the cluster on every machine "
            "(or use `nnzoo run RECIPE --workers N` to start N local workers). Received: TF_CONFIG unset"
        )
    return parse_tf_config(environ["TF_CONFIG"])


def check_can_listen(cluster):
    """This task's port must be free on this machine: TensorFlow would abort the process on a taken one."""
    host, port = _ADDRESS.fullmatch(cluster.address).groups()
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
    except OSError as err:
        raise NnzooError(
            f"{cluster.name} cannot listen on {cluster.address} ({err.strerror or err}): the port is in "
            f"use or the host is not this machine; give this task a free address (in TF_CONFIG, or a free "
            f"--port-base with --cluster slurm). Received: address={cluster.address!r}"
        ) from None


def multi_worker_strategy(cluster, peer_timeout=PEER_TIMEOUT_S, make_resolver=None):
    """MultiWorkerMirroredStrategy for ``cluster``, once this task's port is known free.

    ``make_resolver``, called once TensorFlow may load, returns the ClusterResolver that forms ``cluster``
    (nnzoo.slurm's); without it the strategy reads TF_CONFIG, as ``cluster`` did.

    TensorFlow forms the cluster inside a C++ call that holds the GIL and does not return while a task is
    missing (the process does not even answer SIGTERM). So no Python code of this process can run until it
    returns: faulthandler's C watchdog ends the process with status 1 after ``peer_timeout`` seconds, and a
    small guard process, told when the cluster has formed, says just before that which tasks never answered.
    """
    check_can_listen(cluster)
    import tensorflow as tf

    peers = [f"{name}={address}" for name, address in cluster.peers()]
    guard = subprocess.Popen(
        [sys.executable, "-c", "from nnzoo.cluster import guard_main; guard_main()", repr(peer_timeout), cluster.name]
        + peers,
        stdin=subprocess.PIPE,
    )
    with open(os.devnull, "w") as devnull:
        faulthandler.dump_traceback_later(peer_timeout, exit=True, file=devnull)
        try:
            resolver = make_resolver() if make_resolver is not None else None
            strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
        finally:
            faulthandler.cancel_dump_traceback_later()
            guard.stdin.close()  # the cluster formed (or failed with an error of its own): the guard stays quiet
            guard.wait()
    return strategy


def guard_main():
    """The guard process: quiet if its stdin closes in time, else one line naming the silent tasks."""
    timeout, name, peers = float(sys.argv[1]), sys.argv[2], dict(p.split("=", 1) for p in sys.argv[3:])
    deadline = time.monotonic() + max(timeout - GUARD_LEAD_S, 0)
    while (left := deadline - time.monotonic()) > 0:
        if select.select([sys.stdin], [], [], min(left, 0.5))[0]:
            return  # closed: the cluster formed
        peers = {peer: address for peer, address in peers.items() if not _answers(address)}
    missing = ", ".join(f"{peer} at {address}" for peer, address in peers.items())
    why = f"{missing} never answered" if missing else "every task answered but the cluster did not form"
    print(
        f"nnzoo run: error: {name} waited {timeout:g} s for the other tasks of its cluster: {why}; "
        "start every task (or raise --peer-timeout)",
        file=sys.stderr,
        flush=True,
    )


def _answers(address):
    host, port = _ADDRESS.fullmatch(address).groups()
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=0.5).close()
    except OSError:
        return False
    return True
