"""Command-line arguments that must end in exit status 2 and one line saying why.

Each case runs `python -m playground` in a child process (a crash there cannot take pytest
with it) from an empty canary folder, which must still be empty afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.core.files.session_file import write_session


def run_cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The app's command line in a child process, headless."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def place(tmp_path: Path) -> dict[str, Path]:
    """A canary folder to run in, and bad session files beside it."""
    canary = tmp_path / "canary"
    canary.mkdir()
    files = tmp_path / "files"
    files.mkdir()
    (files / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (files / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(files / "fifo.json")
    (files / "v999.json").write_text(json.dumps(
        {"format": "gradient-playground-session", "version": 999, "statements": []}))
    (files / "folder.png").mkdir()
    (files / "a_file").write_text("not a folder")
    write_session(files / "escape.json", ["torch.manual_seed(0)", "import os"])
    write_session(files / "huge.json", ["a = torch.ones(torch.tensor(250000000)).sum()"])
    return {"canary": canary, "files": files}


# Arguments (with {files} for the bad-file folder) and a phrase the one line must contain.
BAD_ARGS: list[tuple[str, str]] = [
    ("--size 100000x100000 --screenshot f.png", "between 200 and 8192"),
    ("--size 99999999999x1", "between 200 and 8192"),
    ("--screenshot /proc/nope/x.png", "cannot create /proc/nope"),
    ("--size 0x0 --screenshot f.png", "between 200 and 8192"),
    ("--size=-5x100", "WIDTHxHEIGHT"),
    ("--size 1e3x800", "WIDTHxHEIGHT"),
    ("--size 800x", "WIDTHxHEIGHT"),
    ("--size abc", "WIDTHxHEIGHT"),
    ("--size 800x600x2", "WIDTHxHEIGHT"),
    ("--lab nope", "invalid choice"),
    ("--theme purple", "invalid choice"),
    ("--bogus", "unrecognized arguments"),
    ("--screenshot", "expected one argument"),
    ("--screenshot f.jpg", "must end in .png"),
    ("--screenshot {files}/folder.png", "that is a folder"),
    ("--screenshot {files}/a_file/x.png", "cannot create"),
    ("--session {files}/missing.json", "missing.json"),
    ("--session {files}/deep.json", "nested more than"),
    ("--session {files}/zero.json", "not a regular file"),
    ("--session {files}/fifo.json", "not a regular file"),
    ("--session {files}/v999.json", "version 999"),
    ("--session {files} --screenshot f.png", "folder"),
    ("--session {files}/escape.json --screenshot f.png", "import"),
    ("--session {files}/huge.json --screenshot f.png", "250,000,000"),
]


@pytest.mark.parametrize(("args", "phrase"), BAD_ARGS, ids=[a for a, _ in BAD_ARGS])
def test_bad_argument_exits_2_with_one_line(place: dict[str, Path], args: str,
                                            phrase: str) -> None:
    argv = args.format(files=place["files"]).split()
    proc = run_cli(argv, place["canary"])
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert phrase in lines[0]
    assert proc.stdout == ""
    assert os.listdir(place["canary"]) == []


def test_a_good_screenshot_is_written(tmp_path: Path) -> None:
    proc = run_cli(["--size", "640x400", "--screenshot", "shot.png"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = (tmp_path / "shot.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.png"]  # no temporary left


# ----- export: an output that cannot destroy -------------------------------------------------------
def _session(path: Path, dataset_name: str = "Notebook: two points") -> Path:
    from playground.core.files.session_file import session_document, write_session_file
    from playground.core.training.session import TrainingSession

    doc = session_document(["torch.manual_seed(0)", "a = torch.ones(2, requires_grad=True)"],
                           TrainingSession())
    doc["training"]["config"]["dataset"]["name"] = dataset_name
    write_session_file(path, doc)
    return path


def _export_place(tmp_path: Path) -> dict[str, Path]:
    session = _session(tmp_path / "same.gradplay.json")
    (tmp_path / "link.json").symlink_to(session.name)
    os.link(session, tmp_path / "hard.json")
    (tmp_path / "ro.py").write_text("# keep me\n")
    (tmp_path / "ro.py").chmod(0o444)
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "surrogate.json").write_text(
        (tmp_path / "same.gradplay.json").read_text().replace("Notebook: two points",
                                                              "Notebook \\ud800"))
    return {"session": session}


# (arguments after `export`, a phrase of the one line); each must leave every file as it was.
BAD_EXPORTS: list[tuple[str, str]] = [
    ("same.gradplay.json --to py -o same.gradplay.json", "the file being read"),
    ("same.gradplay.json --to ipynb -o ./same.gradplay.json", "the file being read"),
    ("same.gradplay.json --to py -o link.json", "the file being read"),
    ("same.gradplay.json --to py -o hard.json", "the file being read"),
    ("link.json --to py -o same.gradplay.json", "the file being read"),
    ("same.gradplay.json --to py -o /dev/null", "not a regular file"),
    ("same.gradplay.json --to py -o fifo.py", "not a regular file"),
    ("same.gradplay.json --to py -o ro.py", "read-only"),
    ("same.gradplay.json --to py -o folder", "folder"),
    ("same.gradplay.json --to py -o missing/x.py", "missing/x.py"),
    ("surrogate.json --to py -o s.py", "surrogate.json: it holds \\ud800"),
]


@pytest.mark.parametrize(("args", "phrase"), BAD_EXPORTS, ids=[a for a, _ in BAD_EXPORTS])
def test_an_export_never_writes_over_what_it_must_not(tmp_path: Path, args: str,
                                                      phrase: str) -> None:
    _export_place(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()
              if p.is_file() and not p.is_symlink() and p.name != "fifo.py"}
    names = sorted(os.listdir(tmp_path))
    proc = run_cli(["export", *args.split()], tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert phrase in lines[0], lines[0]
    assert sorted(os.listdir(tmp_path)) == names  # nothing new, not even a temporary
    assert {n: (tmp_path / n).read_bytes() for n in before} == before
    assert (tmp_path / "link.json").is_symlink()


def test_a_symlink_named_as_the_output_is_written_through(tmp_path: Path) -> None:
    _session(tmp_path / "s.gradplay.json")
    (tmp_path / "real.py").write_text("old\n")
    (tmp_path / "out.py").symlink_to("real.py")
    proc = run_cli(["export", "s.gradplay.json", "--to", "py", "-o", "out.py"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out.py").is_symlink()  # the link kept, its target replaced
    assert "torch.ones(2, requires_grad=True)" in (tmp_path / "real.py").read_text()


def test_a_248_byte_output_name_works_and_leaves_no_temporary(tmp_path: Path) -> None:
    _session(tmp_path / "s.gradplay.json")
    name = "a" * 245 + ".py"
    proc = run_cli(["export", "s.gradplay.json", "--to", "py", "-o", name], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(os.listdir(tmp_path)) == sorted([name, "s.gradplay.json"])
    assert "torch.ones(2" in (tmp_path / name).read_text()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_device_is_one_line(tmp_path: Path) -> None:
    _session(tmp_path / "s.gradplay.json")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "playground", "export", "s.gradplay.json",
                               "--to", "py", "-o", "s.py"], cwd=tmp_path, env=env,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], proc.stderr[-2000:]
    assert "torch.ones(2" in (tmp_path / "s.py").read_text()  # the file itself was written
