"""Write a Jupyter notebook that teaches a recipe and runs it: the topic and its lectures, the hyperparameters
and build_model as cells to edit, training with progress, the results table, the figures and the claims.
Needs the notebook extra: pip install 'nnzoo[notebook]'."""

from pathlib import Path

from nnzoo import registry
from nnzoo.errors import NnzooError

HELP = "write a Jupyter notebook per recipe (needs nnzoo[notebook])"


def add_arguments(parser):
    parser.add_argument("recipe", help="a recipe name from 'nnzoo list', or 'all'")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the .ipynb file (default notebooks/RECIPE.ipynb); with 'all', a folder (default notebooks)",
    )
    parser.add_argument("--quick", action="store_true", help="the notebook starts from the quick hyperparameters")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the training cell (default 0)")


def main(args):
    if not 0 <= args.seed < 2**31:
        raise NnzooError(f"--seed must be an integer in [0, 2147483647]. Received: seed={args.seed}")
    from nnzoo import notebook

    notebook.import_extra("nbformat")
    if args.recipe == "all":
        folder = args.out or Path("notebooks")
        targets = {name: folder / f"{name}.ipynb" for name in registry.recipes()}
    else:
        targets = {registry.get(args.recipe).name: args.out or Path("notebooks") / f"{args.recipe}.ipynb"}
    for out in targets.values():  # all or nothing: no notebook is written when one cannot be
        notebook.check_out(out)
    for name, out in targets.items():
        print(f"wrote {notebook.write(name, out, quick=args.quick, seed=args.seed)}")
    return 0
