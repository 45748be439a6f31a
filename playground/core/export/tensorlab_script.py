"""Turning a Tensor Lab session into a script plain `python` runs, and what that script prints.

The statements a click produces live in `core/tensorlab/statements.py`; this module only exports.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def script(log: Iterable[str], names: Iterable[str], names_with_grad: Iterable[str]) -> str:
    """A runnable .py: imports, the log, then prints of every tensor and every leaf's grad."""
    with_grad = set(names_with_grad)
    lines = ["import torch", "", *log, ""]
    for name in names:
        lines.append(f'print("{name} =", {name})')
        if name in with_grad:
            lines.append(f'print("{name}.grad =", {name}.grad)')
    return "\n".join(lines) + "\n"


def printout(tensors: dict[str, torch.Tensor], names_with_grad: Iterable[str]) -> str:
    """Exactly what `script(...)` prints when run, built in-process with the same formatting."""
    with_grad = set(names_with_grad)
    lines = []
    for name, tensor in tensors.items():
        lines.append(f"{name} = {tensor!s}")  # format() of a 0-d tensor drops "tensor("
        if name in with_grad:
            lines.append(f"{name}.grad = {tensor.grad!s}")
    return "".join(line + "\n" for line in lines)
