"""Shared test setup: quiet TensorFlow, and one quick batchnorm run reused by several modules."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def batchnorm_run(tmp_path_factory):
    """The batchnorm recipe in quick mode, seed 0, run once per test session."""
    import nnzoo

    out = tmp_path_factory.mktemp("runs") / "batchnorm"
    return nnzoo.run("batchnorm", quick=True, seed=0, out=out, verbose=0)
