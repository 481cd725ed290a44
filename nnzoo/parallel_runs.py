"""``nnzoo run all --jobs N``: several recipes at once, each in one of N worker processes.

One recipe keeps about one core busy (measured: `run all` spends 455 s of CPU in 466 s of wall time on two
cores), because most of its time is Python tracing each variant's train function and stepping small models.
N worker processes (spawned, never forked: TensorFlow is not fork-safe) each import TensorFlow once and take
the next recipe whenever they finish one, with TensorFlow's threads set to their share of the cores
(nnzoo.core_share: two processes of two threads each on two cores only compete). Every recipe seeds itself
at every training call, and the thread counts changed no number of any recipe at either size when measured
(docs/performance.md), so each recipe's numbers are those of a sequential run (tests/test_parallel_runs.py
compares them).

Ctrl-C reaches every process of the terminal's process group: each worker stops its recipe the way a
single run does (the run folder is marked unfinished, ready for ``--resume``) and reports it; workers that
do not report within ``GRACE_S`` are interrupted again by the parent, then terminated.

Recipes are handed out longest first, by the wall time each took when last measured (``recipe_costs.json``,
written by ``benchmarks/run_all.py --record``): the longest-processing-time rule, so the workers finish close
together instead of the longest recipe, started late, running alone at the end.
"""

import contextlib
import json
import math
import multiprocessing
import os
import signal
import time
from importlib import resources
from multiprocessing.connection import wait

from nnzoo import core_share
from nnzoo.errors import NnzooError

GRACE_S = 2.0  # after Ctrl-C, how long the parent waits before passing the interrupt on itself
STOP_S = 60.0  # then how long an interrupted worker gets to mark its run folder unfinished


class RecipeCrashed(Exception):
    """A worker process died in a recipe without reporting (its traceback is on stderr above)."""


def run_recipes(tasks, options, jobs, on_result):
    """Run ``tasks`` (``(name, out, resume)`` triples) on ``jobs`` workers; call ``on_result(name, text, failed)``
    for each recipe as it finishes, with its printed table and claims and the statements of its failed claims.

    A user error or an OS failure in a recipe stops the others from starting and is raised here once the
    running ones finish, as in a sequential run; Ctrl-C raises KeyboardInterrupt naming the stopped recipes.
    """
    context = multiprocessing.get_context("spawn")
    pending = longest_first(tasks, quick=options["quick"])
    workers = {}
    count = min(jobs, len(pending))
    try:
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_worker, args=(child_end, options, count), daemon=True)
            process.start()
            child_end.close()
            workers[parent_end] = [process, None]
            _send_next(workers, parent_end, pending)
        _dispatch(workers, pending, on_result)
    except KeyboardInterrupt as stop:
        raise KeyboardInterrupt(", ".join(_stop(workers)) or str(stop)) from None
    finally:
        for process, _ in workers.values():
            process.join(STOP_S)
            if process.is_alive():
                process.terminate()


def longest_first(tasks, *, quick):
    """``tasks`` by the measured wall time of their recipe at that size, longest first; a recipe not measured
    yet counts as the longest (ties keep their order)."""
    costs = recipe_costs()["quick" if quick else "full"]
    return sorted(tasks, key=lambda task: -costs.get(task[0], math.inf))


def recipe_costs():
    """The table in nnzoo/recipe_costs.json: how it was measured, and wall seconds per recipe at each size."""
    return json.loads(resources.files("nnzoo").joinpath("recipe_costs.json").read_text())


def _dispatch(workers, pending, on_result):
    failure = None
    while busy := [connection for connection, (_, task) in workers.items() if task is not None]:
        for connection in wait(busy):
            process, (name, _, _) = workers[connection]
            try:
                kind, payload = connection.recv()
            except EOFError:
                process.join(STOP_S)  # for its exit status
                kind, payload = "crashed", process
            if kind == "done":
                on_result(name, *payload)
            else:
                failure = failure or _rebuilt(name, kind, payload)
                pending.clear()
            if kind == "crashed":
                workers[connection][1] = None
            else:
                _send_next(workers, connection, pending)
    if failure is not None:
        raise failure


def _send_next(workers, connection, pending):
    """Hand the worker behind ``connection`` its next recipe, or tell it to stop (None)."""
    task = pending.pop(0) if pending else None
    workers[connection][1] = task
    connection.send(task)


def _rebuilt(name, kind, payload):
    """A worker's failure as the exception the command line turns into a message and an exit status."""
    if kind == "user error":
        return NnzooError(payload)
    if kind == "interrupted":  # only that worker was interrupted
        return KeyboardInterrupt(name)
    if kind == "os error":
        message, filename = payload
        return OSError(None, message, filename)
    return RecipeCrashed(f"recipe {name!r} crashed in its worker process (exit {payload.exitcode}); see above")


def _stop(workers):
    """After Ctrl-C: let every busy worker mark its run unfinished; the names of the recipes stopped."""
    busy = {connection: task for connection, (_, task) in workers.items() if task is not None}
    stopped, start, passed_on = [], time.monotonic(), False
    while busy and time.monotonic() < start + GRACE_S + STOP_S:
        if not passed_on and time.monotonic() >= start + GRACE_S:  # the interrupt reached the parent only
            for connection in busy:
                _interrupt(workers[connection][0])
            passed_on = True
        deadline = start + (GRACE_S + STOP_S if passed_on else GRACE_S)
        for connection in wait(list(busy), timeout=max(0.0, deadline - time.monotonic())):
            with contextlib.suppress(EOFError):
                connection.recv()
            stopped.append(busy.pop(connection)[0])
    for connection in busy:  # never answered: stop it the hard way
        workers[connection][0].terminate()
    return stopped + [task[0] for task in busy.values()]


def _interrupt(process):
    if process.is_alive():
        os.kill(process.pid, signal.SIGINT)


def _worker(connection, options, processes):
    """A worker process, one of ``processes``: run the recipes it is handed until told to stop (None) or
    interrupted."""
    os.environ.update(core_share.thread_variables(processes))  # before TensorFlow loads
    try:
        import nnzoo
        from nnzoo.commands.run import format_result

        while (task := connection.recv()) is not None:
            name, out, resume = task
            try:
                result = nnzoo.run(name, out=out, resume=resume, **options)
            except NnzooError as err:
                connection.send(("user error", str(err)))
            except OSError as err:
                connection.send(("os error", (err.strerror or str(err), err.filename)))
            else:
                connection.send(("done", (format_result(result), [c.claim for c in result.failed_claims])))
    except KeyboardInterrupt:
        # the recipe has marked its run unfinished; a second Ctrl-C (the parent passes one on after GRACE_S)
        # must not turn this report into a traceback
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with contextlib.suppress(EOFError, BrokenPipeError):
            connection.send(("interrupted", None))
    except (EOFError, BrokenPipeError):  # the parent is gone: stop after the recipe in hand
        pass
