"""Answer a TF Serving REST predict request body from an exported model (a version folder, or its
ONNX or LiteRT file), printing the response TF Serving would send: {"predictions": ...} for the row
form {"instances": [...]}, {"outputs": ...} for the columnar form {"inputs": ...}. A bad request prints
{"error": "..."} and exits 2; the response is always valid JSON (non-finite numbers are refused)."""

import json
import sys
from pathlib import Path

HELP = "answer a TF Serving REST predict request from an exported model"


def add_arguments(parser):
    parser.add_argument("path", type=Path, help="saved_models/NAME/VERSION, or its assets.extra/model.onnx|tflite")
    parser.add_argument("--json", default="-", help="request body file (UTF-8), or - for standard input (default)")


def main(args):
    from nnzoo import serving

    try:
        body = sys.stdin.buffer.read() if args.json == "-" else Path(args.json).read_bytes()
    except OSError as err:
        print(json.dumps({"error": f"Cannot read request file {args.json!r}: {err.strerror}"}), file=sys.stderr)
        return 2
    try:
        response = serving.predict(args.path, body)
    except serving.RequestError as err:
        print(json.dumps({"error": str(err)}), file=sys.stderr)
        return 2
    print(json.dumps(response, allow_nan=False))
    return 0
