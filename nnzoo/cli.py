"""The ``nnzoo`` command line. Each verb is a module in nnzoo.commands (found automatically)
defining ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.

User errors (NnzooError) print one line and exit 2; nothing here imports TensorFlow, so
``nnzoo --help`` and ``nnzoo list`` answer at once.
"""

import argparse
import importlib
import os
import pkgutil
import sys

from nnzoo import __version__, commands
from nnzoo.errors import NnzooError


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage already; make its message a single line too."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    parser = _Parser(
        prog="nnzoo",
        description=("Five lectures on training neural networks as runnable, self-checking Keras 3 recipes."),
    )
    parser.add_argument("--version", action="version", version=f"nnzoo {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"nnzoo.commands.{info.name}")
        verb = getattr(module, "VERB", info.name)
        sub = verbs.add_parser(verb, help=module.HELP, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ log (see nnzoo.quiet_tensorflow)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except NnzooError as err:
        print(f"nnzoo {args.verb}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the disk is full, read-only, not ours, failing: say which file, keep what was there
        where = f"{err.filename}: " if err.filename is not None else ""
        print(f"nnzoo {args.verb}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print(f"nnzoo {args.verb}: interrupted" + (f"; {stop}" if str(stop) else ""), file=sys.stderr)
        return 130


def main_for(module_name):
    """``python -m nnzoo.recipes.NAME [options]`` behaves as ``nnzoo run NAME [options]``."""
    return main(["run", module_name.rsplit(".", 1)[-1], *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
