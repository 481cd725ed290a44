"""MNIST, Fashion-MNIST and CIFAR-10 from the keras.datasets cache.

The files are read in the exact formats keras.datasets downloads into ``$KERAS_HOME/datasets``
(default ``~/.keras/datasets``). When they are missing, keras.datasets is asked to download
them; offline that fails and the error says which files to put where.
"""

import gzip
import os
from pathlib import Path

import numpy as np
from nnzoo.datasets.dataset import DEFAULT_SPLIT, Dataset, stratified_split

from nnzoo.errors import NnzooError

FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def cache_dir():
    """Where keras.datasets keeps its downloads: $KERAS_HOME/datasets or ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _read_mnist(root):
    path = root / "mnist.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _read_fashion(root):
    folder = root / "fashion-mnist"
    if not all((folder / name).exists() for name in FASHION_FILES):
        return None
    arrays = []
    for name in FASHION_FILES:
        with gzip.open(folder / name, "rb") as f:
            raw = f.read()
        if "labels" in name:
            arrays.append(np.frombuffer(raw, np.uint8, offset=8))
        else:
            arrays.append(np.frombuffer(raw, np.uint8, offset=16).reshape(len(arrays[-1]), 28, 28))
    y_train, x_train, y_test, x_test = arrays
    return (x_train, y_train), (x_test, y_test)


def _cifar_folder(root):
    for folder in (root / "cifar-10-batches-py-target" / "cifar-10-batches-py", root / "cifar-10-batches-py"):
        if all((folder / name).exists() for name in CIFAR_BATCHES):
            return folder
    return None


def _read_cifar10(root):
    folder = _cifar_folder(root)
    if folder is None:
        return None
    from keras.src.datasets.cifar import load_batch  # keras's restricted (safe) unpickler

    parts = [load_batch(str(folder / name)) for name in CIFAR_BATCHES]
    x_train = np.concatenate([p[0] for p in parts[:-1]]).transpose(0, 2, 3, 1)
    y_train = np.concatenate([np.asarray(p[1]) for p in parts[:-1]]).astype("uint8")
    x_test = parts[-1][0].transpose(0, 2, 3, 1)
    y_test = np.asarray(parts[-1][1]).astype("uint8")
    return (x_train, y_train), (x_test, y_test)


SOURCES = {
    "mnist": (_read_mnist, "mnist.npz", tuple(str(c) for c in range(10)), (28, 28, 1)),
    "fashion_mnist": (
        _read_fashion,
        "fashion-mnist/" + "{" + ",".join(FASHION_FILES) + "}",
        FASHION_CLASSES,
        (28, 28, 1),
    ),
    "cifar10": (
        _read_cifar10,
        "cifar-10-batches-py/{data_batch_1..5,test_batch} (untar cifar-10-python.tar.gz there)",
        CIFAR10_CLASSES,
        (32, 32, 3),
    ),
}


def _download(name):
    import keras

    loader = {
        "mnist": keras.datasets.mnist,
        "fashion_mnist": keras.datasets.fashion_mnist,
        "cifar10": keras.datasets.cifar10,
    }[name]
    return loader.load_data()


def load(name, split=DEFAULT_SPLIT, seed=0, flatten=False, limit=None):
    """Pool the official train and test sets, then split stratified at ``split`` with ``seed``.

    Pixels stay raw uint8 values converted to float32 (0..255); ``flatten`` gives vectors;
    ``limit`` keeps a stratified subset of that many examples before splitting.
    """
    reader, files, classes, image_shape = SOURCES[name]
    root = cache_dir()
    try:
        arrays = reader(root)
    except (OSError, ValueError, EOFError, KeyError) as err:
        raise NnzooError(f"The cached {name} files under {root} are corrupt ({err}). Received: name={name!r}") from None
    if arrays is None:
        try:
            arrays = _download(name)
        except Exception as err:  # offline: any download error means the same thing to the user
            raise NnzooError(
                f"{name} is not in the keras.datasets cache and could not be downloaded ({type(err).__name__}). "
                f"Put {files} under {root} (or set KERAS_HOME). Received: name={name!r}"
            ) from None
    (x_train, y_train), (x_test, y_test) = arrays
    x = np.concatenate([x_train, x_test]).astype("float32").reshape((-1, *image_shape))
    y = np.concatenate([np.ravel(y_train), np.ravel(y_test)]).astype("int32")
    if limit is not None and limit < len(x):
        from sklearn.model_selection import train_test_split

        x, _, y, _ = train_test_split(x, y, train_size=int(limit), random_state=seed, stratify=y)
    if flatten:
        x = x.reshape(len(x), -1)
    parts = stratified_split(x, y, split=split, seed=seed)
    return Dataset(
        name,
        *parts,
        task="classification",
        class_names=tuple(classes),
        spec={"name": name, "split": list(split), "seed": seed, "flatten": flatten, "limit": limit},
        description=f"{name} from the keras.datasets cache ({len(x)} examples)",
        image_shape=image_shape,
    )
