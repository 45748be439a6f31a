"""Autograd introspection: the leaves a graph reaches, where a tensor was cut off, the hint."""

from __future__ import annotations

import pytest
import torch

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

    monkeypatch.setattr(workspace_module, "to_numpy", no_copies)
    for name in ws.names:
        ws.current = name
        hint_for(ws)
        history_leaf(ws, name)
    assert [s.name for s in ws.summaries()] == ws.names


def check_hint_is_true(ws: Workspace) -> str:
    """What the hint for the current tensor claims, checked against torch on that very state:
    "holds zeros" / "holds a gradient" against the leaves' .grad, "freed" against a backward
    that fails, "graph is kept" against a backward that works (run on the workspace)."""
    hint = hint_for(ws)
    name = ws.current
    leaves = grad_leaves(ws, name) or ([name] if ws.summary(name).is_leaf else [])
    grads = [ws.tensor(n).grad for n in leaves]
    if "holds zeros" in hint:
        assert grads and all(g is not None and not g.any() for g in grads), hint
    if "holds a gradient" in hint or "is shown under Inspector" in hint:  # some are non-zero
        assert any(g is not None and g.any() for g in grads), hint
    if "press Backward" in hint:
        assert all(g is None for g in grads), hint
    assert "Backward again adds" not in hint or "retain_graph first" not in hint
    if "freed" in hint:
        gradient = "" if not ws.summary(name).shape else f"torch.ones_like({name})"
        result = ws.run(f"{name}.backward({gradient})")
        assert not result.ok and "second time" in result.messages[0].text, hint
    elif "graph is kept" in hint:
        before = [g.clone() for g in grads]
        assert ws.run(f"{name}.backward()").ok, hint
        for old, new in zip(before, (ws.tensor(n).grad for n in leaves), strict=True):
            # plain torch: a mean over 8 elements adds 1/8 to each entry again
            assert torch.all(new > old) or torch.all(new != old), hint
    return hint


@pytest.mark.parametrize(("lines", "current", "word"), [
    (["x = torch.randn(2, 4, requires_grad=True)", "y = (x + 2).mean()", "y.backward()"],
     "y", "holds a gradient"),
    (["x = torch.randn(2, 4, requires_grad=True)", "y = (x + 2).mean()", "y.backward()",
      "x.grad.zero_()"], "y", "holds zeros"),
    (["x = torch.randn(2, 4, requires_grad=True)", "y = (x + 2).mean()", "y.backward()",
      "x.grad.zero_()"], "x", "holds zeros"),
    (["x = torch.randn(2, 4, requires_grad=True)", "z = (x * x).mean()", "z.backward()"],
     "z", "freed"),
    (["x = torch.randn(2, 4, requires_grad=True)", "z = (x * x).mean()",
      "z.backward(retain_graph=True)"], "z", "holds a gradient"),
    (["x = torch.randn(2, 4, requires_grad=True)", "y = x + 2", "z = y * y",
      "w = torch.randn(2, 4)", "z.backward(w)"], "z", "freed"),
    ([*DEFAULT_SESSION], "w", "press Backward"),
])
def test_every_hint_says_what_the_state_is(lines: list[str], current: str, word: str) -> None:
    ws = made("torch.manual_seed(0)", *lines)
    ws.current = current
    hint = check_hint_is_true(ws)
    assert word in hint


def test_the_accumulation_hint_matches_torch() -> None:
    """x.grad zeroed after backwards through (x + 2).mean(): the graph saved no tensors, so a
    second backward works without retain_graph (plain torch agrees), and the hint says so."""
    x = torch.randn(2, 4, requires_grad=True)
    y = (x + 2).mean()
    y.backward()
    x.grad.zero_()
    y.backward()  # no retain_graph, no error
    assert torch.all(x.grad == 0.125)
    ws = made("x = torch.randn(2, 4, requires_grad=True)", "y = (x + 2).mean()", "y.backward()",
              "x.grad.zero_()")
    hint = check_hint_is_true(ws)
    assert "retain_graph first" not in hint and "filled" not in hint
