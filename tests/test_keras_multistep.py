"""Multi-step execution under MirroredStrategy on two logical CPUs (nnzoo/keras_multistep.py): with the
correction, steps_per_execution 3 and the default (8, a whole epoch per call) give the weights and losses of
one step per call; without it, Keras 3's multi-step fit still fails as the module docstring says."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = str(Path(__file__).with_name("_multistep_mirrored.py"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("multistep") / "mirrored"
    proc = subprocess.run([sys.executable, SCRIPT, str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return np.load(f"{out}.npz"), json.loads(Path(f"{out}.json").read_text())


def _largest_difference(arrays, a, b):
    return max(
        float(np.abs(arrays[k] - arrays[k.replace(f"{a}/", f"{b}/", 1)]).max())
        for k in arrays.files
        if k.startswith(f"{a}/")
    )


def test_each_run_used_the_steps_per_execution_it_claims(runs):
    _, facts = runs
    assert facts["replicas"] == 2
    used = {name: run["steps_per_execution"] for name, run in facts["runs"].items()}
    assert used == {"spe1": 1, "spe3": 3, "default": 8}  # 256 examples in batches of 32: 8 steps per epoch
    assert {run["iterations"] for run in facts["runs"].values()} == {3 * 8}
    assert {run["epochs"] for run in facts["runs"].values()} == {3}


@pytest.mark.parametrize("name", ["spe3", "default"])
def test_multi_step_equals_one_step_per_call(runs, name):
    arrays, _ = runs
    assert _largest_difference(arrays, name, "spe1") < 1e-5


def test_without_the_correction_multi_step_fit_fails(runs):
    _, facts = runs
    assert (
        facts["without_fixes"] is not None and "You must feed a value for placeholder tensor" in facts["without_fixes"]
    )
