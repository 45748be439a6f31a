"""`python -m playground export SESSION --to py|ipynb -o OUT`: a session file as a script or a
notebook, without a window (Qt is never imported). Any bad input: exit 2 and one line."""

from __future__ import annotations

import argparse
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
                        help="the file to write")
    try:
        args = parser.parse_args(argv)
        text = export_text(args.session, args.to)
        _write(args.output, text)
    except ValueError as exc:
        sys.stderr.write(f"gradient-playground export: error: {' '.join(str(exc).split())}\n")
        return 2
    print(f"wrote {args.output}")
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


def _write(path: Path, text: str) -> None:
    from playground.core.files import atomic

    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name with -o")
    try:
        atomic.write_text(path, text)
    except OSError as exc:
        raise ValueError(f"could not write {path}: {exc.strerror or exc}") from None
