"""nnzoo export beyond the softmax MLP: a one-unit sigmoid classifier serves probabilities and a class
(also in LiteRT), a regression model serves a value (also in ONNX, under the same names), and an
image-shaped model trained on reshaped digits still gets the held-out test split as its reference inputs."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from nnzoo import datasets, export, serving, training


def signature_outputs(folder, x):
    import tensorflow as tf

    outputs = tf.saved_model.load(str(folder)).signatures["serving_default"](features=tf.constant(x))
    return {k: v.numpy() for k, v in outputs.items()}


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    data = datasets.load("circle", n=200)
    root = tmp_path_factory.mktemp("binary")
    build = lambda: keras.Sequential(  # noqa: E731
        [
            keras.Input((2,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    training.train(
        "sigmoid", build, data, epochs=1, loss="binary_crossentropy", metrics=["accuracy"], save_dir=root, verbose=0
    )
    return root, data


@pytest.fixture(scope="module")
def binary_export(binary_run, tmp_path_factory):
    return export.export(binary_run[0], out=tmp_path_factory.mktemp("sm"), fmt="tflite")


def test_sigmoid_classifier_serves_probability_and_class(binary_run, binary_export):
    root, data = binary_run
    folder = binary_export
    meta = serving.read_version(folder)
    assert meta["task"] == "classification" and meta["outputs"] == ["class", "probabilities"]
    assert meta["input"]["name"] == "features" and max(meta["tflite"]["max_abs_difference"].values()) <= 1e-5
    got = signature_outputs(folder, data.x_test)
    model = keras.saving.load_model(root / "sigmoid.keras")
    p = np.asarray(model.predict(data.x_test, verbose=0))
    np.testing.assert_allclose(got["probabilities"], p, atol=1e-5)
    np.testing.assert_array_equal(got["class"], (p[:, 0] > 0.5).astype("int64"))
    body = serving.predict(folder, json.dumps({"instances": data.x_test[:2].tolist()}))
    assert [row["class"] for row in body["predictions"]] == got["class"][:2].tolist()


def test_regression_serves_a_value(tmp_path):
    data = datasets.load("cubic")
    build = lambda: keras.Sequential(  # noqa: E731
        [
            keras.Input((1,)),
            keras.layers.Dense(4, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    training.train("cubic", build, data, epochs=1, save_dir=tmp_path / "run", verbose=0)
    folder = export.export(tmp_path / "run", out=tmp_path / "sm", fmt="onnx")
    meta = serving.read_version(folder)
    assert meta["task"] == "regression" and meta["outputs"] == ["value"] and meta["input"]["name"] == "features"
    ref = np.load(folder / "assets.extra" / "reference.npz")
    np.testing.assert_allclose(signature_outputs(folder, ref["inputs"])["value"], ref["value"], atol=1e-5)
    onnx = serving.predict(folder / "assets.extra" / "model.onnx", json.dumps({"inputs": ref["inputs"][:4].tolist()}))
    np.testing.assert_allclose(onnx["outputs"], ref["value"][:4], atol=1e-5)


def test_image_model_gets_the_test_split_reshaped(tmp_path):
    data = datasets.load("digits")
    images = dataclasses.replace(
        data, **{f"x_{s}": getattr(data, f"x_{s}").reshape(-1, 8, 8, 1) for s in ("train", "val", "test")}
    )
    build = lambda: keras.Sequential(  # noqa: E731
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    training.train("image", build, images, epochs=1, save_dir=tmp_path / "run", verbose=0)
    folder = export.export(tmp_path / "run", out=tmp_path / "sm")
    meta = serving.read_version(folder)
    assert (
        meta["input"]["shape"] == [None, 8, 8, 1]
        and meta["input"]["name"] == "pixels"
        and meta["reference"]["from"] == "test split of digits"
    )
    ref = np.load(folder / "assets.extra" / "reference.npz")
    np.testing.assert_array_equal(ref["inputs"], images.x_test)


def test_model_trained_on_a_training_subset_exports(tmp_path):
    """take_train (the tuner's quick mode) records n_train in the spec; load(**spec) rebuilds that subset."""
    data = datasets.load("digits").take_train(100, seed=3)
    rebuilt = datasets.load(**data.spec)
    np.testing.assert_array_equal(rebuilt.x_train, data.x_train)
    np.testing.assert_array_equal(rebuilt.x_test, data.x_test)
    build = lambda: keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])  # noqa: E731
    training.train("subset", build, data, epochs=1, save_dir=tmp_path / "run", verbose=0)
    folder = export.export(tmp_path / "run", out=tmp_path / "sm")
    assert serving.read_version(folder)["reference"] == {"rows": 360, "from": "test split of digits"}


@pytest.mark.parametrize(
    "instances", [[["0.5", 1.0]], [[True, 1.0]], [[None, 1.0]], [{"inputs": [0.5, 1.0]}, [0.5, 1.0]]]
)
def test_predict_rejects_values_of_the_wrong_dtype(binary_export, tmp_path, instances):
    """Strings, booleans and nulls are the wrong dtype for a float32 input, as in TF Serving (exit 2)."""
    from nnzoo import cli

    folder = binary_export
    with pytest.raises(serving.RequestError, match="Expected numbers of dtype float32"):
        serving.parse_request(json.dumps({"instances": instances}), serving.read_version(folder))
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"instances": instances}))
    assert cli.main(["predict", str(folder), "--json", str(request)]) == 2
