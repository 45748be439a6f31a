"""Every statement a click produces: run through the Workspace, compared with plain torch."""

from __future__ import annotations

import pytest
import torch

from playground.core.tensorlab import statements
from playground.core.tensorlab.workspace import Workspace
from tests.oracles import first_randn, vector_backward


def run(ws: Workspace, source: str | None) -> None:
    assert source is not None
    result = ws.run(source)
    assert result.ok, (source, result.messages)


def made(*lines: str) -> Workspace:
    ws = Workspace()
    for line in lines:
        run(ws, line)
    return ws


def live(ws: Workspace, name: str) -> torch.Tensor:
    return ws.tensor(name)


# ----- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("x", "2, 4", "randn", "", "float32", True), first_randn(2, 4)),
        (("x", "2x3", "zeros", "", "float64", False), torch.zeros(2, 3, dtype=torch.float64)),
        (("x", "3", "full", "3.5", "float32", True), torch.full((3,), 3.5)),
        (("x", "2, 3", "arange", "", "float32", True), torch.arange(6.0).reshape(2, 3)),
        (("x", "", "values", "[10.0, 5.0]", "float32", True), torch.tensor([10.0, 5.0])),
        (("x", "2, 2", "values", "[1, 2, 3, 4]", "int64", False),
         torch.tensor([[1, 2], [3, 4]])),
    ],
)
def test_create_runs_and_matches_torch(args: tuple, expected: torch.Tensor) -> None:
    ws = made()
    run(ws, statements.create(*args))
    x = live(ws, "x")
    assert x.dtype == expected.dtype and torch.equal(x.detach(), expected)
    assert x.requires_grad is args[-1] and x.is_leaf


def test_create_names_the_bad_field() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        statements.create("x", "2, -1", "zeros", "", "float32", True)
    with pytest.raises(ValueError, match="not a valid name"):
        statements.create("2x", "2", "zeros", "", "float32", True)


# ----- backward -------------------------------------------------------------------------------


def test_backward_of_a_scalar_fills_one_eighth() -> None:
    ws = made("x = torch.randn(2, 4, requires_grad=True)", "z = (x + 2).mean()")
    source = statements.backward("z")
    assert source == "z.backward()"
    run(ws, source)
    x = first_randn(2, 4, requires_grad=True)
    (x + 2).mean().backward()
    assert torch.equal(live(ws, "x").grad, x.grad)


def test_backward_with_a_tensor_name_is_the_notebooks_z_backward_w() -> None:
    ws = made("x = torch.randn(2, 4, requires_grad=True)", "y = x + 2", "z = y * y",
              "w = torch.randn(2, 4)")
    source = statements.backward("z", " w ", names=ws.names)
    assert source == "z.backward(w)"
    run(ws, source)
    x, w = vector_backward()
    assert torch.equal(live(ws, "w"), w)
    assert torch.equal(live(ws, "x").grad, x.grad)


def test_backward_with_an_unknown_name_says_so() -> None:
    with pytest.raises(ValueError, match="no tensor named 'v'"):
        statements.backward("z", "v", names=["x", "z"])


@pytest.mark.parametrize(("gradient", "plain"), [
    ("ones", lambda z: torch.ones_like(z)),
    ("[[1, 0.5, 0, 2], [1, 1, 1, 1]]",
     lambda z: torch.tensor([[1, 0.5, 0, 2], [1, 1, 1, 1]])),
])
def test_backward_with_a_gradient_vector(gradient: str, plain) -> None:
    ws = made("x = torch.randn(2, 4, requires_grad=True)", "z = (x + 2) * (x + 2)")
    run(ws, statements.backward("z", gradient))
    x = first_randn(2, 4, requires_grad=True)
    z = (x + 2) * (x + 2)
    z.backward(plain(z))
    assert torch.equal(live(ws, "x").grad, x.grad)


def test_backward_with_retain_graph_can_run_twice() -> None:
    ws = made("x = torch.randn(3, requires_grad=True)", "z = (x * x).sum()")
    source = statements.backward("z", retain_graph=True)
    assert source == "z.backward(retain_graph=True)"
    run(ws, source)
    run(ws, source)
    x = first_randn(3, requires_grad=True)
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert torch.equal(live(ws, "x").grad, x.grad)


# ----- grads ----------------------------------------------------------------------------------


def test_zero_grads_and_grads_to_none_touch_every_leaf_with_a_grad() -> None:
    ws = made("a = torch.randn(2, requires_grad=True)", "b = torch.ones(2, requires_grad=True)",
              "z = (a * b).sum()", "z.backward()")
    assert ws.leaves_with_grad() == ["a", "b"]
    source = statements.zero_grads(ws.leaves_with_grad())
    assert source == "a.grad.zero_(); b.grad.zero_()"
    run(ws, source)
    assert torch.equal(live(ws, "a").grad, torch.zeros(2))
    assert torch.equal(live(ws, "b").grad, torch.zeros(2))
    run(ws, statements.grads_to_none(ws.leaves_with_grad()))
    assert live(ws, "a").grad is None and live(ws, "b").grad is None
    assert statements.zero_grads([]) is None and statements.grads_to_none([]) is None


def test_set_requires_grad_toggles_a_leaf() -> None:
    ws = made("x = torch.ones(3)")
    run(ws, statements.set_requires_grad("x", True))
    assert live(ws, "x").requires_grad and live(ws, "x").is_leaf
    run(ws, statements.set_requires_grad("x", False))
    assert not live(ws, "x").requires_grad


# ----- quick ops ------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "arg", "plain", "grad_fn"), [
    ("addButton", "3", lambda x: x + 3, "AddBackward0"),
    ("mulButton", "", lambda x: x * 2, "MulBackward0"),
    ("powButton", "3", lambda x: x ** 3, "PowBackward0"),
    ("meanButton", "", lambda x: x.mean(), "MeanBackward0"),
    ("sumButton", "", lambda x: x.sum(), "SumBackward0"),
    ("detachButton", "", lambda x: x.detach(), None),
])
def test_each_quick_op_matches_torch(key: str, arg: str, plain, grad_fn: str | None) -> None:
    ws = made("x = torch.randn(2, 4, requires_grad=True)")
    source = statements.quick_op(key, "x", ws.names, arg)
    assert source.startswith("y = x")  # the next free letter after the current name
    run(ws, source)
    expected = plain(first_randn(2, 4, requires_grad=True))
    y = live(ws, "y")
    assert torch.equal(y.detach(), expected.detach())
    assert (None if y.grad_fn is None else type(y.grad_fn).__name__) == grad_fn
    assert {op.key for op in statements.QUICK_OPS} >= {key}


def test_quick_op_names_skip_taken_letters() -> None:
    assert statements.quick_op("meanButton", "x", ["x", "y"]) == "z = x.mean()"
    assert statements.quick_op("sumButton", "z", ["x", "y", "z"]) == "a = z.sum()"


def test_names_follow_the_alphabet_and_skip_taken_ones() -> None:
    assert statements.next_leaf_name([]) == "a"
    assert statements.next_leaf_name(["a", "b", "d"]) == "e"  # never c or n: quick-op symbols
    assert statements.next_leaf_name(["a", "b"]) == "d"
    assert statements.next_leaf_name(list("abcdefghijklmnopqrstuvwxyz")) == "t1"
    assert statements.next_result_name(["x"], "x") == "y"
    assert statements.next_result_name(["x", "y", "z"], "x") == "a"
    assert statements.next_result_name(["loss"], "loss") == "a"
    assert statements.next_result_name(["b"], "b") == "d"
    assert statements.next_result_name(["m"], "m") == "o"


def test_auto_names_never_collide_with_the_quick_op_symbols() -> None:
    """Whatever is taken, no suggested name is c or n ("On c: c, n = 2" must not happen)."""
    taken: list[str] = []
    for _ in range(40):
        leaf = statements.next_leaf_name(taken)
        taken.append(leaf)
        result = statements.next_result_name(taken, leaf)
        taken.append(result)
        assert {leaf, result}.isdisjoint(statements.OP_SYMBOLS)
    symbols = {op.label.split()[-1] for op in statements.QUICK_OPS[:3]}  # "+ c", "* c", "** n"
    assert symbols == statements.OP_SYMBOLS


# ----- the default session --------------------------------------------------------------------


def test_default_session_is_the_notebooks_first_cell() -> None:
    ws = made(*statements.DEFAULT_SESSION)
    x = first_randn(3, 2, requires_grad=True)
    y = x + 10
    z = y * y * y
    w = z.mean()
    assert ws.names == ["x", "y", "z", "w"]
    for name, plain in (("x", x), ("y", y), ("z", z), ("w", w)):
        assert torch.equal(live(ws, name).detach(), plain.detach())
    assert type(live(ws, "w").grad_fn).__name__ == "MeanBackward0"
