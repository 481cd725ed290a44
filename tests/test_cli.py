"""The nnzoo command line: every verb's help, listing without TensorFlow, and the user-error paths."""

import json
import subprocess
import sys

import pytest

from nnzoo import cli, registry
from nnzoo.results import RecipeResult, Run, judge


def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "nnzoo", *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_verb():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for verb in ("list", "run"):
        assert verb in proc.stdout


def test_every_verb_has_help():
    parser = cli.build_parser()
    verbs = parser._subparsers._group_actions[0].choices
    assert {"list", "run"} <= set(verbs)
    for verb in verbs:
        proc = run_cli(verb, "--help")
        assert proc.returncode == 0, proc.stderr
        assert "usage: nnzoo " + verb in proc.stdout


def test_list_and_help_do_not_import_tensorflow():
    code = (
        "import contextlib, sys; from nnzoo.cli import main; main(['list'])\n"
        "with contextlib.suppress(SystemExit): main(['--help'])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "batchnorm" in proc.stdout and "usage: nnzoo" in proc.stdout


def test_list_shows_summary_and_lectures():
    proc = run_cli("list")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("batchnorm"))
    info = registry.get("batchnorm")
    assert info.summary in line and ",".join(info.lectures) in line


@pytest.mark.parametrize(
    "args, needle",
    [
        (("run", "no_such_recipe"), "Unknown recipe 'no_such_recipe'; expected one of:"),
        (("run", "batchnorm", "--seed", "-1"), "--seed must be an integer in [0, 2147483647]. Received: --seed=-1"),
        (("run", "batchnorm", "--strategy", "bogus"), "invalid choice: 'bogus'"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
    ],
)
def test_user_errors_exit_2_with_one_line(args, needle):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 or proc.stderr.startswith("usage:")


def test_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    proc = run_cli("run", "batchnorm", "--quick", "--out", str(blocker / "sub"))
    assert proc.returncode == 2
    assert "cannot be written" in proc.stderr and "Traceback" not in proc.stderr
    assert blocker.read_text() == "mine"


def test_existing_non_empty_out_is_refused_and_kept(tmp_path):
    (tmp_path / "results.csv").write_text("precious")
    proc = run_cli("run", "batchnorm", "--quick", "--out", str(tmp_path))
    assert proc.returncode == 2 and "already exists and is not empty" in proc.stderr
    assert (tmp_path / "results.csv").read_text() == "precious"


def test_recipe_module_runs_as_script_help():
    proc = subprocess.run(
        [sys.executable, "-m", "nnzoo.recipes.batchnorm", "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and "usage: nnzoo run" in proc.stdout
    assert proc.stderr == ""  # TensorFlow, which the recipe's own imports load, loaded quietly (nnzoo/recipes)


def _arranged(holds):
    return holds


def _fake_run(failing):
    import pandas as pd

    def fake(name, **kwargs):
        claims = [
            judge("always", _arranged, {"holds": True}, "as arranged"),
            judge("sometimes", _arranged, {"holds": not failing}, "as arranged"),
        ]
        return Run(
            recipe=name,
            result=RecipeResult(pd.DataFrame({"a": [1]}), claims=claims),
            out_dir=kwargs.get("out"),
            info={},
        )

    return fake


@pytest.mark.parametrize("failing, strict, code", [(True, False, 0), (True, True, 1), (False, True, 0)])
def test_strict_exit_status(monkeypatch, capsys, failing, strict, code):
    import nnzoo

    monkeypatch.setattr(nnzoo, "run", _fake_run(failing))
    args = ["run", "batchnorm"] + (["--strict"] if strict else [])
    assert cli.main(args) == code
    out = capsys.readouterr().out
    assert ("[FAIL] sometimes" in out) == failing


def test_run_all_prints_summary(monkeypatch, capsys, tmp_path):
    import nnzoo

    monkeypatch.setattr(nnzoo, "run", _fake_run(True))
    assert cli.main(["run", "all", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(registry.recipes())} recipes ran" in out and "claims fail" in out


def test_cli_run_writes_folder(tmp_path, capsys):
    assert cli.main(["run", "losses", "--quick", "--quiet", "--out", str(tmp_path / "run")]) == 0
    claims = json.loads((tmp_path / "run" / "claims.json").read_text())
    assert {"claim", "passed", "evidence"} <= set(claims[0])
    assert f"wrote {tmp_path / 'run'}" in capsys.readouterr().out
