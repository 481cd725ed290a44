"""nnzoo.core_share: TensorFlow's thread variables for processes side by side, and what run.json records."""

import os

import pytest
import tensorflow as tf

from nnzoo import core_share


@pytest.mark.parametrize("processes", [1, 2, 3, 64])
def test_the_cores_are_divided_among_the_processes(processes, monkeypatch):
    monkeypatch.setattr(core_share, "cores", lambda: 8)
    share = str(max(1, 8 // processes))
    assert core_share.thread_variables(processes, environ={}) == dict.fromkeys(core_share.VARIABLES, share)


def test_the_users_own_thread_variables_are_kept():
    environ = {"TF_NUM_INTRAOP_THREADS": "5", "PATH": "/bin"}
    found = core_share.thread_variables(2, environ=environ)
    assert found["TF_NUM_INTRAOP_THREADS"] == "5"
    assert found["TF_NUM_INTEROP_THREADS"] == str(max(1, core_share.cores() // 2))


def test_cores_is_this_process_affinity():
    assert core_share.cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    "written, expected",
    [("3", 3), (" 2 ", 2), (None, "cores"), ("0", "cores"), ("many", "cores")],  # 0 and junk: TensorFlow's default
)
def test_run_json_records_the_threads_the_variables_give(written, expected, monkeypatch):
    for name in core_share.VARIABLES:
        if written is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, written)
    expected = core_share.cores() if expected == "cores" else expected
    assert core_share.tensorflow_threads() == {"intra_op": expected, "inter_op": expected}


def test_run_json_records_threads_set_through_tf_config(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: 7)
    assert core_share.tensorflow_threads()["intra_op"] == 7
