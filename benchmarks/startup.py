"""Start-up time of the commands that need no TensorFlow: `nnzoo --help`, `nnzoo list` and a user error.

Each command runs in a fresh process (the median of --repeats runs), beside the same interpreter doing
nothing, so the printed ratio and the time above a bare `python -c pass` compare like with like on this
machine. The target is 0.3 s per command. Usage: python benchmarks/startup.py [--repeats 7]
"""

import argparse
import statistics
import subprocess
import sys
import time

TARGET_S = 0.3
COMMANDS = {
    "nnzoo --help": ["--help"],
    "nnzoo list": ["list"],
    "nnzoo run nosuch (user error)": ["run", "nosuch"],
    "nnzoo run batchnorm --seed -1 (user error)": ["run", "batchnorm", "--seed", "-1"],
}


def median_seconds(argv, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "pass"], args.repeats)
    print(f"bare interpreter: {bare:.3f} s (median of {args.repeats})")
    slow = []
    for name, argv in COMMANDS.items():
        seconds = median_seconds([sys.executable, "-m", "nnzoo", *argv], args.repeats)
        verdict = "ok" if seconds < TARGET_S else "OVER"
        print(f"{name:44s} {seconds:.3f} s  ({seconds / bare:4.1f}x bare, target {TARGET_S} s): {verdict}")
        slow += [name] if seconds >= TARGET_S else []
    raise SystemExit(1 if slow else 0)


if __name__ == "__main__":
    main()
