"""``nnzoo run all --jobs N``: recipes run in worker processes give a sequential run's numbers, and a user
error, a killed worker and Ctrl-C end the way they end a sequential run (one line, exit 2 / 1 / 130, resumable)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from nnzoo import cli, core_share, parallel_runs, registry

HERE = Path(__file__).parent
DRIVER = HERE / "_jobs_driver.py"
CHEAP = ["activations", "losses"]  # a trained Keras model each, and a table computed by hand
LONG = "lr_schedules"  # five variants: still training seconds after its first progress line, so it can be interrupted


class Child:
    """``nnzoo run all`` over some recipes in its own process group, its stderr read as it comes."""

    def __init__(self, recipes, out, *options, env=None):
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER), ",".join(recipes), "--quick", "--out", str(out), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=HERE,
            start_new_session=True,
            env=env,
        )
        self.err_lines = []
        self._reader = threading.Thread(target=lambda: self.err_lines.extend(self.process.stderr), daemon=True)
        self._reader.start()

    def wait_for_line(self, text, timeout=120):
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.err_lines):
            assert time.monotonic() < deadline and self.process.poll() is None, "".join(self.err_lines)
            time.sleep(0.2)

    def workers(self):
        """The recipe workers (multiprocessing's resource tracker is a child too)."""
        pid = self.process.pid
        children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return [p for p in children if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def finish(self, timeout=300):
        out = self.process.stdout.read()
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code, out, "".join(self.err_lines)


def numbers(folder):
    """A run's table without its timings, and its claims' verdicts with their evidence."""
    table = pd.read_csv(folder / "results.csv")
    table = table.drop(columns=[c for c in table.columns if "second" in c or "time" in c])
    claims = [(c["claim"], c["passed"], c["evidence"]) for c in json.loads((folder / "claims.json").read_text())]
    return table, claims


@pytest.fixture
def only(monkeypatch):
    found = registry.recipes()
    return lambda names: monkeypatch.setattr(registry, "recipes", lambda: {n: found[n] for n in names})


def test_two_jobs_give_the_numbers_of_a_sequential_run(tmp_path, only, capsys):
    """Also: each worker's TensorFlow gets half the cores (the user's own thread variable kept)."""
    env = {k: v for k, v in os.environ.items() if k not in core_share.VARIABLES} | {"TF_NUM_INTEROP_THREADS": "3"}
    code, out, err = Child(CHEAP, tmp_path / "jobs", "--jobs", "2", "--quiet", env=env).finish()
    assert code == 0, err
    for name in CHEAP:
        threads = json.loads((tmp_path / "jobs" / name / "run.json").read_text())["tensorflow_threads"]
        assert threads == {"intra_op": max(1, core_share.cores() // 2), "inter_op": 3}
    assert f"{len(CHEAP)} recipes ran; all claims hold" in out and "Traceback" not in err
    only(CHEAP)
    assert cli.main(["run", "all", "--quick", "--quiet", "--out", str(tmp_path / "one")]) == 0
    for name in CHEAP:
        assert f"wrote {tmp_path / 'jobs' / name}" in out
        parallel, sequential = numbers(tmp_path / "jobs" / name), numbers(tmp_path / "one" / name)
        pd.testing.assert_frame_equal(parallel[0], sequential[0])
        assert parallel[1] == sequential[1]


@pytest.mark.parametrize("who", ["group", "parent"])
def test_ctrl_c_stops_every_worker_and_the_run_resumes(tmp_path, who, only, capsys):
    """Ctrl-C reaches the whole process group; ``kill -INT`` on the parent alone is passed on to the workers.
    The command it prints then finishes the run (here in this process, which has TensorFlow loaded already)."""
    out, recipes = tmp_path / "runs", [LONG, "losses"]
    child = Child(recipes, out, "--jobs", "2")
    child.wait_for_line(f"[{LONG}/")  # its first variant is training
    (os.killpg if who == "group" else os.kill)(child.process.pid, signal.SIGINT)
    code, _, err = child.finish()
    assert code == 130, err
    stopped = err.split("interrupted; stopped ")[1].split(";")[0].split(", ")
    assert LONG in stopped and "Traceback" not in err, err
    assert json.loads((out / LONG / "run.json").read_text())["status"] != "finished"
    resume = err.split("resume with: ")[1].split()
    assert resume[:5] == ["nnzoo", "run", "all", "--out", str(out)] and resume[-1] == "--resume"
    if who == "parent":
        return  # the resume below is the same either way

    only(recipes)
    assert cli.main(resume[1:] + ["--quiet"]) == 0
    assert "2 recipes ran" in capsys.readouterr().out
    assert all(json.loads((out / n / "run.json").read_text())["status"] == "finished" for n in recipes)


def test_a_killed_worker_ends_the_run_with_one_line(tmp_path):
    child = Child([LONG, *CHEAP], tmp_path / "runs", "--jobs", "2")
    child.wait_for_line(f"[{LONG}/")
    for worker in child.workers():
        os.kill(worker, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    code, _, err = child.finish()
    assert code == 1
    assert "crashed in its worker process (exit -9); see above" in err and "Traceback" not in err


def test_a_killed_parent_leaves_its_workers_to_finish_the_recipe_in_hand(tmp_path):
    out = tmp_path / "runs"
    child = Child([LONG], out, "--jobs", "2")
    child.wait_for_line(f"[{LONG}/")
    (worker,) = child.workers()
    os.kill(child.process.pid, signal.SIGKILL)
    child.finish()
    deadline = time.monotonic() + 120
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not Path(f"/proc/{worker}").exists() or Path(f"/proc/{worker}/stat").read_text().split()[2] == "Z"
    assert json.loads((out / LONG / "run.json").read_text())["status"] == "finished"
    assert "Traceback" not in "".join(child.err_lines)


def test_a_user_error_in_a_worker_is_one_line_and_keeps_the_users_files(tmp_path):
    out = tmp_path / "runs"
    (out / "losses").mkdir(parents=True)
    (out / "losses" / "notes.txt").write_text("mine")
    code, _, err = Child(CHEAP, out, "--jobs", "2", "--quiet", "--resume").finish()
    assert code == 2
    assert err.strip().endswith("so it is not an nnzoo run folder. Received: out=" + repr(str(out / "losses")))
    assert "Traceback" not in err and (out / "losses" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "all", "--jobs", "0"], "--jobs must be"),
        (["run", "all", "--jobs", "65"], "--jobs must be"),
        (["run", "losses", "--jobs", "2"], "it needs 'all'"),
        (["run", "all", "--jobs", "2", "--strategy", "mirrored"], "it needs 'all'"),
        (["run", "all", "--jobs", "2", "--workers", "2"], "it needs 'all'"),
    ],
)
def test_bad_jobs_is_one_line(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_recipes_are_handed_out_longest_first_by_their_measured_time():
    costs, names = parallel_runs.recipe_costs(), list(registry.recipes())
    for size in ("quick", "full"):
        assert set(costs[size]) == set(names), "a new recipe needs its time: python benchmarks/run_all.py --record"
        tasks = [(name, None, False) for name in names]
        order = [name for name, _, _ in parallel_runs.longest_first(tasks, quick=size == "quick")]
        assert [costs[size][name] for name in order] == sorted(costs[size].values(), reverse=True)
    unmeasured = parallel_runs.longest_first([("losses", None, False), ("new", None, False)], quick=True)
    assert [name for name, _, _ in unmeasured] == ["new", "losses"]
