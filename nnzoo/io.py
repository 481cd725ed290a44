"""Atomic file output: nothing half-written is ever left under a final name.

A file is written to a dot-named temporary beside its final name, flushed to disk (fsync) and
renamed into place, so a kill or a power cut leaves either the previous file or the new one.
Temporary files are created with mode 0666 less the umask, as ``open()`` would create the file.
An OSError raised while writing names the final file, so the CLI can say which file failed.
"""

import contextlib
import json
import os
import secrets
import tempfile
from pathlib import Path

from nnzoo.errors import NnzooError

PARTIAL = ".partial"  # in the name of every temporary file nnzoo writes (and may remove)
PROBE_PREFIX = ".nnzoo-probe-"  # the file that checks a folder is writable


def ensure_writable_dir(path):
    """Create ``path`` (and parents) or raise NnzooError saying why it cannot be written."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=PROBE_PREFIX, delete=True)
        probe.close()
    except OSError as err:
        raise NnzooError(
            f"Output folder {str(path)!r} cannot be written ({err.strerror or err}). Received: out={str(path)!r}"
        ) from None
    return path


def is_partial(path):
    """Whether ``path`` is the name of a temporary file left by an interrupted atomic write."""
    name = Path(path).name
    return name.startswith(".") and PARTIAL in name


@contextlib.contextmanager
def atomic_path(final):
    """Yield a temporary path beside ``final``; fsync it and rename it into place only if the block succeeds.

    The temporary name keeps the final suffix (Keras insists on ``.keras``) and starts with
    a dot so that an interrupted write never looks like a finished file.
    """
    final = Path(final)
    tmp = final.with_name(f".{final.stem}.{secrets.token_hex(4)}{PARTIAL}{final.suffix}")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        _fsync(tmp)
        os.replace(tmp, final)
        _fsync(final.parent)  # the rename itself survives a power cut
    except OSError as err:
        if err.filename in (None, str(tmp), tmp):
            raise type(err)(err.errno, err.strerror or str(err), str(final)) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fsync(path):
    """Flush a file's (or a folder's) data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
