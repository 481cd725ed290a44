"""report.html for a run and index.html for a folder of runs: one self-contained page each.

Figures are embedded as base64 PNG and the style is inline, so a page opens offline and can be mailed
as one file. The pages are Jinja2 templates with autoescaping on, so every text from a run is escaped;
the results table is pandas' own HTML output (escaped too).
"""

import base64
import json
from pathlib import Path

import jinja2
import markupsafe

from nnzoo import io, lectures
from nnzoo.errors import NnzooError

GENERATOR = "nnzoo report"  # marks pages nnzoo wrote, so it only ever replaces its own index.html

LAYOUT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{ generator }}">
<title>{{ title }}</title>
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
{% block body %}{% endblock %}
</body>
</html>
"""

MACROS = """{% macro verdict(passed) -%}
<span class="verdict {{ 'pass' if passed else 'fail' }}">{{ 'PASS' if passed else 'FAIL' }}</span>
{%- endmacro %}"""

RUN = """{% extends "layout" %}{% from "macros" import verdict %}{% block body %}
<h1>{{ run.recipe }}</h1>
<p>{{ info.get('summary', '') }}</p>
<p class="meta">{{ verdict(held == run.claims|length) }} {{ held }}/{{ run.claims|length }} claims hold · seed
{{ info.get('seed') }} · {{ 'quick' if info.get('quick') else 'full' }} mode · {{ '%.1f'|format(info.get('wall_time_s', 0)) }} s
· {{ info.get('started_utc', '') }}</p>
<h2>Claims</h2>
<div class="scroll"><table class="claims">
<thead><tr><th>verdict</th><th>claim</th><th>evidence</th><th>lecture lines</th></tr></thead>
<tbody>{% for c in run.claims %}
<tr><td>{{ verdict(c.passed) }}</td><td>{{ c.claim }}</td><td>{{ c.evidence }}</td><td>{{ c.source }}</td></tr>
{%- endfor %}</tbody></table></div>
<h2>Results</h2>
<div class="scroll">{{ results }}</div>
{% if run.worked %}<h2>Worked examples</h2>
<div class="scroll"><table class="worked">
<thead><tr><th>worked example</th><th>computed here</th><th>slide</th><th>lecture lines</th></tr></thead>
<tbody>{% for w in run.worked %}
<tr><td>{{ w.example }}</td><td>{{ cell(w.computed) }}</td><td>{{ w.slide }}</td><td>{{ w.source }}</td></tr>
{%- endfor %}</tbody></table></div>{% endif %}
{% if run.notes %}<h2>Notes</h2><ul>{% for n in run.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if figures %}<h2>Figures</h2>{% for stem, data in figures %}
<figure><img alt="{{ stem }}" src="data:image/png;base64,{{ data }}"><figcaption>{{ stem }}</figcaption></figure>
{%- endfor %}{% endif %}
{% if cited %}<h2>Lectures</h2><ul>{% for c in cited %}<li>{{ c }}</li>{% endfor %}</ul>{% endif %}
<h2>Configuration</h2>
<pre>{{ config }}</pre>
{% endblock %}"""

INDEX = """{% extends "layout" %}{% from "macros" import verdict %}{% block body %}
<h1>nnzoo runs in {{ folder }}</h1>
<p class="meta">{{ rows|length }} runs; all claims hold in {{ held }} of them</p>
<div class="scroll"><table class="runs">
<thead><tr><th>recipe</th><th>date (UTC)</th><th>seed</th><th>mode</th><th>claims held</th><th>report</th></tr></thead>
<tbody>{% for r in rows %}
<tr><td>{{ r.recipe }}</td><td>{{ r.date }}</td><td>{{ r.seed }}</td><td>{{ r.mode }}</td>
<td>{{ verdict(r.passed == r.total) }} {{ r.passed }}/{{ r.total }}</td><td><a href="{{ r.link }}">{{ r.folder }}</a></td></tr>
{%- endfor %}</tbody></table></div>
{% endblock %}"""

TEMPLATES = jinja2.Environment(
    loader=jinja2.DictLoader({"layout": LAYOUT, "macros": MACROS, "run": RUN, "index": INDEX}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def table_cell(value):
    """4 significant digits for floats (as in report.md), nothing for a missing value, the text otherwise."""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return "" if value is None else str(value)


def results_html(table):
    """pandas' HTML table of the results (escaped), with report.md's number format."""
    shown = table.map(table_cell)
    return markupsafe.Markup(shown.to_html(index=False, border=0, classes="results", escape=True, na_rep=""))


def figure_data(path):
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def render_run(run, figure_files):
    """The report.html of ``run`` (a nnzoo.results.Run), with the PNG files already written in its folder embedded."""
    info = run.info
    return TEMPLATES.get_template("run").render(
        generator=GENERATOR,
        title=f"nnzoo {run.recipe}",
        run=run,
        info=info,
        held=sum(c.passed for c in run.claims),
        results=results_html(run.table),
        cell=table_cell,
        figures=[(Path(f).stem, figure_data(Path(run.out_dir) / f)) for f in figure_files],
        cited=[lectures.citation(n) for n in info.get("lectures", ()) if n in lectures.LECTURES],
        config=json.dumps(info.get("config", {}), indent=2),
    )


def find_runs(folder):
    """Every run folder (one holding run.json) under ``folder``, oldest first; runs started in the same second
    in the order of their recipe and folder."""
    runs = []
    for path in Path(folder).rglob("run.json"):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise NnzooError(
                f"{str(path)!r} is not a run.json nnzoo can read ({err}). Received: folder={str(folder)!r}"
            ) from None
        runs.append((info.get("started_utc", ""), info.get("recipe", ""), path.parent, info))
    return sorted(runs, key=lambda run: (run[0], run[1], str(run[2])))


def render_index(folder):
    """index.html for ``folder``: every run under it with recipe, date, seed, claims held and a link to its report."""
    rows = []
    for started, recipe, run_dir, info in find_runs(folder):
        claims = info.get("claims", {})
        report = next((run_dir / n for n in ("report.html", "report.md") if (run_dir / n).exists()), run_dir)
        rows.append(
            {
                "recipe": recipe,
                "date": started.replace("T", " ").removesuffix("+00:00"),
                "seed": info.get("seed"),
                "mode": "quick" if info.get("quick") else "full",
                "passed": claims.get("passed"),
                "total": claims.get("total"),
                "link": report.relative_to(folder).as_posix(),
                "folder": run_dir.relative_to(folder).as_posix(),
            }
        )
    if not rows:
        raise NnzooError(
            f"No runs (folders with run.json) under {str(folder)!r}; write some with 'nnzoo run'. "
            f"Received: folder={str(folder)!r}"
        )
    return TEMPLATES.get_template("index").render(
        generator=GENERATOR,
        title=f"nnzoo runs in {folder}",
        folder=str(folder),
        rows=rows,
        held=sum(r["passed"] == r["total"] for r in rows),
    )


def write_index(folder):
    """Write ``folder``/index.html; an index.html nnzoo did not write is never replaced."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NnzooError(f"{str(folder)!r} is not a folder of runs. Received: folder={str(folder)!r}")
    out = folder / "index.html"
    if out.exists() and f'<meta name="generator" content="{GENERATOR}">' not in out.read_text(errors="replace"):
        raise NnzooError(
            f"{str(out)!r} exists and was not written by nnzoo; it is left as it is. Received: folder={str(folder)!r}"
        )
    text = render_index(folder)
    io.write_text(out, text)
    return out
