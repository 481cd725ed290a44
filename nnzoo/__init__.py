"""nnzoo: five lectures on training neural networks as runnable, self-checking Keras 3 recipes.

Importing ``nnzoo`` is cheap: TensorFlow and Keras load only when a recipe runs.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "run"]


def run(recipe, *, quick=False, seed=0, out=None, monitor=False, strategy=None, verbose=1, config=None, resume=False):
    """Run one recipe and return its :class:`nnzoo.results.Run`.

    Mirrors ``nnzoo run RECIPE``: ``out=None`` writes to ``runs/RECIPE/<UTC timestamp>/``; ``config``
    (an instance of the recipe's ``Config``) replaces its FULL/QUICK hyperparameters; ``resume=True``
    continues the unfinished run in ``out`` (see docs/running.md).
    """
    from nnzoo.runner import run_recipe

    return run_recipe(
        recipe,
        quick=quick,
        seed=seed,
        out=out,
        monitor=monitor,
        strategy=strategy,
        verbose=verbose,
        config=config,
        resume=resume,
    )
