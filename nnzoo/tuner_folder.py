"""A search folder nnzoo can prove it made: the marker file it writes first, and the names it writes.

``--overwrite`` empties only such a folder, and only of those names; anything else (a file, a folder of
the user's, a search beside files nnzoo did not write) stops with a one-line error and nothing touched.
"""

import os
import shutil
from pathlib import Path

from nnzoo import io
from nnzoo.errors import NnzooError

MARKER = ".nnzoo-search"
# Every top-level name a search writes (search/ is KerasTuner's project, tensorboard/ the HParams logs).
OWN_NAMES = {
    MARKER,
    "search.json",
    "trials.csv",
    "summary.md",
    "objective_per_hyperparameter.png",
    "best_so_far.png",
    "best",
    "search",
    "executions",
    "tensorboard",
}


def is_own(name):
    """A name a search writes, or a temporary file of nnzoo.io's left by a kill (``.stem.XXXX.partial...``)."""
    return name in OWN_NAMES or (name.startswith(".") and ".partial" in name) or name.startswith(".nnzoo-probe-")


def is_search(out):
    return (Path(out) / MARKER).is_file()


def check(out, overwrite):
    """Refuse, before anything is written, a --out that is not a new, empty or nnzoo search folder;
    with ``overwrite``, also one holding names a search never writes."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NnzooError(
            f"--out {str(out)!r} is a file, not a folder: nnzoo writes a search into a new, empty "
            f"or earlier search folder. Received: out={str(out)!r}"
        )
    if not out.is_dir():
        return
    names = sorted(os.listdir(out))
    if not is_search(out):
        if names:
            rule = (
                "--overwrite empties only a folder nnzoo wrote"
                if overwrite
                else "a new search needs a new or empty folder"
            )
            raise NnzooError(
                f"--out {str(out)!r} is not empty and holds no nnzoo search (no {MARKER} file): {rule}; "
                f"choose another --out. Received: out={str(out)!r}"
            )
        return
    foreign = [name for name in names if not is_own(name)]
    if overwrite and foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise NnzooError(
            f"--out {str(out)!r} holds a search and {len(foreign)} file(s) nnzoo did not write "
            f"({shown}): --overwrite removes only a folder nnzoo wrote; move them or choose another "
            f"--out. Received: out={str(out)!r}"
        )


def empty(out):
    """Remove what a search wrote in ``out`` (checked by :func:`check` first), keeping the folder itself."""
    out = Path(out)
    for name in os.listdir(out):
        path = out / name
        if name == MARKER or not is_own(name):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (out / MARKER).unlink()


def create(out):
    """Make ``out`` a search folder: writable, with the marker written before anything else."""
    io.ensure_writable_dir(out)
    io.write_text(Path(out) / MARKER, "This folder holds an nnzoo tune search; `--overwrite` may empty it.\n")
