"""Start-up time: the commands that need no TensorFlow, and loading TensorFlow where a command needs it.

`nnzoo --help`, `nnzoo list` and a user error each run in a fresh process (the median of --repeats runs),
beside the same interpreter doing nothing, so the printed ratio and the time above a bare `python -c pass`
compare like with like on this machine. The target is 0.3 s per command.

Every command that trains or exports pays for importing TensorFlow and Keras first, and so does every fresh
process of the test suite. The second part times that import in fresh processes, alternated: plainly, as
nnzoo.quiet_tensorflow.load does it (collector off during the import, its objects then frozen), and the
import of ml_dtypes alone (whose version 0.7.0 takes 0.8 s, pyproject.toml bounds it below 0.7).
Usage: python benchmarks/startup.py [--repeats 7]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from importlib.metadata import version

TARGET_S = 0.3
COMMANDS = {
    "nnzoo --help": ["--help"],
    "nnzoo list": ["list"],
    "nnzoo run nosuch (user error)": ["run", "nosuch"],
    "nnzoo run batchnorm --seed -1 (user error)": ["run", "batchnorm", "--seed", "-1"],
    "nnzoo tune nosuch (user error)": ["tune", "nosuch"],
    "nnzoo export nosuch.keras (user error)": ["export", "nosuch.keras"],
}
IMPORTS = {
    "import keras, tensorflow": "import keras, tensorflow",
    "quiet_tensorflow.load()": "from nnzoo import quiet_tensorflow; quiet_tensorflow.load()",
    "import ml_dtypes (alone)": "import numpy; import ml_dtypes",
}


def seconds(argv):
    """Wall and CPU seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def median_seconds(argv, repeats):
    return statistics.median(seconds(argv)[0] for _ in range(repeats))


def commands(repeats):
    """The commands that must answer without TensorFlow; the names of those over the target."""
    bare = median_seconds([sys.executable, "-c", "pass"], repeats)
    print(f"bare interpreter: {bare:.3f} s (median of {repeats})")
    slow = []
    for name, argv in COMMANDS.items():
        took = median_seconds([sys.executable, "-m", "nnzoo", *argv], repeats)
        print(
            f"{name:44s} {took:.3f} s  ({took / bare:4.1f}x bare, target {TARGET_S} s): {'ok' if took < TARGET_S else 'OVER'}"
        )
        slow += [name] if took >= TARGET_S else []
    return slow


def imports(repeats):
    """Each way of loading TensorFlow, alternated in fresh processes, as medians and as a ratio."""
    import ml_dtypes

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    taken = {name: [] for name in IMPORTS}
    for _ in range(repeats):
        for name, code in IMPORTS.items():
            taken[name].append(seconds([sys.executable, "-c", code]))
    plain = statistics.median(cpu for _, cpu in taken["import keras, tensorflow"])
    print(
        f"\nloading TensorFlow {version('tensorflow')} and Keras {version('keras')} (ml_dtypes {ml_dtypes.__version__}), "
        f"median of {repeats} fresh processes:"
    )
    for name, runs in taken.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        print(f"  {name:26s} {wall:.2f} s wall  {cpu:.2f} s CPU  ({cpu / plain:.2f}x the plain import's CPU)")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    slow = commands(args.repeats)
    imports(args.repeats)
    raise SystemExit(1 if slow else 0)


if __name__ == "__main__":
    main()
