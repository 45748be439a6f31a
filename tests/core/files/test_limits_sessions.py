"""Hostile and malformed session files, and saves that fail half-way (issue "Limits that hold").

Every bad file is refused with a ValueError whose text names the file, without blocking or
reading without bound; a refused load leaves the workspace as it was; a failed save keeps the
old file whole.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.core.files import atomic
from playground.core.files.session_file import SESSION_FORMAT, read_session, write_session
from playground.core.limits import LOAD_WORK_BUDGET, MAX_SESSION_BYTES, WORK_BUDGET
from playground.core.tensorlab.workspace import Workspace


def doc(statements: object = (), **fields: object) -> str:
    """A session document with the given fields over the valid defaults."""
    base: dict = {"format": SESSION_FORMAT, "version": 1, "statements": list(statements)
                  if isinstance(statements, tuple) else statements}
    base.update(fields)
    return json.dumps(base)


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


def _bytes(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    pass


def _loop(path: Path) -> None:
    path.symlink_to(path)


def _big(path: Path) -> None:
    path.write_text(doc(["x = torch.ones(2)"], pad="x" * (MAX_SESSION_BYTES + 10)))


# (id, how to make the file); read_session must refuse every one.
BAD_FILES: list[tuple[str, Callable[[Path], None]]] = [
    ("deep-100000", _text("[" * 100_000 + "]" * 100_000)),
    ("deep-object", _text('{"a":' * 50_000 + "1" + "}" * 50_000)),
    ("deep-in-field", _text(doc(extra="[" * 30 + "]" * 30)[:-1] + ', "more": '
                            + "[" * 30 + "]" * 30 + "}")),
    ("dev-zero", _symlink("/dev/zero")),
    ("dev-urandom", _symlink("/dev/urandom")),
    ("dev-null", _symlink("/dev/null")),
    ("fifo", _fifo),
    ("folder", _folder),
    ("missing", _missing),
    ("symlink-loop", _loop),
    ("too-big", _big),
    ("digits-5000", _text('{"format": "gradient-playground-session", "version": 1, '
                          '"statements": [], "n": ' + "9" * 5000 + "}")),
    ("version-999", _text(doc(version=999))),
    ("version-abc", _text(doc(version="abc"))),
    ("version--1", _text(doc(version=-1))),
    ("version-0", _text(doc(version=0))),
    ("version-1.5", _text(doc(version=1.5))),
    ("version-true", _text(doc(version=True))),
    ("version-null", _text(doc(version=None))),
    ("version-string-1", _text(doc(version="1"))),
    ("version-missing", _text(json.dumps({"format": SESSION_FORMAT, "statements": []}))),
    ("no-format", _text(json.dumps({"version": 1, "statements": []}))),
    ("other-format", _text(doc(format="jupyter"))),
    ("statements-string", _text(doc(statements="x = torch.ones(2)"))),
    ("statements-numbers", _text(doc(statements=[1, 2]))),
    ("statements-nested", _text(doc(statements=[["x = torch.ones(2)"]]))),
    ("statements-null", _text(doc(statements=None))),
    ("too-many-statements", _text(doc(statements=["a = torch.ones(1)"] * 6000))),
    ("empty", _text("")),
    ("whitespace", _text("   \n")),
    ("null", _text("null")),
    ("list", _text("[]")),
    ("truncated", _text(doc(["x = torch.ones(2)"])[:-5])),
    ("not-utf8", _bytes(b'{"format": "\xff\xfe"}')),
    ("utf16", _bytes(doc().encode("utf-16"))),
    ("nan-statements", _text('{"format": "gradient-playground-session", "version": 1, '
                             '"statements": NaN}')),
    ("pickle", _bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94.")),
    ("binary-zeros", _bytes(b"\x00" * 1000)),
]

# Files that read fine but whose statements a load must refuse, leaving the workspace as it was.
BAD_STATEMENTS: list[tuple[str, list[str]]] = [
    ("import", ["import os"]),
    ("escape", ["__import__('os').system('touch canary')"]),
    ("open", ["open('canary.txt', 'w')"]),
    ("size-as-tensor", ["a = torch.ones(torch.tensor(250000000)).sum()"]),
    ("too-big-total", [f"t{i} = torch.zeros(9000000)" for i in range(6)]),
    ("dims-65", ["a = torch.zeros(" + ", ".join(["1"] * 65) + ")"]),
    ("runtime-error", ["a = torch.ones(2)", "b = a @ torch.ones(3)"]),
    ("statement-too-long", ["a = torch.ones(2)" + " " * 10_001]),
    ("unknown-name", ["b = a * 2"]),
    ("many-per-line", ["; ".join(["a = torch.ones(1)"] * 101)]),
    ("graph-memory", ["g = torch.randn(9000000, requires_grad=True)",
                      "s = g" + ".exp()" * 12 + ".sum()"]),
]


def test_the_session_corpus_is_big_enough() -> None:
    assert len(BAD_FILES) + len(BAD_STATEMENTS) >= 45


def _read_with_deadline(path: Path, read: Callable[[Path], object] = read_session,
                        seconds: float = 10.0) -> BaseException | None:
    """`read` in a thread, so a read that blocks fails the test instead of hanging it."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            read(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 (the test inspects whatever escaped)
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{read.__name__}({path.name}) blocked"
    return outcome[0]


@pytest.mark.parametrize(("name", "make"), BAD_FILES, ids=[n for n, _ in BAD_FILES])
def test_bad_session_file_is_refused_naming_the_file(tmp_path: Path, name: str,
                                                     make: Callable[[Path], None]) -> None:
    path = tmp_path / f"{name}.json"
    make(path)
    error = _read_with_deadline(path)
    assert isinstance(error, ValueError), repr(error)
    assert str(path) in str(error)
    assert "\n" not in str(error)  # one line: it goes in a status bar and on stderr


@pytest.mark.parametrize(("name", "statements"), BAD_STATEMENTS,
                         ids=[n for n, _ in BAD_STATEMENTS])
def test_session_with_bad_statements_loads_nothing(tmp_path: Path, monkeypatch, name: str,
                                                   statements: list[str]) -> None:
    canary = tmp_path / "canary"
    canary.mkdir()
    monkeypatch.chdir(canary)
    path = tmp_path / f"{name}.json"
    write_session(path, ["torch.manual_seed(0)", *statements])
    ws = Workspace()
    assert ws.run("x = torch.ones(3, requires_grad=True)").ok
    before_log, before_x = ws.log, ws.tensor("x").clone()
    result = ws.load(read_session(path))
    assert not result.ok and result.messages and "Entry " in result.messages[0].text
    assert ws.log == before_log and ws.names == ["x"]
    assert ws.tensor("x").equal(before_x)
    assert os.listdir(canary) == []


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + doc(["x = torch.ones(2)"]).encode("utf-8"))
    assert read_session(path) == ["x = torch.ones(2)"]


def test_version_error_names_the_file_and_the_version(tmp_path: Path) -> None:
    path = tmp_path / "future.json"
    path.write_text(doc(version=999))
    with pytest.raises(ValueError, match=r"future\.json is session format version 999"):
        read_session(path)


def test_a_5000_digit_number_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "digits.json"
    path.write_text('{"n": ' + "9" * 5000 + "}")
    with pytest.raises(ValueError, match="digits.json"):
        read_session(path)


def test_save_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_session(path, ["a = torch.ones(1)"])
    write_session(path, ["b = torch.ones(2)"])
    assert read_session(path) == ["b = torch.ones(2)"]
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary left behind


def test_save_into_a_missing_folder_raises_oserror_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_session(tmp_path / "nope" / "s.json", ["a = torch.ones(1)"])
    with pytest.raises(OSError):
        atomic.write_text(tmp_path / "nope" / "s.py", "print(1)\n")
    assert list(tmp_path.iterdir()) == []


FULL_DISK_CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from playground.core.files.session_file import write_session
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (120, 120))
    try:
        write_session(sys.argv[1], ["x = torch.ones(2)"] * 50)
    except OSError as exc:
        print("refused:", exc.strerror)
    else:
        print("written")
    """
)


def test_a_save_on_a_full_disk_keeps_the_old_file(tmp_path: Path) -> None:
    # The reproduction: a file-size limit of 120 bytes, then overwrite a session.
    path = tmp_path / "keep.json"
    write_session(path, ["a = torch.ones(1)"])
    old = path.read_bytes()
    assert len(old) < 120
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_CHILD, str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert proc.stdout.startswith("refused: File too large")
    assert path.read_bytes() == old
    assert read_session(path) == ["a = torch.ones(1)"]
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_a_session_cannot_make_the_load_run_for_minutes(tmp_path: Path) -> None:
    # Each line is under the one-line budget (14 matmuls of 1000x1000), but 60 of them would
    # take about half a minute to replay: the load stops at its own budget instead (20 lines'
    # worth by default, about ten seconds here).
    heavy = "; ".join(["d = c @ c"] * 14)
    path = tmp_path / "slow.json"
    write_session(path, ["torch.manual_seed(0)", "c = torch.ones(1000, 1000)"] + [heavy] * 60)
    ws = Workspace()
    assert inspect.signature(ws.load).parameters["work_budget"].default == LOAD_WORK_BUDGET
    result = ws.load(read_session(path), work_budget=3 * WORK_BUDGET)  # quicker to test
    assert not result.ok and "Replaying this session" in result.messages[0].text
    assert ws.names == [] and len(ws.log) == 1
    # Once opened, typed lines keep only their own budget: three more heavy lines pass the
    # load's cap and still run.
    assert ws.load(["c = torch.ones(1000, 1000)", heavy], work_budget=2 * WORK_BUDGET).ok
    for _ in range(3):
        assert ws.run(heavy).ok


def _read_whole_session(path: Path) -> None:
    from playground.core.files.session_file import (
        read_session_file,  # what File > Open and --session use
    )

    read_session_file(path)


@pytest.mark.parametrize(("name", "make"), [f for f in BAD_FILES if f[0] != "list"],
                         ids=[n for n, _ in BAD_FILES if n != "list"])
def test_the_whole_session_reader_refuses_them_too(tmp_path: Path, name: str,
                                                   make: Callable[[Path], None]) -> None:
    # A bare list of statements is a valid (oldest) session for this reader; the rest are not.
    path = tmp_path / f"{name}.json"
    make(path)
    error = _read_with_deadline(path, _read_whole_session)
    assert isinstance(error, ValueError), repr(error)
    assert str(path) in str(error) and "\n" not in str(error)


HEAVY_CHILD = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from playground.core.files.session_file import read_session_file
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    said = {}
    for path in sys.argv[1:]:
        try:
            read_session_file(path)
        except ValueError as exc:
            said[Path(path).name] = str(exc)
    rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(json.dumps({"said": said, "rise_kib": rise}))
""")


def test_heavy_files_are_refused_from_their_counts_without_holding_memory(tmp_path: Path) -> None:
    # A child with a deadline: before the counts, the 48 MB of empty lists took 51 s and
    # 2.6 GB, the million lr changes were accepted, the 200,000 points took 5.6 GiB to draw.
    from tests.core.files.test_session_file import RANGE_FILES, make_bad

    heavy = ("empty-lists-48MB", "lr-changes-1000000", "custom-200000-points",
             "one-list-of-400001-objects")
    paths = {name: make_bad(tmp_path, name, make) for name, make, _ in RANGE_FILES
             if name in heavy}
    proc = subprocess.run([sys.executable, "-c", HEAVY_CHILD, *map(str, paths.values())],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert sorted(report["said"]) == sorted(p.name for p in paths.values())
    assert report["rise_kib"] < 400 * 1024, report  # the files' own bytes, a few times over
