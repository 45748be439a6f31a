"""A whole session as a plain script or a Jupyter notebook (nbformat) that reproduces it.

Both hold the Tensor Lab's statement log followed by prints of every tensor and leaf grad (the
same lines `tensorlab_script.to_script()` ends with), then, when the Training Lab holds anything
beyond its untouched defaults, the training loop `session_to_script()` writes for the run on
screen (it prints the notebook-style log the window shows). `to_*` returns the text (or notebook), `write_*` writes it. The notebook groups the statements into cells that end at
each backward or grad reset, with a short Markdown note before each, and the lesson step that was
open as Markdown at the top. Nothing here runs the code: statements are read by tensorlab/log.py, with `ast` only.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playground.core.export import tensorlab_script, training_script
from playground.core.export.training_script import session_to_script
from playground.core.files import atomic
from playground.core.lessons.format import load_lessons
from playground.core.tensorlab import log as log_reader
from playground.core.tensorlab.workspace import Workspace
from playground.core.training.config import TrainConfig
from playground.core.training.datasets import DataSetup
from playground.core.training.session import TrainingSession

if TYPE_CHECKING:
    import nbformat

# Calls after which the notebook starts a new cell: each is a step a learner would look at.
_CELL_ENDERS = {"backward", "zero_", "zero_grad"}


@dataclass(frozen=True)
class LessonNote:
    """The lesson step that was open, as text for the export (title and explanation)."""

    lesson_title: str
    step_number: int  # 1-based, as the panel shows it
    step_title: str
    text: str


def lesson_note(lesson_id: str | None, step: int | None) -> LessonNote | None:
    """The shipped lesson step with this id and index; None if there is none (or no lesson)."""
    if lesson_id is None:
        return None
    lessons, _errors = load_lessons()
    for lesson in lessons:
        if lesson.id == lesson_id:
            index = min(max(step or 0, 0), len(lesson.steps) - 1)
            if index < 0:
                return None
            chosen = lesson.steps[index]
            return LessonNote(lesson.title, index + 1, chosen.title, chosen.text)
    return None


def training_in_use(training: TrainingSession | None) -> bool:
    """True when the Training Lab holds a run or a setup changed from the defaults."""
    if training is None:
        return False
    return bool(training.current is not None or training.earlier
                or training.config != TrainConfig() or training.data != DataSetup())


def to_script(workspace: Workspace, training: TrainingSession | None,
              note: LessonNote | None = None) -> str:
    """The session as one .py that plain `python` runs: one docstring, one import block, the
    Tensor Lab's statements and prints, then the Training Lab's loop (if it was used)."""
    with_training = training_in_use(training)
    then = ", then the Training Lab's run" if with_training else ""
    imports = list(training_script.IMPORTS) if with_training else ["import torch"]
    lines = [f'"""Exported from Gradient Playground: the Tensor Lab\'s statements{then}."""', "",
             *imports, ""]
    if note is not None:
        lines += [f"# Lesson: {note.lesson_title}, step {note.step_number}: {note.step_title}",
                  ""]
    lines += ["# ----- Tensor Lab -----",
              tensorlab_script.to_script(workspace, header=False).rstrip("\n")]
    if with_training:
        assert training is not None
        loop = session_to_script(training, header=False).rstrip("\n")
        lines += ["", "", f"# ----- Training Lab: {_run_label(training)} -----",
                  *unshadow_builtins(workspace, loop), loop]
    return "\n".join(lines) + "\n"


def to_notebook(workspace: Workspace, training: TrainingSession | None,
                note: LessonNote | None = None) -> nbformat.NotebookNode:
    """The session as a notebook: Markdown notes, statement cells, a print cell, the loop."""
    # Imported here: nbformat (with its JSON-schema validator) is 10 % of the start-up import.
    from nbformat import v4

    cells = [v4.new_markdown_cell(
        "# Gradient Playground session\n\nRun the cells in order: they rebuild the Tensor Lab's "
        "tensors with the same statements, then print every tensor and every leaf's `.grad`.")]
    if note is not None:
        cells.append(v4.new_markdown_cell(
            f"## Lesson: {note.lesson_title}\n\n**Step {note.step_number}: {note.step_title}**"
            f"\n\n{note.text}"))
    groups = statement_groups(workspace.log)
    for index, group in enumerate(groups):
        source = "\n".join(group)
        if index == 0:
            source = "import torch\n\n" + source
        cells.append(v4.new_markdown_cell(describe(group)))
        cells.append(v4.new_code_cell(source))
    prints = "\n".join(tensorlab_script.print_lines(workspace))
    if prints:
        cells.append(v4.new_markdown_cell("What the Tensor Lab shows: each tensor, and the "
                                          "`.grad` of each leaf that has one."))
        cells.append(v4.new_code_cell(prints))
    if training_in_use(training):
        assert training is not None
        cells.append(v4.new_markdown_cell(
            f"## Training Lab\n\nThe run on screen ({_run_label(training)}) as a plain torch "
            "loop: it prints the notebook's log every tenth epoch, then the final predictions, "
            "loss, w and b."))
        imports = () if groups else training_script.IMPORTS  # the first cell imported torch
        loop = session_to_script(training, header=False).rstrip("\n")
        head = "\n".join([*imports, *unshadow_builtins(workspace, loop)])
        cells.append(v4.new_code_cell(f"{head}\n\n{loop}" if head else loop))
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def unshadow_builtins(workspace: Workspace, code: str) -> list[str]:
    """The line that gives `code` (the training loop) back Python's own `range`, `len`, `str`,
    ... when a Tensor Lab tensor above took the name (empty when none did)."""
    used = {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}
    hidden = sorted(name for name in workspace.names if name in used and name in vars(builtins))
    if not hidden:
        return []
    return [f"from builtins import {', '.join(hidden)}  # the tensors above hid Python's own"]


def write_script(path: str | Path, text: str) -> None:
    """Atomic: a failed write keeps the old file (OSError says why)."""
    atomic.write_text(path, text)


def write_notebook(path: str | Path, notebook: nbformat.NotebookNode) -> None:
    """Validate against the nbformat schema, then write atomically."""
    import nbformat

    nbformat.validate(notebook)
    atomic.write_text(path, nbformat.writes(notebook))


def statement_groups(log: Iterable[str]) -> list[list[str]]:
    """The log split into cells, each ending after a backward or a grad reset."""
    return log_reader.statement_groups(log, _CELL_ENDERS)


def describe(group: list[str]) -> str:
    """A one-line Markdown note on what a cell of statements does."""
    names: list[str] = []
    calls: set[str] = set()
    for entry in group:
        facts = log_reader.read_entry(entry)
        names += [n for n in facts.assigned if n not in names]
        calls |= facts.calls
    parts = []
    if names:
        parts.append("Build " + ", ".join(f"`{n}`" for n in names))
    if "backward" in calls:
        parts.append("call `backward()`: autograd fills `.grad` of the leaves it reaches")
    if calls & {"zero_", "zero_grad"}:
        parts.append("reset the gradients to zero")
    if "manual_seed" in calls and not parts:
        parts.append("Seed the random numbers, so `randn` gives the same values as in the window")
    text = "; then ".join(parts) if parts else "Run the next statements"
    return text[0].upper() + text[1:] + "."


def _run_label(training: TrainingSession) -> str:
    run = training.current
    if run is not None and run.epochs_done:
        return run.label()
    config = training.config
    return f"the setup, {config.optimizer}, lr {config.lr:g}, {config.epochs} epochs (not run)"
