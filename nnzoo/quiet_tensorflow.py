"""Load TensorFlow without its C++ start-up lines ("Could not find cuda drivers", "failed call to cuInit",
CPU feature notices), which would otherwise come before nnzoo's own first line, and without paying
Python's garbage collector on every object the import makes.

Some lines are written before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so the import runs with file
descriptor 2 sent to a temporary file, shown only if the import fails. Level 3 then keeps the
C++ log quiet at run time; errors still reach the user as Python exceptions. Set
TF_CPP_MIN_LOG_LEVEL=0 to see everything. Numerics are untouched (oneDNN stays as TensorFlow sets it).

Importing TensorFlow and Keras makes about 700,000 objects that live as long as the process. With the
collector on, the import itself runs about 7 full collections over them (0.75 s of a 4.5 s import), and
each later full collection walks them again (0.33 s each, a few per recipe). So the collector is off
while they are imported, and they are then frozen (`gc.freeze`: left out of every later collection;
reference counting still frees them). What was garbage before the import is collected first, so
nothing of the caller's is frozen uncollected; the import's own few thousand cyclic leftovers stay.
"""

import gc
import os
import sys
import tempfile


def load():
    """Import TensorFlow and Keras quietly (once per process)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    gc.collect()
    collecting = gc.isenabled()
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        gc.disable()
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            if collecting:
                gc.enable()
            os.dup2(saved, 2)
            os.close(saved)
    gc.freeze()
