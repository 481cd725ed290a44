"""Export trained models as SavedModels in TF Serving's layout, with ONNX, LiteRT and warm-up records beside.

TF Serving loads ``MODEL_BASE/NAME/VERSION/`` (VERSION a positive integer of ASCII digits within int64;
the newest is served) with a ``serving_default`` signature. The signature takes raw inputs named after
what they are (``pixels`` for pictures, ``features`` otherwise) and returns ``probabilities`` and
``class``, or ``value``; the ONNX and LiteRT files carry the same names. Each version folder also holds,
under ``assets.extra/``, ``nnzoo.json`` (names, shapes, dtypes, class names, source, dataset, metrics,
TensorFlow version), ``reference.npz`` (held-out test inputs with the Keras model's outputs) and TF
Serving's warm-up records, so ``nnzoo verify`` can check every file in a process of its own runtime.
"""

import datetime
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nnzoo import export_formats, quiet_tensorflow
from nnzoo.errors import NnzooError

REFERENCE_ROWS = 1000
EXTRA = Path("assets.extra")
META = EXTRA / "nnzoo.json"
REFERENCE = EXTRA / "reference.npz"
INT64_MAX = 2**63 - 1  # TF Serving parses version folder names as int64
FORMATS = ("savedmodel", "onnx", "tflite")
NUMERIC_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
MODEL_METADATA_TYPES = {
    "recipe": str,
    "dataset": dict,
    "class_names": list,
    "input_dtype": str,
    "preprocessing": list,
    "test_metrics": dict,
}


def damaged(path, what, reason):
    """The one message for a file that exists but cannot be read as ``what``."""
    return NnzooError(f"{str(path)!r} is damaged or not {what} ({reason}). Received: path={str(path)!r}")


# ---- finding what to export -----------------------------------------------------------------------


def find_models(source):
    """{variant: path to .keras} inside a run folder, a tuner folder, or one .keras file."""
    source = Path(source)
    if source.suffix == ".keras":
        if not source.is_file():
            raise NnzooError(f"No such model file {str(source)!r}. Received: source={str(source)!r}")
        return {source.stem: source}
    if not source.is_dir():
        raise NnzooError(
            f"SOURCE must be a run folder, a tuner folder or a .keras file; {str(source)!r} is none "
            f"of these. Received: source={str(source)!r}"
        )
    found = {p.stem: p for p in sorted(source.rglob("*.keras")) if not p.name.startswith(".")}
    if not found:
        raise NnzooError(f"No trained .keras model under {str(source)!r}. Received: source={str(source)!r}")
    return found


def choose(source, variant=None):
    """The (.keras path, metadata dict) to export; several candidates need ``variant``."""
    models = find_models(source)
    if variant is None:
        if len(models) > 1:
            raise NnzooError(
                f"{str(source)!r} holds several models; choose one with --variant: "
                f"{', '.join(sorted(models))}. Received: variant=None"
            )
        variant = next(iter(models))
    if variant not in models:
        raise NnzooError(
            f"No model {variant!r} in {str(source)!r}; expected one of: {', '.join(sorted(models))}. "
            f"Received: variant={variant!r}"
        )
    path = models[variant]
    return path, read_model_metadata(path.with_suffix(".json"))


def read_model_metadata(path):
    """The training metadata beside a .keras file ({} when there is none), its fields type-checked."""
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise damaged(path, "nnzoo model metadata", err) from None
    if not isinstance(meta, dict):
        raise damaged(path, "nnzoo model metadata", f"a JSON {type(meta).__name__}, expected an object")
    for key, kind in MODEL_METADATA_TYPES.items():
        if meta.get(key) is not None and not isinstance(meta[key], kind):
            raise damaged(
                path, "nnzoo model metadata", f"{key!r} is a {type(meta[key]).__name__}, expected a {kind.__name__}"
            )
    if meta.get("input_dtype") not in (None, *NUMERIC_DTYPES):
        raise damaged(
            path,
            "nnzoo model metadata",
            f"'input_dtype' {meta['input_dtype']!r} is not one of {', '.join(NUMERIC_DTYPES)}",
        )
    spec = (meta.get("dataset") or {}).get("spec")
    if spec is not None and not isinstance(spec, dict):
        raise damaged(path, "nnzoo model metadata", f"'dataset.spec' is a {type(spec).__name__}, expected a dict")
    return meta


def version_number(name):
    """The version a folder name stands for in TF Serving (ASCII digits within int64), else None."""
    if re.fullmatch(r"[0-9]+", name) and int(name) <= INT64_MAX:
        return int(name)
    return None


def next_version(base):
    """One more than the largest version folder under ``base`` (1 for a new model)."""
    versions = [version_number(p.name) for p in Path(base).iterdir() if p.is_dir()]
    return max((v for v in versions if v is not None), default=0) + 1


def load_keras_model(path):
    """Load a .keras file (safe mode on); nnzoo's own layers and optimizers are registered first."""
    if not zipfile.is_zipfile(path):
        raise damaged(path, "a .keras model", "not a zip archive; truncated or another kind of file")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise damaged(path, "a .keras model", err) from None
    if bad is not None:
        raise damaged(path, "a .keras model", f"bad CRC in member {bad!r}")
    quiet_tensorflow.load()
    import keras

    import nnzoo.custom_layers  # noqa: F401  (registers the scratch layers and activations)
    import nnzoo.custom_optimizers  # noqa: F401

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except (ValueError, OSError, KeyError, TypeError) as err:
        raise damaged(path, "a .keras model", " ".join(str(err).split())[:300]) from None


def reference_inputs(meta, input_shape, dtype):
    """Held-out test inputs: the recorded dataset's test split, else a fixed random batch."""
    spec = (meta.get("dataset") or {}).get("spec")
    if spec:
        from nnzoo import datasets

        x = datasets.load(**spec).x_test[:REFERENCE_ROWS]
        if np.prod(x.shape[1:], dtype=int) == np.prod(input_shape, dtype=int):  # flattened vs image, same pixels
            return x.reshape(len(x), *input_shape).astype(dtype), f"test split of {spec.get('name')}"
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, *input_shape)).astype(dtype), "random normal batch (no dataset recorded)"


# ---- the serving model ------------------------------------------------------------------------------


def is_classifier(model, meta):
    """Classification per the recorded task (a single sigmoid unit included); without one, several outputs."""
    task = (meta.get("dataset") or {}).get("task")
    if task:
        return task == "classification"
    return model.output_shape[-1] > 1


def input_name(meta):
    """``pixels`` for a data set of pictures, ``features`` otherwise."""
    return "pixels" if (meta.get("dataset") or {}).get("image_shape") else "features"


def classes(probabilities):
    """The predicted class: argmax over several columns, probability > 0.5 for one sigmoid column."""
    probabilities = np.asarray(probabilities)
    if probabilities.shape[-1] == 1:
        return (probabilities[..., 0] > 0.5).astype("int64")
    return probabilities.argmax(axis=-1).astype("int64")


def constants_in_graph(model):
    """Give fixed Normalization layers NumPy mean and variance, so a traced function holds them as constants.

    tf2onnx (behind ``model.export(format="onnx")``) lists tensors captured by the traced function as
    extra ONNX inputs, which ONNX Runtime then demands; graph constants are frozen into the file.
    """
    import keras

    for layer in getattr(model, "layers", []):
        constants_in_graph(layer)
        if isinstance(layer, keras.layers.Normalization) and layer.input_mean is not None:
            layer.mean, layer.variance = np.asarray(layer.mean), np.asarray(layer.variance)


def serving_model(model, classifier, name, input_shape, dtype):
    """A Keras model from raw inputs called ``name`` to named outputs: probabilities and class, or value."""
    import keras
    import tensorflow as tf

    class PredictedClass(keras.layers.Layer):
        """argmax, or probability > 0.5 for one sigmoid column, as int64.

        tf.math.argmax, not keras.ops.argmax: the latter adds a BitwiseAnd that TFLite cannot convert.
        """

        def call(self, probabilities):
            if probabilities.shape[-1] == 1:
                return tf.cast(probabilities[..., 0] > 0.5, tf.int64)
            return tf.math.argmax(probabilities, axis=-1, output_type=tf.int64)

    inputs = keras.Input(input_shape, dtype=dtype, name=name)
    outputs = model(inputs, training=False)
    named = {"probabilities": outputs, "class": PredictedClass()(outputs)} if classifier else {"value": outputs}
    return keras.Model(inputs, named, name="serving")


def write_saved_model(serving, spec, folder):
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(serving)

    @tf.function(input_signature=[spec])
    def serve(inputs):
        return serving(inputs, training=False)

    archive.add_endpoint("serving_default", serve)
    archive.write_out(str(folder), verbose=False)


# ---- export -----------------------------------------------------------------------------------------


def check_name(name):
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", name):
        raise NnzooError(f"--name must be 1 to 100 ASCII letters, digits, '_' or '-'. Received: name={name!r}")
    return name


def check_version(version):
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= INT64_MAX:
        raise NnzooError(
            f"--version must be an integer in [1, {INT64_MAX}] (TF Serving reads versions as int64). "
            f"Received: version={version!r}"
        )
    return version


def export(source, *, variant=None, name=None, version=None, out="saved_models", fold_bn=False, fmt="savedmodel"):
    """Write ``out/NAME/VERSION/`` and return its path (never overwriting an existing version).

    An OSError (disk full, read-only, permission denied) propagates with its file name; the partial
    version folder is removed first, so nothing half-written is left.
    """
    if fmt not in FORMATS:
        raise NnzooError(f"--format must be one of {', '.join(FORMATS)}. Received: format={fmt!r}")
    if version is not None:
        check_version(version)
    path, meta = choose(source, variant)
    name = check_name(
        name if name is not None else f"{meta['recipe']}_{path.stem}" if meta.get("recipe") else path.stem
    )
    if fmt != "savedmodel":
        export_formats.require(fmt, f"--format {fmt}")
    model = load_keras_model(path)  # user errors above are answered before TensorFlow loads

    import keras
    import tensorflow as tf

    base = Path(out) / name
    base.mkdir(parents=True, exist_ok=True)
    if version is None:
        version = next_version(base)
    final = base / str(version)
    if final.exists():
        raise NnzooError(
            f"{str(final)!r} already exists; an exported version is never overwritten (omit --version "
            f"for the next free one, {next_version(base)}). Received: version={version}"
        )
    input_shape = tuple(int(d) for d in model.input_shape[1:])
    dtype = str(meta.get("input_dtype") or keras.backend.standardize_dtype(model.inputs[0].dtype))
    x_ref, ref_source = reference_inputs(meta, input_shape, dtype)
    y_ref = np.asarray(model.predict(x_ref, verbose=0))
    folding = None
    if fold_bn:
        model, folding = fold(model, x_ref, y_ref)
    constants_in_graph(model)
    classifier = is_classifier(model, meta)
    name_in = input_name(meta)
    outputs = {"probabilities": y_ref, "class": classes(y_ref)} if classifier else {"value": y_ref}
    serving = serving_model(model, classifier, name_in, input_shape, dtype)
    spec = tf.TensorSpec((None, *input_shape), tf.as_dtype(dtype), name=name_in)
    tmp = Path(tempfile.mkdtemp(dir=base, prefix=f".{version}.partial-"))
    try:
        staged = tmp / "model"
        write_saved_model(serving, spec, staged)
        (staged / EXTRA).mkdir(exist_ok=True)
        np.savez(staged / REFERENCE, inputs=x_ref, **outputs)
        info = {
            "name": name,
            "version": version,
            "signature": "serving_default",
            "input": {"name": name_in, "shape": [None, *input_shape], "dtype": dtype},
            "outputs": sorted(outputs),
            "task": "classification" if classifier else "regression",
            "class_names": meta.get("class_names", []),
            "source": str(path.resolve()),
            "variant": path.stem,
            "dataset": meta.get("dataset"),
            "test_metrics": meta.get("test_metrics"),
            "preprocessing": meta.get("preprocessing", []),
            "reference": {"rows": len(x_ref), "from": ref_source},
            "fold_bn": folding,
            "keras_version": keras.__version__,
            "tensorflow_version": tf.__version__,
            "exported_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "warmup": None,
        }
        if export_formats.missing_extra("serving") is None:
            info["warmup"] = export_formats.write_warmup(
                staged / EXTRA / export_formats.WARMUP_FILE, name, name_in, x_ref, outputs
            )
        if fmt != "savedmodel":
            artifact = staged / EXTRA / export_formats.FILES[fmt]
            if fmt == "onnx":
                export_formats.write_onnx(serving, spec, artifact)
            else:
                export_formats.write_tflite(staged, artifact)
            diffs = export_formats.check_in_process(fmt, artifact, name_in, x_ref, outputs, 1e-5)
            info[fmt] = {"file": str(artifact.relative_to(staged)), "max_abs_difference": diffs}
        (staged / META).write_text(json.dumps(info, indent=2, default=str) + "\n")
        try:
            os.rename(staged, final)
        except OSError:  # another export took this version meanwhile; never replace it
            if final.exists():
                raise NnzooError(
                    f"{str(final)!r} appeared while exporting; an exported version is never "
                    f"overwritten. Received: version={version}"
                ) from None
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def fold(model, x_ref, y_ref):
    """Fold batch normalization (nnzoo.custom_layers.fold_batch_norm) and measure what it changed."""
    from nnzoo.custom_layers import fold_batch_norm

    try:
        folded, report = fold_batch_norm(model)
    except ValueError as err:
        raise NnzooError(f"--fold-bn cannot fold this model: {err}") from None
    diff = float(np.abs(np.asarray(folded.predict(x_ref, verbose=0)) - y_ref).max())
    return folded, {**report, "max_abs_difference": diff}
