"""The scratch optimizers inside Keras: compile/fit, .keras save and reload in a fresh process,
jit_compile=True, and tf.distribute.MirroredStrategy over two logical CPU devices.

The parent trains each scratch optimizer and its built-in twin, saves the scratch model after
EPOCHS_BEFORE_SAVE epochs (when it is compared with the built-in) and keeps training it (the
uninterrupted run). One subprocess
(_optimizers_fresh_process.py) then reloads the saved models and continues them, and trains the
scratch optimizer again under XLA and under MirroredStrategy, to compare with the built-in's weights
after as many steps.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _optimizers_fresh_process as fresh  # noqa: E402
from nnzoo.custom_optimizers import TWINS  # noqa: E402

STEPS_PER_EPOCH = 128 // fresh.BATCH


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("optimizers")
    parent = {}
    for name, (scratch, builtin) in TWINS.items():
        model = fresh.compiled_model(fresh.optimizer(name, scratch))
        parent[f"{name}/initial"] = model.get_weights()
        parent[f"{name}/at_save"] = fresh.fit(model, fresh.EPOCHS_BEFORE_SAVE)
        model.save(workdir / f"{name}.keras")
        parent[f"{name}/uninterrupted"] = fresh.fit(model, fresh.EPOCHS_AFTER_SAVE)
        parent[f"{name}/builtin_at_save"] = fresh.fit(
            fresh.compiled_model(fresh.optimizer(name, builtin)), fresh.EPOCHS_BEFORE_SAVE
        )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, fresh.__file__, str(workdir)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    stored = np.load(workdir / "fresh.npz")
    child = {}
    for key in stored.files:
        run, index = key.rsplit("/", 1)
        child.setdefault(run, {})[int(index)] = stored[key]
    child = {run: [ws[i] for i in sorted(ws)] for run, ws in child.items()}
    return parent, child, json.loads((workdir / "fresh.json").read_text())


def max_diff(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


@pytest.mark.parametrize("name", list(TWINS))
def test_fit_matches_the_builtin(runs, name):
    parent, _, _ = runs
    assert max_diff(parent[f"{name}/at_save"], parent[f"{name}/builtin_at_save"]) <= 1e-6
    assert max_diff(parent[f"{name}/builtin_at_save"], parent[f"{name}/initial"]) > 1e-3  # training moved them


@pytest.mark.parametrize("name", list(TWINS))
def test_reloaded_in_a_fresh_process_continues_like_an_uninterrupted_run(runs, name):
    parent, child, facts = runs
    assert facts[name]["class"] == TWINS[name][0].__name__
    assert facts[name]["iterations"] == fresh.EPOCHS_BEFORE_SAVE * STEPS_PER_EPOCH
    assert max_diff(child[f"{name}/resumed"], parent[f"{name}/uninterrupted"]) <= 1e-6
    assert max_diff(parent[f"{name}/uninterrupted"], parent[f"{name}/at_save"]) > 1e-4  # it kept training


@pytest.mark.parametrize("name", list(TWINS))
def test_jit_compiled_fit_gives_the_builtins_result(runs, name):
    parent, child, _ = runs
    assert max_diff(child[f"{name}/jit"], parent[f"{name}/builtin_at_save"]) <= 1e-5


@pytest.mark.parametrize("name", list(TWINS))
def test_mirrored_strategy_on_two_devices_gives_the_builtins_result(runs, name):
    parent, child, facts = runs
    assert facts[name]["replicas"] == 2
    assert max_diff(child[f"{name}/mirrored"], parent[f"{name}/builtin_at_save"]) <= 1e-5
