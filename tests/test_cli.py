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
