"""Every recipe on two local workers (``nnzoo run RECIPE --quick --workers 2``): it exits 0, the chief's run
folder is complete with the claims it printed, worker 1 writes nothing (its scratch folder is gone, the
working folder stays empty), and every claim holds or fails as it does for the same recipe in one process.
Slow: 22 recipes, each on two processes and then on one, about 45 minutes on 2 CPU cores."""

import json
import os
import re
import subprocess
import sys

import pytest

from nnzoo import registry


def run_recipe(recipe, folder, *options):
    """``nnzoo run RECIPE --quick`` in an empty working folder with its own TMPDIR; the process and run folder."""
    scratch, cwd, out = folder / "tmp", folder / "cwd", folder / "run"
    scratch.mkdir(parents=True)
    cwd.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "nnzoo", "run", recipe, "--quick", *options, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k != "TF_CONFIG"}, "TMPDIR": str(scratch)},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not list(scratch.iterdir()) and not list(cwd.iterdir())  # nothing written outside --out stays
    return proc, out


def verdicts(out):
    return {claim["claim"]: claim["passed"] for claim in json.loads((out / "claims.json").read_text())}


@pytest.mark.slow
@pytest.mark.parametrize("recipe", list(registry.recipes()))
def test_recipe_on_two_workers_holds_its_claims_as_one_process(tmp_path, recipe):
    proc, out = run_recipe(recipe, tmp_path / "two", "--workers", "2")
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "finished" and record["cluster"]["workers"] == 2
    held = re.search(rf"^\[worker 0\] {recipe}: (\d+)/(\d+) claims hold; wrote ", proc.stdout, re.MULTILINE)
    assert held, proc.stdout[-3000:]
    assert [int(held.group(1)), int(held.group(2))] == [record["claims"]["passed"], record["claims"]["total"]]
    assert record["claims"]["total"] > 0 and (out / "results.csv").is_file() and (out / "report.md").is_file()
    assert f"[worker 1] {recipe}: this worker's part is done" in proc.stdout
    _, alone = run_recipe(recipe, tmp_path / "one")
    assert verdicts(out) == verdicts(alone)
