"""``--strategy multi-worker --cluster slurm``: Slurm's variables read as TensorFlow's SlurmClusterResolver reads
them, wrong ones a one-line user error before TensorFlow loads, and two simulated ``srun`` tasks on 127.0.0.1
that run a recipe with only rank 0 writing, and --peer-timeout naming a task that never came (that they train
like one process is in test_multiworker.py, beside the TF_CONFIG cluster)."""

import json
import os
import subprocess
import sys
import time

import pytest
from _slurm_tasks import free_port_base, slurm_env, srun, without_cluster

from nnzoo import cli, slurm
from nnzoo.errors import NnzooError


def test_host_and_task_lists_read_as_tensorflow_reads_them():
    from tensorflow.python.distribute.cluster_resolver import slurm_cluster_resolver as tf_slurm

    for hosts in ("n[01-03,07],m5", "127.0.0.1", "a,b[8-10]"):
        assert slurm.expand_hostlist(hosts) == tf_slurm.expand_hostlist(hosts)
    for counts in ("2(x3),1", "4", "1,2"):
        assert slurm.expand_tasks_per_node(counts) == tf_slurm.expand_tasks_per_node(counts)


def test_the_cluster_is_the_one_slurm_cluster_resolver_forms(monkeypatch):
    env = slurm_env(3, tasks=5, nodelist="nodeb,nodea[1-2]", tasks_per_node="1,2(x2)")
    for name, value in {**env, "CUDA_VISIBLE_DEVICES": "7"}.items():
        monkeypatch.setenv(name, value)
    found = slurm.from_environ(9000, environ={**env, "CUDA_VISIBLE_DEVICES": ""})
    assert found.cluster.jobs == {"worker": ("nodea1:9000", "nodea1:9001", "nodea2:9000", "nodea2:9001", "nodeb:9000")}
    assert (found.cluster.name, found.cluster.address, found.cluster.is_chief) == ("worker 3", "nodea2:9001", False)
    resolver = slurm.cluster_resolver(found)
    assert resolver.cluster_spec().as_dict() == {"worker": list(found.cluster.jobs["worker"])}
    assert resolver.get_task_info() == ("worker", 3) and resolver.num_accelerators() == {"GPU": 0}
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""  # a task with no GPU sees none


def test_gpu_nodes_get_tensorflow_s_own_resolver(monkeypatch):
    """Two GPUs for two tasks per node: each task sees its own, through SlurmClusterResolver unchanged."""
    import tensorflow as tf

    env = slurm_env(1, tasks=2, nodelist="gpu1", tasks_per_node="2", CUDA_VISIBLE_DEVICES="0,1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    found = slurm.from_environ(9000, environ=env)
    assert found.gpus_per_node == 2
    resolver = slurm.cluster_resolver(found)
    assert type(resolver) is tf.distribute.cluster_resolver.SlurmClusterResolver
    assert resolver.cluster_spec().as_dict() == {"worker": ["gpu1:9000", "gpu1:9001"]}
    assert resolver.num_accelerators() == {"GPU": 1} and os.environ["CUDA_VISIBLE_DEVICES"] == "1"


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"SLURM_PROCID": ""}, "Received: SLURM_PROCID unset"),
        ({"SLURM_STEP_NODELIST": "", "SLURM_STEP_NUM_TASKS": ""}, "SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST unset"),
        ({"SLURM_PROCID": "2"}, "SLURM_PROCID must be an integer in [0, 1]"),
        ({"SLURM_PROCID": "-1"}, "SLURM_PROCID must be an integer in [0, 1]"),
        ({"SLURM_PROCID": "one"}, "SLURM_PROCID must be an integer in [0, 1]"),
        ({"SLURM_STEP_NUM_TASKS": "3"}, "SLURM_STEP_NUM_TASKS must be an integer in [2, 2]"),
        ({"SLURM_STEP_NODELIST": "n[1-"}, "SLURM_STEP_NODELIST is not a Slurm host list"),
        ({"SLURM_STEP_NODELIST": "n[3-1]"}, "has a bad range '3-1'"),
        ({"SLURM_STEP_NODELIST": "n1,n1"}, "names a node twice"),
        ({"SLURM_STEP_TASKS_PER_NODE": "2(x"}, "SLURM_STEP_TASKS_PER_NODE is not a Slurm task count list"),
        ({"SLURM_STEP_TASKS_PER_NODE": "1(x2)"}, "gives 2 node(s) but SLURM_STEP_NODELIST names 1"),
    ],
)
def test_bad_slurm_variables_are_a_one_line_error(change, needle):
    with pytest.raises(NnzooError, match="slurm") as err:
        slurm.from_environ(environ={**slurm_env(0), **change})
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_a_port_base_without_room_for_the_node_s_tasks_is_an_error():
    with pytest.raises(NnzooError, match=r"allowed: 1 to 65534"):
        slurm.from_environ(65535, environ=slurm_env(0))


def test_bad_slurm_environment_exits_2_before_tensorflow():
    code = (
        "import sys; from nnzoo import cli\n"
        "status = cli.main(['run', 'xor_mlp', '--quick', '--strategy', 'multi-worker', '--cluster', 'slurm'])\n"
        "print(status, 'tensorflow' in sys.modules)"
    )
    env = {**without_cluster(os.environ), **slurm_env(0, SLURM_STEP_NODELIST="n[1-")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.stdout.split() == ["2", "False"]
    assert "SLURM_STEP_NODELIST is not a Slurm host list" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--cluster", "slurm"], "--cluster says where a multi-worker cluster is described"),
        (["--cluster", "tf-config", "--strategy", "mirrored"], "it needs --strategy multi-worker"),
        (["--workers", "2", "--cluster", "slurm"], "drop --workers or --cluster slurm"),
        (["--strategy", "multi-worker", "--port-base", "9000"], "--port-base sets the ports of a Slurm cluster"),
        (["--strategy", "multi-worker", "--cluster", "slurm", "--port-base", "0"], "--port-base must be an integer"),
        (["--strategy", "multi-worker", "--cluster", "slurm", "--port-base", "65536"], "in [1, 65535]"),
    ],
)
def test_bad_cluster_options_exit_2(capsys, args, needle):
    assert cli.main(["run", "xor_mlp", "--quick", *args]) == 2
    assert needle in capsys.readouterr().err


def test_two_slurm_tasks_run_a_recipe_and_only_rank_0_writes(tmp_path):
    out = tmp_path / "run"
    port_base = free_port_base()
    argv = [sys.executable, "-m", "nnzoo", "run", "model_fitting", "--quick", "--strategy", "multi-worker"]
    argv += ["--cluster", "slurm", "--port-base", str(port_base), "--out", str(out)]
    chief, worker = srun(argv, tmp_path)
    assert (chief.returncode, worker.returncode) == (0, 0), chief.stderr[-3000:] + worker.stderr[-3000:]
    assert "worker's part is done" in worker.stdout and "claims hold" in chief.stdout
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "finished" and record["claims"]["passed"] == record["claims"]["total"] > 0
    assert record["cluster"] == {
        "workers": 2,
        "replicas": 2,
        "task": "worker 0",
        "resolver": "CpuSlurmClusterResolver",
    }
    assert not list((tmp_path / "tmp0").iterdir()) and not list((tmp_path / "tmp1").iterdir())


def test_a_slurm_task_whose_peer_never_comes_up_exits_1_naming_it(tmp_path):
    port_base = free_port_base()
    out = tmp_path / "run"
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nnzoo", "run", "model_fitting", "--quick", "--strategy", "multi-worker",
         "--cluster", "slurm", "--port-base", str(port_base), "--peer-timeout", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**without_cluster(os.environ), **slurm_env(1)},
    )  # fmt: skip
    assert proc.returncode == 1 and time.monotonic() - start < 3 + 60  # the rest is importing TensorFlow
    assert f"worker 0 at 127.0.0.1:{port_base} never answered" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
