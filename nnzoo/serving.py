"""Use an exported version: verify every file in a fresh process of its own runtime, answer predict requests.

A path is a version folder (the SavedModel, with whatever ONNX and LiteRT files were exported beside
it) or one of those files, ``VERSION/assets.extra/model.onnx`` or ``model.tflite``. Requests follow
TF Serving's REST predict API; every bad one is answered with one ``{"error": ...}`` line.
"""

import concurrent.futures
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from nnzoo import export_formats, quiet_tensorflow, serving_runtimes
from nnzoo.errors import NnzooError
from nnzoo.export import INT64_MAX, META, NUMERIC_DTYPES, REFERENCE, damaged, version_number

FORMAT_NAMES = {"savedmodel": "a SavedModel", "onnx": "an ONNX model", "tflite": "a LiteRT (TFLite) model"}
SUFFIXES = {".onnx": "onnx", ".tflite": "tflite"}


# ---- reading an exported version ------------------------------------------------------------------


def locate(path):
    """(format, artifact path, version folder) for a version folder or an exported ONNX/LiteRT file."""
    path = Path(path)
    if not path.exists():
        raise NnzooError(
            f"{str(path)!r} not found; expected a version folder (saved_models/NAME/VERSION) or its "
            f"assets.extra/model.onnx or model.tflite. Received: path={str(path)!r}"
        )
    if path.is_dir():
        return "savedmodel", path, path
    if path.suffix in SUFFIXES and path.parent.name == "assets.extra":
        return SUFFIXES[path.suffix], path, path.parent.parent
    raise NnzooError(
        f"{str(path)!r} is neither a version folder nor an exported assets.extra/model.onnx or "
        f"model.tflite. Received: path={str(path)!r}"
    )


def read_version(folder):
    """The version's nnzoo.json, its fields type-checked."""
    folder = Path(folder)
    meta_path = folder / META
    if not (folder / "saved_model.pb").exists() or not meta_path.exists():
        raise NnzooError(
            f"{str(folder)!r} is not an exported version folder (expected saved_model.pb and {META}). "
            f"Received: path={str(folder)!r}"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise damaged(meta_path, "nnzoo export metadata", err) from None
    spec = meta.get("input") if isinstance(meta, dict) else None
    well_typed = (
        isinstance(spec, dict)
        and isinstance(spec.get("name"), str)
        and spec.get("dtype") in NUMERIC_DTYPES
        and isinstance(spec.get("shape"), list)
        and spec["shape"][:1] == [None]
        and all(isinstance(d, int) and d > 0 for d in spec["shape"][1:])
        and isinstance(meta.get("outputs"), list)
        and all(isinstance(o, str) for o in meta["outputs"])
        and isinstance(meta.get("reference"), dict)
    )
    if not well_typed:
        raise damaged(meta_path, "nnzoo export metadata", "'input', 'outputs' or 'reference' missing or wrongly typed")
    return meta


def version_problem(folder):
    """Why TF Serving would not serve ``folder`` as a version (None when it would)."""
    if version_number(folder.name) is None:
        return (
            f"version folder name {folder.name!r} is not a version TF Serving serves "
            f"(ASCII digits, at most {INT64_MAX})"
        )
    return None


# ---- verify -----------------------------------------------------------------------------------------


def check_wire_format(folder):
    """A saved_model.pb that is not even a protocol buffer is named as damaged before any process starts.

    Parsed as a message with no fields, so that the check needs protobuf alone, not TensorFlow (whose
    generated SavedModel class imports all of it): the wire format is read, the fields kept unread;
    saved_model_cli then reads them as a SavedModel.
    """
    from google.protobuf import empty_pb2
    from google.protobuf.message import DecodeError

    try:
        empty_pb2.Empty.FromString((folder / "saved_model.pb").read_bytes())
    except DecodeError:
        raise damaged(folder / "saved_model.pb", "a SavedModel", "its protocol buffer wire format is corrupt") from None


def cli_signature(code, shown, folder):
    """saved_model_cli's output, checked: a SavedModel it cannot show a serving_default signature of is damaged."""
    if code != 0 or "signature_def['serving_default']" not in shown:
        raise damaged(folder, "a SavedModel", "saved_model_cli cannot show its serving_default signature")
    return shown


def signature_text(shown):
    """The serving_default block of saved_model_cli's output."""
    start = shown.find("signature_def['serving_default']")
    if start < 0:
        return shown.strip()
    ends = [i for i in (shown.find("signature_def[", start + 10), shown.find("The MetaGraph", start)) if i > 0]
    return shown[start : min(ends) if ends else None].strip()


def check_in_fresh_process(fmt, artifact, folder, meta):
    """serving_runtimes.check run in a new ``python -c`` process that imports only the runtime, as (report,
    saved_model_cli's output): for a SavedModel that process first runs ``saved_model_cli show --all``, whose
    answer is checked before anything else the process says ("" for the other formats)."""
    warmup = folder / "assets.extra" / export_formats.WARMUP_FILE
    replay = fmt == "savedmodel" and warmup.exists()
    args = [fmt, str(artifact), str(folder / REFERENCE), meta["input"]["name"], str(warmup) if replay else ""]
    proc = subprocess.run(
        [sys.executable, "-c", Path(serving_runtimes.__file__).read_text(), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    lines = proc.stdout.strip().splitlines()
    shown = ""
    if fmt == "savedmodel":
        answer = json.loads(lines[0]) if lines else {"code": 1, "shown": ""}  # no line: TensorFlow did not start
        shown = cli_signature(answer["code"], answer["shown"], folder)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise damaged(artifact, FORMAT_NAMES[fmt], f"its runtime failed: {last[:300]}")
    result = json.loads(lines[-1])
    if "damaged" in result:
        raise damaged(artifact, FORMAT_NAMES[fmt], result["damaged"])
    return result, shown


def check_tolerance(tolerance):
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, (int, float))
        or not (math.isfinite(tolerance) and tolerance > 0)
    ):
        raise NnzooError(f"--tolerance must be a finite number > 0. Received: tolerance={tolerance!r}")
    return tolerance


def verify(path, tolerance=1e-5):
    """Check a version folder (the SavedModel and every file exported beside it) or one ONNX/LiteRT file.

    Returns {"ok", "problems", "formats": {fmt: child report}, "signature", "meta"}.
    """
    check_tolerance(tolerance)
    fmt, artifact, folder = locate(path)
    meta = read_version(folder)
    problems = []
    checks = {fmt: artifact}
    if fmt == "savedmodel":
        problem = version_problem(folder)
        problems += [problem] if problem else []
        if not (folder / "variables").is_dir():
            raise damaged(folder, "a SavedModel", "no variables/ folder")
        checks.update(
            {
                kind: folder / "assets.extra" / file
                for kind, file in export_formats.FILES.items()
                if (folder / "assets.extra" / file).exists()
            }
        )
    for kind, file in checks.items():  # every runtime present before the first process starts
        if kind != "savedmodel":
            export_formats.require(kind, f"checking {file.name}", [serving_runtimes.RUNTIMES[kind]], importing=False)
    if fmt == "savedmodel":
        if (folder / "assets.extra" / export_formats.WARMUP_FILE).exists():
            export_formats.require("serving", "replaying TF Serving warm-up records", importing=False)
        check_wire_format(folder)
    # every child loads its runtime (TensorFlow takes seconds), so they run side by side; the SavedModel's
    # (saved_model_cli's answer in it) is read first
    with concurrent.futures.ThreadPoolExecutor(len(checks)) as pool:
        started = {kind: pool.submit(check_in_fresh_process, kind, file, folder, meta) for kind, file in checks.items()}
        answers = {kind: future.result() for kind, future in started.items()}
    formats = {kind: result for kind, (result, _) in answers.items()}
    shown = answers[fmt][1]  # saved_model_cli's output when the path is a version folder, else ""
    expected_names = ([meta["input"]["name"]], sorted(meta["outputs"]))
    for kind, result in formats.items():
        if (result["inputs"], result["outputs"]) != expected_names:
            problems.append(
                f"{kind} names {result['inputs']} -> {result['outputs']} differ from the recorded "
                f"{expected_names[0]} -> {expected_names[1]}"
            )
        for key, diff in result["max_abs_difference"].items():
            if not diff <= tolerance:
                problems.append(f"{kind} output '{key}' differs from the Keras model by {diff:.3g} (> {tolerance:g})")
        for key, diff in ((result.get("warmup") or {}).get("max_abs_difference") or {}).items():
            if not diff <= tolerance:
                problems.append(f"warm-up record output '{key}' differs from its recorded response by {diff:.3g}")
        if result["custom_modules"]:
            problems.append(f"loading the {kind} file imported {result['custom_modules']}")
    return {
        "ok": not problems,
        "problems": problems,
        "formats": formats,
        "signature": signature_text(shown),
        "meta": meta,
    }


# ---- predict (TF Serving's REST predict API) --------------------------------------------------------


class RequestError(NnzooError):
    """A bad predict request; printed as TF Serving's {"error": "..."}."""


def _refuse_constant(token):
    raise RequestError(f"{token} is not a number JSON allows; send finite numbers only")


def decode(body):
    """The request text: UTF-8 (a BOM-less UTF-16 or Latin-1 file is refused, not guessed)."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        utf16 = body[:2] in (b"\xff\xfe", b"\xfe\xff")
        raise RequestError(
            f"Request body is not UTF-8{' (it looks like UTF-16)' if utf16 else ''}: "
            f"byte {err.start} is {body[err.start]:#04x}; save the request as UTF-8"
        ) from None


def parse_request(body, meta):
    """(inputs array, row_form) from a REST predict body, validated against the recorded input."""
    try:
        request = json.loads(decode(body), parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise RequestError(f"Malformed JSON request body: {err.msg} at line {err.lineno} column {err.colno}") from None
    except RecursionError:
        raise RequestError("Request body is nested too deeply to be a predict request") from None
    except RequestError:
        raise
    except ValueError as err:  # e.g. an integer beyond Python's digit limit
        raise RequestError(f"Malformed JSON request body: {err}") from None
    if not isinstance(request, dict):
        raise RequestError('Request body must be a JSON object with "instances" (row form) or "inputs" (columnar form)')
    signature = request.get("signature_name", "serving_default")
    if signature != "serving_default":
        raise RequestError(
            f'Serving signature name: "{signature}" not found in signature def; expected "serving_default"'
        )
    if ("instances" in request) == ("inputs" in request):
        raise RequestError(
            'Missing or ambiguous key: expected exactly one of "instances" (row form) or "inputs" (columnar form)'
        )
    spec = meta["input"]
    name = spec["name"]
    row_form = "instances" in request
    data = request["instances" if row_form else "inputs"]
    if isinstance(data, dict):
        if set(data) != {name}:
            raise RequestError(f'Expected the single named input "{name}"; received {sorted(data)}')
        data = data[name]
    if row_form and isinstance(data, list) and data and all(isinstance(d, dict) for d in data):
        if any(set(d) != {name} for d in data):
            raise RequestError(f'Each instance object must hold exactly the input "{name}"')
        data = [d[name] for d in data]
    expected = tuple(spec["shape"][1:])
    shape_message = (
        f'Input "{name}" must be a list of shape [batch, {", ".join(map(str, expected))}] (dtype {spec["dtype"]})'
    )
    depths = leaf_depths(data)
    if depths is None:
        raise RequestError(
            f'Expected numbers of dtype {spec["dtype"]} for input "{name}" of shape '
            f"{spec['shape']}; the values are not a regular numeric array"
        )
    if depths != {len(expected) + 1}:
        raise RequestError(f"{shape_message}; received nesting depth {sorted(depths)[:3]}")
    try:
        array = np.asarray(data, dtype="float64")
    except ValueError:
        raise RequestError(f"{shape_message}; the rows have different lengths") from None
    except OverflowError:
        raise RequestError(f'Input "{name}" holds a number too large for {spec["dtype"]}') from None
    if tuple(array.shape[1:]) != expected or len(array) == 0:
        raise RequestError(f"{shape_message}; received shape {list(array.shape)}")
    return to_dtype(array, spec["dtype"], name), row_form


def leaf_depths(data):
    """The set of nesting depths of the leaves of nested JSON lists; None if a leaf is not a number.

    Iterative, so a body nested 100,000 deep costs memory, not the stack. Booleans, strings and nulls
    are refused: np.asarray would turn "1.5" and true into numbers silently.
    """
    depths, stack = set(), [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list):
            if not item:
                depths.add(depth + 1)
            stack.extend((x, depth + 1) for x in item)
        elif isinstance(item, bool) or not isinstance(item, (int, float)):
            return None
        else:
            depths.add(depth)
    return depths


def to_dtype(array, dtype, name):
    """``array`` as the input dtype; non-finite values and values outside the dtype's range are refused."""
    if not np.isfinite(array).all():
        raise RequestError(f'Input "{name}" holds a value too large to be a finite number; send finite numbers')
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        if not np.all(array == np.round(array)) or array.min() < info.min or array.max() > info.max:
            raise RequestError(
                f'Input "{name}" expects dtype {dtype} (integers in [{info.min}, {info.max}]); received other values'
            )
        return array.astype(dtype)
    with np.errstate(over="ignore"):
        converted = array.astype(dtype)
    if not np.isfinite(converted).all():
        raise RequestError(
            f'Input "{name}" holds a value outside the range of {dtype} (largest {np.finfo(dtype).max:.4g})'
        )
    return converted


def servable(path):
    """(format, artifact, metadata) for ``path``; NnzooError if TF Serving or the runtime could not serve it."""
    fmt, artifact, folder = locate(path)
    meta = read_version(folder)
    if fmt == "savedmodel":
        problem = version_problem(folder)
        if problem:
            raise NnzooError(f"{problem}; predict serves only what TF Serving would. Received: path={str(path)!r}")
    else:
        export_formats.require(fmt, f"predict with {artifact.name}", [serving_runtimes.RUNTIMES[fmt]])
    return fmt, artifact, meta


def predict(path, body):
    """The TF Serving response body (a dict) for the request ``body`` (bytes or text)."""
    fmt, artifact, meta = servable(path)
    inputs, row_form = parse_request(body, meta)  # a bad request is answered before the runtime loads
    if serving_runtimes.RUNTIMES[fmt] == "tensorflow":
        quiet_tensorflow.load()
    try:
        run, _, _ = serving_runtimes.load(fmt, artifact)
        outputs = run({meta["input"]["name"]: inputs})
    except ValueError as err:
        raise damaged(artifact, FORMAT_NAMES[fmt], str(err).removeprefix("damaged: ")) from None
    outputs = {k: np.asarray(v) for k, v in sorted(outputs.items())}
    if not all(np.isfinite(v).all() for v in outputs.values()):
        raise RequestError("The model's outputs for these inputs are not finite numbers, which JSON cannot carry")
    outputs = {k: v.tolist() for k, v in outputs.items()}
    if not row_form:
        return {"outputs": outputs if len(outputs) > 1 else next(iter(outputs.values()))}
    if len(outputs) == 1:
        return {"predictions": next(iter(outputs.values()))}
    return {"predictions": [dict(zip(outputs, row)) for row in zip(*outputs.values())]}
