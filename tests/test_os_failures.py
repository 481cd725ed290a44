"""OS failures while writing: files get the umask's mode; a full disk or a read-only file system gives one line
naming the file, exit 1, nothing half-written, and a folder that ``--resume`` finishes once the cause is fixed."""

import json
import os
import subprocess

import _resume_recipe
import numpy as np
import pytest

from nnzoo import cli, io


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        io.write_json(tmp_path / "a.json", {"x": 1})
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "a.json").st_mode & 0o777 == mode
    assert os.listdir(tmp_path) == ["a.json"]


def test_a_failed_write_keeps_the_previous_file_and_names_the_final_one(tmp_path):
    io.write_text(tmp_path / "kept.txt", "before")
    with pytest.raises(RuntimeError, match="interrupted mid-write"):
        with io.atomic_path(tmp_path / "kept.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted mid-write")
    assert (tmp_path / "kept.txt").read_text() == "before" and os.listdir(tmp_path) == ["kept.txt"]
    with pytest.raises(FileNotFoundError) as raised:
        io.write_text(tmp_path / "missing" / "a.txt", "x")
    assert raised.value.filename == str(tmp_path / "missing" / "a.txt")


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KiB tmpfs: room for the run's first files, not for all of them."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def remount(disk, options):
    subprocess.run(["mount", "-o", f"remount,{options}", str(disk)], check=True)


def one_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_full_disk_then_read_only_then_resume(small_disk, monkeypatch, capsys):
    _resume_recipe.register(monkeypatch)
    out = small_disk / "run"
    argv = ["run", _resume_recipe.NAME, "--out", str(out), "--quiet"]
    assert cli.main(argv) == 1
    line = one_line(capsys)
    assert line.startswith(f"nnzoo run: error: {out}/") and line.endswith(": No space left on device")
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "failed" and "No space left on device" in record["reason"]
    assert not [p for p in out.rglob("*") if ".partial" in p.name]  # nothing half-written
    for checkpoint in (out / "checkpoints").glob("*.npz"):  # what was written is whole
        with np.load(checkpoint) as saved:
            assert json.loads(str(saved["meta"]))["epoch"] >= 1

    remount(small_disk, "ro")
    assert cli.main([*argv, "--resume"]) == 1
    assert one_line(capsys).endswith(": Read-only file system")

    remount(small_disk, "rw,size=4m")
    assert cli.main([*argv, "--resume"]) == 0
    capsys.readouterr()
    assert json.loads((out / "run.json").read_text())["status"] == "finished"
    assert (out / "results.csv").exists() and not (out / "checkpoints").exists()
