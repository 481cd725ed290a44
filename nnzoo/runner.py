"""Run a recipe: prepare the output folder, seed, call ``run(ctx)``, record and write the results."""

import atexit
import dataclasses
import datetime
import platform
import shutil
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from nnzoo import core_share, quiet_tensorflow, registry, run_folder
from nnzoo.errors import NnzooError, check_seed
from nnzoo.io import ensure_writable_dir

VERSIONED = ("nnzoo", "tensorflow", "keras", "keras-tuner", "numpy", "pandas", "scikit-learn", "matplotlib")


def default_out_dir(recipe, root="runs"):
    """``runs/RECIPE/<UTC timestamp>/``, never one that already exists."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / recipe / stamp
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{stamp}-{k}")
    return candidate


def prepare_out_dir(out):
    """Create the run folder; refuse one that already holds files (nothing the user had is lost)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NnzooError(
            f"Output folder {str(out)!r} already exists and is not empty; choose another --out, "
            f"or add --resume to continue an unfinished run there. Received: out={str(out)!r}"
        )
    return ensure_writable_dir(out)


def versions():
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def run_recipe(
    name, *, quick=False, seed=0, out=None, monitor=False, strategy=None, verbose=1, config=None, resume=False
):
    """Run recipe ``name`` and write its folder; returns the Run (see nnzoo.results).

    ``config``, an instance of the recipe's ``Config``, replaces its FULL/QUICK hyperparameters.
    ``resume=True`` continues the unfinished run in ``out`` (same recipe, seed and options):
    finished variants are loaded, the interrupted one continues after its last completed epoch.
    """
    info = registry.get(name)
    check_seed(seed)
    options = {
        "recipe": name,
        "seed": seed,
        "quick": quick,
        "monitor": monitor,
        "strategy": None if strategy is None else type(strategy).__name__,
    }
    chief = writes_run_folder(strategy)
    if resume:
        out_dir = _resumed_out_dir(out, options)
    elif chief:
        out_dir = prepare_out_dir(default_out_dir(name) if out is None else out)
    else:
        out_dir = worker_scratch_dir(name)
    with run_folder.recording(out_dir, options):
        return _run(name, info, options, out_dir, strategy=strategy, verbose=verbose, config=config, chief=chief)


def _resumed_out_dir(out, options):
    if out is None:
        raise NnzooError("resume needs the folder of the run to continue. Received: out=None")
    if options["strategy"] is not None:
        raise NnzooError(f"resume works without a distribution strategy. Received: strategy={options['strategy']!r}")
    return run_folder.reopen(out, options)


def _run(name, info, options, out_dir, *, strategy, verbose, config, chief):
    seed, quick, monitor = options["seed"], options["quick"], options["monitor"]
    quiet_tensorflow.load()  # TensorFlow loads here, not before
    import keras
    import tensorflow as tf

    from nnzoo import trace_reuse
    from nnzoo.checkpoints import FOLDER, RunCheckpoints
    from nnzoo.context import RunContext
    from nnzoo.results import Run
    from nnzoo.trace_registry import released_custom_gradients
    from nnzoo.training import distributed_fixes, seed_everything

    tf.config.experimental.enable_op_determinism()
    keras.backend.clear_session()  # no memory growth over `run all`, and the same layer names every run
    trace_reuse.clear()  # (the graphs kept for reuse hold their models)
    module = registry.load_module(name)
    if config is not None and type(config) is not module.Config:
        raise NnzooError(f"config must be an instance of nnzoo.recipes.{name}.Config. Received: config={config!r}")
    ctx = RunContext(
        recipe=name,
        seed=seed,
        quick=quick,
        out_dir=out_dir,
        strategy=strategy,
        monitor=monitor,
        verbose=verbose,
        hyperparameters=config,
        checkpoints=None if strategy is not None else RunCheckpoints(out_dir / FOLDER),
    )
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    if verbose:
        print(
            f"[{name}] {info.summary} ({'quick' if quick else 'full'} mode, seed {seed}) -> {out_dir}",
            file=sys.stderr,
            flush=True,
        )
    seed_everything(seed)
    with distributed_fixes(strategy), released_custom_gradients():  # also the recipe's own training loops
        result = module.run(ctx)
    record = {
        "recipe": name,
        "summary": info.summary,
        "lectures": list(info.lectures),
        "seed": seed,
        "quick": quick,
        "monitor": monitor,
        "strategy": None if strategy is None else type(strategy).__name__,
        "cluster": cluster_record(strategy),
        "config": ctx.config,
        "versions": versions(),
        "tensorflow_threads": core_share.tensorflow_threads(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": round(time.perf_counter() - clock, 3),
        "argv": sys.argv,
        "platform": platform.platform(),
        "claims": {"total": len(result.claims), "passed": sum(c.passed for c in result.claims)},
        "status": "finished",
        "reason": None,
    }
    run = Run(
        recipe=name,
        result=result,
        out_dir=out_dir,
        info=record,
        training_notes=ctx.training_notes,
        monitor_notes=ctx.monitor_notes,
        monitor_figures=ctx.monitor_figures,
    )
    from nnzoo.report import write_run

    if not chief:
        shutil.rmtree(out_dir, ignore_errors=True)
        return dataclasses.replace(run, out_dir=None)
    write_run(run)
    if ctx.checkpoints is not None:
        ctx.checkpoints.remove()
    return run


def writes_run_folder(strategy):
    """Only the chief of a multi-worker cluster writes the run folder (every process without one does)."""
    return strategy is None or strategy.extended.should_checkpoint


def worker_scratch_dir(name):
    """Where a non-chief worker's recipe writes (Keras's guidance: a temporary path), removed when it ends."""
    scratch = tempfile.mkdtemp(prefix=f"nnzoo-{name}-worker-")
    atexit.register(shutil.rmtree, scratch, True)
    return Path(scratch)


def cluster_record(strategy):
    """Processes and replicas that trained together, for run.json (None without a tf.distribute strategy)."""
    if strategy is None:
        return None
    resolver = getattr(strategy, "cluster_resolver", None)
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    return {
        "workers": max(1, sum(len(tasks) for tasks in spec.values())),
        "replicas": int(strategy.num_replicas_in_sync),
        "task": None if not spec else f"{resolver.task_type} {resolver.task_id}",
        "resolver": None if resolver is None else type(resolver).__name__,
    }
