"""`python -m playground export SESSION --to py|ipynb -o OUT`: a session file as a script or a
notebook, without a window (Qt is never imported). Any bad input: exit 2 and one line.

The output can never destroy anything: it must not be the session itself (by path, link or
inode), a device, a FIFO, a folder or a read-only file (core/files/atomic.check_target), and
it is written atomically. A full or closed stdout is one line on stderr too, not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

FORMATS = ("py", "ipynb")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)  # one line, not argparse's usage block


def main(argv: list[str]) -> int:
    """Export and return the exit status: 0 written, 2 bad input (one line on stderr)."""
    parser = _Parser(prog="gradient-playground export",
                     description="Export a saved session as a Python script or a notebook.")
    parser.add_argument("session", type=Path, help="a .gradplay.json (or older .json) session")
    parser.add_argument("--to", choices=FORMATS, required=True, help="py or ipynb")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                        help="the file to write (never the session itself)")
    try:
        args = parser.parse_args(argv)
        _check_output(args.output, args.session)  # before the replay: a refusal costs nothing
        text = export_text(args.session, args.to)
        _write(args.output, text, args.session)
        _say(f"wrote {args.output}\n")
    except SystemExit as exc:  # --help: its text went to stdout
        _flush_stdout()
        return int(exc.code or 0)
    except ValueError as exc:
        _fail(str(exc))
        return 2
    return 0


def export_text(session: Path, to: str) -> str:
    """The file's contents; ValueError (naming the session) if it cannot be opened or replayed."""
    import nbformat

    from playground.core.export import whole_session
    from playground.core.files.session_file import read_session_file
    from playground.core.tensorlab.workspace import Workspace

    state = read_session_file(session)
    workspace = Workspace()
    result = workspace.load(state.statements)
    if not result.ok:
        why = result.messages[0].text if result.messages else "unknown error"
        raise ValueError(f"Could not replay {session}: {why}")
    note = whole_session.lesson_note(state.lesson, state.step)
    if to == "py":
        return whole_session.to_script(workspace, state.training, note)
    notebook = whole_session.to_notebook(workspace, state.training, note)
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


def _check_output(path: Path, session: Path) -> None:
    from playground.core.files import atomic

    try:
        atomic.check_target(path, inputs=[session])
    except OSError as exc:
        raise ValueError(str(exc)) from None


def _write(path: Path, text: str, session: Path) -> None:
    from playground.core.files import atomic

    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a \ud800 escape in the session
        bad = text[exc.start:exc.end].encode("unicode_escape").decode("ascii")
        raise ValueError(f"could not write {path}: {session} holds text that is not valid "
                         f"Unicode ({bad}); nothing was written") from None
    try:
        atomic.write_bytes(path, data, inputs=[session])
    except atomic.TargetRefused as exc:
        raise ValueError(str(exc)) from None
    except OSError as exc:
        raise ValueError(f"could not write {path}: {exc.strerror or exc}; nothing was "
                         f"written") from None


def _say(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:  # /dev/full, a closed pipe: the file was written, say so on stderr
        _silence_stdout()
        raise ValueError(f"wrote the file, but could not print to stdout: "
                         f"{exc.strerror or exc}") from None


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except OSError as exc:
        _silence_stdout()
        _fail(f"could not print to stdout: {exc.strerror or exc}")


def _silence_stdout() -> None:
    # What could not be written must not fail again when Python flushes stdout at exit.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives to exit)


def _fail(message: str) -> None:
    line = " ".join(message.split())
    with contextlib.suppress(OSError):
        sys.stderr.write(f"gradient-playground export: error: {line}\n")
        sys.stderr.flush()
