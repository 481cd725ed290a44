"""List every recipe with a one-line summary and the lectures it reproduces."""

from nnzoo import registry

VERB = "list"
HELP = "list the recipes"


def add_arguments(parser):
    parser.add_argument("--names", action="store_true", help="print only the names, one per line")


def main(args):
    found = registry.recipes()
    if args.names:
        print("\n".join(found))
        return 0
    width = max((len(n) for n in found), default=0)
    for name, info in found.items():
        lectures = ",".join(info.lectures)
        print(f"{name:<{width}}  [{lectures}]  {info.summary}")
    return 0
