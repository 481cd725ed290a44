"""A run folder's life: run.json says whether the run is running, finished, interrupted or failed
(and why), and ``--resume`` reopens only a folder made by the same recipe, seed and options."""

import contextlib
import json
import os
from pathlib import Path

from nnzoo import io
from nnzoo.errors import NnzooError

RECORD = "run.json"
SAME = ("recipe", "seed", "quick", "monitor", "strategy")  # options a resumed run must share


def read_record(out):
    """The run.json of folder ``out`` as a dict, or None when there is none."""
    path = Path(out) / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        record = err
    if not isinstance(record, dict):
        reason = record if isinstance(record, Exception) else f"a JSON {type(record).__name__}, not an object"
        raise NnzooError(f"{str(path)!r} is damaged or not an nnzoo run record ({reason}). Received: out={str(out)!r}")
    return record


def is_finished(out):
    record = read_record(out) if Path(out).is_dir() else None
    return record is not None and record.get("status") == "finished"


def reopen(out, options):
    """Check that folder ``out`` holds an unfinished run with the same ``options``; drop its half-written files.

    A folder whose run.json was never written (the run was killed at once) holds only nnzoo's
    temporary files, and is started afresh.
    """
    out = Path(out)
    if not out.is_dir():
        raise NnzooError(f"Nothing to resume: {str(out)!r} is not a folder. Received: out={str(out)!r}")
    _remove_partial_files(out)
    record = read_record(out)
    if record is None:
        if any(out.iterdir()):
            raise NnzooError(
                f"Cannot resume {str(out)!r}: it has no {RECORD}, so it is not an nnzoo run folder. "
                f"Received: out={str(out)!r}"
            )
        return out
    if record.get("status") == "finished":
        raise NnzooError(f"Nothing to resume: the run in {str(out)!r} is finished. Received: out={str(out)!r}")
    differ = [
        f"{key}={record.get(key)!r} there, {options[key]!r} here" for key in SAME if record.get(key) != options[key]
    ]
    if differ:
        raise NnzooError(
            f"Cannot resume {str(out)!r}: it was made with other options ({'; '.join(differ)}). "
            f"Received: out={str(out)!r}"
        )
    return out


def _remove_partial_files(out):
    """Temporary files of writes a kill interrupted (nnzoo's own naming; nothing else is touched)."""
    for folder, _, files in os.walk(out):
        for name in files:
            if io.is_partial(name) or name.startswith(io.PROBE_PREFIX):
                (Path(folder) / name).unlink()


def mark(out, options, status, reason=None):
    """Write run.json with ``status`` (running, interrupted or failed) and ``reason``."""
    io.write_json(Path(out) / RECORD, {**options, "status": status, "reason": reason})


@contextlib.contextmanager
def recording(out, options):
    """Mark the run running; if the block stops early, mark it interrupted (Ctrl-C) or failed, with why."""
    mark(out, options, "running")
    try:
        yield
    except KeyboardInterrupt:
        _mark_quietly(out, options, "interrupted", "interrupted by Ctrl-C (SIGINT)")
        raise
    except BaseException as err:
        _mark_quietly(out, options, "failed", f"{type(err).__name__}: {err}")
        raise


def _mark_quietly(out, options, status, reason):
    """Recording why a run stopped must not hide why it stopped (the disk may be full)."""
    with contextlib.suppress(OSError):
        mark(out, options, status, reason)
