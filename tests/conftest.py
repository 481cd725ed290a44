"""Shared test setup: quiet TensorFlow, and one quick batchnorm run reused by several modules."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from nnzoo import quiet_tensorflow  # noqa: E402


def pytest_configure(config):
    """Each process that runs tests loads TensorFlow as nnzoo's commands do (nnzoo.quiet_tensorflow): its
    objects are then left out of the collections that the suite's thousands of models set off. xdist's
    controller runs no test, so it does not load it."""
    xdist_controller = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    if not xdist_controller:
        quiet_tensorflow.load()


@pytest.fixture(scope="session")
def batchnorm_run(tmp_path_factory):
    """The batchnorm recipe in quick mode, seed 0, run once per test session."""
    import nnzoo

    out = tmp_path_factory.mktemp("runs") / "batchnorm"
    return nnzoo.run("batchnorm", quick=True, seed=0, out=out, verbose=0)


@pytest.fixture(scope="session")
def verdicts_can_fail():
    """``verdicts_can_fail(module, run, contradictions)``: see _assert_verdicts_can_fail."""
    return _assert_verdicts_can_fail


def _assert_verdicts_can_fail(module, run, contradictions):
    """Every claim of ``run`` is judged by a verdict in ``module`` that holds on none of ``contradictions``.

    ``contradictions`` maps a verdict's name to numbers that contradict the lecture; the rest of its arguments
    are the ones this run measured, so each contradiction alone turns the claim.
    """
    measured = {c.verdict: c.measured for c in run.claims}
    assert set(measured) == set(contradictions), "every verdict needs a contradiction, and only those"
    for name, numbers in contradictions.items():
        assert not getattr(module, name)(**{**measured[name], **numbers}), (name, numbers)
