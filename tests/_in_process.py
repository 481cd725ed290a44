"""nnzoo's commands run by ``cli.main`` in the test's own process, where TensorFlow is loaded already: the
command's whole code path (arguments, errors, exit status, output) without the 3 s of CPU a fresh process
pays to load TensorFlow. Each command the suite runs this way also runs as a real command in another test."""

import contextlib
import io
import subprocess

from nnzoo import cli


def nnzoo(*args):
    """``nnzoo ARGS`` run here, as a CompletedProcess (returncode, stdout, stderr)."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return subprocess.CompletedProcess(["nnzoo", *argv], code, out.getvalue(), err.getvalue())
