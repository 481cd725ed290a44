"""nnzoo tune on tiny budgets: results, resume, the search-mismatch error,
K-fold arithmetic, coarse-to-fine ranges, a chief and two workers on loopback, and the user errors.
The module's search, the cluster and the user errors run as commands; resume, refine and K-fold run the
same command in the test's process (tests/_in_process.py)."""

import json
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from _in_process import nnzoo

from nnzoo import registry, tuner_options, tuner_search

TUNE = [sys.executable, "-m", "nnzoo", "tune", "batchnorm", "--quick", "--seed", "1"]


ODD_WORKER = "import sys; from nnzoo import cli; print(cli.main(sys.argv[1:]), 'tensorflow' in sys.modules)"


def tune(*args, timeout=600):
    return subprocess.run([*TUNE, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def tune_here(*args):
    """The same search in this process (the module's search and the cluster tests run the command)."""
    return nnzoo(*TUNE[3:], *args)


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    out = tmp_path_factory.mktemp("tune") / "coarse"
    proc = tune("--max-trials", 3, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


def test_results_summary_and_best_model(search):
    out, proc = search
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 3 and set(trials["status"]) == {"COMPLETED"}
    assert {"learning_rate", "placement", "units", "batch_size", "epochs", "objective", "seconds"} <= set(trials)
    assert "[tune] trial 3 of 3" in proc.stderr and "best so far" in proc.stderr
    summary = (out / "summary.md").read_text()
    assert "## Best hyperparameters" in summary and "evaluated once on the test split" in summary
    meta = json.loads((out / "best" / "best.json").read_text())
    assert meta["recipe"] == "batchnorm" and meta["hyperparameters"]["placement"] in ("plain", "bn_after", "bn_before")
    assert (out / "best" / "best.keras").exists()
    assert (out / "objective_per_hyperparameter.png").exists() and (out / "best_so_far.png").exists()
    space = json.loads((out / "search.json").read_text())["space"]["space"]
    assert next(e for e in space if e["config"]["name"] == "learning_rate")["config"]["sampling"] == "log"


def test_same_command_resumes_without_rerunning(search, tmp_path):
    out = tmp_path / "coarse"  # a copy: the module's search stays as it was for the other tests
    shutil.copytree(search[0], out)
    before = pd.read_csv(out / "trials.csv")
    proc = tune_here("--max-trials", 4, "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = pd.read_csv(out / "trials.csv")
    assert len(after) == 4 and "resuming" in proc.stderr and "trial 4 of 4" in proc.stderr
    assert "trial 1 of" not in proc.stderr  # the three finished trials were not rerun
    pd.testing.assert_frame_equal(after.iloc[:3][before.columns].reset_index(drop=True), before)


def test_different_search_in_the_same_folder_is_refused(search):
    out, _ = search
    proc = tune("--max-trials", 2, "--objective", "val_accuracy", "--out", out)
    assert proc.returncode == 2 and "holds a different search" in proc.stderr and "Traceback" not in proc.stderr


def test_refine_narrows_ranges_around_the_best(search, tmp_path):
    out, _ = search
    before = (out / "trials.csv").read_bytes()
    overrides, narrowed, _ = tuner_search.refined_overrides(out, top=1)
    coarse = pd.read_csv(out / "trials.csv").sort_values("objective").head(1)
    lr = narrowed["learning_rate"]
    assert lr["from"] == [1e-3, 1.0] and lr["sampling"] == "log"
    assert 1e-3 <= lr["to"][0] <= coarse["learning_rate"].min() <= coarse["learning_rate"].max() <= lr["to"][1] <= 1.0
    assert np.log(lr["to"][1] / lr["to"][0]) < np.log(1e3)
    fine = tmp_path / "fine"
    proc = tune_here("--max-trials", 2, "--refine-from", out, "--top", 1, "--out", fine)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads((fine / "search.json").read_text())
    assert record["chain"] == [str(out.resolve())] and "learning_rate" in record["refined"]
    assert all(lr["to"][0] <= v <= lr["to"][1] for v in pd.read_csv(fine / "trials.csv")["learning_rate"])
    assert (out / "trials.csv").read_bytes() == before  # the earlier search is never modified


def test_kfold_objective_is_the_mean_of_the_folds(tmp_path):
    proc = tune_here("--max-trials", 1, "--folds", 3, "--out", tmp_path / "kfold")
    assert proc.returncode == 0, proc.stderr[-2000:]
    row = pd.read_csv(tmp_path / "kfold" / "trials.csv").iloc[0]
    folds = [row[f"val_loss_fold{k}"] for k in range(3)]
    assert row["objective"] == pytest.approx(np.mean(folds), rel=1e-6)
    assert row["val_loss_std"] == pytest.approx(np.std(folds), rel=1e-6)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(path, needle, proc, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and needle in path.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not printed (exit {proc.poll()}): {path.read_text()[-2000:]}")


def test_chief_and_two_workers_on_loopback_equal_the_single_process_search(search, tmp_path):
    single, _ = search
    out, oracle = tmp_path / "cluster", f"127.0.0.1:{free_port()}"
    common = ["--max-trials", "3", "--out", str(out), "--oracle", oracle]
    with open(tmp_path / "chief.err", "w") as chief_err:
        chief = subprocess.Popen([*TUNE, *common, "--chief"], stdout=subprocess.PIPE, stderr=chief_err, text=True)
    procs = [chief]
    try:
        wait_for_line(tmp_path / "chief.err", "oracle serving on", chief)
        odd = subprocess.run(  # a user error, said before TensorFlow loads
            [sys.executable, "-c", ODD_WORKER, *TUNE[3:], *common, "--worker", "--tuner-id", "odd", "--objective",
             "val_accuracy"],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert odd.stdout.split() == ["2", "False"] and "differ from the chief's" in odd.stderr
        assert "Traceback" not in odd.stderr
        procs += [
            subprocess.Popen(
                [*TUNE, *common, "--worker", "--tuner-id", f"w{i}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in (1, 2)
        ]
        workers = [p.communicate(timeout=300) for p in procs[1:]]
        chief_out, _ = chief.communicate(timeout=120)  # the chief stops by itself once the trials are done
    finally:
        for p in procs:
            p.kill()
    log = (tmp_path / "chief.err").read_text()
    assert [p.returncode for p in procs] == [0, 0, 0], log[-2000:] + "".join(e[-2000:] for _, e in workers)
    records = tuner_search.execution_records(out).query("status != 'RUNNING'")
    assert sorted(records["trial"]) == ["0", "1", "2"]  # every trial ran exactly once ...
    assert set(records["tuner"]) <= {"w1", "w2"} and set(records["status"]) == {"COMPLETED"}  # ... on a worker
    ran = sorted(t for stdout, _ in workers for t in stdout.split(": ")[-1].strip().split(", ") if t != "-")
    assert ran == ["0", "1", "2"]
    assert "trial 2 completed on w" in log and "(3 of 3 ended)" in log
    dist = pd.read_csv(out / "trials.csv")
    alone = pd.read_csv(single / "trials.csv").query("trial < 3")
    same = [c for c in alone if c not in ("tuner", "seconds")]
    pd.testing.assert_frame_equal(dist[same].reset_index(drop=True), alone[same].reset_index(drop=True), rtol=1e-6)
    assert set(dist["tuner"]) <= {"w1", "w2"} and (dist["runs"] == 1).all()
    assert (out / "best" / "best.keras").exists() and "best hyperparameters" in chief_out


def test_a_worker_killed_mid_search_is_restarted_with_its_id(search, tmp_path):
    """The killed worker holds a trial the chief cannot hand to anyone else; restarted under the same
    --tuner-id it is given that trial again, and the search ends as the single-process one did."""
    single, _ = search
    out, oracle = tmp_path / "killed", f"127.0.0.1:{free_port()}"
    common = ["--max-trials", "3", "--out", str(out), "--oracle", oracle]
    with open(tmp_path / "chief.err", "w") as chief_err:
        chief = subprocess.Popen([*TUNE, *common, "--chief"], stdout=subprocess.DEVNULL, stderr=chief_err)
    procs = [chief]
    try:
        wait_for_line(tmp_path / "chief.err", "oracle serving on", chief)
        first = subprocess.Popen([*TUNE, *common, "--worker", "--tuner-id", "w1"], stderr=subprocess.DEVNULL)
        procs.append(first)
        wait_for_line(tmp_path / "chief.err", "trial 0 completed on w1", chief)
        time.sleep(0.5)  # w1 has asked for trial 1 (at once) and is training it (for seconds)
        first.kill()
        assert first.wait(timeout=60) == -signal.SIGKILL
        procs += [
            subprocess.Popen(
                [*TUNE, *common, "--worker", "--tuner-id", w], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for w in ("w1", "w2")
        ]
        again, other = (p.communicate(timeout=300) for p in procs[2:])
        assert chief.wait(timeout=120) == 0  # not held forever by the trial the killed worker had
    finally:
        for p in procs:
            p.kill()
    assert procs[2].returncode == 0 and procs[3].returncode == 0, again[1][-2000:] + other[1][-2000:]
    dist = pd.read_csv(out / "trials.csv")
    alone = pd.read_csv(single / "trials.csv").query("trial < 3")
    same = [c for c in alone if c not in ("tuner", "runs", "interrupted", "seconds")]
    pd.testing.assert_frame_equal(dist[same].reset_index(drop=True), alone[same].reset_index(drop=True), rtol=1e-6)


def test_chief_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = tune("--chief", "--oracle", f"127.0.0.1:{taken.getsockname()[1]}", "--out", tmp_path / "c")
    assert proc.returncode == 2 and "The chief cannot listen on" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "c").exists()


def test_cluster_roles_from_flags_and_keras_tuner_environment():
    from nnzoo.tuner_cluster import resolve

    assert resolve().role == "single"
    env = {"KERASTUNER_TUNER_ID": "chief", "KERASTUNER_ORACLE_IP": "127.0.0.1", "KERASTUNER_ORACLE_PORT": "9001"}
    assert resolve(environ=env) == resolve(chief=True, oracle="127.0.0.1:9001", environ={})
    worker = resolve(environ={**env, "KERASTUNER_TUNER_ID": "tuner7"})
    assert (worker.role, worker.tuner_id, worker.address) == ("worker", "tuner7", "127.0.0.1:9001")
    assert resolve(worker=True, oracle="[::1]:8000", environ={}).tuner_id.startswith("worker-")
    assert resolve(worker=True, oracle="[::1]:8000", environ={}).address == "[::1]:8000"


@pytest.mark.parametrize(
    "args, needle",
    [
        (["tune", "nosuch"], "Unknown recipe 'nosuch'"),
        (["tune", "hebb"], "has no search space"),
        (["tune", "batchnorm", "--folds", "0"], "--folds must be an integer in [1, 20]"),
        (["tune", "batchnorm", "--tuner", "annealing"], "Unknown tuner 'annealing'"),
        (["tune", "batchnorm", "--objective", "val_f1"], "Unknown objective 'val_f1'"),
        (["tune", "batchnorm", "--chief", "--worker", "--out", "x"], "--chief and --worker are exclusive"),
        (["tune", "batchnorm", "--worker"], "A distributed search needs --out"),
        (["tune", "batchnorm", "--chief", "--oracle", "localhost", "--out", "x"], "--oracle must be HOST:PORT"),
        (["tune", "batchnorm", "--oracle", "127.0.0.1:8000"], "add --chief or --worker"),
        (["tune", "batchnorm", "--worker", "--tuner-id", "chief2", "--out", "x"], "without the word 'chief'"),
        (
            ["tune", "batchnorm", "--worker", "--oracle", f"127.0.0.1:{free_port()}", "--wait", "1", "--out", "x"],
            "No chief oracle answered",
        ),
    ],
)
def test_user_errors(args, needle):
    proc = subprocess.run([sys.executable, "-m", "nnzoo", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_tunable_recipes_are_listed_without_tensorflow():
    found = tuner_options.tunable_recipes()
    assert {"batchnorm", "regularization", "dropout", "optimizers", "initialization"} <= set(found)
    imported = [name for name in registry.recipes() if hasattr(registry.load_module(name), "tunable_model")]
    assert found == imported  # what each recipe's lines say is what its module defines
