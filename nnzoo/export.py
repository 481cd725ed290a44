"""Export trained models as SavedModels in TF Serving's layout, verify them, and answer predict requests.

TF Serving loads ``MODEL_BASE/NAME/VERSION/`` (VERSION a positive integer; the newest is served)
with a ``serving_default`` signature. Each version folder written here also holds, under
``assets.extra/`` (which TF Serving ignores), ``nnzoo.json`` (input name, shape and dtype, output
names, class names, source, dataset, metrics, folding report) and ``reference.npz`` (held-out test
inputs with the Keras model's outputs), so ``verify`` can check the SavedModel in a process that
imports only TensorFlow.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from nnzoo.errors import NnzooError

INPUT_NAME = "inputs"
REFERENCE_ROWS = 1000
META = Path("assets.extra") / "nnzoo.json"
REFERENCE = Path("assets.extra") / "reference.npz"


# ---- finding what to export -----------------------------------------------------------------------

def find_models(source):
    """{variant: path to .keras} inside a run folder, a tuner folder, or one .keras file."""
    source = Path(source)
    if source.suffix == ".keras":
        if not source.is_file():
            raise NnzooError(f"No such model file {str(source)!r}. Received: source={str(source)!r}")
        return {source.stem: source}
    if not source.is_dir():
        raise NnzooError(f"SOURCE must be a run folder, a tuner folder or a .keras file; {str(source)!r} is none "
                         f"of these. Received: source={str(source)!r}")
    found = {p.stem: p for p in sorted(source.rglob("*.keras")) if not p.name.startswith(".")}
    if not found:
        raise NnzooError(f"No trained .keras model under {str(source)!r}. Received: source={str(source)!r}")
    return found


def choose(source, variant=None):
    """The (.keras path, metadata dict) to export; several candidates need ``variant``."""
    models = find_models(source)
    if variant is None:
        if len(models) > 1:
            raise NnzooError(f"{str(source)!r} holds several models; choose one with --variant: "
                             f"{', '.join(sorted(models))}. Received: variant=None")
        variant = next(iter(models))
    if variant not in models:
        raise NnzooError(f"No model {variant!r} in {str(source)!r}; expected one of: {', '.join(sorted(models))}. "
                         f"Received: variant={variant!r}")
    path = models[variant]
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return path, meta


def next_version(base):
    """One more than the largest integer version folder under ``base`` (1 for a new model)."""
    versions = [int(p.name) for p in Path(base).glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


def load_keras_model(path):
    """Load a .keras file; nnzoo's own layers and optimizers are registered first."""
    import keras

    import nnzoo.custom_layers  # noqa: F401  (registers the scratch layers and activations)
    import nnzoo.custom_optimizers  # noqa: F401

    try:
        return keras.saving.load_model(path)
    except (ValueError, OSError, KeyError) as err:
        raise NnzooError(f"Cannot load {str(path)!r} as a Keras model ({err}). Received: source={str(path)!r}") from None


def reference_inputs(meta, input_shape, dtype):
    """Held-out test inputs: the recorded dataset's test split, else a fixed random batch."""
    spec = (meta.get("dataset") or {}).get("spec")
    if spec:
        from nnzoo import datasets

        x = datasets.load(**spec).x_test[:REFERENCE_ROWS]
        if tuple(x.shape[1:]) == tuple(input_shape):
            return x.astype(dtype), f"test split of {spec.get('name')}"
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, *input_shape)).astype(dtype), "random normal batch (no dataset recorded)"


# ---- export -----------------------------------------------------------------------------------------

def is_classifier(model, meta):
    task = (meta.get("dataset") or {}).get("task")
    if task:
        return task == "classification" and model.output_shape[-1] > 1
    return model.output_shape[-1] > 1


def serving_function(model, classifier, input_shape, dtype):
    """A tf.function from raw inputs to named outputs: probabilities and class, or value.

    tf.math.argmax, not keras.ops.argmax: the latter adds a BitwiseAnd that TFLite cannot convert.
    """
    import tensorflow as tf

    spec = tf.TensorSpec((None, *input_shape), tf.as_dtype(dtype), name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def serve(inputs):
        outputs = model(inputs, training=False)
        if classifier:
            return {"probabilities": outputs, "class": tf.math.argmax(outputs, axis=-1, output_type=tf.int64)}
        return {"value": outputs}

    return serve


def export(source, *, variant=None, name=None, version=None, out="saved_models", fold_bn=False, fmt="savedmodel"):
    """Write ``out/NAME/VERSION/`` and return its path (never overwriting an existing version)."""
    import keras

    path, meta = choose(source, variant)
    model = load_keras_model(path)
    if name is None:
        name = f"{meta['recipe']}_{path.stem}" if meta.get("recipe") else path.stem
    if not name.replace("_", "").replace("-", "").isalnum():
        raise NnzooError(f"--name must use letters, digits, '_' and '-'. Received: name={name!r}")
    base = Path(out) / name
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise NnzooError(f"Output folder {str(base)!r} cannot be written ({err.strerror}). Received: out={str(out)!r}") from None
    if version is None:
        version = next_version(base)
    elif not (isinstance(version, int) and version >= 1):
        raise NnzooError(f"--version must be a positive integer. Received: version={version!r}")
    final = base / str(version)
    if final.exists():
        raise NnzooError(f"{str(final)!r} already exists; an exported version is never overwritten (omit --version "
                         f"for the next free one, {next_version(base)}). Received: version={version}")
    input_shape = tuple(int(d) for d in model.input_shape[1:])
    dtype = str(meta.get("input_dtype") or keras.backend.standardize_dtype(model.inputs[0].dtype))
    x_ref, ref_source = reference_inputs(meta, input_shape, dtype)
    y_ref = np.asarray(model.predict(x_ref, verbose=0))
    folding = None
    if fold_bn:
        model, folding = fold(model, x_ref, y_ref)
    classifier = is_classifier(model, meta)
    tmp = Path(tempfile.mkdtemp(dir=base, prefix=f".{version}.partial-"))
    try:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", serving_function(model, classifier, input_shape, dtype))
        archive.write_out(str(tmp / "model"), verbose=False)
        staged = tmp / "model"
        (staged / "assets.extra").mkdir(exist_ok=True)
        outputs = {"probabilities": y_ref, "class": y_ref.argmax(axis=-1).astype("int64")} if classifier else {"value": y_ref}
        np.savez(staged / REFERENCE, inputs=x_ref, **outputs)
        info = {
            "name": name, "version": version, "signature": "serving_default",
            "input": {"name": INPUT_NAME, "shape": [None, *input_shape], "dtype": dtype},
            "outputs": sorted(outputs), "task": "classification" if classifier else "regression",
            "class_names": meta.get("class_names", []), "source": str(path.resolve()),
            "variant": path.stem, "dataset": meta.get("dataset"), "test_metrics": meta.get("test_metrics"),
            "preprocessing": meta.get("preprocessing", []), "reference": {"rows": len(x_ref), "from": ref_source},
            "fold_bn": folding, "keras_version": keras.__version__, "tensorflow_version": _tf_version(),
            "exported_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        (staged / META).write_text(json.dumps(info, indent=2, default=str) + "\n")
        if fmt == "tflite":
            info["tflite"] = write_tflite(staged, x_ref, y_ref, classifier)
            (staged / META).write_text(json.dumps(info, indent=2, default=str) + "\n")
        os.rename(staged, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def fold(model, x_ref, y_ref):
    """Fold batch normalization (nnzoo.custom_layers.fold_batch_norm) and measure what it changed."""
    try:
        from nnzoo.custom_layers import fold_batch_norm
    except ImportError:
        raise NnzooError("--fold-bn needs nnzoo.custom_layers.fold_batch_norm, which is not installed. "
                         "Received: fold_bn=True") from None
    try:
        folded, report = fold_batch_norm(model)
    except ValueError as err:
        raise NnzooError(f"--fold-bn cannot fold this model: {err}") from None
    diff = float(np.abs(np.asarray(folded.predict(x_ref, verbose=0)) - y_ref).max())
    return folded, {**report, "max_abs_difference": diff}


def _tf_version():
    import tensorflow as tf

    return tf.__version__


def write_tflite(folder, x_ref, y_ref, classifier):
    """Convert the SavedModel to TensorFlow Lite and check the interpreter against Keras (1e-4)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(folder))
    tflite = converter.convert()
    (folder / "assets.extra" / "model.tflite").write_bytes(tflite)
    interpreter = tf.lite.Interpreter(model_content=tflite)
    runner = interpreter.get_signature_runner("serving_default")
    key = "probabilities" if classifier else "value"
    got = np.asarray(runner(**{INPUT_NAME: x_ref})[key])
    diff = float(np.abs(got - y_ref).max())
    if diff > 1e-4:
        raise NnzooError(f"The TFLite model differs from the Keras model by {diff:.3g} (> 1e-4). Received: format='tflite'")
    return {"file": "assets.extra/model.tflite", "max_abs_difference": diff}


# ---- verify -----------------------------------------------------------------------------------------

CHILD = r"""
import json, sys
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
signature = loaded.signatures["serving_default"]
ref = np.load(sys.argv[2])
got = signature(**{sys.argv[3]: tf.constant(ref["inputs"])})
diffs = {}
for key, value in got.items():
    expected = ref[key]
    value = value.numpy()
    diffs[key] = float(np.abs(value.astype("float64") - expected.astype("float64")).max()) if value.shape == expected.shape else float("inf")
print(json.dumps({"max_abs_difference": diffs, "custom_modules": sorted(m for m in sys.modules if m.split(".")[0] in ("nnzoo", "keras_tuner"))}))
"""


def read_version(folder):
    folder = Path(folder)
    meta_path = folder / META
    if not (folder / "saved_model.pb").exists() or not meta_path.exists():
        raise NnzooError(f"{str(folder)!r} is not an exported version folder (expected saved_model.pb and {META}). "
                         f"Received: path={str(folder)!r}")
    try:
        return json.loads(meta_path.read_text())
    except json.JSONDecodeError as err:
        raise NnzooError(f"{str(meta_path)!r} is corrupt ({err}). Received: path={str(folder)!r}") from None


def saved_model_cli(folder):
    """TensorFlow's own ``saved_model_cli show --all`` output for the folder."""
    cli = Path(sys.executable).with_name("saved_model_cli")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    proc = subprocess.run([*cmd, "show", "--dir", str(folder), "--all"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return proc.returncode, proc.stdout


def verify(folder, tolerance=1e-5):
    """Check layout, signature and outputs in a fresh TensorFlow-only process; returns a report dict."""
    folder = Path(folder)
    meta = read_version(folder)
    problems = []
    if not folder.name.isdigit() or int(folder.name) < 1:
        problems.append(f"version folder name {folder.name!r} is not a positive integer")
    if not (folder / "variables").is_dir():
        problems.append("no variables/ folder")
    code, shown = saved_model_cli(folder)
    if code != 0 or "signature_def['serving_default']" not in shown or f"inputs['{INPUT_NAME}']" not in shown:
        problems.append("saved_model_cli does not show the serving_default signature with input "
                        f"'{INPUT_NAME}'")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(folder / REFERENCE), INPUT_NAME],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        problems.append(f"the SavedModel did not run in a fresh process: {proc.stderr.strip().splitlines()[-1:]}")
        child = {"max_abs_difference": {}, "custom_modules": []}
    else:
        child = json.loads(proc.stdout.strip().splitlines()[-1])
    for key, diff in child["max_abs_difference"].items():
        if not diff <= tolerance:
            problems.append(f"output '{key}' differs from the Keras model by {diff:.3g} (> {tolerance:g})")
    if child["custom_modules"]:
        problems.append(f"loading imported {child['custom_modules']}")
    return {"ok": not problems, "problems": problems, "max_abs_difference": child["max_abs_difference"],
            "rows": meta.get("reference", {}).get("rows"), "signature": signature_text(shown), "meta": meta}


def signature_text(shown):
    """The serving_default block of saved_model_cli's output."""
    start = shown.find("signature_def['serving_default']")
    if start < 0:
        return shown.strip()
    ends = [i for i in (shown.find("signature_def[", start + 10), shown.find("The MetaGraph", start)) if i > 0]
    return shown[start:min(ends) if ends else None].strip()


# ---- predict (TF Serving's REST predict API) --------------------------------------------------------

class RequestError(NnzooError):
    """A bad predict request; printed as TF Serving's {"error": "..."}."""


def parse_request(text, meta):
    """(inputs array, row_form) from a REST predict body, validated against the recorded input."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise RequestError(f"Malformed JSON request body: {err.msg} at line {err.lineno} column {err.colno}") from None
    if not isinstance(body, dict):
        raise RequestError('Request body must be a JSON object with "instances" (row form) or "inputs" (columnar form)')
    signature = body.get("signature_name", "serving_default")
    if signature != "serving_default":
        raise RequestError(f"Serving signature name: \"{signature}\" not found in signature def; expected \"serving_default\"")
    if ("instances" in body) == ("inputs" in body):
        raise RequestError('Missing or ambiguous key: expected exactly one of "instances" (row form) or "inputs" '
                           "(columnar form)")
    row_form = "instances" in body
    data = body["instances" if row_form else "inputs"]
    if isinstance(data, dict):
        if set(data) != {INPUT_NAME}:
            raise RequestError(f"Expected the single named input \"{INPUT_NAME}\"; received {sorted(data)}")
        data = data[INPUT_NAME]
    if row_form and data and isinstance(data[0], dict):
        data = [d.get(INPUT_NAME) for d in data]
    spec = meta["input"]
    try:
        array = np.asarray(data, dtype="float64")
    except (TypeError, ValueError):
        raise RequestError(f"Expected numbers of dtype {spec['dtype']} for input \"{INPUT_NAME}\" of shape "
                           f"{spec['shape']}; the values are not a regular numeric array") from None
    expected = tuple(spec["shape"][1:])
    if array.ndim != len(expected) + 1 or tuple(array.shape[1:]) != expected or len(array) == 0:
        raise RequestError(f"Input \"{INPUT_NAME}\" must have shape [batch, {', '.join(map(str, expected))}] "
                           f"(dtype {spec['dtype']}); received shape {list(array.shape)}")
    if np.issubdtype(np.dtype(spec["dtype"]), np.integer) and not np.all(array == np.round(array)):
        raise RequestError(f"Input \"{INPUT_NAME}\" expects dtype {spec['dtype']}; received non-integer values")
    return array.astype(spec["dtype"]), row_form


def predict(folder, text):
    """The TF Serving response body (a dict) for the request ``text``."""
    meta = read_version(folder)
    inputs, row_form = parse_request(text, meta)  # a bad request is answered before TensorFlow loads
    import tensorflow as tf

    outputs = tf.saved_model.load(str(folder)).signatures["serving_default"](**{INPUT_NAME: tf.constant(inputs)})
    outputs = {k: v.numpy().tolist() for k, v in outputs.items()}
    if not row_form:
        return {"outputs": outputs if len(outputs) > 1 else next(iter(outputs.values()))}
    if len(outputs) == 1:
        return {"predictions": next(iter(outputs.values()))}
    return {"predictions": [dict(zip(outputs, row)) for row in zip(*outputs.values())]}
