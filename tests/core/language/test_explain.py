"""Explanations match torch's own texts for the known pitfalls, and nothing else."""

from __future__ import annotations

import pytest
import torch

from playground.core.language.explain import explain


def torch_error(fn) -> str:
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


def test_explains_real_torch_texts() -> None:
    x = torch.ones(2, requires_grad=True)
    texts = [
        torch_error(lambda: (x * 2).backward()),
        torch_error(lambda: torch.ones(2).sum().backward()),
        torch_error(lambda: torch.ones(2, dtype=torch.int64).requires_grad_()),
        torch_error(lambda: x.add_(1)),
        torch_error(lambda: torch.ones(2, dtype=torch.int64, requires_grad=True)),
        torch_error(lambda: (x * 2).requires_grad_(False)),
        torch_error(lambda: (x * 2).backward(torch.ones(3))),
    ]
    explanations = [explain(t) for t in texts]
    assert all(explanations)
    assert len(set(explanations)) == len(explanations) - 1  # two wordings, one explanation


def test_unknown_text_has_no_explanation() -> None:
    assert explain("something nobody has seen") == ""
