"""Bad input to export / verify / predict: every invocation exits 2 with one line and no traceback.

Run in-process through nnzoo.cli.main (argparse's own exit 2 included); only a damaged ONNX file
given to verify starts a process (ONNX Runtime, which loads in about a second).
"""

import io
import json
import shutil
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from nnzoo import cli, datasets, export, serving, serving_runtimes, training


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    data = datasets.load("circle", n=60)
    root = tmp_path_factory.mktemp("run")
    build = lambda: keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])  # noqa: E731
    training.train(
        "tiny",
        build,
        data,
        epochs=1,
        loss="binary_crossentropy",
        save_dir=root / "models",
        metadata={"recipe": "fuzz"},
        verbose=0,
    )
    return root


@pytest.fixture(scope="module")
def version(run_dir, tmp_path_factory):
    return export.export(run_dir, out=tmp_path_factory.mktemp("sm"))


def invoke(argv, capsys):
    """(exit code, stdout, stderr) of ``nnzoo ARGV`` in this process."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's own usage errors
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_exit_2(code, out, err, needle):
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1 and "Traceback" not in err, (code, out, err)
    assert needle in lines[0], lines[0]


def damaged_copy(version, tmp_path, damage):
    """A copy of the exported version (folder named 1) with ``damage(folder)`` applied."""
    folder = tmp_path / "m" / "1"
    shutil.copytree(version, folder)
    damage(folder)
    return folder


def keras_copy(run_dir, tmp_path, damage):
    source = run_dir / "models" / "tiny.keras"
    path = tmp_path / "tiny.keras"
    path.write_bytes(damage(source.read_bytes()))
    return path


def bad_crc(data):
    """Flip one byte inside the first member's stored data: the zip still opens, its CRC check fails."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[-1]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 2
    return data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :]


# ---- export ---------------------------------------------------------------------------------------

EXPORT_CASES = [
    (["/no/such/model.keras"], "No such model file"),
    (["{tmp}"], "No trained .keras model"),
    (["{tmp}/notes.txt"], "SOURCE must be a run folder"),
    (["{run}", "--variant", "nope"], "No model 'nope'"),
    (["{run}", "--version", "0"], "--version must be an integer in [1, 9223372036854775807]"),
    (["{run}", "--version", "-1"], "argument --version: expected ASCII digits, received '-1'"),
    (["{run}", "--version", str(2**70)], "TF Serving reads versions as int64"),
    (["{run}", "--version", str(2**63)], "TF Serving reads versions as int64"),
    (["{run}", "--version", "abc"], "argument --version: expected ASCII digits, received 'abc'"),
    (["{run}", "--version", "\u0663"], "argument --version: expected ASCII digits, received '\u0663'"),
    (["{run}", "--version", "+3"], "argument --version: expected ASCII digits, received '+3'"),
    (["{run}", "--format", "pickle"], "invalid choice: 'pickle'"),
    (["{run}", "--name", "two words"], "--name must be 1 to 100 ASCII letters"),
    (["{run}", "--name", "\u00b2"], "--name must be 1 to 100 ASCII letters"),
    (["{run}", "--name", "x" * 300], "--name must be 1 to 100 ASCII letters"),
    (["{run}", "--name", ""], "--name must be 1 to 100 ASCII letters"),
]


@pytest.mark.parametrize("args, needle", EXPORT_CASES)
def test_export_bad_arguments(run_dir, tmp_path, capsys, args, needle):
    (tmp_path / "notes.txt").write_text("not a model")
    argv = ["export", *[a.format(run=run_dir, tmp=tmp_path) for a in args], "--out", tmp_path / "out"]
    assert_one_line_exit_2(*invoke(argv, capsys), needle)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("saved_model.pb"))


@pytest.mark.parametrize(
    "damage, needle",
    [
        (lambda data: data[: len(data) // 2], "is damaged or not a .keras model (not a zip archive"),
        (bad_crc, "is damaged or not a .keras model (bad CRC in member"),
        (lambda data: b"just text\n", "is damaged or not a .keras model (not a zip archive"),
        (lambda data: b"", "is damaged or not a .keras model (not a zip archive"),
    ],
)
def test_export_damaged_keras_file(run_dir, tmp_path, capsys, damage, needle):
    path = keras_copy(run_dir, tmp_path, damage)
    assert_one_line_exit_2(*invoke(["export", path, "--out", tmp_path / "out"], capsys), needle)


@pytest.mark.parametrize(
    "metadata, needle",
    [
        (b'{"recipe": ', "is damaged or not nnzoo model metadata (Expecting value"),
        (b"[1, 2]", "is damaged or not nnzoo model metadata (a JSON list, expected an object)"),
        (b'{"dataset": 5}', "'dataset' is a int, expected a dict"),
        (b'{"recipe": ["x"]}', "'recipe' is a list, expected a str"),
        (b'{"dataset": {"spec": "digits"}}', "'dataset.spec' is a str, expected a dict"),
        (b'{"recipe": "\xff\xfe"}', "is damaged or not nnzoo model metadata ('utf-8' codec can't decode"),
        (b"[" * 100000, "is damaged or not nnzoo model metadata"),
        (b'{"input_dtype": "banana"}', "'input_dtype' 'banana' is not one of float16"),
    ],
)
def test_export_damaged_or_wrongly_typed_metadata(run_dir, tmp_path, capsys, metadata, needle):
    path = keras_copy(run_dir, tmp_path, lambda data: data)
    path.with_suffix(".json").write_bytes(metadata)
    assert_one_line_exit_2(*invoke(["export", path, "--out", tmp_path / "out"], capsys), needle)


# ---- verify ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, needle",
    [
        (["--tolerance", "-1"], "--tolerance must be a finite number > 0. Received: tolerance=-1.0"),
        (["--tolerance", "nan"], "--tolerance must be a finite number > 0. Received: tolerance=nan"),
        (["--tolerance", "inf"], "--tolerance must be a finite number > 0"),
        (["--tolerance", "0"], "--tolerance must be a finite number > 0"),
        (["--tolerance", "tiny"], "invalid float value: 'tiny'"),
    ],
)
def test_verify_bad_tolerance(version, capsys, options, needle):
    assert_one_line_exit_2(*invoke(["verify", version, *options], capsys), needle)


@pytest.mark.parametrize(
    "damage, target, needle",
    [
        (lambda f: None, "/no/such/version", "not found; expected a version folder"),
        (lambda f: None, "{folder}/assets.extra/nnzoo.json", "is neither a version folder nor"),
        (lambda f: (f / "saved_model.pb").unlink(), "{folder}", "is not an exported version folder"),
        (
            lambda f: (f / "assets.extra" / "nnzoo.json").write_text("{"),
            "{folder}",
            "nnzoo.json' is damaged or not nnzoo export metadata (Expecting",
        ),
        (
            lambda f: (f / "assets.extra" / "nnzoo.json").write_text('{"input": 5}'),
            "{folder}",
            "is damaged or not nnzoo export metadata ('input', 'outputs' or 'reference' missing or wrongly typed)",
        ),
        (lambda f: shutil.rmtree(f / "variables"), "{folder}", "is damaged or not a SavedModel (no variables/ folder)"),
        (
            lambda f: (f / "assets.extra" / "model.onnx").write_bytes(b"\x08garbage"),
            "{folder}/assets.extra/model.onnx",
            "model.onnx' is damaged or not an ONNX model",
        ),
    ],
)
def test_verify_missing_and_damaged(version, tmp_path, capsys, damage, target, needle):
    folder = damaged_copy(version, tmp_path, damage)
    assert_one_line_exit_2(*invoke(["verify", target.format(folder=folder)], capsys), needle)


def test_verify_truncated_saved_model_pb(version, tmp_path, capsys):
    def truncate(folder):
        data = (folder / "saved_model.pb").read_bytes()
        (folder / "saved_model.pb").write_bytes(data[: len(data) // 3])

    folder = damaged_copy(version, tmp_path, truncate)
    assert_one_line_exit_2(
        *invoke(["verify", folder], capsys),
        "saved_model.pb' is damaged or not a SavedModel (its protocol buffer wire format is corrupt)",
    )


def test_verify_saved_model_pb_that_is_a_protocol_buffer_but_no_saved_model(version, tmp_path, capsys):
    """An empty file is a valid (empty) protocol buffer: saved_model_cli, in its own process, finds no signature."""
    folder = damaged_copy(version, tmp_path, lambda f: (f / "saved_model.pb").write_bytes(b""))
    assert_one_line_exit_2(
        *invoke(["verify", folder], capsys),
        "is damaged or not a SavedModel (saved_model_cli cannot show its serving_default signature)",
    )


# ---- predict --------------------------------------------------------------------------------------


def nested(depth):
    return "[" * depth + "1" + "]" * depth


PREDICT_BODIES = [
    (b'{"instances": 5}', "must be a list of shape [batch, 2]"),
    (b'{"instances": {"inputs": 5}}', "Expected the single named input \\\"features\\\"; received ['inputs']"),
    (b'{"instances": {"features": 5}}', "must be a list of shape [batch, 2]"),
    (b'{"inputs": 5}', "must be a list of shape [batch, 2]"),
    (b'{"instances": [[' + b"9" * 401 + b", 1]]}", "holds a number too large for float32"),
    (b'{"instances": [[' + b"9" * 5000 + b", 1]]}", "Malformed JSON request body: Exceeds the limit"),
    # json's C decoder may run out of recursion at 1,000 (it depends on how deep the caller's stack is):
    # either way the answer is one line about the nesting
    (b'{"instances": ' + nested(1000).encode() + b"}", "nest"),
    (b'{"instances": ' + nested(100000).encode() + b"}", "nested too deeply"),
    (b'{"instances": ' + nested(40).encode() + b"}", "received nesting depth [40]"),
    ('{"instances": [[1, 2]], "x": "\u00e9"}'.encode("latin-1"), "Request body is not UTF-8: byte"),
    ('{"instances": [[1, 2]]}'.encode("utf-16"), "Request body is not UTF-8 (it looks like UTF-16)"),
    (b'{"instances": [[NaN, 1]]}', "NaN is not a number JSON allows"),
    (b'{"instances": [[Infinity, 1]]}', "Infinity is not a number JSON allows"),
    (b'{"instances": [[-Infinity, 1]]}', "-Infinity is not a number JSON allows"),
    (b'{"instances": [[1e400, 1]]}', "holds a value too large to be a finite number"),
    (b'{"instances": [[1e39, 1]]}', "holds a value outside the range of float32"),
    (b'{"instances": []}', "received nesting depth [1]"),
    (b'{"instances": [[1, 2], [1]]}', "the rows have different lengths"),
    (b'{"instances": [[true, 1]]}', "the values are not a regular numeric array"),
    (b'{"instances": [{"features": [1, 2], "x": 1}]}', "Each instance object must hold exactly the input"),
    (b'"just a string"', "Request body must be a JSON object"),
    (b"[[1, 2]]", "Request body must be a JSON object"),
    (b"", "Malformed JSON request body: Expecting value"),
    (b'{"instances": [[1, 2]], "inputs": [[1, 2]]}', "Missing or ambiguous key"),
    (b'{"instances": [[1, 2]], "signature_name": 5}', 'Serving signature name: \\"5\\" not found'),
]


@pytest.mark.parametrize("body, needle", PREDICT_BODIES, ids=[f"body{i}" for i in range(len(PREDICT_BODIES))])
def test_predict_bad_bodies(version, tmp_path, capsys, body, needle):
    request = tmp_path / "request.json"
    request.write_bytes(body)
    code, out, err = invoke(["predict", version, "--json", request], capsys)
    assert_one_line_exit_2(code, out, err, needle)
    assert set(json.loads(err)) == {"error"}


def test_predict_missing_request_file(version, tmp_path, capsys):
    code, out, err = invoke(["predict", version, "--json", tmp_path / "none.json"], capsys)
    assert_one_line_exit_2(code, out, err, "Cannot read request file")


@pytest.mark.parametrize("name", ["\u0663", "\u00b2", "1.0", "v1", str(2**63)])
def test_predict_refuses_a_folder_tf_serving_would_not_serve(version, tmp_path, capsys, name):
    folder = tmp_path / "m" / name
    shutil.copytree(version, folder)
    request = tmp_path / "request.json"
    request.write_text('{"instances": [[0.1, 0.2]]}')
    code, out, err = invoke(["predict", folder, "--json", request], capsys)
    assert_one_line_exit_2(code, out, err, "is not a version TF Serving serves")


@pytest.mark.parametrize(
    "damage, target, needle",
    [
        (lambda f: shutil.rmtree(f / "variables"), "{folder}", "is damaged or not a SavedModel"),
        (
            lambda f: (f / "saved_model.pb").write_bytes((f / "saved_model.pb").read_bytes()[:100]),
            "{folder}",
            "is damaged or not a SavedModel",
        ),
        (
            lambda f: (f / "assets.extra" / "model.onnx").write_bytes(b"\x08garbage"),
            "{folder}/assets.extra/model.onnx",
            "is damaged or not an ONNX model",
        ),
        (
            lambda f: (f / "assets.extra" / "model.tflite").write_bytes(b"garbage"),
            "{folder}/assets.extra/model.tflite",
            "is damaged or not a LiteRT (TFLite) model",
        ),
    ],
)
def test_predict_damaged_model(version, tmp_path, capsys, damage, target, needle):
    folder = damaged_copy(version, tmp_path, damage)
    request = tmp_path / "request.json"
    request.write_text('{"instances": [[0.1, 0.2]]}')
    code, out, err = invoke(["predict", target.format(folder=folder), "--json", request], capsys)
    assert_one_line_exit_2(code, out, err, needle)


def test_non_finite_outputs_are_refused_not_printed(version, tmp_path, capsys, monkeypatch):
    """A model answering NaN gets an error line: bare NaN is not JSON."""
    monkeypatch.setattr(
        serving_runtimes,
        "load",
        lambda fmt, path: (
            lambda feeds: {"probabilities": np.full((1, 1), np.nan), "class": np.zeros(1, "int64")},
            [],
            [],
        ),
    )
    request = tmp_path / "request.json"
    request.write_text('{"instances": [[0.1, 0.2]]}')
    code, out, err = invoke(["predict", version, "--json", request], capsys)
    assert_one_line_exit_2(code, out, err, "outputs for these inputs are not finite numbers")


def test_a_good_request_still_answers(version, tmp_path, capsys):
    """The control case: the same fixture answers a valid body with valid JSON (exit 0)."""
    request = tmp_path / "request.json"
    request.write_text('{"instances": [[0.1, 0.2], [1, -1]]}')
    code, out, err = invoke(["predict", version, "--json", request], capsys)
    assert code == 0 and [set(p) for p in json.loads(out)["predictions"]] == [{"class", "probabilities"}] * 2
    assert serving.read_version(version)["input"]["name"] == "features"


def test_user_errors_are_answered_before_tensorflow_loads(version, run_dir, tmp_path):
    """One fresh process (this one has TensorFlow loaded): a bad body, variant and tolerance import no TensorFlow."""
    request = tmp_path / "request.json"
    request.write_text('{"instances": [[NaN, 1]]}')
    code = (
        f"import sys\nfrom nnzoo import cli\n"
        f"codes = [cli.main(['predict', {str(version)!r}, '--json', {str(request)!r}]),\n"
        f"         cli.main(['export', {str(run_dir)!r}, '--variant', 'nope']),\n"
        f"         cli.main(['verify', {str(version)!r}, '--tolerance', '-1'])]\n"
        f"print(codes, 'tensorflow' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "[2, 2, 2] False", proc.stdout + proc.stderr
