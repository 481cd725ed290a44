"""Atomic file output: nothing half-written is ever left under a final name."""

import contextlib
import json
import os
import tempfile
from pathlib import Path

from nnzoo.errors import NnzooError


def ensure_writable_dir(path):
    """Create ``path`` (and parents) or raise NnzooError saying why it cannot be written."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".nnzoo-probe-", delete=True)
        probe.close()
    except OSError as err:
        raise NnzooError(
            f"Output folder {str(path)!r} cannot be written ({err.strerror or err}). "
            f"Received: out={str(path)!r}"
        ) from None
    return path


@contextlib.contextmanager
def atomic_path(final):
    """Yield a temporary path beside ``final``; rename it into place only if the block succeeds.

    The temporary name keeps the final suffix (Keras insists on ``.keras``) and starts with
    a dot so that an interrupted write never looks like a finished file.
    """
    final = Path(final)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=".partial" + final.suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(value):
    """Make numpy scalars/arrays and paths JSON-serialisable."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
