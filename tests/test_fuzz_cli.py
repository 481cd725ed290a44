"""Bad invocations of run, list, tune and the top level: each gets exit 2 and one line, never a traceback,
and writes nothing. In-process through nnzoo.cli.main; none of them trains anything."""

import json

import pytest

from nnzoo import cli

LONG_NAME = "x" * 300
HUGE = "9" * 401
RUNNING = {"recipe": "xor_mlp", "seed": 0, "quick": False, "monitor": False, "strategy": None, "status": "interrupted"}

# (argv, TF_CONFIG or None, text the one line must contain); {file}, {full}, {dir} and the folders
# in FOLDERS are replaced by paths under the test's tmp_path.
CASES = [
    # top level
    ([], None, "the following arguments are required: VERB"),
    (["frobnicate"], None, "invalid choice: 'frobnicate'"),
    (["RUN"], None, "invalid choice: 'RUN'"),
    (["--bogus"], None, "the following arguments are required"),
    (["--bogus", "list"], None, "unrecognized arguments: --bogus"),
    (["-x", "list"], None, "unrecognized arguments: -x"),
    ([""], None, "invalid choice: ''"),
    (["\x00"], None, "invalid choice"),
    (["é"], None, "invalid choice: 'é'"),
    ([LONG_NAME], None, "invalid choice"),
    (["--version=3"], None, "ignored explicit argument"),
    # list
    (["list", "extra"], None, "unrecognized arguments: extra"),
    (["list", "--bogus"], None, "unrecognized arguments: --bogus"),
    (["list", "--names=yes"], None, "ignored explicit argument 'yes'"),
    (["list", "-n"], None, "unrecognized arguments: -n"),
    (["list", "--names", "--names", "x"], None, "unrecognized arguments: x"),
    # run: recipe names
    (["run"], None, "the following arguments are required: recipe"),
    (["run", "no_such_recipe"], None, "Unknown recipe 'no_such_recipe'"),
    (["run", ""], None, "Unknown recipe ''"),
    (["run", "XOR_MLP"], None, "Unknown recipe 'XOR_MLP'"),
    (["run", "../xor_mlp"], None, "Unknown recipe '../xor_mlp'"),
    (["run", "xor_mlp.py"], None, "Unknown recipe 'xor_mlp.py'"),
    (["run", "__init__"], None, "Unknown recipe '__init__'"),
    (["run", "_private"], None, "Unknown recipe '_private'"),
    (["run", "xor mlp"], None, "Unknown recipe 'xor mlp'"),
    (["run", "ｘor_mlp"], None, "Unknown recipe"),
    (["run", LONG_NAME], None, "Unknown recipe"),
    (["run", "xor_mlp", "extra"], None, "unrecognized arguments: extra"),
    # run: numbers
    (["run", "xor_mlp", "--seed", "-1"], None, "--seed must be an integer in [0, 2147483647]"),
    (["run", "xor_mlp", "--seed", "2147483648"], None, "--seed must be an integer in [0, 2147483647]"),
    (["run", "xor_mlp", "--seed", HUGE], None, "--seed must be an integer in [0, 2147483647]"),
    (["run", "xor_mlp", "--seed", "9" * 5000], None, "invalid int value"),
    (["run", "xor_mlp", "--seed", "1.5"], None, "invalid int value: '1.5'"),
    (["run", "xor_mlp", "--seed", "nan"], None, "invalid int value: 'nan'"),
    (["run", "xor_mlp", "--seed", "1e3"], None, "invalid int value: '1e3'"),
    (["run", "xor_mlp", "--seed", "0x10"], None, "invalid int value: '0x10'"),
    (["run", "xor_mlp", "--seed", ""], None, "invalid int value: ''"),
    (["run", "xor_mlp", "--seed"], None, "expected one argument"),
    # run: other options
    (["run", "xor_mlp", "--strategy", "bogus"], None, "invalid choice: 'bogus'"),
    (["run", "xor_mlp", "--strategy", "Mirrored"], None, "invalid choice: 'Mirrored'"),
    (["run", "xor_mlp", "--epochs", "3"], None, "unrecognized arguments: --epochs 3"),
    (["run", "xor_mlp", "--quick=yes"], None, "ignored explicit argument 'yes'"),
    (["run", "xor_mlp", "--resume=1"], None, "ignored explicit argument '1'"),
    (["run", "xor_mlp", "--out"], None, "expected one argument"),
    # run: --out paths
    (["run", "xor_mlp", "--out", "a\x00b"], None, "a path must have no NUL byte"),
    (["run", "xor_mlp", "--out", LONG_NAME], None, "names of at most 255 bytes"),
    (["run", "xor_mlp", "--out", "/".join(["d" * 200] * 25)], None, "at most 4096 bytes in all"),
    (["run", "xor_mlp", "--out", "é" * 200], None, "names of at most 255 bytes"),
    (["run", "xor_mlp", "--out", "{file}"], None, "already exists and is not empty"),
    (["run", "xor_mlp", "--out", "{file}/sub"], None, "cannot be written"),
    (["run", "all", "--out", "{file}"], None, "cannot be written"),
    (["run", "xor_mlp", "--out", "{full}"], None, "add --resume to continue"),
    # run: --resume
    (["run", "xor_mlp", "--resume"], None, "--resume needs --out"),
    (["run", "xor_mlp", "--resume", "--out", "{dir}/missing"], None, "Nothing to resume"),
    (["run", "xor_mlp", "--resume", "--out", "{file}"], None, "is not a folder"),
    (["run", "xor_mlp", "--resume", "--out", "{full}"], None, "it has no run.json"),
    (["run", "xor_mlp", "--resume", "--out", "{damaged}"], None, "is damaged or not an nnzoo run record"),
    (["run", "xor_mlp", "--resume", "--out", "{listed}"], None, "a JSON list, not an object"),
    (["run", "xor_mlp", "--resume", "--out", "{binary}"], None, "is damaged or not an nnzoo run record"),
    (["run", "batchnorm", "--resume", "--out", "{interrupted}"], None, "recipe='xor_mlp' there, 'batchnorm' here"),
    (["run", "xor_mlp", "--resume", "--seed", "1", "--out", "{interrupted}"], None, "seed=0 there, 1 here"),
    (["run", "xor_mlp", "--resume", "--quick", "--out", "{interrupted}"], None, "quick=False there, True here"),
    (["run", "xor_mlp", "--resume", "--monitor", "--out", "{interrupted}"], None, "monitor=False there, True here"),
    (
        ["run", "xor_mlp", "--resume", "--strategy", "mirrored", "--out", "{interrupted}"],
        None,
        "--resume works without --strategy",
    ),
    (
        ["run", "xor_mlp", "--resume", "--strategy", "multi-worker", "--out", "{interrupted}"],
        None,
        "--resume works without --strategy",
    ),
    # run: TF_CONFIG for --strategy multi-worker
    (["run", "xor_mlp", "--strategy", "multi-worker"], "{", "TF_CONFIG is not valid JSON"),
    (["run", "xor_mlp", "--strategy", "multi-worker"], "not json", "TF_CONFIG is not valid JSON"),
    (["run", "xor_mlp", "--strategy", "multi-worker"], "[]", 'TF_CONFIG needs a non-empty "cluster" object'),
    (["run", "xor_mlp", "--strategy", "multi-worker"], '{"cluster": 5}', 'TF_CONFIG needs a non-empty "cluster"'),
    (
        ["run", "xor_mlp", "--strategy", "multi-worker"],
        '{"cluster": {"worker": "a:1"}}',
        'TF_CONFIG job "worker" must be a non-empty list of "host:port" strings',
    ),
    (
        ["run", "xor_mlp", "--strategy", "multi-worker"],
        '{"task": {"type": "worker", "index": "0"}}',
        'TF_CONFIG needs a non-empty "cluster" object',
    ),
    (
        ["run", "xor_mlp", "--strategy", "multi-worker"],
        '{"task": {"type": 1, "index": 0}}',
        'TF_CONFIG needs a non-empty "cluster" object',
    ),
    # tune
    (["tune"], None, "the following arguments are required: recipe"),
    (["tune", "no_such_recipe"], None, "Unknown recipe 'no_such_recipe'"),
    (["tune", "xor_mlp"], None, "has no search space"),
    (["tune", "batchnorm", "--tuner", "bogus"], None, "Unknown tuner 'bogus'"),
    (["tune", "batchnorm", "--objective", "bogus"], None, "Unknown objective 'bogus'"),
    (["tune", "batchnorm", "--max-trials", "0"], None, "--max-trials must be an integer in [1, 10000]"),
    (["tune", "batchnorm", "--max-trials", "-3"], None, "--max-trials must be an integer in [1, 10000]"),
    (["tune", "batchnorm", "--max-trials", HUGE], None, "--max-trials must be an integer in [1, 10000]"),
    (["tune", "batchnorm", "--max-trials", "ten"], None, "invalid int value: 'ten'"),
    (["tune", "batchnorm", "--folds", "0"], None, "--folds must be an integer in [1, 20]"),
    (["tune", "batchnorm", "--folds", "21"], None, "--folds must be an integer in [1, 20]"),
    (["tune", "batchnorm", "--executions-per-trial", "0"], None, "--executions-per-trial must be an integer"),
    (["tune", "batchnorm", "--seed", "-1"], None, "--seed must be an integer in [0, 2147483647]"),
    (["tune", "batchnorm", "--seed", HUGE], None, "--seed must be an integer in [0, 2147483647]"),
    (["tune", "batchnorm", "--wait", "nan"], None, "--wait must be a number in [1, 86400]"),
    (["tune", "batchnorm", "--wait", "inf"], None, "--wait must be a number in [1, 86400]"),
    (["tune", "batchnorm", "--wait", "-1"], None, "--wait must be a number in [1, 86400]"),
    (["tune", "batchnorm", "--wait", "1e400"], None, "--wait must be a number in [1, 86400]"),
    (["tune", "batchnorm", "--wait", "soon"], None, "invalid float value: 'soon'"),
    (["tune", "batchnorm", "--oracle", "x:99999", "--worker"], None, "--oracle must be HOST:PORT"),
    (["tune", "batchnorm", "--oracle", "nocolon", "--worker"], None, "--oracle must be HOST:PORT"),
    (["tune", "batchnorm", "--chief", "--worker"], None, "--chief and --worker are exclusive"),
    (["tune", "batchnorm", "--out", "a\x00b"], None, "a path must have no NUL byte"),
    (["tune", "batchnorm", "--out", LONG_NAME], None, "names of at most 255 bytes"),
    (["tune", "batchnorm", "--refine-from", LONG_NAME], None, "names of at most 255 bytes"),
    (["tune", "batchnorm", "--out", "{file}"], None, "is a file, not a folder"),
    (["tune", "batchnorm", "--out", "{file}", "--overwrite"], None, "is a file, not a folder"),
    (["tune", "batchnorm", "--bogus"], None, "unrecognized arguments: --bogus"),
]
FOLDERS = {"full": None, "interrupted": json.dumps(RUNNING), "damaged": "{", "listed": "[]", "binary": b"\xff\xfe\x00"}


def paths(tmp_path):
    """The files and folders the cases name: a file, a folder of someone else's, run folders good and bad."""
    found = {"dir": str(tmp_path), "file": str(tmp_path / "file")}
    (tmp_path / "file").write_text("mine")
    for name, record in FOLDERS.items():
        folder = tmp_path / name
        folder.mkdir()
        if record is None:
            (folder / "notes.txt").write_text("mine")
        elif isinstance(record, bytes):
            (folder / "run.json").write_bytes(record)
        else:
            (folder / "run.json").write_text(record)
        found[name] = str(folder)
    return found


def snapshot(root):
    return sorted((str(p.relative_to(root)), p.read_bytes() if p.is_file() else None) for p in root.rglob("*"))


def test_there_are_enough_cases():
    assert len(CASES) >= 70


@pytest.mark.parametrize("argv, tf_config, needle", CASES, ids=[f"{k}" for k in range(len(CASES))])
def test_bad_invocation_gets_one_line_and_exit_2(argv, tf_config, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    found = paths(tmp_path)
    argv = [a.format(**found) if "{" in a and "}" in a and "\x00" not in a else a for a in argv]
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        monkeypatch.delenv(name, raising=False)
    before = snapshot(tmp_path)
    try:
        status = cli.main(argv)
    except SystemExit as stop:  # argparse's usage errors
        status = stop.code
    out, err = capsys.readouterr()
    assert status == 2, (argv, out, err)
    assert "Traceback" not in err and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err
    assert snapshot(tmp_path) == before  # nothing written, nothing the user had touched
