"""The price of a backward (read from the graph before it runs) and of a print (read from the
shape before anything is formatted), on real torch graphs and tensors."""

from __future__ import annotations

import math

import pytest
import torch

from playground.core.language.costs import backward_work
from playground.core.language.grammar import Refused
from playground.core.language.printing import cap, format_value, shown_elements
from playground.core.limits import BACKWARD_NODE_WORK, MACS_PER_UNIT, MAX_PRINT_CHARS


def nodes(root) -> int:
    seen, stack = {root}, [root]
    while stack:
        for fn, _ in stack.pop().next_functions:
            if fn is not None and fn not in seen:
                seen.add(fn)
                stack.append(fn)
    return len(seen)


def test_a_chain_costs_its_nodes_and_the_gradients_through_them() -> None:
    x = torch.ones(1000, requires_grad=True)
    y = x
    for _ in range(50):
        y = y * 1.0001
    s = y.sum()
    count = nodes(s.grad_fn)  # 50 MulBackward0, SumBackward0, AccumulateGrad
    assert count == 52
    # every node but the sum has a 1,000-element gradient flowing in; the sum a scalar one
    assert backward_work(s.grad_fn, math.inf) == count * BACKWARD_NODE_WORK + 2 * (51 * 1000 + 1)


def test_matrix_products_cost_one_product_per_operand_that_needs_a_gradient() -> None:
    a = torch.ones(200, 300, requires_grad=True)
    b = torch.ones(300, 400)
    one = (a @ b).sum()
    both = (a @ b.requires_grad_()).sum()
    macs = 200 * 300 * 400
    extra = backward_work(both.grad_fn, math.inf) - backward_work(one.grad_fn, math.inf)
    # the second operand adds one more product and one more AccumulateGrad node
    assert extra == pytest.approx(macs / MACS_PER_UNIT + BACKWARD_NODE_WORK + 2 * b.numel())
    assert backward_work(one.grad_fn, math.inf) > macs / MACS_PER_UNIT


def test_the_walk_stops_once_past_the_budget() -> None:
    x = torch.ones(10, requires_grad=True)
    y = x
    for _ in range(1000):
        y = y + 1
    price = backward_work(y.sum().grad_fn, 10 * BACKWARD_NODE_WORK)
    assert 10 * BACKWARD_NODE_WORK < price < 20 * BACKWARD_NODE_WORK


def test_a_graph_of_too_many_nodes_is_refused(monkeypatch) -> None:
    from playground.core.language import costs
    monkeypatch.setattr(costs, "MAX_BACKWARD_NODES", 100)
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.5
    with pytest.raises(Refused, match="more than 100 graph nodes"):
        backward_work(y.sum().grad_fn, math.inf)


@pytest.mark.parametrize("shape", [(1000,), (10, 10, 10), (6, 6, 6, 6, 6), (2000,), (3, 4)])
def test_shown_elements_is_what_torch_formats(shape: tuple[int, ...]) -> None:
    text = str(torch.full(shape, 0.5))
    assert text.count("0.5000") == shown_elements(shape)  # each element formatted is one 0.5000


def test_format_value_charges_what_it_shows_and_caps_the_text() -> None:
    spent: list[float] = []
    e = torch.arange(12.0).reshape(3, 4)
    assert format_value(e, repr, spent.append, 10.0) == repr(e)
    assert spent == [120.0]
    long = "x" * (MAX_PRINT_CHARS + 10)
    assert cap(long) == "x" * MAX_PRINT_CHARS + "\n... (10 more characters not shown)"
