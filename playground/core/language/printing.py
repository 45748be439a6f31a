"""Printed output with a price and a ceiling: what `print(x)` and a bare `x` show.

torch summarises a tensor of more than 1,000 elements by its first and last three entries along
every dimension, but a dimension of six or fewer is never shortened: `print` of
`torch.ones(6, 6, 6, 6, 6, 6, 6, 6)` formats all 1.7M elements (16 s, an 11-million-character
string). Here the number of elements torch would format is known from the shape before it
formats any: up to PRINT_ELEMENTS the text is exactly Python's; above, fewer edge items are
shown (torch's own print options, as `torch.set_printoptions(edgeitems=...)` would), and where
even one edge item each way is too many, a one-line summary. Each element formatted costs
PRINT_WORK units of the line's budget, and no text is longer than MAX_PRINT_CHARS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import torch

from playground.core.limits import MAX_PRINT_CHARS, PRINT_ELEMENTS

# torch's defaults (torch.set_printoptions(profile="default")): the exported script runs with
# them, so below PRINT_ELEMENTS the window shows what plain Python prints.
_THRESHOLD = 1000
_EDGEITEMS = 3


def shown_elements(shape: tuple[int, ...], edgeitems: int = _EDGEITEMS) -> int:
    """How many elements torch's repr of a tensor of `shape` formats with these edge items."""
    numel = math.prod(shape)
    if numel <= _THRESHOLD:
        return numel
    return math.prod(min(d, 2 * edgeitems) for d in shape)


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)


def _summary(t: torch.Tensor) -> str:
    head = ", ".join(f"{v:.4g}" for v in t.detach().reshape(-1)[:4].double().tolist())
    shape = ", ".join(str(d) for d in t.shape)
    return (f"<tensor of shape ({shape}), {str(t.dtype).removeprefix('torch.')}: "
            f"{t.numel():,} elements in {t.dim()} dimensions, too many to print; "
            f"the first are {head}>")


def format_value(value: Any, how: Callable[[Any], str], spend: Callable[[float], None],
                 work_per_element: float) -> str:
    """`how(value)` (str or repr) within the limits, after `spend` paid for the elements shown."""
    tensors = list(_tensors(value))
    edgeitems = _EDGEITEMS
    shown = sum(shown_elements(tuple(t.shape)) for t in tensors)
    while shown > PRINT_ELEMENTS and edgeitems > 1:
        edgeitems -= 1
        shown = sum(shown_elements(tuple(t.shape), edgeitems) for t in tensors)
    if shown > PRINT_ELEMENTS:  # even one edge item each way is too many (many short dims)
        spend(len(tensors) * 4 * work_per_element)
        text = _summary(value) if isinstance(value, torch.Tensor) else (
            "(" + ", ".join(_summary(t) for t in tensors) + ")")
        return cap(text)
    spend(shown * work_per_element)
    if edgeitems == _EDGEITEMS:
        return cap(how(value))
    with torch._tensor_str.printoptions(edgeitems=edgeitems):
        text = how(value)
    return cap(text + f"\n(shown with {edgeitems} edge item{'s' if edgeitems > 1 else ''} per "
                      "dimension, as torch.set_printoptions(edgeitems="
                      f"{edgeitems}) would print it)")


def cap(text: str, limit: int = MAX_PRINT_CHARS) -> str:
    """`text`, cut to `limit` characters with a note of how many more there were."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit:,} more characters not shown)"
