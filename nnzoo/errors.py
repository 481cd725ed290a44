"""The one exception type for bad user input.

It subclasses ValueError, so Python callers get the conventional type, and the CLI
turns it into a one-line message and exit status 2 instead of a traceback.
"""


class NnzooError(ValueError):
    """Bad user input: an unknown name, an option out of range, an unwritable path, a corrupt file."""


def unknown_name(kind, received, allowed):
    """The standard message for a name that is not one of ``allowed``."""
    return NnzooError(
        f"Unknown {kind} {received!r}; expected one of: {', '.join(sorted(allowed))}. Received: {kind}={received!r}"
    )


def check_range(name, value, low=None, high=None, *, integer=False):
    """Return ``value`` if it lies in [low, high], else raise NnzooError naming the allowed range."""
    kind = int if integer else (int, float)
    bad_type = isinstance(value, bool) or not isinstance(value, kind) or value != value  # NaN is no number here
    if bad_type or (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        what = "an integer" if integer else "a number"
        raise NnzooError(f"{name} must be {what} in [{lo}, {hi}]. Received: {name}={value!r}")
    return value


def check_seed(seed, name="seed"):
    """The one seed check: Keras seeds are non-negative 32-bit integers, 0 included."""
    return check_range(name, seed, 0, 2**31 - 1, integer=True)


def user_path(text):
    """An argparse ``type`` for a path option: refuse what no file system accepts (a NUL byte, a name over
    255 bytes, a path over 4096), so the user reads what is wrong instead of an OSError."""
    import argparse
    import os
    from pathlib import Path

    encoded = os.fsencode(text)
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if b"\0" in encoded or longest > 255 or len(encoded) > 4096:
        raise argparse.ArgumentTypeError(
            f"a path must have no NUL byte, names of at most 255 bytes and at most 4096 bytes in all; "
            f"received {len(encoded)} bytes with a name of {longest}"
        )
    return Path(text)
