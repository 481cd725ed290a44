"""Keras's own optimizer unit tests (from the installed wheel, golden values included), run on the scratch classes.

Each test file is copied into a temporary directory with the built-in rebound to its scratch twin:
``from keras.src.optimizers.sgd import SGD`` becomes ``ScratchSGD as SGD``, and in the shared
optimizer_test.py / optimizer_sparse_test.py the module ``optimizers`` is replaced by a stand-in
whose SGD, Adagrad, Adadelta, RMSprop, Adam and ``get`` give the scratch classes. The copies run in
one pytest subprocess; every collected case must pass except the ones listed in LEFT_OUT.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import keras

KERAS_TESTS = Path(keras.__file__).parent / "src" / "optimizers"
OWN_FILES = {
    "sgd_test.py": "SGD",
    "adagrad_test.py": "Adagrad",
    "adadelta_test.py": "Adadelta",
    "rmsprop_test.py": "RMSprop",
    "adam_test.py": "Adam",
}
SHARED_FILES = ("optimizer_test.py", "optimizer_sparse_test.py")
OTHERS = ("adamw", "adamax", "lion", "nadam", "ftrl", "adafactor", "scatter_update")

# Cases that cannot say anything about a scratch class, with the reason (node-id substring -> reason).
LEFT_OUT = {
    "test_optimizer_auto_naming": "asserts names derived from the class name ('adam', 'sgd'); a scratch "
    "class is auto-named 'scratch_adam', and AdamW is not reimplemented",
    **{
        f"test_{kind}_{other}": "runs a Keras optimizer nnzoo does not reimplement (no scratch class involved)"
        for kind in ("sparse_gradients", "sparse_correctness")
        for other in OTHERS
    },
    **{
        f"test_{kind}{n}": "parameterized over Keras optimizers nnzoo does not reimplement (no scratch class)"
        for kind in ("gradient_accumulation_with_weigth_decay", "pickleable_optimizers")
        for n in (2, 6, 7, 8, 9, 10)
    },
}

STAND_IN = '''"""keras.src.optimizers with the five built-ins replaced by nnzoo's scratch classes."""
from keras.src.optimizers import *  # noqa: F401,F403
from keras.src import optimizers as _keras
from nnzoo.custom_optimizers import TWINS as _TWINS

Optimizer = _keras.Optimizer
schedules = _keras.schedules
SGD, Adagrad, Adadelta, RMSprop, Adam = (_TWINS[n][0] for n in ("sgd", "adagrad", "adadelta", "rmsprop", "adam"))


def get(identifier):
    """keras.optimizers.get, giving the scratch class for the five names."""
    if isinstance(identifier, str) and identifier.lower() in _TWINS:
        return _TWINS[identifier.lower()][0]()
    if isinstance(identifier, dict) and identifier.get("class_name", "").lower() in _TWINS:
        return _TWINS[identifier["class_name"].lower()][0].from_config(identifier.get("config", {}))
    return _keras.get(identifier)
'''


def _prepare(tmp_path):
    (tmp_path / "scratch_optimizers.py").write_text(STAND_IN)
    for name, builtin in OWN_FILES.items():
        source = (KERAS_TESTS / name).read_text()
        module = name.removesuffix("_test.py")
        original = f"from keras.src.optimizers.{module} import {builtin}"
        assert original in source, f"{name}: import line not found"
        (tmp_path / name).write_text(
            source.replace(original, f"from nnzoo.custom_optimizers import Scratch{builtin} as {builtin}")
        )
    for name in SHARED_FILES:
        source = (KERAS_TESTS / name).read_text()
        original = "from keras.src import optimizers\n"
        assert original in source, f"{name}: import line not found"
        (tmp_path / name).write_text(source.replace(original, "import scratch_optimizers as optimizers\n"))


def test_keras_own_optimizer_tests_pass_on_scratch_classes(tmp_path):
    _prepare(tmp_path)
    report = tmp_path / "report.xml"
    deselect = " and ".join(f"not {key}" for key in LEFT_OUT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            deselect,
            f"--junitxml={report}",
            *OWN_FILES,
            *SHARED_FILES,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    ran = {
        (case.get("classname").split(".")[0], case.get("name"))
        for case in ET.parse(report).iter("testcase")
        if case.find("skipped") is None
    }
    assert len(ran) >= 80, sorted(ran)  # 85 with keras 3.15.1: 34 own-file cases, 51 shared ones
    for file in OWN_FILES:  # each optimizer's golden values were reproduced by its scratch class
        assert (file.removesuffix(".py"), "test_correctness_with_golden") in ran
    for kind in ("sparse_gradients", "sparse_correctness"):
        for case in ("sgd_momentum_nesterov", "rmsprop_momentum_centered", "adam_amsgrad", "adagrad", "adadelta"):
            assert ("optimizer_sparse_test", f"test_{kind}_{case}") in ran
