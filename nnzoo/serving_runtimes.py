"""Run an exported model in its own runtime, importing nothing from nnzoo.

One loader per format: TensorFlow for the SavedModel, ONNX Runtime for ``model.onnx``, the LiteRT
interpreter (``ai-edge-litert``, not the deprecated ``tf.lite.Interpreter``) for ``model.tflite``.
``nnzoo verify`` runs this file's source in a fresh ``python -c`` process, so a pass proves that the
artifact needs only its runtime; for a SavedModel the same process first runs TensorFlow's own
``saved_model_cli show --all`` on it (one TensorFlow start, not two). ``nnzoo predict`` imports it to
answer requests.
"""

import contextlib
import io
import json
import sys

import numpy as np

RUNTIMES = {"savedmodel": "tensorflow", "onnx": "onnxruntime", "tflite": "ai_edge_litert"}


def load_savedmodel(path):
    """(run, input names, output names) for the SavedModel's serving_default signature."""
    import tensorflow as tf

    signature = tf.saved_model.load(path).signatures["serving_default"]
    inputs = sorted(signature.structured_input_signature[1])
    outputs = sorted(signature.structured_outputs)

    def run(feeds):
        return {k: v.numpy() for k, v in signature(**{k: tf.constant(v) for k, v in feeds.items()}).items()}

    return run, inputs, outputs


def load_onnx(path):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]

    def run(feeds):
        return dict(zip(outputs, session.run(outputs, feeds)))

    return run, sorted(i.name for i in session.get_inputs()), sorted(outputs)


def load_tflite(path):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    names = interpreter.get_signature_list()["serving_default"]
    runner = interpreter.get_signature_runner("serving_default")

    def run(feeds):
        return {k: np.asarray(v) for k, v in runner(**feeds).items()}

    return run, sorted(names["inputs"]), sorted(names["outputs"])


LOADERS = {"savedmodel": load_savedmodel, "onnx": load_onnx, "tflite": load_tflite}


def load(fmt, path):
    """LOADERS[fmt](path); an unreadable artifact raises ValueError('damaged: reason')."""
    try:
        return LOADERS[fmt](str(path))
    except ImportError:
        raise
    except Exception as err:  # each runtime has its own error types for an unreadable file
        reason = " ".join(str(err).split())[:300] or type(err).__name__
        raise ValueError(f"damaged: {reason}") from None


def max_differences(got, expected):
    """{output: max |got - expected|}, inf for a missing output or a shape mismatch."""
    diffs = {}
    for key, want in expected.items():
        have = np.asarray(got[key]) if key in got else None
        same_shape = have is not None and have.shape == np.shape(want)
        diffs[key] = (
            float(np.abs(have.astype("float64") - np.asarray(want, "float64")).max()) if same_shape else float("inf")
        )
    return diffs


def replay_warmup(run, path):
    """Replay TF Serving warm-up records (PredictionLog) and compare with the responses stored in them."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    records, diffs, signatures = 0, {}, set()
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log
        signatures.add(log.request.model_spec.signature_name)
        got = run({k: tf.make_ndarray(v) for k, v in log.request.inputs.items()})
        expected = {k: tf.make_ndarray(v) for k, v in log.response.outputs.items()}
        for key, diff in max_differences(got, expected).items():
            diffs[key] = max(diffs.get(key, 0.0), diff)
        records += 1
    return {"records": records, "signatures": sorted(signatures), "max_abs_difference": diffs}


def check(fmt, path, reference, input_name, warmup=""):
    """Run the recorded reference inputs (and warm-up records) through the artifact; a JSON-ready report."""
    try:
        run, inputs, outputs = load(fmt, path)
    except ValueError as err:
        return {"damaged": str(err).removeprefix("damaged: ")}
    ref = np.load(reference)
    got = run({input_name: ref["inputs"]})
    expected = {k: ref[k] for k in ref.files if k != "inputs"}
    return {
        "inputs": inputs,
        "outputs": outputs,
        "max_abs_difference": max_differences(got, expected),
        "warmup": replay_warmup(run, warmup) if warmup else None,
        "custom_modules": sorted(m for m in sys.modules if m.split(".")[0] in ("nnzoo", "keras_tuner")),
    }


def show_all(path):
    """TensorFlow's ``saved_model_cli show --dir PATH --all``, run in this process: {"code", "shown"}."""
    from tensorflow.python.tools import saved_model_cli

    argv, sys.argv = sys.argv, ["saved_model_cli", "show", "--dir", str(path), "--all"]
    shown = io.StringIO()
    try:
        with contextlib.redirect_stdout(shown):
            saved_model_cli.main()
        code = 0
    except SystemExit as exit:  # absl's app.run ends with sys.exit (None: success; a message: failure)
        code = 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1
    except Exception:  # what would end the command with a traceback
        code = 1
    finally:
        sys.argv = argv
    return {"code": code, "shown": shown.getvalue()}


if __name__ == "__main__":
    if sys.argv[1] == "savedmodel":  # its own line first, so that it is read even if the check below fails
        print(json.dumps(show_all(sys.argv[2])), flush=True)
    print(json.dumps(check(*sys.argv[1:])))
