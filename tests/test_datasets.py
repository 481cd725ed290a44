"""Every data set: shapes, stratified splits, seeds, the keras-cache formats and the error paths."""

import gzip
import pickle

import numpy as np
import pytest

from nnzoo import datasets
from nnzoo.errors import NnzooError


def class_fractions(y, k):
    return np.bincount(y.astype(int), minlength=k) / len(y)


def test_digits_default_split_is_stratified_60_20_20():
    data = datasets.load()
    n = len(data.x_train) + len(data.x_val) + len(data.x_test)
    assert n == 1797 and data.input_shape == (64,) and data.num_classes == 10
    assert abs(len(data.x_train) / n - 0.6) < 0.01 and abs(len(data.x_test) / n - 0.2) < 0.01
    whole = class_fractions(np.r_[data.y_train, data.y_val, data.y_test], 10)
    for y in (data.y_train, data.y_val, data.y_test):
        assert np.abs(class_fractions(y, 10) - whole).max() < 0.01
    assert data.x_train.max() == 16 and data.x_train.dtype == np.float32


def test_lecture_98_1_1_split_and_seeds():
    data = datasets.load("digits", split=(0.98, 0.01, 0.01), seed=3)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (1761, 18, 18)
    again = datasets.load("digits", split=(0.98, 0.01, 0.01), seed=3)
    other = datasets.load("digits", split=(0.98, 0.01, 0.01), seed=4)
    assert np.array_equal(data.x_test, again.x_test) and not np.array_equal(data.x_test, other.x_test)
    rebuilt = datasets.load(**data.spec)
    assert np.array_equal(rebuilt.x_test, data.x_test)


def test_digits_as_images():
    data = datasets.load("digits", flatten=False)
    assert data.input_shape == (8, 8, 1) and data.image_shape == (8, 8, 1)


@pytest.mark.parametrize(
    "gate, expected", [("and", [1, 0, 0, 0]), ("or", [1, 1, 1, 0]), ("nand", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0])]
)
def test_gates_binary(gate, expected):
    data = datasets.load(gate)
    assert data.x_train.tolist() == [[1, 1], [1, 0], [0, 1], [0, 0]]
    assert data.y_train.tolist() == expected


def test_gates_bipolar_and_three_inputs():
    data = datasets.load("and", encoding="bipolar")
    assert data.y_train.tolist() == [1, -1, -1, -1] and set(np.unique(data.x_train)) == {-1, 1}
    three = datasets.load("and", inputs=3)
    assert three.x_train.shape == (8, 3) and three.y_train.sum() == 1


@pytest.mark.parametrize("name", ["circle", "xor_2d", "gauss", "spiral"])
def test_playground_sets(name):
    data = datasets.load(name, n=200, noise=0.1)
    assert data.input_shape == (2,) and set(np.unique(data.y_train)) == {0, 1}
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 200
    assert abs(data.y_train.mean() - 0.5) < 0.05


def test_playground_noise_changes_points():
    clean = datasets.load("circle", n=200, noise=0.0)
    noisy = datasets.load("circle", n=200, noise=0.5)
    r_clean = np.hypot(*clean.x_train[clean.y_train == 1].T).max()
    r_noisy = np.hypot(*noisy.x_train[noisy.y_train == 1].T).max()
    assert r_clean <= 2.5 + 1e-6 < r_noisy


def test_cubic_and_scales():
    cubic = datasets.load("cubic", noise=0.0)
    x = np.r_[cubic.x_train, cubic.x_val, cubic.x_test].ravel()
    y = np.r_[cubic.y_train, cubic.y_val, cubic.y_test]
    assert np.allclose(np.polyfit(x, y, 3), [1, -2, -1, 3], atol=1e-4) and x.min() == -2 and x.max() == 2
    scales = datasets.load("scales")
    x1, x2 = scales.x_train.T
    assert x1.min() >= -50_000 and x1.max() <= 1_000_000 and x1.max() > 900_000
    assert x2.min() >= 0 and x2.max() <= 0.01 and scales.task == "regression"


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: datasets.load("imagenet"), "Unknown dataset 'imagenet'; expected one of:"),
        (lambda: datasets.load("digits", split=(0.5, 0.5)), "split must be three positive fractions"),
        (lambda: datasets.load("digits", split=(0.7, 0.2, 0.2)), "sum to 1"),
        (lambda: datasets.load("digits", colour=True), "Allowed options: split, seed, flatten"),
        (lambda: datasets.load("circle", noise=0.9), "noise must be a number in [0.0, 0.5]"),
        (lambda: datasets.load("and", encoding="ternary"), "Unknown encoding 'ternary'"),
        (lambda: datasets.load("spiral", n=5), "n must be an integer in [20,"),
    ],
)
def test_bad_input_raises_value_error_naming_what_is_valid(call, needle):
    with pytest.raises(ValueError) as err:
        call()
    assert isinstance(err.value, NnzooError) and needle in str(err.value)


# --- the keras.datasets cache, with small files written in the real formats ---------------------------


def _images(n, shape, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def test_mnist_from_cache(keras_home):
    (xtr, ytr), (xte, yte) = _images(80, (28, 28), 0), _images(20, (28, 28), 1)
    np.savez(keras_home / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    data = datasets.load("mnist")
    assert data.input_shape == (28, 28, 1) and len(data.x_train) == 60 and data.image_shape == (28, 28, 1)
    pooled = np.sort(np.r_[data.x_train, data.x_val, data.x_test].reshape(100, -1).sum(axis=1))
    assert np.array_equal(pooled, np.sort(np.r_[xtr, xte].reshape(100, -1).sum(axis=1).astype("float32")))
    assert datasets.load("mnist", flatten=True, limit=50).x_train.shape == (30, 784)


def _idx(path, array, labels):
    header = (
        (b"\x00\x00\x08\x01" + len(array).to_bytes(4, "big"))
        if labels
        else (b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in array.shape))
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def test_fashion_mnist_from_cache(keras_home):
    folder = keras_home / "fashion-mnist"
    folder.mkdir()
    (xtr, ytr), (xte, yte) = _images(40, (28, 28), 2), _images(10, (28, 28), 3)
    _idx(folder / "train-labels-idx1-ubyte.gz", ytr, True)
    _idx(folder / "train-images-idx3-ubyte.gz", xtr, False)
    _idx(folder / "t10k-labels-idx1-ubyte.gz", yte, True)
    _idx(folder / "t10k-images-idx3-ubyte.gz", xte, False)
    data = datasets.load("fashion_mnist")
    assert data.class_names[9] == "Ankle boot" and len(data.x_train) == 30
    assert np.bincount(np.r_[data.y_train, data.y_val, data.y_test]).tolist() == [5] * 10


def test_cifar10_from_cache(keras_home):
    folder = keras_home / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        x, y = _images(20, (3 * 32 * 32,), k)
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": x, b"labels": y.tolist()}, f)
    data = datasets.load("cifar10")
    assert data.input_shape == (32, 32, 3) and len(data.x_train) == 72 and data.class_names[0] == "airplane"


def test_missing_cache_says_where_to_put_files(keras_home, monkeypatch):
    from nnzoo.datasets import keras_cache

    def offline(name):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras_cache, "_download", offline)
    with pytest.raises(NnzooError, match=r"Put mnist\.npz under .*datasets"):
        datasets.load("mnist")


def test_corrupt_cache_file(keras_home):
    (keras_home / "mnist.npz").write_bytes(b"not a zip file")
    with pytest.raises(NnzooError, match="corrupt"):
        datasets.load("mnist")
