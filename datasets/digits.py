"""scikit-learn's bundled 8x8 handwritten digits: real data that needs no network (the default)."""

from nnzoo.datasets.dataset import DEFAULT_SPLIT, Dataset, stratified_split
from sklearn.datasets import load_digits


def load(split=DEFAULT_SPLIT, seed=0, flatten=True):
    """1,797 images of 8x8 pixels with values 0..16, ten classes; raw pixels (no scaling).

    ``flatten=True`` gives vectors of 64 features, otherwise images of shape (8, 8, 1).
    """
    bunch = load_digits()
    x = bunch.data.astype("float32")
    if not flatten:
        x = x.reshape(-1, 8, 8, 1)
    y = bunch.target.astype("int32")
    parts = stratified_split(x, y, split=split, seed=seed)
    return Dataset(
        "digits",
        *parts,
        task="classification",
        class_names=tuple(str(c) for c in range(10)),
        spec={"name": "digits", "split": list(split), "seed": seed, "flatten": flatten},
        description="scikit-learn digits: 1,797 8x8 grey images (0..16), 10 classes",
        image_shape=(8, 8, 1),
    )
