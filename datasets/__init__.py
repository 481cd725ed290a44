"""Data for the recipes: one ``load(name, **options)`` entry point.

Every loader returns a :class:`Dataset` with stratified train/validation/test splits
(default 60/20/20, any fractions such as the lectures' 98/1/1) made with a fixed seed.

- ``digits`` (default, embedded): scikit-learn's bundled 8x8 handwritten digits.
- ``mnist``, ``fashion_mnist``, ``cifar10``: the keras.datasets cache (see keras_cache).
- ``and``, ``or``, ``nand``, ``nor``, ``xor``: logic-gate truth tables, binary or bipolar.
- ``circle``, ``xor_2d``, ``gauss``, ``spiral``: TensorFlow Playground's 2-D sets with noise.
- ``cubic``: a cubic polynomial with noise; ``scales``: two features of wildly different scales.
"""

import functools

from nnzoo.datasets import digits, keras_cache, synthetic
from nnzoo.datasets.dataset import DEFAULT_SPLIT, Dataset, check_split, stratified_split

from nnzoo.errors import NnzooError, check_range, unknown_name

LOADERS = {
    "digits": digits.load,
    "mnist": functools.partial(keras_cache.load, "mnist"),
    "fashion_mnist": functools.partial(keras_cache.load, "fashion_mnist"),
    "cifar10": functools.partial(keras_cache.load, "cifar10"),
    **{name: functools.partial(synthetic.gate, name) for name in synthetic.GATES},
    "circle": functools.partial(synthetic.playground, "circle"),
    "xor_2d": functools.partial(synthetic.playground, "xor"),
    "gauss": functools.partial(synthetic.playground, "gauss"),
    "spiral": functools.partial(synthetic.playground, "spiral"),
    "cubic": synthetic.cubic,
    "scales": synthetic.scales,
}

__all__ = ["DEFAULT_SPLIT", "Dataset", "LOADERS", "check_split", "load", "names", "stratified_split"]


def names():
    return sorted(LOADERS)


def load(name="digits", *, n_train=None, train_seed=0, **options):
    """Load data set ``name`` with loader-specific ``options`` (split, seed, noise, ...).

    ``n_train`` keeps a stratified subset of the training split (``Dataset.take_train``; it is in
    the spec of such a subset, so ``load(**data.spec)`` rebuilds it). Unknown names and unknown
    or out-of-range options raise ValueError (NnzooError) naming what is valid.
    """
    if name not in LOADERS:
        raise unknown_name("dataset", name, LOADERS)
    if n_train is not None:
        check_range("n_train", n_train, 1, None, integer=True)
        return load(name, **options).take_train(n_train, seed=train_seed)
    try:
        return LOADERS[name](**options)
    except TypeError as err:
        if "unexpected keyword" not in str(err) and "positional argument" not in str(err):
            raise
        import inspect

        func = LOADERS[name]
        params = [p for p in inspect.signature(func).parameters]
        raise NnzooError(
            f"Bad option for dataset {name!r}: {err}. Allowed options: {', '.join(params)}. "
            f"Received: options={options!r}"
        ) from None
