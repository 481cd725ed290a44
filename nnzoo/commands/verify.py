"""Verify an exported version: layout and signature with TensorFlow's saved_model_cli, and outputs
equal to the Keras model's (1e-5) on the recorded held-out test inputs, computed in a fresh process
that imports only TensorFlow. Exit 1 when it does not match."""

from pathlib import Path

HELP = "check a SavedModel in a fresh TensorFlow-only process"


def add_arguments(parser):
    parser.add_argument("folder", type=Path, help="saved_models/NAME/VERSION")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest allowed difference (default 1e-5)")


def main(args):
    from nnzoo import export

    report = export.verify(args.folder, tolerance=args.tolerance)
    print(report["signature"])
    diffs = ", ".join(f"{k} {v:.3g}" for k, v in sorted(report["max_abs_difference"].items()))
    print(f"\n{report['rows']} held-out inputs ({report['meta']['reference']['from']}): max |SavedModel - Keras| {diffs}")
    if report["ok"]:
        print(f"OK: {args.folder} loads without nnzoo and matches the Keras model to {args.tolerance:g}")
        return 0
    for problem in report["problems"]:
        print(f"MISMATCH: {problem}")
    return 1
