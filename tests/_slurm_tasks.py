"""Simulated ``srun`` steps for the tests: the variables Slurm sets in each task, on 127.0.0.1."""

import os
import socket
import subprocess

from nnzoo import launcher


def slurm_env(rank, tasks=2, nodelist="127.0.0.1", tasks_per_node=None, **extra):
    """The variables srun sets in task ``rank`` of a step of ``tasks`` tasks (all on one node by default)."""
    return {
        "SLURM_PROCID": str(rank),
        "SLURM_STEP_NUM_TASKS": str(tasks),
        "SLURM_STEP_NODELIST": nodelist,
        "SLURM_STEP_TASKS_PER_NODE": tasks_per_node or str(tasks),
        **extra,
    }


def without_cluster(environ):
    return {k: v for k, v in environ.items() if k != "TF_CONFIG" and not k.startswith("SLURM_")}


def free_port_base(count=2):
    """A port with the next ``count - 1`` after it free too on 127.0.0.1 (Slurm's tasks take consecutive ports)."""
    for _ in range(100):
        base = launcher.free_ports(1)[0]
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", base))
                b.bind(("127.0.0.1", base + count - 1))
        except OSError:
            continue
        return base
    raise AssertionError("no two consecutive free ports")


def srun(argv, tmp_path, tasks=2, timeout=300):
    """Run ``argv`` as the ``tasks`` tasks of one simulated srun step on 127.0.0.1; their CompletedProcesses."""
    base = without_cluster(os.environ)
    processes = []
    for rank in range(tasks):
        scratch = tmp_path / f"tmp{rank}"
        scratch.mkdir()
        env = {**base, **slurm_env(rank, tasks), "TMPDIR": str(scratch)}
        processes.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [process.communicate(timeout=timeout) for process in processes]
    return [
        subprocess.CompletedProcess(argv, process.returncode, out, err)
        for process, (out, err) in zip(processes, outputs)
    ]
