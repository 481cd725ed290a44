"""nnzoo tune never deletes what it did not write (--overwrite only empties its own search folder), refuses
an objective the model does not report before the first trial, and records failed trials: a search whose
trials all failed exits 1 with no best model."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _in_process import nnzoo

from nnzoo import training, tuner_folder

TUNE = [sys.executable, "-m", "nnzoo", "tune", "batchnorm", "--quick"]


def tune(*args, env=None):
    return subprocess.run([*TUNE, *map(str, args)], capture_output=True, text=True, timeout=600, env=env)


def tune_here(*args):
    """The same command in this process, for the cases that load TensorFlow (the refusals above run commands)."""
    return nnzoo(*TUNE[3:], *args)


def listing(folder):
    """Every path under ``folder`` with its bytes (files) or None (folders)."""
    return {p: p.read_bytes() if p.is_file() else None for p in sorted(Path(folder).rglob("*"))}


def user_folder(path):
    path.mkdir(parents=True)
    (path / "thesis.tex").write_text("years of work")
    (path / "data").mkdir()
    (path / "data" / "results.csv").write_text("a,b\n1,2\n")
    return path


def fake_search(path, *extra):
    """A folder as a search leaves it (marker, record, table), plus ``extra`` user files."""
    path.mkdir(parents=True)
    (path / tuner_folder.MARKER).write_text("search\n")
    (path / "search.json").write_text("{}")
    (path / "trials.csv").write_text("trial\n0\n")
    for name in extra:
        (path / name).write_text("mine")
    return path


def refused(proc, needle):
    """Exit 2 with the error on one line (TensorFlow's start-up chatter may come before it)."""
    last = proc.stderr.strip().splitlines()[-1]
    return (
        proc.returncode == 2
        and last.startswith("nnzoo tune: error: ")
        and needle in last
        and "Traceback" not in proc.stderr
    )


@pytest.mark.parametrize("overwrite", [True, False])
def test_a_folder_of_user_files_is_refused_and_survives(tmp_path, overwrite):
    folder = user_folder(tmp_path / "mine")
    before = listing(folder)
    proc = tune("--out", folder, *(["--overwrite"] if overwrite else []))
    assert refused(proc, "holds no nnzoo search"), proc.stderr
    assert listing(folder) == before


def test_a_file_root_and_home_are_refused(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    assert refused(tune("--out", a_file, "--overwrite"), "is a file, not a folder")
    assert a_file.read_text() == "keep"
    assert refused(tune("--out", "/", "--overwrite"), "holds no nnzoo search")
    home = user_folder(tmp_path / "home")
    before = listing(home)
    proc = tune("--out", Path("~").expanduser(), "--overwrite", env={**os.environ, "HOME": str(home)})
    assert refused(proc, "holds no nnzoo search") and listing(home) == before


def test_a_search_beside_user_files_is_not_overwritten(tmp_path):
    folder = fake_search(tmp_path / "mixed", "my_notes.md")
    before = listing(folder)
    proc = tune("--out", folder, "--overwrite")
    assert refused(proc, "1 file(s) nnzoo did not write (my_notes.md)"), proc.stderr
    assert listing(folder) == before


def test_overwrite_empties_an_nnzoo_search_and_runs_a_new_one(tmp_path):
    folder = fake_search(tmp_path / "old")
    proc = tune_here("--out", folder, "--overwrite", "--max-trials", 1)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(pd.read_csv(folder / "trials.csv")) == 1 and (folder / tuner_folder.MARKER).exists()


def test_unknown_objective_is_refused_before_the_first_trial(tmp_path):
    folder = fake_search(tmp_path / "search")
    before = listing(folder)
    proc = tune_here("--objective", "val_mae", "--out", folder, "--overwrite")
    assert refused(proc, "does not report 'val_mae'; it reports val_accuracy, val_loss"), proc.stderr[-2000:]
    assert "[tune] trial" not in proc.stderr and listing(folder) == before


def test_a_search_whose_trials_all_fail_exits_1_without_a_best_model(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the GPU caught fire")

    monkeypatch.setattr(training, "train", broken)
    out = tmp_path / "failed"
    proc = tune_here("--max-trials", "2", "--out", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "all 2 trial(s) failed, so there is no best model" in proc.stderr
    assert "[tune] trial 0 failed: RuntimeError: the GPU caught fire" in proc.stderr
    trials = pd.read_csv(out / "trials.csv")
    assert list(trials["status"]) == ["FAILED", "FAILED"]
    assert (trials["error"] == "RuntimeError: the GPU caught fire").all()
    assert not (out / "best").exists() and not (out / "summary.md").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--tuner", "hyperband", "--max-trials", "6"], "Hyperband runs the trials of its own schedule"),
        (["--tuner", "hyperband", "--folds", "3"], "use --folds 1 with hyperband"),
        (["--max-trials", "0"], "--max-trials must be an integer in [1, 10000]"),
    ],
)
def test_hyperband_and_trial_count_user_errors(args, needle):
    assert refused(tune(*args), needle)
