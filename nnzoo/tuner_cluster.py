"""KerasTuner's distributed search for ``nnzoo tune``: one chief serves the oracle over gRPC, any number
of workers ask it for trials, run them and report back, all sharing one search folder.

KerasTuner configures this with three environment variables per process: KERASTUNER_TUNER_ID
("chief" or a unique worker id), KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT. ``--chief`` and
``--worker`` set them (a cluster launcher may set them itself instead). nnzoo serves the oracle with its
own loop rather than keras_tuner's ``start_server`` so that the chief

- stops as soon as the search is over (KerasTuner polls every 20 s, and waits forever for a worker that
  died: keras-tuner #915),
- says which trial is waiting on which worker, so a dead worker can be restarted with the same
  ``--tuner-id`` to rerun exactly that trial,
- refuses a port it cannot bind with a one-line message;

and so that a worker waits a bounded time for its chief (keras-tuner #990 raised the client's gRPC
timeout to an hour) and gives up with a clear message when the chief is gone.
"""

import contextlib
import dataclasses
import os
import re
import socket
import time

from nnzoo.errors import NnzooError, check_range

ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
DEFAULT_ORACLE = "127.0.0.1:8000"
_TUNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Where this process stands in a search: alone, the chief, or one worker among many."""

    role: str = "single"
    host: str = "127.0.0.1"
    port: int = 8000
    tuner_id: str = "tuner0"
    wait: float = 600.0  # seconds a worker waits for its chief (at start and for each request)

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    @property
    def distributed(self):
        return self.role != "single"


def parse_address(text):
    """``HOST:PORT`` (IPv6 as ``[::1]:PORT``) -> (host, port), or a one-line NnzooError."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})", text or "")
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise NnzooError(
            f"--oracle must be HOST:PORT with a port in [1, 65535] (IPv6 as [::1]:PORT). Received: oracle={text!r}"
        )
    return match.group(1), int(match.group(2))


def resolve(*, chief=False, worker=False, oracle=None, tuner_id=None, wait=600.0, environ=None):
    """The Cluster for these CLI flags, falling back on KerasTuner's environment variables.

    With neither flag, a process whose environment names a chief oracle (KERASTUNER_ORACLE_IP) takes the
    role KerasTuner would give it: chief if its KERASTUNER_TUNER_ID contains "chief", else worker.
    """
    environ = os.environ if environ is None else environ
    check_range("--wait", wait, 1, 86_400)
    env_id = environ.get("KERASTUNER_TUNER_ID")
    if chief and worker:
        raise NnzooError(
            "--chief and --worker are exclusive: one process is one or the other. Received: chief=True, worker=True"
        )
    if not (chief or worker) and "KERASTUNER_ORACLE_IP" in environ:
        chief, worker = "chief" in (env_id or ""), "chief" not in (env_id or "")
    if not (chief or worker):
        if oracle is not None or tuner_id is not None:
            raise NnzooError(
                "--oracle and --tuner-id belong to a distributed search: add --chief or --worker. "
                f"Received: oracle={oracle!r}, tuner_id={tuner_id!r}"
            )
        return Cluster()
    if oracle is None and "KERASTUNER_ORACLE_IP" in environ:
        oracle = f"{environ['KERASTUNER_ORACLE_IP']}:{environ.get('KERASTUNER_ORACLE_PORT', '')}"
    host, port = parse_address(oracle or DEFAULT_ORACLE)
    if chief:
        if tuner_id is not None:
            raise NnzooError(f"--tuner-id is for workers; the chief's id is 'chief'. Received: tuner_id={tuner_id!r}")
        return Cluster("chief", host, port, "chief", wait)
    tuner_id = tuner_id or (env_id if env_id and "chief" not in env_id else None) or default_worker_id()
    if not _TUNER_ID.fullmatch(tuner_id) or "chief" in tuner_id:
        raise NnzooError(
            "--tuner-id must be 1-64 letters, digits, '_', '.' or '-' without the word 'chief' "
            f"(KerasTuner takes any id containing it for the chief). Received: tuner_id={tuner_id!r}"
        )
    return Cluster("worker", host, port, tuner_id, wait)


def default_worker_id():
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:40] or "host"
    return f"worker-{host}-{os.getpid()}"


@contextlib.contextmanager
def keras_tuner_environment(cluster):
    """KerasTuner reads its role from the environment when a tuner is built and while it searches:
    set exactly this process's role for the block (none for a single or chief process, whose oracle is
    local), bound a worker's requests by ``cluster.wait``, and restore the caller's environment afterwards."""
    from nnzoo import tuner_internals

    saved, timeout = {name: os.environ.get(name) for name in ENV}, tuner_internals.client_timeout()
    for name in ENV:
        os.environ.pop(name, None)
    if cluster.role == "worker":
        tuner_internals.set_client_timeout(cluster.wait)
        os.environ.update(
            KERASTUNER_TUNER_ID=cluster.tuner_id,
            KERASTUNER_ORACLE_IP=cluster.host,
            KERASTUNER_ORACLE_PORT=str(cluster.port),
        )
    try:
        yield
    finally:
        tuner_internals.set_client_timeout(timeout)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_can_listen(cluster):
    """Fail fast, before TensorFlow loads, when the chief's port is taken or the host is not this machine's."""
    host = cluster.host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, cluster.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
    except OSError as err:
        raise cannot_listen(cluster, err.strerror or err) from None


def cannot_listen(cluster, why):
    return NnzooError(
        f"The chief cannot listen on {cluster.address} ({why}); choose another --oracle HOST:PORT. "
        f"Received: oracle={cluster.address!r}"
    )


def wait_for_chief(cluster):
    """Block until the chief's oracle accepts connections, at most ``cluster.wait`` seconds (gRPC only: a
    worker started without its chief says so before TensorFlow loads)."""
    import grpc

    channel = grpc.insecure_channel(cluster.address)
    try:
        grpc.channel_ready_future(channel).result(timeout=cluster.wait)
    except grpc.FutureTimeoutError:
        raise NnzooError(
            f"No chief oracle answered at {cluster.address} within {cluster.wait:g} s: start "
            f"`nnzoo tune ... --chief --oracle {cluster.address}` first, or raise --wait. "
            f"Received: oracle={cluster.address!r}"
        ) from None
    finally:
        channel.close()


def lost_chief(cluster, err):
    """The one-line error for a worker whose chief stopped answering mid-search."""
    return NnzooError(
        f"Lost the chief oracle at {cluster.address} ({err.code().name}: {err.details()}); "
        f"restart the chief with the same command to resume the search, then this worker. "
        f"Received: oracle={cluster.address!r}"
    )


def search_complete(oracle):
    """A reloaded oracle that has already ended max_trials trials needs no workers."""
    ended = sum(t.status in ("COMPLETED", "FAILED") for t in oracle.trials.values())
    return bool(oracle.max_trials) and ended >= oracle.max_trials


def serve(oracle, cluster, *, log=print, objective="objective", direction="min", poll=0.2, grace=30.0, heartbeat=60.0):
    """Serve ``oracle`` to the workers until the search is over; log every trial as it ends.

    The search is over once the oracle has told some worker to stop (no trial left to hand out) and no
    trial is running. Workers between trials then ask for one within moments and are told to stop;
    the chief waits for them at most ``grace`` seconds, so a worker that died idle cannot hold it.
    A worker that died *during* a trial holds that trial: every ``heartbeat`` seconds the chief says
    which, so that worker can be restarted with the same --tuner-id (KerasTuner then hands it the same
    trial again), or the chief restarted (a reloaded oracle requeues unfinished trials).
    """
    from concurrent import futures

    import grpc

    from nnzoo.tuner_internals import LOCKS, OracleServicer, oracle_service

    servicer = OracleServicer(oracle)
    # One request at a time (the oracle is not thread-safe for reads); no SO_REUSEPORT, so a second chief on
    # the same port fails instead of sharing the workers with the first.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1), options=[("grpc.so_reuseport", 0)])
    oracle_service().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(cluster.address)
    except RuntimeError:
        bound = 0
    if not bound:
        raise cannot_listen(cluster, "port in use, or not an address of this machine")
    server.start()
    log(
        f"[tune] chief: oracle serving on {cluster.address}; start workers with "
        f"`nnzoo tune ... --worker --oracle HOST:{cluster.port}` and the same options and --out"
    )
    reported, running, started, over_since, last_heartbeat = len(oracle.end_order), {}, {}, None, time.monotonic()
    best = next((t.score for t in oracle.get_best_trials(1)), None)  # a resumed search has one already
    try:
        while True:
            time.sleep(poll)
            now = time.monotonic()
            with LOCKS[oracle]:  # a consistent view while the server thread changes the oracle
                ongoing = [(tuner_id, trial.trial_id) for tuner_id, trial in oracle.ongoing_trials.items()]
                ended = [
                    (trial_id, oracle.trials[trial_id].status, oracle.trials[trial_id].score)
                    for trial_id in oracle.end_order[reported:]
                ]
                unstopped_workers = len(oracle.tuner_ids)
            for tuner_id, trial_id in ongoing:
                running[trial_id] = tuner_id
                started.setdefault(trial_id, now)
            for trial_id, status, score in ended:
                reported += 1
                if score is not None and (best is None or (score < best if direction == "min" else score > best)):
                    best = score
                log(
                    f"[tune] chief: trial {trial_id} {str(status).lower()} on {running.get(trial_id, 'a worker')} "
                    f"({reported} of {oracle.max_trials or '?'} ended): "
                    f"{'no score' if score is None else f'{objective} {score:.4g}'}; "
                    f"best so far {'-' if best is None else f'{best:.4g}'}"
                )
                started.pop(trial_id, None)
            if over_since is None and servicer.stop_triggered and not ongoing:
                over_since = now
            if over_since is not None and (not unstopped_workers or now - over_since > grace):
                return
            if ongoing and now - last_heartbeat > heartbeat:
                last_heartbeat = now
                waiting = ", ".join(
                    f"trial {trial_id} on {tuner_id} ({now - started[trial_id]:.0f} s)"
                    for tuner_id, trial_id in ongoing
                )
                log(
                    f"[tune] chief: waiting for {waiting}; a worker that died keeps its trial until it is "
                    f"restarted with the same --tuner-id"
                )
    finally:
        server.stop(grace=1).wait()
