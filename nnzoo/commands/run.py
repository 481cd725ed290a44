"""Run a recipe (or all of them), print its table and claims, and write the run folder.

Exit status: 0 when the recipe ran (failed claims are printed, never hidden), 1 with --strict
when a claim failed, 2 for a user error (unknown recipe, option out of range, unwritable --out).
"""

import sys
from pathlib import Path

from nnzoo import cluster, registry
from nnzoo.errors import NnzooError
from nnzoo.runner import writes_run_folder

HELP = "run a recipe (or 'all') and write results, claims, figures and a report"
STRATEGIES = ("none", "mirrored", "multi-worker")


def add_arguments(parser):
    parser.add_argument("recipe", help="a recipe name from 'nnzoo list', or 'all'")
    parser.add_argument("--quick", action="store_true", help="reduced sizes for tests and demos")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default runs/RECIPE/<UTC timestamp>/; with 'all', one subfolder per recipe)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any claim fails")
    parser.add_argument("--monitor", action="store_true",
                        help="attach nnzoo.monitor.TrainingMonitor to every variant")
    parser.add_argument("--strategy", choices=STRATEGIES, default="none",
                        help="tf.distribute strategy: mirrored (local devices) or multi-worker (TF_CONFIG)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="start N local worker processes on free loopback ports, each running this command "
                             "with --strategy multi-worker and its own TF_CONFIG (see docs/distributed.md)")


def main(args):
    if not 0 <= args.seed < 2**31:
        raise NnzooError(f"--seed must be an integer in [0, 2147483647]. Received: seed={args.seed}")
    if args.workers is not None:
        from nnzoo import launcher

        return launcher.launch_from_args(args)
    names = list(registry.recipes()) if args.recipe == "all" else [registry.get(args.recipe).name]
    import nnzoo

    strategy = _strategy(args.strategy)
    failed = []
    for name in names:
        out = args.out / name if (args.out is not None and args.recipe == "all") else args.out
        result = nnzoo.run(name, quick=args.quick, seed=args.seed, out=out, monitor=args.monitor,
                           strategy=strategy, verbose=0 if args.quiet else 1)
        if not writes_run_folder(strategy):
            print(f"{name}: this worker's part is done; the chief writes the run folder")
            continue
        print_result(result)
        failed += [f"{name}: {c.claim}" for c in result.failed_claims]
    if args.recipe == "all":
        total = "all claims hold" if not failed else f"{len(failed)} claims fail:\n  " + "\n  ".join(failed)
        print(f"\n{len(names)} recipes ran; {total}")
    return 1 if (args.strict and failed) else 0


def print_result(result):
    import pandas as pd

    with pd.option_context("display.max_columns", 20, "display.width", 160, "display.precision", 4):
        print(f"\n== {result.recipe} ==\n{result.table.to_string(index=False)}\n")
    for claim in result.claims:
        print(f"  [{'PASS' if claim.passed else 'FAIL'}] {claim.claim}\n         {claim.evidence}")
    print(f"\n{result.summary()}; wrote {result.out_dir}", file=sys.stdout)


def _strategy(name):
    if name == "none":
        return None
    if name == "multi-worker":
        cluster.from_environ()  # a wrong TF_CONFIG is a one-line error before TensorFlow loads
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return cluster.multi_worker_strategy(cluster.from_environ())
