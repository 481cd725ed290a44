"""Verify an exported version: the SavedModel's layout and signature with TensorFlow's saved_model_cli,
its TF Serving warm-up records replayed, and every exported file (SavedModel, ONNX, LiteRT) run in a
fresh process that imports only its runtime, with the recorded input and output names and outputs
equal to the Keras model's (1e-5) on the held-out test inputs. PATH may also be one ONNX or LiteRT
file (VERSION/assets.extra/model.onnx or model.tflite). Exit 1 when something does not match."""

from pathlib import Path

HELP = "check an exported model in fresh processes of its runtimes"
LABELS = {"savedmodel": "SavedModel", "onnx": "ONNX Runtime", "tflite": "LiteRT"}


def add_arguments(parser):
    parser.add_argument("path", type=Path, help="saved_models/NAME/VERSION, or its assets.extra/model.onnx|tflite")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest allowed difference, > 0 (default 1e-5)")


def main(args):
    from nnzoo import serving

    report = serving.verify(args.path, tolerance=args.tolerance)
    if report["signature"]:
        print(report["signature"] + "\n")
    meta = report["meta"]
    for fmt, result in report["formats"].items():
        diffs = ", ".join(f"{k} {v:.3g}" for k, v in sorted(result["max_abs_difference"].items()))
        print(
            f"{LABELS[fmt]}: {', '.join(result['inputs'])} -> {', '.join(result['outputs'])}; "
            f"{meta['reference']['rows']} held-out inputs ({meta['reference']['from']}): max |{fmt} - Keras| {diffs}"
        )
        if result.get("warmup"):
            warmup = result["warmup"]
            diffs = ", ".join(f"{k} {v:.3g}" for k, v in sorted(warmup["max_abs_difference"].items()))
            print(
                f"  warm-up records replayed: {warmup['records']} ({', '.join(warmup['signatures'])}), "
                f"max |response - recorded| {diffs}"
            )
    if report["ok"]:
        print(
            f"OK: {args.path} loads without nnzoo and matches the Keras model to {args.tolerance:g} "
            f"(exported with TensorFlow {meta.get('tensorflow_version')})"
        )
        return 0
    for problem in report["problems"]:
        print(f"MISMATCH: {problem}")
    return 1
