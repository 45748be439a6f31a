"""A Tensor Lab session as a script plain `python` runs: its statements, then its tensors' prints.

What that script prints is `Workspace.printout()`, built in-process with the same formatting,
so the two can be compared. The statements a click produces live in tensorlab/statements.py;
this module only exports (export sits above the tensorlab, never the other way round).
"""

from __future__ import annotations

from playground.core.tensorlab.workspace import Workspace


def print_lines(workspace: Workspace) -> list[str]:
    """The script's closing prints: every tensor, and the .grad of every leaf that has one."""
    with_grad = set(workspace.leaves_with_grad())
    lines = []
    for name in workspace.names:
        lines.append(f'print("{name} =", {name})')
        if name in with_grad:
            lines.append(f'print("{name}.grad =", {name}.grad)')
    return lines


DOCSTRING = ('"""Exported from Gradient Playground: the Tensor Lab\'s statements, then a print of '
             'every tensor\nand of every leaf\'s .grad, as the window shows them."""')


def to_script(workspace: Workspace, *, header: bool = True) -> str:
    """A runnable .py: docstring, import, the log, then prints of every tensor and leaf grad.

    `header=False` leaves out the docstring and import (a whole session writes its own)."""
    head = [DOCSTRING, "", "import torch", ""] if header else []
    return "\n".join([*head, *workspace.log, "", *print_lines(workspace)]) + "\n"
