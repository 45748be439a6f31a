"""Plain-torch reference code for the tests: what the notebook's cells compute, written out.

Tests compare the playground's numbers with these. Each function starts
from the same seed as a fresh Workspace, whose log begins with torch.manual_seed(0).
"""

from __future__ import annotations

import torch


def seeded() -> torch.Generator:
    """The generator state right after the workspace's torch.manual_seed(0)."""
    return torch.Generator().manual_seed(0)


def first_randn(*shape: int, requires_grad: bool = False) -> torch.Tensor:
    """The first torch.randn(*shape) a fresh workspace makes."""
    return torch.randn(*shape, generator=seeded()).requires_grad_(requires_grad)


def mean_backward(x: torch.Tensor) -> torch.Tensor:
    """The notebook's `z = (x + 2).mean(); z.backward()`: x.grad is 1/numel everywhere."""
    (x + 2).mean().backward()
    assert x.grad is not None
    return x.grad


def vector_backward(shape: tuple[int, ...] = (2, 4)) -> tuple[torch.Tensor, torch.Tensor]:
    """The notebook's `y = x + 2; z = y * y; w = torch.randn(...); z.backward(w)`: (x, w)."""
    gen = seeded()
    x = torch.randn(*shape, generator=gen, requires_grad=True)
    y = x + 2
    z = y * y
    w = torch.randn(*shape, generator=gen)
    z.backward(w)
    return x, w


def accumulation_cell() -> list[float]:
    """The notebook's accumulation cell: x.grad's mean printed after each of its six backwards."""
    x = first_randn(2, 4, requires_grad=True)
    printed = []
    for zero in (False, True):
        for _ in range(3):
            (x + 2).mean().backward()
            assert x.grad is not None
            printed.append(x.grad.mean().item())
            if zero:
                x.grad.zero_()
    return printed
