"""Memory across trials (keras-tuner #873, #1031): one process runs a quick random search of 30 trials and
prints its resident memory after each; the growth from trial 5 to trial 30 must stay under 10 %.

Usage: python benchmarks/tuner_memory.py [--trials 30] [--recipe batchnorm]. Exits 1 when the growth is
10 % or more. Reads the resident set size from /proc (Linux).
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from nnzoo import tuner_options, tuner_search  # noqa: E402

LIMIT = 0.10


def resident_mib():
    """This process's resident set size now (VmRSS), in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kib / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--recipe", default="batchnorm")
    args = parser.parse_args()
    rss = []

    def log(line):
        if line.startswith("[tune] trial"):
            rss.append(resident_mib())
            print(f"trial {len(rss):2d}: {rss[-1]:7.1f} MiB", flush=True)

    options = tuner_options.Options(args.recipe, "random", args.trials, quick=True)
    with tempfile.TemporaryDirectory() as out:
        tuner_search.run(options, os.path.join(out, "search"), log=log)
    growth = rss[-1] / rss[4] - 1
    verdict = "ok" if growth < LIMIT else "FAILED"
    print(
        f"{args.trials} quick {args.recipe} trials in one process: {rss[4]:.1f} MiB after trial 5, "
        f"{rss[-1]:.1f} MiB after trial {len(rss)}: growth {growth:+.1%} (limit {LIMIT:.0%}): {verdict}"
    )
    raise SystemExit(0 if growth < LIMIT else 1)


if __name__ == "__main__":
    main()
