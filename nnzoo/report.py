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


def write_run(result, out_dir):
    """Write every artefact of ``result`` into ``out_dir`` (files appear only when complete)."""
    out_dir = Path(out_dir)
    with io.atomic_path(out_dir / "results.csv") as tmp:
        result.table.to_csv(tmp, index=False)
    io.write_json(out_dir / "claims.json", [c.to_dict() for c in result.claims])
    figure_files = []
    for stem, fig in result.figures.items():
        name = f"{stem}.png"
        plots.save(fig, out_dir / name)
        figure_files.append(name)
    io.write_text(out_dir / "report.md", render_markdown(result, figure_files))
    io.write_text(out_dir / "report.html", html_report.render_run(result, out_dir, figure_files))
    io.write_json(out_dir / "run.json", result.run_info)


def render_markdown(result, figure_files):
    info = result.run_info
    parts = [
        f"# {result.recipe}",
        "",
        f"{info.get('summary', '')}",
        "",
        f"{result.summary()} · seed {info.get('seed')} · {'quick' if info.get('quick') else 'full'} mode "
        f"· {info.get('wall_time_s', 0):.1f} s",
        "",
        "## Claims",
        "",
        claims_markdown(result.claims),
        "",
        "## Results",
        "",
        markdown_table(result.table),
        "",
    ]
    if result.notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in result.notes] + [""]
    if figure_files:
        parts += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figure_files] + [""]
    parts += ["## Configuration", "", "```json", json.dumps(info.get("config", {}), indent=2), "```", ""]
    return "\n".join(parts)
