"""Where a failed backward points in the graph, and which logged statement is to blame.

torch says what went wrong in words ("... is at version 2; expected version 1", "... a second
time"); this maps those words onto a node of the drawn graph and, for an in-place change, onto
the latest statement the log reader says changed a drawn tensor in place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from playground.core.graph.model import AutogradGraph
from playground.core.tensorlab.log import inplace_statements


@dataclass(frozen=True)
class ErrorSpot:
    """Where a failed backward points in the graph, and the statement to blame if any."""

    key: str | None
    reason: Literal["inplace", "freed", "no_gradient", "no_grad_fn", "other"]
    statement: str | None = None
    text: str = ""


_INPLACE = re.compile(r"output (\d+) of (\w+), is at version (\d+); expected version (\d+)")


def locate_error(graph: AutogradGraph, message: str, log: Sequence[str]) -> ErrorSpot:
    """Map torch's backward error text onto a node of `graph` (see ErrorSpot.reason)."""
    if (m := _INPLACE.search(message)) is not None:
        op = m.group(2)  # torch 2.x says "Exp", older ones "ExpBackward0"
        candidates = [
            n.key for n in graph.nodes if n.kind == "function"
            and (n.label == op or re.fullmatch(re.escape(op) + r"(Backward\d*)?", n.label))
        ]
        statement = _inplace_culprit(graph, log)
        text = f"{op} made a tensor that was later changed in place"
        if statement:
            text += f" by `{statement}`"
        return ErrorSpot(candidates[0] if candidates else graph.root, "inplace", statement,
                         text + ".")
    if "backward through the graph a second time" in message or "already been freed" in message:
        freed = [n.key for n in graph.nodes if n.kind == "function" and n.freed]
        return ErrorSpot(freed[0] if freed else graph.root, "freed", None,
                         "This node's saved tensors were freed by an earlier backward.")
    if "can be implicitly created only for scalar outputs" in message:
        return ErrorSpot(graph.root, "no_gradient", None,
                         "The output is not a scalar: backward needs a gradient of its shape.")
    if "does not require grad and does not have a grad_fn" in message:
        return ErrorSpot(graph.root, "no_grad_fn", None,
                         "This tensor has no graph behind it to go backward through.")
    return ErrorSpot(None, "other", None, "")


def _inplace_culprit(graph: AutogradGraph, log: Sequence[str]) -> str | None:
    """The latest statement that changed a drawn tensor in place (else the latest such)."""
    drawn = {n.label for n in graph.nodes if n.kind == "tensor" and n.label}
    found = inplace_statements(log)
    for _, entry, names in reversed(found):
        if drawn.intersection(names):
            return entry
    return found[-1][1] if found else None
