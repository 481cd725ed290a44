"""KerasTuner search over a recipe's search space (its tunable_model): random search in log space,
grid, Hyperband or Bayesian optimization, optionally with K stratified folds; coarse to fine with
--refine-from. Running the same command again resumes the search; a different search against the
same --out stops with an error. The best hyperparameters are retrained on train + validation,
evaluated once on the test split and saved under OUT/best/ for `nnzoo export`."""

import datetime
import sys
from pathlib import Path

HELP = "KerasTuner search over a recipe's search space"


def add_arguments(parser):
    parser.add_argument("recipe", help="a recipe with a search space (see the error message for the list)")
    parser.add_argument("--tuner", default="random", help="random (default), grid, hyperband or bayesian")
    parser.add_argument("--max-trials", type=int, default=10, help="number of trials (default 10)")
    parser.add_argument("--objective", default="val_loss", help="val_loss (default), val_accuracy, ...")
    parser.add_argument("--folds", type=int, default=1, help="K stratified folds of the training split (default 1)")
    parser.add_argument("--executions-per-trial", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="300 training examples, 2 epochs per trial")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="search folder (default runs/tune/RECIPE/<UTC timestamp>)")
    parser.add_argument("--overwrite", action="store_true", help="discard an existing search in --out")
    parser.add_argument("--refine-from", type=Path, help="an earlier search: narrow its numeric ranges around its best")
    parser.add_argument("--top", type=int, default=3, help="with --refine-from: how many best trials (default 3)")


def main(args):
    from nnzoo import tuner

    options = tuner.Options(args.recipe, args.tuner, args.max_trials, args.objective, args.folds,
                            args.executions_per_trial, args.quick, args.seed).validate()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or Path("runs") / "tune" / args.recipe / stamp
    result = tuner.run(options, out, overwrite=args.overwrite, refine_from=args.refine_from, top=args.top,
                       log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"best hyperparameters: {result['best_hyperparameters']}")
    print(f"search {options.objective}: {result['search_score']:.4g}; retrained on train+val, test: "
          + ", ".join(f"{k} {v:.4g}" for k, v in result["best"]["test"].items()))
    print(f"wrote {out}/trials.csv, summary.md, figures; best model {result['best']['path']}")
    return 0
