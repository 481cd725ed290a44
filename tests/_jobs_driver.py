"""``nnzoo run all ARGS...`` over only the recipes named in argv[1] (comma-separated), in a child process.

The parent picks the recipes and the spawned workers run them by name, so restricting ``registry.recipes``
in the parent is all a test needs to run `all --jobs N` over a few cheap recipes.
"""

import signal
import sys

from nnzoo import cli, registry


def start_as_a_terminal_would():
    """SIGINT at its default, unblocked: what a command started from a shell has. The test process that starts
    this one can pass it on ignored or blocked (once, in a whole suite on 2026-12-03, both Ctrl-C tests ran to
    the end with exit 0; alone they passed, and a driver started with SIGINT ignored does exactly that), which
    would test the harness rather than nnzoo; a line on stderr says when it happened."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN or signal.SIGINT in signal.pthread_sigmask(
        signal.SIG_BLOCK, []
    ):
        print("_jobs_driver: SIGINT came ignored or blocked from the test process; reset", file=sys.stderr)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


if __name__ == "__main__":  # spawned workers import this file as __mp_main__
    start_as_a_terminal_would()
    chosen = sys.argv[1].split(",")
    found = registry.recipes()
    registry.recipes = lambda: {name: info for name, info in found.items() if name in chosen}
    sys.exit(cli.main(["run", "all", *sys.argv[2:]]))
