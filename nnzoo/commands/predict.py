"""Answer a TF Serving REST predict request body from an exported SavedModel, printing the response
TF Serving would send: {"predictions": ...} for the row form {"instances": [...]}, {"outputs": ...}
for the columnar form {"inputs": ...}. A bad request prints {"error": "..."} and exits 2."""

import json
import sys
from pathlib import Path

HELP = "answer a TF Serving REST predict request from a SavedModel"


def add_arguments(parser):
    parser.add_argument("folder", type=Path, help="saved_models/NAME/VERSION")
    parser.add_argument("--json", default="-", help="request body file, or - for standard input (default)")


def main(args):
    from nnzoo import export

    try:
        text = sys.stdin.read() if args.json == "-" else Path(args.json).read_text()
    except OSError as err:
        print(json.dumps({"error": f"Cannot read request file {args.json!r}: {err.strerror}"}), file=sys.stderr)
        return 2
    try:
        response = export.predict(args.folder, text)
    except export.RequestError as err:
        print(json.dumps({"error": str(err)}), file=sys.stderr)
        return 2
    print(json.dumps(response))
    return 0
