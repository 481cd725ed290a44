"""Write FOLDER/index.html: one page listing every run under FOLDER (recipe, date, seed, mode, claims held)
with a link to its report.html. The page is self-contained; running the command again refreshes it."""

from pathlib import Path

HELP = "write an index page of every run under a folder"


def add_arguments(parser):
    parser.add_argument("folder", type=Path, help="a folder of runs, for example runs")


def main(args):
    from nnzoo import html_report

    out = html_report.write_index(args.folder)
    print(f"wrote {out}")
    return 0
