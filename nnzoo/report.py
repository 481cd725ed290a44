"""Writing a run folder: results.csv, claims.json, figures, report.md, report.html and run.json."""

import json
from pathlib import Path

from nnzoo import html_report, io, plots


def markdown_table(df, floatfmt=".4g"):
    return df.to_markdown(index=False, floatfmt=floatfmt)


def claims_markdown(claims):
    lines = ["| | claim | evidence | lecture |", "|---|---|---|---|"]
    for c in claims:
        mark = "PASS" if c.passed else "**FAIL**"
        lines.append(f"| {mark} | {_cell(c.claim)} | {_cell(c.evidence)} | {c.source} |")
    return "\n".join(lines)


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def worked_markdown(worked):
    lines = ["| worked example | computed here | slide | lecture |", "|---|---|---|---|"]
    for w in worked:
        computed = f"{w.computed:.6g}" if isinstance(w.computed, float) else w.computed
        lines.append(f"| {_cell(w.example)} | {_cell(computed)} | {_cell(w.slide)} | {w.source} |")
    return "\n".join(lines)


def write_run(run):
    """Write every artefact of ``run`` (a nnzoo.results.Run) into its folder; files appear only when complete."""
    out_dir = Path(run.out_dir)
    with io.atomic_path(out_dir / "results.csv") as tmp:
        run.table.to_csv(tmp, index=False)
    io.write_json(out_dir / "claims.json", [c.to_dict() for c in run.claims])
    figure_files = []
    for stem, fig in run.figures.items():
        name = f"{stem}.png"
        plots.save(fig, out_dir / name)
        figure_files.append(name)
    io.write_text(out_dir / "report.md", render_markdown(run, figure_files))
    io.write_text(out_dir / "report.html", html_report.render_run(run, figure_files))
    io.write_json(out_dir / "run.json", run.info)


def render_markdown(run, figure_files):
    info = run.info
    parts = [
        f"# {run.recipe}",
        "",
        f"{info.get('summary', '')}",
        "",
        f"{run.summary()} · seed {info.get('seed')} · {'quick' if info.get('quick') else 'full'} mode "
        f"· {info.get('wall_time_s', 0):.1f} s",
        "",
        "## Claims",
        "",
        claims_markdown(run.claims),
        "",
        "## Results",
        "",
        markdown_table(run.table),
        "",
    ]
    if run.worked:
        parts += [
            "## Worked examples from the slides",
            "",
            "Slide arithmetic redone on the slide's constants (shown, not counted as claims).",
            "",
            worked_markdown(run.worked),
            "",
        ]
    if run.notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in run.notes] + [""]
    if figure_files:
        parts += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figure_files] + [""]
    parts += ["## Configuration", "", "```json", json.dumps(info.get("config", {}), indent=2), "```", ""]
    return "\n".join(parts)
