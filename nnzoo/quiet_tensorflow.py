"""Load TensorFlow without its C++ start-up lines ("Could not find cuda drivers", "failed call to cuInit",
CPU feature notices), which would otherwise come before nnzoo's own first line.

Some are written before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so the import runs with file
descriptor 2 sent to a temporary file, shown only if the import fails. Level 3 then keeps the
C++ log quiet at run time; errors still reach the user as Python exceptions. Set
TF_CPP_MIN_LOG_LEVEL=0 to see everything. Numerics are untouched (oneDNN stays as TensorFlow sets it).
"""

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
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
