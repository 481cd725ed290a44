"""Run a recipe (or all of them), print its table and claims, and write the run folder.

Exit status: 0 when the recipe ran (failed claims are printed, never hidden), 1 with --strict
when a claim failed or when the OS refused a write (disk full, read-only), 2 for a user error
(unknown recipe, option out of range, unwritable --out, a --resume that does not match), 130 on
Ctrl-C. --resume continues a killed or interrupted run (docs/running.md).
"""

import shlex
import sys

from nnzoo import cluster, quiet_tensorflow, registry, slurm
from nnzoo.errors import NnzooError, check_range, check_seed, user_path
from nnzoo.run_folder import is_finished
from nnzoo.runner import default_out_dir, writes_run_folder

HELP = "run a recipe (or 'all') and write results, claims, figures and a report"
STRATEGIES = ("none", "mirrored", "multi-worker")
CLUSTERS = ("tf-config", "slurm")
MAX_JOBS = 64


def add_arguments(parser):
    parser.add_argument("recipe", help="a recipe name from 'nnzoo list', or 'all'")
    parser.add_argument("--quick", action="store_true", help="reduced sizes for tests and demos")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out",
        type=user_path,
        default=None,
        help="output folder (default runs/RECIPE/<UTC timestamp>/; with 'all', one subfolder per recipe)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when any claim fails")
    parser.add_argument("--monitor", action="store_true", help="attach nnzoo.monitor.TrainingMonitor to every variant")
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="none",
        help="tf.distribute strategy: mirrored (local devices) or multi-worker (a cluster, see --cluster)",
    )
    parser.add_argument(
        "--cluster",
        choices=CLUSTERS,
        default=None,
        help="with --strategy multi-worker: where the cluster is described: tf-config (default; the TF_CONFIG "
        "variable) or slurm (the variables srun sets, read by TensorFlow's SlurmClusterResolver; see "
        "docs/distributed.md)",
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="PORT",
        help=f"with --cluster slurm: the port of each node's first task, the next task takes the next port "
        f"(default {slurm.PORT_BASE})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the unfinished run in --out (same recipe, seed and options): finished "
        "variants are loaded, the interrupted one continues after its last completed epoch",
    )
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"with --strategy multi-worker: how long to wait for every other task of the cluster to come up "
        f"before exiting 1 naming the missing ones (default {cluster.PEER_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="start N local worker processes on free loopback ports, each running this command "
        "with --strategy multi-worker and its own TF_CONFIG (see docs/distributed.md)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="with 'all': run up to N recipes at once, each in its own worker process (default 1; "
        f"1 to {MAX_JOBS}); each recipe's numbers are those of a sequential run",
    )


def main(args):
    check_seed(args.seed, "--seed")
    if args.peer_timeout is not None:
        check_range("--peer-timeout", args.peer_timeout, 1, 86_400)
        if args.strategy != "multi-worker" and args.workers is None:
            raise NnzooError(
                "--peer-timeout is how long a multi-worker task waits for the others; it needs --strategy "
                f"multi-worker or --workers. Received: strategy={args.strategy!r}"
            )
    check_range("--jobs", args.jobs, 1, MAX_JOBS, integer=True)
    if args.jobs > 1 and (args.recipe != "all" or args.strategy != "none" or args.workers is not None):
        raise NnzooError(
            "--jobs runs several recipes at once in processes of their own; it needs 'all' and no --strategy "
            f"or --workers. Received: recipe={args.recipe!r}, strategy={args.strategy!r}, workers={args.workers!r}"
        )
    _check_cluster_options(args)
    if args.workers is not None:
        from nnzoo import launcher

        return launcher.launch_from_args(args)
    names = list(registry.recipes()) if args.recipe == "all" else [registry.get(args.recipe).name]
    if args.resume and args.out is None:
        raise NnzooError("--resume needs --out: the folder of the run to continue. Received: out=None")
    if args.resume and args.strategy != "none":
        raise NnzooError(
            f"--resume works without --strategy (checkpoints are written by one process). "
            f"Received: strategy={args.strategy!r}"
        )
    found = _cluster(args) if args.strategy == "multi-worker" else None  # a wrong one: one line, before TensorFlow
    tasks = []
    for name in names:
        out = _out_for(args, name)
        if args.resume and is_finished(out):
            print(f"[{name}] already finished in {out}; nothing to resume", file=sys.stderr)
            continue
        tasks.append((name, out, args.resume and (args.recipe != "all" or out.exists())))
    options = {"quick": args.quick, "seed": args.seed, "monitor": args.monitor, "verbose": 0 if args.quiet else 1}
    failed = []

    def show(name, text, failed_claims):
        print(text, flush=True)
        failed.extend(f"{name}: {claim}" for claim in failed_claims)

    if args.jobs > 1:
        crashed = _run_in_workers(args, tasks, options, show)
        if crashed:
            print(f"nnzoo run: error: {crashed}", file=sys.stderr)
            return 1
    else:
        _run_here(args, found, tasks, options, show)
    if args.recipe == "all":
        total = "all claims hold" if not failed else f"{len(failed)} claims fail:\n  " + "\n  ".join(failed)
        print(f"\n{len(names)} recipes ran; {total}")
    return 1 if (args.strict and failed) else 0


def _run_here(args, found, tasks, options, show):
    import nnzoo

    strategy = _strategy(args, found)
    for name, out, resume in tasks:
        try:
            result = nnzoo.run(name, out=out, strategy=strategy, resume=resume, **options)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"resume with: {_resume_command(args, name, out)}") from None
        if not writes_run_folder(strategy):
            print(f"{name}: this worker's part is done; the chief writes the run folder")
            continue
        show(name, format_result(result), [c.claim for c in result.failed_claims])


def _run_in_workers(args, tasks, options, show):
    """``_run_here`` on --jobs worker processes; the message of a recipe that crashed one, or None."""
    from nnzoo import parallel_runs

    try:
        parallel_runs.run_recipes(tasks, options, args.jobs, show)
    except parallel_runs.RecipeCrashed as crash:  # a bug: its traceback came from the worker
        return str(crash)
    except KeyboardInterrupt as stop:
        stopped = str(stop).split(", ")
        commands = {_resume_command(args, name, _out_for(args, name)) for name in stopped}
        raise KeyboardInterrupt(f"stopped {str(stop)}; resume with: {' ; '.join(sorted(commands))}") from None


def _out_for(args, name):
    """The run folder of recipe ``name``: --out, --out/NAME with 'all', else runs/NAME/<UTC timestamp>/."""
    if args.out is None:
        return default_out_dir(name)
    return args.out / name if args.recipe == "all" else args.out


def _resume_command(args, name, out):
    """The command line that continues this run (with 'all' and --out, the whole of it)."""
    recipe, folder = ("all", args.out) if (args.recipe == "all" and args.out is not None) else (name, out)
    options = [
        f"--seed {args.seed}" if args.seed else "",
        "--quick" if args.quick else "",
        "--monitor" if args.monitor else "",
        "--quiet" if args.quiet else "",
    ]
    return " ".join(["nnzoo run", recipe, "--out", shlex.quote(str(folder)), *filter(None, options), "--resume"])


def format_result(result):
    """A finished run as printed: its table, every claim with its evidence, and where it was written."""
    import pandas as pd

    with pd.option_context("display.max_columns", 20, "display.width", 160, "display.precision", 4):
        lines = [f"\n== {result.recipe} ==\n{result.table.to_string(index=False)}\n"]
    for claim in result.claims:
        lines.append(f"  [{'PASS' if claim.passed else 'FAIL'}] {claim.claim}\n         {claim.evidence}")
    lines.append(f"\n{result.summary()}; wrote {result.out_dir}")
    return "\n".join(lines)


def _check_cluster_options(args):
    """--cluster needs a multi-worker run, --port-base needs --cluster slurm, --workers makes TF_CONFIG clusters."""
    if args.cluster is not None and args.strategy != "multi-worker" and args.workers is None:
        raise NnzooError(
            f"--cluster says where a multi-worker cluster is described; it needs --strategy multi-worker. "
            f"Received: cluster={args.cluster!r}, strategy={args.strategy!r}"
        )
    if args.cluster == "slurm" and args.workers is not None:
        raise NnzooError(
            "--workers starts local workers described by TF_CONFIG; under Slurm, srun starts the tasks: "
            f"drop --workers or --cluster slurm. Received: cluster='slurm', workers={args.workers}"
        )
    if args.port_base is not None:
        if args.cluster != "slurm":
            raise NnzooError(
                f"--port-base sets the ports of a Slurm cluster; it needs --cluster slurm (TF_CONFIG names its "
                f"own ports). Received: cluster={args.cluster!r}"
            )
        check_range("--port-base", args.port_base, 1, 65535, integer=True)


def _cluster(args):
    """This task's cluster, from TF_CONFIG or from Slurm's variables (a NnzooError when wrong)."""
    if args.cluster == "slurm":
        return slurm.from_environ(slurm.PORT_BASE if args.port_base is None else args.port_base)
    return cluster.from_environ()


def _strategy(args, found):
    if args.strategy == "none":
        return None
    quiet_tensorflow.load()
    import tensorflow as tf

    if args.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    timeout = args.peer_timeout or cluster.PEER_TIMEOUT_S
    if isinstance(found, slurm.SlurmCluster):
        return cluster.multi_worker_strategy(found.cluster, timeout, lambda: slurm.cluster_resolver(found))
    return cluster.multi_worker_strategy(found, timeout)
