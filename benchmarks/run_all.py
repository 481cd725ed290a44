"""Wall time, CPU time and peak memory of `nnzoo run all`, at full size and --quick, on 1 and 2 worker processes.

Each configuration runs as a fresh command into a temporary folder; the peak memory is the largest sum of the
resident memory of the command and its worker processes, sampled every 0.2 s from /proc (Linux). The targets
are the issue's: full size under 3 minutes, --quick under 75 seconds, on this 2-core machine; every claim
must still hold at full size (the full-size run is checked with --strict).
``--record`` writes each recipe's wall time in the one-job runs to nnzoo/recipe_costs.json, the table by which
``run all --jobs`` hands out the longest recipes first.
Usage: python benchmarks/run_all.py [--sizes quick full] [--jobs 1 2] [--record]
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nnzoo import io

TARGET_S = {"quick": 75.0, "full": 180.0}
PAGE = os.sysconf("SC_PAGE_SIZE")
COSTS = Path(__file__).resolve().parent.parent / "nnzoo" / "recipe_costs.json"


def tree_rss(pid):
    """Resident bytes of ``pid`` and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def measure(size, jobs):
    """Run the command once; its exit status, wall seconds, CPU seconds, peak resident bytes, summary line and
    the wall seconds of each recipe (from its run.json)."""
    with tempfile.TemporaryDirectory() as folder:
        argv = [sys.executable, "-m", "nnzoo", "run", "all", "--quiet", "--out", f"{folder}/runs", "--jobs", str(jobs)]
        argv += ["--quick"] if size == "quick" else ["--strict"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        peak = [0]

        def sample():
            while process.poll() is None:
                peak[0] = max(peak[0], tree_rss(process.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out = process.stdout.read()
        code = process.wait()
        wall = time.perf_counter() - start
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        recipes = {
            path.parent.name: json.loads(path.read_text())["wall_time_s"]
            for path in Path(folder).glob("runs/*/run.json")
        }
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = next((line for line in reversed(out.splitlines()) if "recipes ran" in line), "no summary")
    return code, wall, cpu, peak[0], summary, recipes


def record(costs):
    """Write the per-recipe wall times of the one-job runs, with how they were measured."""
    table = {
        "measured": f"benchmarks/run_all.py --record, one job, {os.cpu_count()} CPUs, {datetime.date.today()}",
        **{size: dict(sorted(seconds.items(), key=lambda item: -item[1])) for size, seconds in costs.items()},
    }
    io.write_json(COSTS, table)  # temp file, fsync, rename
    print(f"wrote {COSTS}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", choices=sorted(TARGET_S), default=["quick", "full"])
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--record", action="store_true", help="write nnzoo/recipe_costs.json from the one-job runs")
    args = parser.parse_args()
    if args.record and (1 not in args.jobs or set(args.sizes) != set(TARGET_S)):
        parser.error("--record needs both sizes and --jobs 1 (recipes timed one at a time)")
    missed, costs = [], {}
    print(f"nnzoo run all on {os.cpu_count()} CPUs")
    for size in args.sizes:
        for jobs in args.jobs:
            code, wall, cpu, peak, summary, recipes = measure(size, jobs)
            costs.update({size: recipes} if jobs == 1 else {})
            verdict = "ok" if wall <= TARGET_S[size] and code == 0 else "MISSED"
            print(
                f"  {size:5s} --jobs {jobs}: {wall:6.1f} s wall ({wall / TARGET_S[size]:.2f}x the {TARGET_S[size]:g} s "
                f"target: {verdict}), {cpu:6.1f} s CPU, peak {peak / 2**30:.2f} GiB, exit {code}; {summary}"
            )
            missed += [f"{size} --jobs {jobs}"] if verdict != "ok" else []
    if args.record:
        record(costs)
    print(f"missed: {', '.join(missed)}" if missed else "all targets met")
    raise SystemExit(1 if missed else 0)


if __name__ == "__main__":
    main()
