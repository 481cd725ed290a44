"""nnzoo export / verify / predict: TF Serving layout, versions, atomic writes, a TensorFlow-only
verification, REST predict bodies and their errors, BN folding, scratch layers, TFLite."""

import json
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from nnzoo.custom_layers import ScratchBatchNormalization, ScratchDense
from nnzoo.custom_optimizers import ScratchAdam

from nnzoo import cli, datasets, export, training
from nnzoo.errors import NnzooError
from nnzoo.inputs import standardizer


def bn_model(data):
    return keras.Sequential([keras.Input((64,)), standardizer(data.x_train), keras.layers.Dense(16, use_bias=False),
                             keras.layers.BatchNormalization(), keras.layers.Activation("relu"),
                             keras.layers.Dense(10, activation="softmax")])


def scratch_model(data):
    return keras.Sequential([keras.Input((64,)), standardizer(data.x_train), ScratchDense(16, use_bias=False),
                             ScratchBatchNormalization(), keras.layers.Activation("scratch_relu"),
                             ScratchDense(10, activation="softmax")])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A recipe-like run folder: models/{bn,scratch}.keras with their metadata."""
    data = datasets.load("digits")
    root = tmp_path_factory.mktemp("run")
    meta = {"recipe": "unit"}
    training.train("bn", lambda: bn_model(data), data, epochs=2, save_dir=root / "models", metadata=meta, verbose=0)
    training.train("scratch", lambda: scratch_model(data), data, epochs=2, optimizer=lambda: ScratchAdam(),
                   save_dir=root / "models", metadata=meta, verbose=0)
    return root


def flip_saved_weights(prefix):
    """Rewrite the checkpoint with every 2-D kernel negated (valid checksums, so only the outputs change)."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    names = sorted(reader.get_variable_to_dtype_map())
    tensors = [reader.get_tensor(n) for n in names]
    tensors = [-t if getattr(t, "ndim", 0) == 2 and t.dtype == np.float32 else t for t in tensors]
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(t) for t in tensors])


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "nnzoo", *map(str, args)], capture_output=True, text=True,
                          input=stdin, timeout=600)


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("saved_models")
    return export.export(run_dir, variant="bn", out=out), out


def test_layout_and_metadata(exported):
    folder, out = exported
    assert folder == out / "unit_bn" / "1"
    assert (folder / "saved_model.pb").exists() and (folder / "variables").is_dir()
    meta = json.loads((folder / "assets.extra" / "nnzoo.json").read_text())
    assert meta["input"] == {"name": "inputs", "shape": [None, 64], "dtype": "float32"}
    assert meta["outputs"] == ["class", "probabilities"] and meta["class_names"][3] == "3"
    assert meta["reference"] == {"rows": 360, "from": "test split of digits"}
    assert meta["test_metrics"]["accuracy"] > 0.2 and meta["dataset"]["spec"]["name"] == "digits"
    assert meta["keras_version"] == keras.__version__ and meta["tensorflow_version"]
    assert not [p for p in (out / "unit_bn").iterdir() if p.name.startswith(".")]


def test_versions_count_up_and_never_overwrite(run_dir, tmp_path):
    first = export.export(run_dir / "models" / "bn.keras", out=tmp_path)
    second = export.export(run_dir / "models" / "bn.keras", out=tmp_path)
    assert (first.name, second.name) == ("1", "2") and first.parent.name == "unit_bn"
    stamp = (first / "saved_model.pb").stat().st_mtime_ns
    with pytest.raises(NnzooError, match="never overwritten"):
        export.export(run_dir / "models" / "bn.keras", out=tmp_path, version=1)
    assert (first / "saved_model.pb").stat().st_mtime_ns == stamp


def test_sources_run_folder_tuner_folder_and_errors(run_dir, tmp_path):
    with pytest.raises(NnzooError, match="several models; choose one with --variant: bn, scratch"):
        export.choose(run_dir)
    with pytest.raises(NnzooError, match="No model 'nope'"):
        export.choose(run_dir, "nope")
    tuner = tmp_path / "tune" / "best"
    tuner.mkdir(parents=True)
    for suffix in (".keras", ".json"):
        (tuner / f"best{suffix}").write_bytes((run_dir / "models" / f"bn{suffix}").read_bytes())
    path, meta = export.choose(tmp_path / "tune")
    assert path.name == "best.keras" and meta["recipe"] == "unit"
    (tmp_path / "empty").mkdir()
    with pytest.raises(NnzooError, match="No trained .keras model"):
        export.choose(tmp_path / "empty")


def test_interrupted_export_leaves_no_version(run_dir, tmp_path, monkeypatch):
    def crash(*args, **kwargs):  # interrupted just before the finished folder is renamed into place
        raise KeyboardInterrupt

    monkeypatch.setattr(export.os, "rename", crash)
    with pytest.raises(KeyboardInterrupt):
        export.export(run_dir, variant="bn", out=tmp_path, name="m")
    assert list((tmp_path / "m").iterdir()) == []


def test_verify_in_a_fresh_process_and_tampering(exported, tmp_path):
    folder, _ = exported
    proc = run_cli("verify", folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "signature_def['serving_default']" in proc.stdout and "OK:" in proc.stdout
    assert "max |SavedModel - Keras| class 0, probabilities" in proc.stdout

    tampered = tmp_path / "m" / "1"
    shutil.copytree(folder, tampered)
    flip_saved_weights(tampered / "variables" / "variables")
    bad = run_cli("verify", tampered)
    assert bad.returncode == 1 and "MISMATCH: output 'probabilities' differs" in bad.stdout, bad.stdout


def test_predict_row_and_columnar_forms(exported):
    folder, _ = exported
    x = datasets.load("digits").x_test[:3].tolist()
    rows = json.loads(run_cli("predict", folder, stdin=json.dumps({"instances": x})).stdout)
    cols = json.loads(run_cli("predict", folder, stdin=json.dumps({"inputs": {"inputs": x}})).stdout)
    assert len(rows["predictions"]) == 3 and set(rows["predictions"][0]) == {"class", "probabilities"}
    assert cols["outputs"]["class"] == [r["class"] for r in rows["predictions"]]
    np.testing.assert_allclose(cols["outputs"]["probabilities"], [r["probabilities"] for r in rows["predictions"]])
    ref = np.load(folder / "assets.extra" / "reference.npz")
    np.testing.assert_allclose(cols["outputs"]["probabilities"], ref["probabilities"][:3], atol=1e-5)


@pytest.mark.parametrize("body, needle", [
    ('{"instances": [[1, 2, 3]]}', "must have shape [batch, 64]"),
    ('{"instances": [["a"] ]}', "not a regular numeric array"),
    ('{"rows": [[1]]}', 'expected exactly one of \\"instances\\"'),
    ('{"instances": [[1, 2', "Malformed JSON"),
    ('{"signature_name": "other", "instances": [[0]]}', 'signature name: \\"other\\" not found'),
])
def test_predict_errors_in_tf_serving_style(exported, body, needle):
    folder, _ = exported
    proc = run_cli("predict", folder, stdin=body)
    assert proc.returncode == 2 and proc.stdout == ""
    line = proc.stderr.strip().splitlines()[-1]
    assert json.loads(line)["error"] and needle in line


def test_fold_bn_equality(run_dir, tmp_path):
    folder = export.export(run_dir, variant="bn", out=tmp_path, fold_bn=True)
    meta = export.read_version(folder)
    assert len(meta["fold_bn"]["folded"]) == 1 and meta["fold_bn"]["max_abs_difference"] < 1e-5
    assert export.verify(folder)["ok"]


def test_scratch_layers_and_optimizer_export_and_verify(run_dir, tmp_path):
    folder = export.export(run_dir, variant="scratch", out=tmp_path)
    report = export.verify(folder)
    assert report["ok"], report["problems"]


def test_tflite(run_dir, tmp_path):
    folder = export.export(run_dir, variant="bn", out=tmp_path, fmt="tflite")
    meta = export.read_version(folder)
    assert (folder / meta["tflite"]["file"]).stat().st_size > 0 and meta["tflite"]["max_abs_difference"] <= 1e-4


@pytest.mark.parametrize("args, needle", [
    (("export", "/no/such/model.keras"), "No such model file"),
    (("export", "{run}", "--variant", "bn", "--version", "0"), "--version must be a positive integer"),
    (("verify", "/no/such/version"), "is not an exported version folder"),
])
def test_cli_user_errors(run_dir, tmp_path, args, needle):
    args = [a.format(run=run_dir) for a in args] + (["--out", str(tmp_path)] if args[0] == "export" else [])
    assert cli.main(args) == 2
