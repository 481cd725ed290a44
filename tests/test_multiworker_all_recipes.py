"""Every recipe on two local workers (``nnzoo run RECIPE --quick --workers 2``): it exits 0, the chief's run
folder is complete with the claims it printed, and worker 1 writes nothing (its scratch folder is gone, the
working folder stays empty). Slow: 22 recipes on two processes each, about 25 minutes on 2 CPU cores."""

import json
import os
import re
import subprocess
import sys

import pytest

from nnzoo import registry


@pytest.mark.slow
@pytest.mark.parametrize("recipe", list(registry.recipes()))
def test_recipe_on_two_workers(tmp_path, recipe):
    scratch, cwd, out = tmp_path / "tmp", tmp_path / "cwd", tmp_path / "run"
    scratch.mkdir()
    cwd.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "nnzoo", "run", recipe, "--quick", "--workers", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        env={**{k: v for k, v in os.environ.items() if k != "TF_CONFIG"}, "TMPDIR": str(scratch)},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "finished" and record["cluster"]["workers"] == 2
    held = re.search(rf"^\[worker 0\] {recipe}: (\d+)/(\d+) claims hold; wrote ", proc.stdout, re.MULTILINE)
    assert held, proc.stdout[-3000:]
    assert [int(held.group(1)), int(held.group(2))] == [record["claims"]["passed"], record["claims"]["total"]]
    assert record["claims"]["total"] > 0 and (out / "results.csv").is_file() and (out / "report.md").is_file()
    assert f"[worker 1] {recipe}: this worker's part is done" in proc.stdout
    assert not list(scratch.iterdir()) and not list(cwd.iterdir())  # worker 1 wrote nothing that stayed
