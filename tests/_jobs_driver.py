"""``nnzoo run all ARGS...`` over only the recipes named in argv[1] (comma-separated), in a child process.

The parent picks the recipes and the spawned workers run them by name, so restricting ``registry.recipes``
in the parent is all a test needs to run `all --jobs N` over a few cheap recipes.
"""

import sys

from nnzoo import cli, registry

if __name__ == "__main__":  # spawned workers import this file as __mp_main__
    chosen = sys.argv[1].split(",")
    found = registry.recipes()
    registry.recipes = lambda: {name: info for name, info in found.items() if name in chosen}
    sys.exit(cli.main(["run", "all", *sys.argv[2:]]))
