"""Autograd introspection: the leaves a graph reaches, where a tensor was cut off, the hint."""

from __future__ import annotations

import pytest

import playground.core.tensorlab.workspace as workspace_module
from playground.core.tensorlab.hints import grad_leaves, hint_for, history_leaf, leaf_names
from playground.core.tensorlab.log import cut_of
from playground.core.tensorlab.statements import DEFAULT_SESSION
from playground.core.tensorlab.workspace import Workspace


def made(*lines: str, no_grad: bool = False) -> Workspace:
    ws = Workspace()
    for line in lines:
        result = ws.run(line, no_grad=no_grad)
        assert result.ok, (line, result.messages)
    return ws


def test_leaf_names_walk_the_graph() -> None:
    ws = made(
        "x = torch.randn(3, requires_grad=True)",
        "b = torch.ones(3, requires_grad=True)",
        "c = torch.ones(3)",
        "z = (x * b + c).sum()",
    )
    z = ws.tensor("z")
    # Plain torch: the AccumulateGrad nodes under z hold exactly x and b.
    accumulators = [fn for fn, _ in z.grad_fn.next_functions[0][0].next_functions[0][0]
                    .next_functions]
    assert {id(fn.variable) for fn in accumulators} == {id(ws.tensor("x")), id(ws.tensor("b"))}
    assert leaf_names(ws, "z") == ["x", "b"]  # c does not require grad: no graph node
    assert leaf_names(ws, "x") == []
    assert grad_leaves(ws, "z") == ["x", "b"]


def test_history_leaf_is_the_tensor_itself_or_the_first_leaf_reached() -> None:
    ws = made(*DEFAULT_SESSION, "d = torch.ones(2)")
    assert history_leaf(ws, "x") == "x"
    assert history_leaf(ws, "w") == "x"
    assert history_leaf(ws, "d") == "d"
    assert history_leaf(ws, None) is None


def test_origin_reads_the_statement_that_last_bound_the_name() -> None:
    log = [
        "torch.manual_seed(0)",
        "x = torch.randn(2, 4, requires_grad=True)",
        "y = x.detach()",
        "with torch.no_grad():\n    z = x + 1",
        "w = (x * 2).detach() + 1",
    ]
    assert cut_of(log, "y") == "detach"
    assert cut_of(log, "z") == "no_grad"
    assert cut_of(log, "w") == "detach"
    assert cut_of(log, "x") is None
    assert cut_of([*log, "y = torch.ones(3)"], "y") is None  # rebound: the new binding counts


def test_hint_for_the_notebooks_first_cell() -> None:
    ws = Workspace()
    assert "Create" in hint_for(ws)
    for statement in DEFAULT_SESSION:
        assert ws.run(statement).ok
    ws.current = "w"
    assert hint_for(ws) == "w is a scalar built from x: press Backward (Ctrl+B) to fill x.grad."
    ws.current = "y"
    assert "not a scalar" in hint_for(ws)
    assert ws.run("n = torch.arange(3)").ok
    ws.current = "n"
    assert "int64" in hint_for(ws)


@pytest.mark.parametrize(("source", "no_grad", "word"), [
    ("y = x.detach()", False, "detach"),
    ("y = x + 1", True, "no_grad"),
    ("with torch.no_grad():\n    y = x * 2", False, "no_grad"),
])
def test_hint_after_detach_or_no_grad_explains_the_cut(source: str, no_grad: bool,
                                                      word: str) -> None:
    ws = made("x = torch.randn(2, 4, requires_grad=True)")
    assert ws.run(source, no_grad=no_grad).ok
    ws.current = "y"
    hint = hint_for(ws)
    assert "tick requires_grad" not in hint
    assert word in hint and "grad_fn" in hint
    assert not ws.tensor("y").requires_grad and ws.tensor("y").grad_fn is None


def test_a_plain_leaf_without_grad_still_suggests_requires_grad() -> None:
    ws = made("a = torch.ones(3)")
    assert "tick requires_grad" in hint_for(ws)


def test_hint_and_history_leaf_read_no_values(monkeypatch) -> None:
    ws = made(*DEFAULT_SESSION, "w.backward()")

    def no_copies(*args):
        raise AssertionError("a value copy was made")

    monkeypatch.setattr(workspace_module, "_numpy", no_copies)
    for name in ws.names:
        ws.current = name
        hint_for(ws)
        history_leaf(ws, name)
    assert [s.name for s in ws.summaries()] == ws.names
