"""``nnzoo run RECIPE --workers N``: N local worker processes of one MultiWorkerMirroredStrategy cluster.

Like ``torchrun --nproc_per_node``: each worker is ``nnzoo run`` with the same options plus
``--strategy multi-worker`` and its own TF_CONFIG on a free loopback port; their output is streamed with a
``[worker I]`` prefix, and the launcher returns the chief's (worker 0's) exit status. When a worker exits
with a failure while others still run, the others can only wait for it (their next all-reduce never
completes), so the launcher stops them (SIGTERM, then SIGKILL after ``STOP_GRACE`` seconds) and exits
non-zero naming the worker: at most ``POLL + STOP_GRACE`` seconds after the death, never a hang.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from nnzoo.errors import NnzooError, check_range

MAX_WORKERS = 16
POLL = 0.2  # seconds between looks at the workers
STOP_GRACE = 5.0  # seconds a stopped worker gets to exit before SIGKILL


def free_ports(count, host="127.0.0.1"):
    """``count`` distinct ports the OS reports free on ``host`` (all held open until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((host, 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def tf_configs(ports, host="127.0.0.1"):
    """One TF_CONFIG per worker: the same cluster, each its own task index."""
    cluster = {"worker": [f"{host}:{port}" for port in ports]}
    return [json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(len(ports))]


def worker_argv(args):
    """The ``nnzoo run`` command line every worker runs: the launcher's options, multi-worker on its TF_CONFIG,
    no --workers."""
    argv = [sys.executable, "-m", "nnzoo", "run", args.recipe, "--seed", str(args.seed), "--strategy", "multi-worker"]
    argv += ["--cluster", "tf-config"]
    argv += ["--quick"] * args.quick + ["--strict"] * args.strict + ["--monitor"] * args.monitor
    argv += ["--quiet"] * args.quiet
    if args.peer_timeout is not None:
        argv += ["--peer-timeout", repr(args.peer_timeout)]
    if args.out is not None:
        argv += ["--out", str(args.out)]
    return argv


def launch_from_args(args):
    """Check the options, then run the workers; returns the exit status for the CLI."""
    check_range("--workers", args.workers, 1, MAX_WORKERS, integer=True)
    if args.strategy not in ("none", "multi-worker"):
        raise NnzooError(
            f"--workers starts a multi-worker cluster; it cannot be combined with --strategy "
            f"{args.strategy}. Received: strategy={args.strategy!r}, workers={args.workers}"
        )
    from nnzoo import registry

    if args.recipe != "all":
        registry.get(args.recipe)  # an unknown recipe is one message here, not one per worker
    return launch(worker_argv(args), args.workers)


def _stream(process, prefix, lock):
    for line in iter(process.stdout.readline, ""):
        with lock:
            sys.stdout.write(f"{prefix}{line}")
            sys.stdout.flush()
    process.stdout.close()


def launch(argv, workers, *, log=None):
    """Run ``argv`` as ``workers`` processes of one loopback cluster; the chief's exit status, or the first
    failing worker's (1 if it died of a signal) after the others were stopped."""
    log = log or (lambda text: print(f"nnzoo run: {text}", file=sys.stderr, flush=True))
    configs = tf_configs(free_ports(workers))
    lock = threading.Lock()
    processes, streams = [], []
    for index, config in enumerate(configs):
        env = {**os.environ, "TF_CONFIG": config, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        processes.append(process)
        stream = threading.Thread(target=_stream, args=(process, f"[worker {index}] ", lock), daemon=True)
        stream.start()
        streams.append(stream)
    log(
        f"started {workers} workers (pids {', '.join(str(p.pid) for p in processes)}) on "
        f"{', '.join(json.loads(configs[0])['cluster']['worker'])}; worker 0 is the chief"
    )
    try:
        failed = _wait(processes)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    if failed is not None:
        index, status = failed
        _stop(processes)
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        log(f"error: worker {index} (pid {processes[index].pid}) {how}; stopped the other workers")
    for stream in streams:
        stream.join(timeout=STOP_GRACE)
    if failed is not None:
        return failed[1] if failed[1] > 0 else 1
    return processes[0].returncode


def _wait(processes):
    """Poll until every worker has exited (None) or one has failed while another still runs ((index, status))."""
    while True:
        statuses = [process.poll() for process in processes]
        if all(status is not None for status in statuses):
            return None
        for index, status in enumerate(statuses):
            if status not in (None, 0):
                return index, status
        time.sleep(POLL)


def _stop(processes):
    """SIGTERM every worker still running, SIGKILL those that outlive STOP_GRACE seconds."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
