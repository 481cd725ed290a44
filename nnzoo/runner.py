"""Run a recipe: prepare the output folder, seed, call ``run(ctx)``, record and write the results."""

import datetime
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

from nnzoo import registry
from nnzoo.errors import NnzooError, check_seed
from nnzoo.io import ensure_writable_dir
from nnzoo.results import Run

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
        raise NnzooError(f"Output folder {str(out)!r} already exists and is not empty; choose another --out. "
                         f"Received: out={str(out)!r}")
    return ensure_writable_dir(out)


def versions():
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def run_recipe(name, *, quick=False, seed=0, out=None, monitor=False, strategy=None, verbose=1, config=None):
    """Run recipe ``name`` and write its folder; returns the Run (see nnzoo.results).

    ``config``, an instance of the recipe's ``Config``, replaces its FULL/QUICK hyperparameters.
    """
    info = registry.get(name)
    check_seed(seed)
    out_dir = prepare_out_dir(default_out_dir(name) if out is None else out)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # TensorFlow loads here, not before
    import tensorflow as tf

    from nnzoo.context import RunContext
    from nnzoo.training import seed_everything

    tf.config.experimental.enable_op_determinism()
    keras.backend.clear_session()  # no memory growth over `run all`, and the same layer names every run
    module = registry.load_module(name)
    if config is not None and type(config) is not module.Config:
        raise NnzooError(f"config must be an instance of nnzoo.recipes.{name}.Config. Received: config={config!r}")
    ctx = RunContext(recipe=name, seed=seed, quick=quick, out_dir=out_dir, strategy=strategy,
                     monitor=monitor, verbose=verbose, hyperparameters=config)
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    if verbose:
        print(f"[{name}] {info.summary} ({'quick' if quick else 'full'} mode, seed {seed}) -> {out_dir}",
              file=sys.stderr, flush=True)
    seed_everything(seed)
    result = module.run(ctx)
    record = {
        "recipe": name,
        "summary": info.summary,
        "lectures": list(info.lectures),
        "seed": seed,
        "quick": quick,
        "monitor": monitor,
        "strategy": None if strategy is None else type(strategy).__name__,
        "config": ctx.config,
        "versions": versions(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": round(time.perf_counter() - clock, 3),
        "argv": sys.argv,
        "platform": platform.platform(),
        "claims": {"total": len(result.claims), "passed": sum(c.passed for c in result.claims)},
    }
    run = Run(recipe=name, result=result, out_dir=out_dir, info=record, monitor_notes=ctx.monitor_notes,
              monitor_figures=ctx.monitor_figures)
    from nnzoo.report import write_run

    write_run(run)
    return run

