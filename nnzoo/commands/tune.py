"""KerasTuner search over a recipe's search space (its tunable_model): random search in log space,
grid, Hyperband or Bayesian optimization, optionally with K stratified folds; coarse to fine with
--refine-from. Running the same command again resumes the search; a different search against the
same --out stops with an error. The best hyperparameters are retrained on train + validation,
evaluated once on the test split and saved under OUT/best/ for `nnzoo export`.

Distributed: one `--chief` serves KerasTuner's oracle at --oracle HOST:PORT and writes the results; any
number of `--worker` processes (same options, same --out on a shared file system) run the trials. Without
the flags, KerasTuner's KERASTUNER_TUNER_ID / KERASTUNER_ORACLE_IP / KERASTUNER_ORACLE_PORT variables
give the role."""

import datetime
import sys
from pathlib import Path

from nnzoo.errors import user_path

HELP = "KerasTuner search over a recipe's search space"


def add_arguments(parser):
    parser.add_argument("recipe", help="a recipe with a search space (see the error message for the list)")
    parser.add_argument("--tuner", default="random", help="random (default), grid, hyperband or bayesian")
    parser.add_argument(
        "--max-trials", type=int, help="number of trials (default 10; Hyperband runs the trials of its own schedule)"
    )
    parser.add_argument("--objective", default="val_loss", help="val_loss (default), val_accuracy, ...")
    parser.add_argument("--folds", type=int, default=1, help="K stratified folds of the training split (default 1)")
    parser.add_argument("--executions-per-trial", type=int, default=1)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300 training examples, 2 epochs per trial (Hyperband: up to 3, in two rounds)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=user_path, help="search folder (default runs/tune/RECIPE/<UTC timestamp>)")
    parser.add_argument(
        "--overwrite", action="store_true", help="empty --out first if it holds an nnzoo search and nothing else"
    )
    parser.add_argument(
        "--refine-from", type=user_path, help="an earlier search: narrow its numeric ranges around its best"
    )
    parser.add_argument("--top", type=int, default=3, help="with --refine-from: how many best trials (default 3)")
    cluster = parser.add_argument_group("distributed search (KerasTuner's chief and workers)")
    cluster.add_argument("--chief", action="store_true", help="serve the oracle to workers and write the results")
    cluster.add_argument("--worker", action="store_true", help="run trials handed out by the chief at --oracle")
    cluster.add_argument(
        "--oracle",
        metavar="HOST:PORT",
        help="the chief's address (default $KERASTUNER_ORACLE_IP:$KERASTUNER_ORACLE_PORT, "
        "else 127.0.0.1:8000); a chief may listen on 0.0.0.0:PORT",
    )
    cluster.add_argument(
        "--tuner-id",
        help="a worker's unique id (default worker-HOST-PID); restart a dead "
        "worker with its id to rerun the trial it held",
    )
    cluster.add_argument(
        "--wait", type=float, default=600.0, help="seconds a worker waits for the chief to answer (default 600)"
    )


def log(line):
    print(line, file=sys.stderr, flush=True)


def main(args):
    from nnzoo import tuner_cluster, tuner_options, tuner_search
    from nnzoo.errors import NnzooError

    options = tuner_options.Options(
        args.recipe,
        args.tuner,
        args.max_trials,
        args.objective,
        args.folds,
        args.executions_per_trial,
        args.quick,
        args.seed,
    ).validate()
    cluster = tuner_cluster.resolve(
        chief=args.chief, worker=args.worker, oracle=args.oracle, tuner_id=args.tuner_id, wait=args.wait
    )
    if cluster.distributed and args.out is None:
        raise NnzooError(
            f"A distributed search needs --out: the one folder the chief and every worker share. "
            f"Received: out=None, role={cluster.role!r}"
        )
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("runs") / "tune" / args.recipe / stamp
    if cluster.role == "worker" and out.exists() and not out.is_dir():  # the chief's and a single search's:
        raise NnzooError(  # tuner_folder.check, which also refuses a folder that is not a search
            f"--out {str(out)!r} is a file, not a folder: a worker takes its search from the chief's shared "
            f"folder. Received: out={str(out)!r}"
        )
    if cluster.role == "worker":
        if args.overwrite or args.refine_from is not None:
            log("[tune] --overwrite and --refine-from are the chief's: this worker takes the search from it")
        result = tuner_search.run(options, out, cluster=cluster, log=log)
        print(f"{cluster.tuner_id} ran {len(result['ran'])} trial(s): {', '.join(result['ran']) or '-'}")
        return 0
    try:
        result = tuner_search.run(
            options, out, overwrite=args.overwrite, refine_from=args.refine_from, top=args.top, log=log, cluster=cluster
        )
    except tuner_search.SearchFailed as err:
        print(f"nnzoo tune: error: {err}", file=sys.stderr)
        return 1
    print(f"best hyperparameters: {result['best_hyperparameters']}")
    print(
        f"search {options.objective}: {result['search_score']:.4g}; retrained on train+val, test: "
        + ", ".join(f"{k} {v:.4g}" for k, v in result["best"]["test"].items())
    )
    print(f"wrote {out}/trials.csv, summary.md, figures; best model {result['best']['path']}")
    return 0
