"""The serving formats beside the SavedModel: ONNX, LiteRT (TFLite) and TF Serving warm-up records.

Each needs an optional extra (``nnzoo[onnx]``, ``nnzoo[litert]``, ``nnzoo[serving]``); ``require``
names it when a module is missing. Every file is checked against the Keras outputs in its own runtime.
"""

import importlib
import importlib.util
import warnings

import numpy as np

from nnzoo import quiet_tensorflow, serving_runtimes
from nnzoo.errors import NnzooError

EXTRAS = {"onnx": "nnzoo[onnx]", "tflite": "nnzoo[litert]", "serving": "nnzoo[serving]"}
NEEDED = {  # what exporting needs; running needs only serving_runtimes.RUNTIMES[format]
    "onnx": ("tf2onnx", "onnxruntime"),
    "tflite": ("ai_edge_litert",),
    "serving": ("tensorflow_serving.apis.prediction_log_pb2",),
}
IMPORT_TENSORFLOW = ("tf2onnx", "tensorflow_serving")  # so TensorFlow is loaded first, as nnzoo loads it
FILES = {"onnx": "model.onnx", "tflite": "model.tflite"}
WARMUP_FILE = "tf_serving_warmup_requests"
WARMUP_BATCHES = (1, 8)  # TF Serving warms up each batch size it will see; these two rows counts


def missing_extra(kind, modules=None, *, importing=True):
    """How to install the extra for ``kind`` when one of ``modules`` (default NEEDED[kind]) is missing, else None.

    ``importing=False`` only looks the modules up, for checks that a child process runs: importing them here
    would load TensorFlow in the parent for nothing.
    """
    for module in modules or NEEDED[kind]:
        try:
            if importing:
                if module.split(".")[0] in IMPORT_TENSORFLOW:
                    quiet_tensorflow.load()
                importlib.import_module(module)
            elif importlib.util.find_spec(module) is None:
                return install_hint(kind, module)
        except ImportError as err:
            return install_hint(kind, err.name)
    return None


def install_hint(kind, missing_module):
    return f"{EXTRAS[kind]} (missing module {missing_module!r}): pip install '{EXTRAS[kind]}'"


def require(kind, purpose, modules=None, *, importing=True):
    """Raise NnzooError naming the extra when one of ``kind``'s modules is missing."""
    missing = missing_extra(kind, modules, importing=importing)
    if missing:
        raise NnzooError(f"{purpose} needs the optional extra {missing}. Received: {purpose}")


def check_in_process(fmt, path, input_name, x_ref, expected, tolerance):
    """Largest |runtime - Keras| per output for the file at ``path``; NnzooError above ``tolerance``."""
    try:
        run, _, _ = serving_runtimes.load(fmt, path)
    except ValueError as err:  # e.g. an op the converter could not map, left for a runtime that lacks it
        raise NnzooError(
            f"The exported {fmt} model does not load in its runtime "
            f"({str(err).removeprefix('damaged: ')}). Received: format={fmt!r}"
        ) from None
    diffs = serving_runtimes.max_differences(run({input_name: x_ref}), expected)
    worst = max(diffs.values())
    if not worst <= tolerance:
        raise NnzooError(
            f"The {fmt} model differs from the Keras model by {worst:.3g} (> {tolerance:g}). Received: format={fmt!r}"
        )
    return diffs


def write_onnx(serving, spec, path):
    """Keras's own ``model.export(format="onnx")`` (tf2onnx underneath) of the named serving model.

    Keras's tf2onnx patch probes ``np.object``, which makes NumPy 2 print a FutureWarning to the user.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="In the future `np.object`", category=FutureWarning)
        serving.export(str(path), format="onnx", input_signature=[spec], verbose=False)


def write_tflite(saved_model, path):
    """Convert the SavedModel with TFLite builtin ops only: the LiteRT runtime cannot run flex ops."""
    import tensorflow as tf
    from tensorflow.lite.python.convert_phase import ConverterError  # what TFLiteConverter.convert raises

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        path.write_bytes(converter.convert())
    except ConverterError as err:
        raise conversion_error(str(err)) from None


def conversion_error(message):
    """The converter's verdict in one line: flex (TF Select) ops, custom ops, or its first error line."""
    lines = [line.strip() for line in message.splitlines()]
    flex = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("TF Select ops:")), None)
    custom = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Custom ops:")), None)
    if flex:
        why = (
            f"needs flex (SELECT_TF_OPS) ops {flex}, which the LiteRT runtime cannot run; "
            "only TFLite builtin ops are allowed"
        )
    elif custom:
        why = f"needs ops that TFLite has no kernel for: {custom}"
    else:
        why = f"cannot be converted ({next((line for line in lines if line), 'no reason given')[:200]})"
    return NnzooError(f"--format tflite: this model {why}. Received: format='tflite'")


def write_warmup(path, name, input_name, x_ref, outputs):
    """TF Serving warm-up records: PredictionLog protos, each a request and the Keras response."""
    import tensorflow as tf
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

    with tf.io.TFRecordWriter(str(path)) as writer:
        for rows in WARMUP_BATCHES:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=name, signature_name="serving_default"),
                inputs={input_name: tf.make_tensor_proto(x_ref[:rows])},
            )
            response = predict_pb2.PredictResponse(
                outputs={k: tf.make_tensor_proto(np.asarray(v)[:rows]) for k, v in outputs.items()}
            )
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request, response=response)
            )
            writer.write(log.SerializeToString())
    return {"file": f"assets.extra/{WARMUP_FILE}", "records": len(WARMUP_BATCHES), "rows": list(WARMUP_BATCHES)}
