"""Export a trained model (a run folder, a tuner folder or a .keras file) as a SavedModel that TF
Serving loads: OUT/NAME/VERSION/ with a serving_default signature taking raw inputs (named pixels or
features) and returning named outputs (probabilities and class, or value), plus TF Serving warm-up
records (with nnzoo[serving]). --format onnx or tflite also writes that file under assets.extra/, with
the same names, checked against Keras (1e-5) in ONNX Runtime or the LiteRT interpreter. A version is
written to a temporary folder and renamed into place only when complete; an existing version is never
overwritten. A failing disk or permission exits 1 naming the file, leaving no partial version."""

import argparse
import re
import sys
from pathlib import Path

HELP = "export a trained model as a TF Serving SavedModel (and ONNX or LiteRT)"


def version_number(text):
    """ASCII digits only: int() would also read '\u0663' (Arabic-Indic three) as 3."""
    if not re.fullmatch(r"[0-9]+", text):
        raise argparse.ArgumentTypeError(f"expected ASCII digits, received {text!r}")
    return int(text)


def add_arguments(parser):
    parser.add_argument("source", type=Path, help="a run folder, a tuner folder or a .keras file")
    parser.add_argument("--variant", help="which model of the folder (its .keras file name without suffix)")
    parser.add_argument("--name", help="model name in the serving layout (default RECIPE_VARIANT)")
    parser.add_argument("--version", type=version_number, help="integer in [1, 2**63-1] (default: the next free one)")
    parser.add_argument(
        "--out", type=Path, default=Path("saved_models"), help="model base folder (default saved_models)"
    )
    parser.add_argument(
        "--fold-bn", action="store_true", help="fold batch normalization into the preceding Dense first"
    )
    parser.add_argument(
        "--format",
        choices=("savedmodel", "onnx", "tflite"),
        default="savedmodel",
        help="onnx (needs nnzoo[onnx]) or tflite (needs nnzoo[litert]) also writes that file",
    )


def main(args):
    from nnzoo import export, serving

    try:
        folder = export.export(
            args.source,
            variant=args.variant,
            name=args.name,
            version=args.version,
            out=args.out,
            fold_bn=args.fold_bn,
            fmt=args.format,
        )
    except OSError as err:  # disk full, read-only, permission denied: the file and the OS's reason
        print(f"nnzoo export: error: {err.filename or args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    meta = serving.read_version(folder)
    print(f"exported {meta['source']} -> {folder} (TensorFlow {meta['tensorflow_version']})")
    print(
        f"  signature serving_default: input '{meta['input']['name']}' {meta['input']['dtype']} "
        f"{meta['input']['shape']} -> {', '.join(meta['outputs'])}"
    )
    if meta["warmup"]:
        warmup = meta["warmup"]
        print(f"  warm-up: {warmup['file']} ({warmup['records']} records, rows {warmup['rows']})")
    else:
        print("  warm-up: none (TF Serving warm-up records need nnzoo[serving]: pip install 'nnzoo[serving]')")
    if meta.get("fold_bn"):
        print(
            f"  folded BN: {meta['fold_bn']['folded']}; skipped: {meta['fold_bn']['skipped']}; "
            f"max |difference| {meta['fold_bn']['max_abs_difference']:.3g}"
        )
    for fmt in ("onnx", "tflite"):
        if meta.get(fmt):
            diffs = ", ".join(f"{k} {v:.3g}" for k, v in sorted(meta[fmt]["max_abs_difference"].items()))
            print(f"  {fmt}: {meta[fmt]['file']} (max |{fmt} - Keras| {diffs})")
    return 0
