"""report.html for a run and index.html for a folder of runs: one self-contained page each.

Figures are embedded as base64 PNG and the style is inline, so a page opens offline and can be mailed
as one file. Tables come from pandas' own HTML output and the page from ``string.Template``, so the
default install needs nothing more; every text from a run is HTML-escaped.
"""

import base64
import html
import json
import string
from pathlib import Path

import pandas as pd

from nnzoo import io, lectures
from nnzoo.errors import NnzooError

GENERATOR = "nnzoo report"  # marks pages nnzoo wrote, so it only ever replaces its own index.html

PAGE = string.Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="$generator">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem;
       padding: 1rem; line-height: 1.45; color: #1f2328; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.meta { color: #59636e; }
.scroll { overflow-x: auto; border: 1px solid #d1d9e0; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #d1d9e0; text-align: left; vertical-align: top; }
thead th { position: sticky; top: 0; background: #f6f8fa; }
table.results td { white-space: nowrap; font-variant-numeric: tabular-nums; }
.verdict { font-weight: 700; padding: .1rem .45rem; border-radius: 4px; white-space: nowrap; }
.pass { background: #dafbe1; color: #116329; } .fail { background: #ffebe9; color: #a40e26; }
tr:has(.fail) { background: #fff5f4; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #d1d9e0; }
figcaption { color: #59636e; font-size: .9rem; }
@media (max-width: 40rem) { body { padding: .5rem; } table { font-size: .8rem; } }
</style>
</head>
<body>
$body
</body>
</html>
""")


def page(title, body):
    return PAGE.substitute(generator=GENERATOR, title=html.escape(title), body=body)


def verdict(passed):
    return f'<span class="verdict {"pass" if passed else "fail"}">{"PASS" if passed else "FAIL"}</span>'


def frame_html(df, css_class):
    """A pandas table in a horizontally scrolling box (phones); cells already escaped when ``escape`` is off."""
    return f'<div class="scroll">{df.to_html(index=False, border=0, classes=css_class, escape=False, na_rep="")}</div>'


def claims_table(claims):
    rows = [{"verdict": verdict(c.passed), "claim": html.escape(c.claim), "evidence": html.escape(c.evidence),
             "lecture lines": html.escape(c.source)} for c in claims]
    return frame_html(pd.DataFrame(rows, columns=["verdict", "claim", "evidence", "lecture lines"]), "claims")


def table_cell(value):
    """4 significant digits for floats (as in report.md), nothing for a missing value, escaped text otherwise."""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return "" if value is None else html.escape(str(value))


def results_table(table):
    shown = table.map(table_cell)
    shown.columns = [html.escape(str(c)) for c in table.columns]
    return frame_html(shown, "results")


def figure_html(path):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    stem = html.escape(Path(path).stem)
    return f'<figure><img alt="{stem}" src="data:image/png;base64,{data}"><figcaption>{stem}</figcaption></figure>'


def worked_table(worked):
    rows = [{"worked example": html.escape(w.example), "computed here": table_cell(w.computed),
             "slide": html.escape(str(w.slide)), "lecture lines": html.escape(w.source)} for w in worked]
    return frame_html(pd.DataFrame(rows, columns=["worked example", "computed here", "slide", "lecture lines"]),
                      "worked")


def render_run(run, figure_files):
    """The report.html of ``run`` (a nnzoo.results.Run), with the PNG files already written in its folder embedded."""
    info = run.info
    held = sum(c.passed for c in run.claims)
    cited = "".join(f"<li>{html.escape(lectures.citation(n))}</li>" for n in info.get("lectures", ())
                    if n in lectures.LECTURES)
    parts = [
        f"<h1>{html.escape(run.recipe)}</h1>",
        f"<p>{html.escape(info.get('summary', ''))}</p>",
        f'<p class="meta">{verdict(held == len(run.claims))} {held}/{len(run.claims)} claims hold · seed '
        f"{info.get('seed')} · {'quick' if info.get('quick') else 'full'} mode · "
        f"{info.get('wall_time_s', 0):.1f} s · {html.escape(str(info.get('started_utc', '')))}</p>",
        "<h2>Claims</h2>", claims_table(run.claims),
        "<h2>Results</h2>", results_table(run.table),
    ]
    if run.worked:
        parts += ["<h2>Worked examples</h2>", worked_table(run.worked)]
    if run.notes:
        parts += ["<h2>Notes</h2><ul>", *(f"<li>{html.escape(n)}</li>" for n in run.notes), "</ul>"]
    if figure_files:
        parts += ["<h2>Figures</h2>", *(figure_html(Path(run.out_dir) / f) for f in figure_files)]
    if cited:
        parts += ["<h2>Lectures</h2>", f"<ul>{cited}</ul>"]
    parts += ["<h2>Configuration</h2>", f"<pre>{html.escape(json.dumps(info.get('config', {}), indent=2))}</pre>"]
    return page(f"nnzoo {run.recipe}", "\n".join(parts))


def find_runs(folder):
    """Every run folder (one holding run.json) under ``folder``, oldest first."""
    runs = []
    for path in Path(folder).rglob("run.json"):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise NnzooError(f"{str(path)!r} is not a run.json nnzoo can read ({err}). "
                             f"Received: folder={str(folder)!r}") from None
        runs.append((info.get("started_utc", ""), info.get("recipe", ""), path.parent, info))
    return sorted(runs, key=lambda run: run[:2])


def render_index(folder):
    """index.html for ``folder``: every run under it with recipe, date, seed, claims held and a link to its report."""
    rows = []
    for started, recipe, run_dir, info in find_runs(folder):
        claims = info.get("claims", {})
        report = next((run_dir / n for n in ("report.html", "report.md") if (run_dir / n).exists()), run_dir)
        link = html.escape(report.relative_to(folder).as_posix(), quote=True)
        rows.append({
            "recipe": html.escape(recipe),
            "date (UTC)": html.escape(started.replace("T", " ").removesuffix("+00:00")),
            "seed": info.get("seed"),
            "mode": "quick" if info.get("quick") else "full",
            "claims held": f"{verdict(claims.get('passed') == claims.get('total'))} "
                           f"{claims.get('passed')}/{claims.get('total')}",
            "report": f'<a href="{link}">{html.escape(run_dir.relative_to(folder).as_posix())}</a>',
        })
    if not rows:
        raise NnzooError(f"No runs (folders with run.json) under {str(folder)!r}; write some with 'nnzoo run'. "
                         f"Received: folder={str(folder)!r}")
    held = sum("verdict pass" in r["claims held"] for r in rows)
    body = (f"<h1>nnzoo runs in {html.escape(str(folder))}</h1>"
            f'<p class="meta">{len(rows)} runs; all claims hold in {held} of them</p>'
            + frame_html(pd.DataFrame(rows), "runs"))
    return page(f"nnzoo runs in {folder}", body)


def write_index(folder):
    """Write ``folder``/index.html; an index.html nnzoo did not write is never replaced."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NnzooError(f"{str(folder)!r} is not a folder of runs. Received: folder={str(folder)!r}")
    out = folder / "index.html"
    if out.exists() and f'<meta name="generator" content="{GENERATOR}">' not in out.read_text(errors="replace"):
        raise NnzooError(f"{str(out)!r} exists and was not written by nnzoo; it is left as it is. "
                         f"Received: folder={str(folder)!r}")
    text = render_index(folder)
    io.write_text(out, text)
    return out
