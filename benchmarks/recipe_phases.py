"""Where one recipe's time goes: build and compile, tracing, epochs, evaluation, saving, and the recipe's own work.

Runs a recipe (default batchnorm at full size) through nnzoo.run and reads what every training call measured
(``TrainedVariant.phases`` and the per-epoch seconds of its history). Tracing the train and evaluation
functions happens inside the first epoch, so it is estimated as the first epoch's seconds minus the median
of the others. A variant's fixed cost is everything but its epochs after the first: what it pays however
few epochs it trains. The recipe runs four times in this process: first as nnzoo trained before any of this
work (every variant traces its own train and evaluation functions, Keras creates the optimizer's and metrics'
variables inside the first trace, so that tf.function traces the train step twice, and seeding empties
TensorFlow's kernel cache), then with those variables created before the first step
(``nnzoo.training.build_state``), then also reusing traces across variants of one graph (nnzoo.trace_reuse)
with the cache still emptied at each seeding, then as recipes train now (traces reused, kernels kept:
``seed_everything(keep_kernels=True)``). The target is the fixed cost per variant cut at least in half, the
last run against the first.
Usage: python benchmarks/recipe_phases.py [--recipe batchnorm] [--quick]
"""

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import nnzoo
from nnzoo import trace_reuse, training


def phases_of(trained):
    """One training call's seconds by phase; tracing is the first epoch's excess over a typical epoch."""
    epochs = trained.history["seconds"].to_numpy()
    typical = float(pd.Series(epochs[1:]).median()) if len(epochs) > 1 else 0.0
    tracing = max(0.0, float(epochs[0]) - typical) if len(epochs) else 0.0
    return {
        "variant": trained.name,
        "build_compile": trained.phases["build_compile"],
        "tracing": tracing,
        "epochs": float(epochs.sum()) - tracing,
        "evaluate": trained.phases["evaluate"],
        "save": trained.phases.get("save", 0.0),
        "fit_overhead": trained.phases["fit"] - float(epochs.sum()),  # callbacks, iterators between epochs
    }


def run_recipe(recipe, quick, *, build_first, reuse, keep_kernels):
    """Run ``recipe`` once; its wall seconds and one row of phases per training call."""
    calls = []
    train, reuse_traces, build_state = training.train, trace_reuse.reuse, training.build_state

    def recorded(*args, **kwargs):
        trained = train(*args, **{**kwargs, "keep_kernels": kwargs.get("keep_kernels", False) and keep_kernels})
        calls.append(phases_of(trained))
        return trained

    training.train = recorded
    if not build_first:
        training.build_state = lambda model, dataset: None
    if not reuse:
        trace_reuse.reuse = lambda model, key: None
    try:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            nnzoo.run(recipe, quick=quick, out=Path(folder) / "run", verbose=0)
        return time.perf_counter() - start, pd.DataFrame(calls).set_index("variant")
    finally:
        training.train, trace_reuse.reuse, training.build_state = train, reuse_traces, build_state


def report(label, wall, table):
    """Print the phases of one run; returns its fixed cost per variant."""
    totals = table.sum()
    print(f"\n{label}: {wall:.1f} s in all, {len(table)} training calls")
    print(table.round(3).to_string())
    for phase, seconds in totals.items():
        print(f"  {phase:14s} {seconds:7.2f} s  {seconds / wall:6.1%} of the run")
    print(f"  {'recipe itself':14s} {wall - totals.sum():7.2f} s  {(wall - totals.sum()) / wall:6.1%} of the run")
    fixed = table.drop(columns="epochs").sum(axis=1)
    print(f"  fixed cost per variant {fixed.mean():.2f} s, tracing {totals['tracing'] / fixed.sum():.0%} of it")
    return float(fixed.mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", default="batchnorm")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size = "quick" if args.quick else "full"
    runs = {
        "every variant traced (its train step twice), kernels emptied at each seed": dict(
            build_first=False, reuse=False, keep_kernels=False
        ),
        "every variant traced once, kernels emptied at each seed": dict(
            build_first=True, reuse=False, keep_kernels=False
        ),
        "traces reused, kernels emptied at each seed": dict(build_first=True, reuse=True, keep_kernels=False),
        "traces reused, kernels kept": dict(build_first=True, reuse=True, keep_kernels=True),
    }
    fixed = {
        label: report(f"{args.recipe} ({size}), {label}", *run_recipe(args.recipe, args.quick, **how))
        for label, how in runs.items()
    }
    costs = list(fixed.values())
    before, after = costs[0], costs[-1]
    print()
    for label, cost in fixed.items():
        print(f"fixed cost per variant, {label}: {cost:.2f} s = {cost / before:.2f}x")
    verdict = "ok" if after <= before / 2 else "MISSED"
    print(f"target: the last at most 0.5x the first: {verdict}")
    raise SystemExit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
