"""nnzoo export / verify / predict: TF Serving layout, versions, atomic writes, named signatures, warm-up
records, ONNX in ONNX Runtime and LiteRT in its own interpreter (each in a fresh process), REST predict
bodies and their errors, BN folding, scratch layers, the missing-extra messages."""

import errno
import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from nnzoo.custom_layers import ScratchBatchNormalization, ScratchDense
from nnzoo.custom_optimizers import ScratchAdam

from nnzoo import cli, datasets, export, export_formats, serving, serving_runtimes, training
from nnzoo.errors import NnzooError
from nnzoo.inputs import standardizer


def bn_model(data):
    return keras.Sequential(
        [
            keras.Input((64,)),
            standardizer(data.x_train),
            keras.layers.Dense(16, use_bias=False),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def scratch_model(data):
    return keras.Sequential(
        [
            keras.Input((64,)),
            standardizer(data.x_train),
            ScratchDense(16, use_bias=False),
            ScratchBatchNormalization(),
            keras.layers.Activation("scratch_relu"),
            ScratchDense(10, activation="softmax"),
        ]
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A recipe-like run folder: models/{bn,scratch}.keras with their metadata."""
    data = datasets.load("digits")
    root = tmp_path_factory.mktemp("run")
    meta = {"recipe": "unit"}
    training.train("bn", lambda: bn_model(data), data, epochs=2, save_dir=root / "models", metadata=meta, verbose=0)
    training.train(
        "scratch",
        lambda: scratch_model(data),
        data,
        epochs=2,
        optimizer=lambda: ScratchAdam(),
        save_dir=root / "models",
        metadata=meta,
        verbose=0,
    )
    return root


def flip_saved_weights(prefix):
    """Rewrite the checkpoint with every 2-D kernel negated (valid checksums, so only the outputs change)."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    names = sorted(reader.get_variable_to_dtype_map())
    tensors = [reader.get_tensor(n) for n in names]
    tensors = [-t if getattr(t, "ndim", 0) == 2 and t.dtype == np.float32 else t for t in tensors]
    tf.raw_ops.SaveV2(
        prefix=str(prefix),
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tf.constant(t) for t in tensors],
    )


def run_cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "nnzoo", *map(str, args)], capture_output=True, text=True, input=stdin, timeout=600
    )


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    """One SavedModel version with its warm-up records and model.onnx, shared by the tests below."""
    out = tmp_path_factory.mktemp("saved_models")
    return export.export(run_dir, variant="bn", out=out, fmt="onnx"), out


def request_file(tmp_path, body):
    path = tmp_path / "request.json"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return path


def test_layout_names_and_metadata(exported):
    folder, out = exported
    assert folder == out / "unit_bn" / "1"
    assert (folder / "saved_model.pb").exists() and (folder / "variables").is_dir()
    meta = json.loads((folder / "assets.extra" / "nnzoo.json").read_text())
    assert meta["input"] == {"name": "pixels", "shape": [None, 64], "dtype": "float32"}
    assert meta["outputs"] == ["class", "probabilities"] and meta["class_names"][3] == "3"
    assert meta["reference"] == {"rows": 360, "from": "test split of digits"}
    assert meta["test_metrics"]["accuracy"] > 0.2 and meta["dataset"]["spec"]["name"] == "digits"
    import tensorflow as tf

    assert meta["keras_version"] == keras.__version__ and meta["tensorflow_version"] == tf.__version__
    assert meta["warmup"] == {"file": "assets.extra/tf_serving_warmup_requests", "records": 2, "rows": [1, 8]}
    assert meta["onnx"]["file"] == "assets.extra/model.onnx"
    assert max(meta["onnx"]["max_abs_difference"].values()) <= 1e-5
    assert not [p for p in (out / "unit_bn").iterdir() if p.name.startswith(".")]


def test_warmup_records_are_prediction_logs(exported):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    folder, _ = exported
    logs = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(str(folder / "assets.extra" / "tf_serving_warmup_requests"))
    ]
    assert [log.predict_log.request.model_spec.signature_name for log in logs] == ["serving_default"] * 2
    assert [tf.make_ndarray(log.predict_log.request.inputs["pixels"]).shape for log in logs] == [(1, 64), (8, 64)]
    ref = np.load(folder / "assets.extra" / "reference.npz")
    np.testing.assert_array_equal(tf.make_ndarray(logs[1].predict_log.response.outputs["class"]), ref["class"][:8])


def test_versions_count_up_and_never_overwrite(run_dir, tmp_path):
    first = export.export(run_dir / "models" / "bn.keras", out=tmp_path)
    (tmp_path / "unit_bn" / "\u0663").mkdir()  # an Arabic-Indic three is not version 3
    (tmp_path / "unit_bn" / "\u00b2").mkdir()  # a superscript two is no version at all
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


@pytest.mark.parametrize(
    "where, error", [("savez", errno.ENOSPC), ("write_out", errno.EROFS), ("rename", errno.EACCES)]
)
def test_os_failure_during_export_exits_1_naming_the_file(run_dir, tmp_path, monkeypatch, capsys, where, error):
    """Disk full, read-only file system, permission denied (simulated: the tests run as root)."""

    def fail(path, *args, **kwargs):
        raise OSError(error, os.strerror(error), str(path))

    target = {
        "savez": (export.np, "savez"),
        "write_out": (export, "write_saved_model"),
        "rename": (export.os, "rename"),
    }[where]
    monkeypatch.setattr(*target, fail if where != "write_out" else lambda serving, spec, folder: fail(folder))
    code = cli.main(["export", str(run_dir), "--variant", "bn", "--out", str(tmp_path), "--name", "m"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and os.strerror(error) in err[0] and str(tmp_path / "m") in err[0], err
    assert list((tmp_path / "m").iterdir()) == []


# `python -m nnzoo verify`, telling at exit whether the verifying process itself imported TensorFlow
VERIFY_AND_TELL = (
    "import atexit, sys; from nnzoo import cli; "
    "atexit.register(lambda: print('verify imported tensorflow:', 'tensorflow' in sys.modules, file=sys.stderr)); "
    "sys.exit(cli.main(sys.argv[1:]))"
)


def test_verify_every_format_in_fresh_processes_and_tampering(exported, tmp_path, capsys):
    folder, _ = exported
    proc = subprocess.run(
        [sys.executable, "-c", VERIFY_AND_TELL, "verify", str(folder)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verify imported tensorflow: False" in proc.stderr  # only its child processes load runtimes
    assert "signature_def['serving_default']" in proc.stdout and "inputs['pixels']" in proc.stdout
    assert "SavedModel: pixels -> class, probabilities; 360 held-out inputs" in proc.stdout
    assert "ONNX Runtime: pixels -> class, probabilities;" in proc.stdout
    assert "warm-up records replayed: 2 (serving_default)" in proc.stdout and "OK:" in proc.stdout

    tampered = tmp_path / "m" / "1"
    shutil.copytree(folder, tampered)
    flip_saved_weights(tampered / "variables" / "variables")
    assert cli.main(["verify", str(tampered)]) == 1  # in this process; each format still runs in a fresh one
    bad = capsys.readouterr().out
    assert "MISMATCH: savedmodel output 'probabilities' differs" in bad, bad
    assert "MISMATCH: warm-up record output 'probabilities'" in bad
    assert "onnx output" not in bad  # the ONNX file keeps its own frozen weights


def test_verify_onnx_file_alone(exported, capsys):
    folder, _ = exported
    assert cli.main(["verify", str(folder / "assets.extra" / "model.onnx")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ONNX Runtime: pixels -> class, probabilities; 360 held-out inputs") and "OK:" in out


def test_predict_row_and_columnar_forms_savedmodel_and_onnx(exported, tmp_path, capsys):
    folder, _ = exported
    x = datasets.load("digits").x_test[:3].tolist()
    answers = []
    for target, body in [
        (folder, {"instances": x}),
        (folder, {"inputs": {"pixels": x}}),
        (folder / "assets.extra" / "model.onnx", {"instances": [{"pixels": row} for row in x]}),
    ]:
        assert cli.main(["predict", str(target), "--json", str(request_file(tmp_path, json.dumps(body)))]) == 0
        answers.append(json.loads(capsys.readouterr().out))
    rows, cols, onnx_rows = answers
    assert len(rows["predictions"]) == 3 and set(rows["predictions"][0]) == {"class", "probabilities"}
    assert cols["outputs"]["class"] == [r["class"] for r in rows["predictions"]]
    assert [r["class"] for r in onnx_rows["predictions"]] == cols["outputs"]["class"]
    ref = np.load(folder / "assets.extra" / "reference.npz")
    np.testing.assert_allclose(cols["outputs"]["probabilities"], ref["probabilities"][:3], atol=1e-5)
    np.testing.assert_allclose(
        [r["probabilities"] for r in onnx_rows["predictions"]], ref["probabilities"][:3], atol=1e-5
    )


def test_predict_command_answers_on_stdout_alone(exported):
    folder, _ = exported
    x = datasets.load("digits").x_test[:2].tolist()
    proc = run_cli("predict", folder, stdin=json.dumps({"instances": x}))
    assert proc.returncode == 0 and proc.stderr == ""  # TensorFlow loaded quietly (nnzoo.quiet_tensorflow)
    assert len(json.loads(proc.stdout)["predictions"]) == 2


@pytest.mark.parametrize(
    "body, needle",
    [
        ('{"instances": [[1, 2, 3]]}', "must be a list of shape [batch, 64]"),
        ('{"instances": [["a"] ]}', "not a regular numeric array"),
        ('{"rows": [[1]]}', 'expected exactly one of \\"instances\\"'),
        ('{"instances": [[1, 2', "Malformed JSON"),
        ('{"signature_name": "other", "instances": [[0]]}', 'signature name: \\"other\\" not found'),
    ],
)
def test_predict_errors_in_tf_serving_style(exported, body, needle):
    folder, _ = exported
    proc = run_cli("predict", folder, stdin=body)
    assert proc.returncode == 2 and proc.stdout == ""
    line = proc.stderr.strip().splitlines()[-1]
    assert json.loads(line)["error"] and needle in line


def test_fold_bn_equality(run_dir, tmp_path):
    folder = export.export(run_dir, variant="bn", out=tmp_path, fold_bn=True)
    meta = serving.read_version(folder)
    assert len(meta["fold_bn"]["folded"]) == 1 and meta["fold_bn"]["max_abs_difference"] < 1e-5
    assert serving.verify(folder)["ok"]


def test_scratch_layers_and_optimizer_export_and_verify(run_dir, tmp_path):
    folder = export.export(run_dir, variant="scratch", out=tmp_path)
    report = serving.verify(folder)
    assert report["ok"], report["problems"]


def test_litert_checked_in_its_own_interpreter(run_dir, tmp_path, capsys):
    folder = export.export(run_dir, variant="bn", out=tmp_path, fmt="tflite")
    meta = serving.read_version(folder)
    assert meta["tflite"]["file"] == "assets.extra/model.tflite"
    assert max(meta["tflite"]["max_abs_difference"].values()) <= 1e-5
    tflite = folder / "assets.extra" / "model.tflite"
    assert cli.main(["verify", str(tflite)]) == 0
    assert capsys.readouterr().out.startswith("LiteRT: pixels -> class, probabilities; 360 held-out inputs")
    x = datasets.load("digits").x_test[:2].tolist()
    assert cli.main(["predict", str(tflite), "--json", str(request_file(tmp_path, json.dumps({"instances": x})))]) == 0
    got = json.loads(capsys.readouterr().out)["predictions"]
    ref = np.load(folder / "assets.extra" / "reference.npz")
    assert [r["class"] for r in got] == ref["class"][:2].tolist()


@keras.saving.register_keras_serializable(package="test_export")
class CumulativeProduct(keras.layers.Layer):
    """Cumprod has no TFLite builtin kernel: only flex (SELECT_TF_OPS) could run it."""

    def call(self, x):
        return keras.ops.cumprod(x, axis=-1)


def test_tflite_needing_flex_ops_says_so_and_fails(tmp_path):
    data = datasets.load("circle", n=40)
    build = lambda: keras.Sequential(  # noqa: E731
        [
            keras.Input((2,)),
            CumulativeProduct(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    training.train("flex", build, data, epochs=1, loss="binary_crossentropy", save_dir=tmp_path / "run", verbose=0)
    with pytest.raises(NnzooError, match=r"needs flex \(SELECT_TF_OPS\) ops Cumprod, which the LiteRT runtime cannot"):
        export.export(tmp_path / "run", out=tmp_path / "sm", fmt="tflite")
    assert list((tmp_path / "sm" / "flex").iterdir()) == []


def test_an_exported_file_its_runtime_cannot_load_stops_the_export(monkeypatch):
    def unreadable(fmt, path):
        raise ValueError("damaged: no kernel for op X")

    monkeypatch.setattr(serving_runtimes, "load", unreadable)
    with pytest.raises(
        NnzooError, match=r"The exported onnx model does not load in its runtime \(no kernel for op X\)"
    ):
        export_formats.check_in_process("onnx", "model.onnx", "pixels", np.zeros((1, 2), "float32"), {}, 1e-5)


@pytest.mark.parametrize(
    "fmt, module, extra",
    [
        ("onnx", "onnxruntime", "nnzoo[onnx]"),
        ("onnx", "tf2onnx", "nnzoo[onnx]"),
        ("tflite", "ai_edge_litert", "nnzoo[litert]"),
    ],
)
def test_missing_extra_is_named(run_dir, tmp_path, monkeypatch, capsys, fmt, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import of it now fails, as when not installed
    assert cli.main(["export", str(run_dir / "models" / "bn.keras"), "--out", str(tmp_path), "--format", fmt]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"needs the optional extra {extra} (missing module '{module}')" in err
    assert f"pip install '{extra}'" in err


@pytest.mark.parametrize("verb", ["verify", "predict"])
def test_running_an_onnx_file_without_onnxruntime_names_the_extra(exported, tmp_path, monkeypatch, capsys, verb):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    request = ["--json", str(request_file(tmp_path, '{"instances": [[0]]}'))] if verb == "predict" else []
    assert cli.main([verb, str(exported[0] / "assets.extra" / "model.onnx"), *request]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs the optional extra nnzoo[onnx] (missing module 'onnxruntime')" in err


def test_without_the_serving_extra_no_warmup_and_verify_names_it(exported, run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorflow_serving.apis.prediction_log_pb2", None)
    assert cli.main(["export", str(run_dir / "models" / "bn.keras"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "warm-up: none (TF Serving warm-up records need nnzoo[serving]" in out
    assert not (tmp_path / "unit_bn" / "1" / "assets.extra" / "tf_serving_warmup_requests").exists()
    assert cli.main(["verify", str(exported[0])]) == 2
    assert "replaying TF Serving warm-up records needs the optional extra nnzoo[serving]" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, needle",
    [
        (("export", "/no/such/model.keras"), "No such model file"),
        (("export", "{run}", "--variant", "bn", "--version", "0"), "--version must be an integer in [1, "),
        (("verify", "/no/such/version"), "not found"),
    ],
)
def test_cli_user_errors(run_dir, tmp_path, capsys, args, needle):
    args = [a.format(run=run_dir) for a in args] + (["--out", str(tmp_path)] if args[0] == "export" else [])
    assert cli.main(args) == 2
    assert needle in capsys.readouterr().err
