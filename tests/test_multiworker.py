"""``--strategy multi-worker`` and ``nnzoo run --workers N``: two workers on loopback train like one process,
only the chief writes, a dying worker stops the launcher, a wrong cluster is a one-line user error."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _slurm_tasks import free_port_base, srun, without_cluster

from nnzoo import cli, cluster, launcher
from nnzoo.errors import NnzooError

TRAIN_SCRIPT = str(Path(__file__).with_name("_multiworker_train.py"))


def run_cli(*args, env=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "nnzoo", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Final weights of the three variants of _multiworker_train.py: one process, and the chief of two workers
    of a TF_CONFIG cluster (nnzoo's launcher); the folder they are in."""
    folder = tmp_path_factory.mktemp("weights")
    alone = subprocess.run(
        [sys.executable, TRAIN_SCRIPT, str(folder / "one.npz")],
        capture_output=True,
        text=True,
        timeout=600,
        env=without_cluster(os.environ),
    )
    assert alone.returncode == 0, alone.stdout + alone.stderr
    status = launcher.launch([sys.executable, TRAIN_SCRIPT, str(folder / "tf-config.npz")], 2, log=lambda text: None)
    assert status == 0
    return {"one": np.load(folder / "one.npz"), "tf-config": np.load(folder / "tf-config.npz"), "folder": folder}


def _largest_difference(weights, variant, cluster="tf-config"):
    one, two = weights["one"], weights[cluster]
    return max(float(np.abs(one[k] - two[k]).max()) for k in one.files if k.startswith(f"{variant}/"))


def test_two_workers_without_batch_norm_equal_one_process(weights):
    assert _largest_difference(weights, "plain") < 1e-5


def test_synchronized_batch_norm_equals_one_process(weights):
    assert _largest_difference(weights, "bn_sync") < 1e-5


def test_per_replica_batch_norm_differs_from_one_process(weights):
    """Each worker normalizes its half of the batch with its own mean and variance."""
    assert _largest_difference(weights, "bn") > 1e-4


@pytest.mark.slow
def test_two_slurm_tasks_train_like_the_tf_config_cluster(weights):
    """SlurmClusterResolver's cluster (a simulated srun step) trains as TF_CONFIG's: one process's weights, except
    per-replica batch normalization, which differs from one process exactly as the TF_CONFIG cluster does.
    Slow (about 20 s more): test_slurm.py runs a recipe on two Slurm tasks in the default suite."""
    folder = weights["folder"]
    port_base = free_port_base()
    tasks = srun([sys.executable, TRAIN_SCRIPT, str(folder / "slurm.npz"), str(port_base)], folder)
    assert [task.returncode for task in tasks] == [0, 0], tasks[0].stderr[-3000:] + tasks[1].stderr[-3000:]
    weights = {**weights, "slurm": np.load(folder / "slurm.npz")}
    for variant, same in (("plain", True), ("bn_sync", True), ("bn", False)):
        assert (_largest_difference(weights, variant, "slurm") < 1e-5) is same, variant
        assert _largest_difference(weights, variant, "slurm") == pytest.approx(_largest_difference(weights, variant))


def test_two_workers_run_a_recipe_and_only_the_chief_writes(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    out = tmp_path / "run"
    proc = run_cli("run", "model_fitting", "--quick", "--workers", "2", "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "[worker 0] " in proc.stdout and "[worker 1] " in proc.stdout
    assert "worker's part is done" in proc.stdout  # worker 1 printed no result of its own
    record = json.loads((out / "run.json").read_text())
    assert record["cluster"] == {
        "workers": 2,
        "replicas": 2,
        "task": "worker 0",
        "resolver": "TFConfigClusterResolver",
    }
    assert record["claims"]["total"] > 0 and record["claims"]["passed"] == record["claims"]["total"]
    assert (out / "results.csv").is_file() and (out / "report.md").is_file()
    assert not list(scratch.iterdir())  # worker 1's scratch folder is gone


def test_a_dying_worker_stops_the_launcher_in_bounded_time():
    code = (
        "import json, os, signal, time\n"
        "index = json.loads(os.environ['TF_CONFIG'])['task']['index']\n"
        "time.sleep(0.5)\n"
        "os.kill(os.getpid(), signal.SIGKILL) if index == 1 else time.sleep(120)\n"
    )
    lines = []
    start = time.monotonic()
    status = launcher.launch([sys.executable, "-c", code], 2, log=lines.append)
    assert time.monotonic() - start < 0.5 + launcher.POLL + launcher.STOP_GRACE + 10
    assert status != 0
    assert "worker 1" in lines[-1] and "killed by signal 9" in lines[-1]


def test_the_chief_exit_status_is_returned():
    code = "import json, os, sys; sys.exit(3 if json.loads(os.environ['TF_CONFIG'])['task']['index'] == 0 else 0)"
    assert launcher.launch([sys.executable, "-c", code], 2, log=lambda text: None) == 3


def test_free_ports_are_distinct_and_bindable():
    ports = launcher.free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


GOOD = {"cluster": {"worker": ["127.0.0.1:2001", "127.0.0.1:2002"]}, "task": {"type": "worker", "index": 1}}


def test_tf_config_roles():
    worker = cluster.parse_tf_config(json.dumps(GOOD))
    assert (worker.size, worker.is_chief, worker.address) == (2, False, "127.0.0.1:2002")
    with_chief = cluster.parse_tf_config(
        json.dumps({"cluster": {"chief": ["h:1"], "worker": ["h:2"]}, "task": {"type": "chief", "index": 0}})
    )
    assert with_chief.is_chief and with_chief.size == 2


@pytest.mark.parametrize(
    "text, needle",
    [
        ("{bad", "not valid JSON"),
        ("[]", '"cluster"'),
        (json.dumps({**GOOD, "task": {"type": "worker", "index": 2}}), "index 2 is outside"),
        (json.dumps({**GOOD, "task": {"type": "worker", "index": -1}}), "index -1 is outside"),
        (json.dumps({**GOOD, "task": {"type": "ps", "index": 0}}), '"task"'),
        (json.dumps({"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 0}}), "'ps'"),
        (
            json.dumps({"cluster": {"worker": ["h:99999"]}, "task": {"type": "worker", "index": 0}}),
            "port in [1, 65535]",
        ),
        (json.dumps({"cluster": {"worker": ["h:1", "h:1"]}, "task": {"type": "worker", "index": 0}}), "twice"),
    ],
)
def test_bad_tf_config_is_a_one_line_error(text, needle):
    with pytest.raises(NnzooError, match="TF_CONFIG") as err:
        cluster.parse_tf_config(text)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_port_in_use_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = cluster.parse_tf_config(
            json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}"]}, "task": {"type": "worker", "index": 0}})
        )
        with pytest.raises(NnzooError, match=f"cannot listen on 127.0.0.1:{port}"):
            cluster.check_can_listen(busy)


def test_malformed_tf_config_exits_2_before_tensorflow():
    code = (
        "import sys; from nnzoo import cli\n"
        "status = cli.main(['run', 'xor_mlp', '--quick', '--strategy', 'multi-worker'])\n"
        "print(status, 'tensorflow' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TF_CONFIG": '{"cluster": '},
    )
    assert proc.stdout.split() == ["2", "False"]
    assert "TF_CONFIG is not valid JSON" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_multi_worker_without_tf_config_exits_2(capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cli.main(["run", "xor_mlp", "--quick", "--strategy", "multi-worker"]) == 2
    assert "needs TF_CONFIG" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--workers", "0"], "--workers must be an integer in [1, 16]"),
        (["--workers", "17"], "--workers must be an integer in [1, 16]"),
        (["--workers", "2", "--strategy", "mirrored"], "cannot be combined with --strategy mirrored"),
    ],
)
def test_bad_workers_option_exits_2(capsys, args, needle):
    assert cli.main(["run", "xor_mlp", "--quick", *args]) == 2
    assert needle in capsys.readouterr().err


@pytest.mark.parametrize("index", [0, 1])
def test_a_task_whose_peer_never_comes_up_exits_1_in_bounded_time(tmp_path, index):
    """Worker 0 leads the cluster, worker 1 joins it: either one, alone, waits --peer-timeout and no longer
    (TensorFlow alone would wait inside C++ for good, deaf to SIGTERM), then names the missing task."""
    ports = launcher.free_ports(2)
    config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}}
    out = tmp_path / "run"
    start = time.monotonic()
    proc = run_cli(
        "run", "model_fitting", "--quick", "--strategy", "multi-worker", "--peer-timeout", "3", "--out", str(out),
        env={**os.environ, "TF_CONFIG": json.dumps(config)},
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1 and time.monotonic() - start < 3 + 60  # the rest is importing TensorFlow
    missing = f"worker {1 - index} at 127.0.0.1:{ports[1 - index]} never answered"
    assert missing in proc.stderr and "--peer-timeout" in proc.stderr and "Traceback" not in proc.stderr
    assert "absl::InitializeLog" not in proc.stderr  # TensorFlow loaded quietly (nnzoo.quiet_tensorflow)
    assert not out.exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--peer-timeout", "0", "--strategy", "multi-worker"], "--peer-timeout must be a number in [1, 86400]"),
        (["--peer-timeout", "nan", "--workers", "2"], "--peer-timeout must be a number in [1, 86400]"),
        (["--peer-timeout", "30"], "needs --strategy multi-worker or --workers"),
    ],
)
def test_bad_peer_timeout_exits_2(capsys, args, needle):
    assert cli.main(["run", "xor_mlp", "--quick", *args]) == 2
    assert needle in capsys.readouterr().err


def test_worker_command_line_carries_the_options(tmp_path):
    args = cli.build_parser().parse_args(
        [
            "run",
            "xor_mlp",
            "--quick",
            "--seed",
            "3",
            "--strict",
            "--monitor",
            "--quiet",
            "--workers",
            "2",
            "--peer-timeout",
            "30",
            "--out",
            str(tmp_path),
        ]
    )
    argv = launcher.worker_argv(args)
    assert argv[1:] == [
        "-m",
        "nnzoo",
        "run",
        "xor_mlp",
        "--seed",
        "3",
        "--strategy",
        "multi-worker",
        "--cluster",
        "tf-config",
        "--quick",
        "--strict",
        "--monitor",
        "--quiet",
        "--peer-timeout",
        "30.0",
        "--out",
        str(tmp_path),
    ]
