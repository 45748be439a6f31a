"""The Workspace: the notebook's numbers, pitfalls that change nothing, undo/redo, sessions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import playground.core.tensorlab.workspace as workspace_module
from playground.core import GradRecord, Workspace
from playground.core.limits import HISTORY_FULL_ELEMENTS
from playground.core.tensorlab.workspace import SEED_STATEMENT


def make(*lines: str) -> Workspace:
    ws = Workspace()
    for line in lines:
        result = ws.run(line)
        assert result.ok, (line, result.messages)
    return ws


def snapshot(ws: Workspace) -> tuple:
    """Everything a failure must leave untouched (names, log, values, grads)."""
    facts = [ws.facts(n) for n in ws.names]
    return (
        ws.log,
        ws.names,
        [f.values.tolist() for f in facts],
        [None if f.grad is None else f.grad.tolist() for f in facts],
        [(f.requires_grad, f.is_leaf, f.grad_fn) for f in facts],
    )


def reference_x(*shape: int) -> torch.Tensor:
    """The first randn a fresh workspace makes (its log starts with torch.manual_seed(0))."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def test_starts_with_the_seed_entry() -> None:
    ws = Workspace()
    assert ws.log == [SEED_STATEMENT] == ["torch.manual_seed(0)"]
    assert ws.names == []
    assert ws.current is None
    assert not ws.can_undo and not ws.can_redo


# -- the notebook's deterministic results ---------------------------------------------------


def test_notebook_chain_grad_fn_names() -> None:
    ws = make(
        "x = torch.randn(3, 2, requires_grad=True)", "y = x + 10", "z = y * y * y", "w = z.mean()"
    )
    assert ws.facts("x").grad_fn is None
    assert ws.facts("y").grad_fn == "AddBackward0"
    assert ws.facts("z").grad_fn == "MulBackward0"
    assert ws.facts("w").grad_fn == "MeanBackward0"
    x = reference_x(3, 2)
    assert np.allclose(ws.facts("w").values, ((x + 10) ** 3).mean().numpy())


def test_mean_backward_gives_one_eighth() -> None:
    ws = make("x = torch.randn(2, 4, requires_grad=True)", "z = (x + 2).mean(); z.backward()")
    assert np.array_equal(ws.facts("x").grad, np.full((2, 4), 0.125, dtype=np.float32))


def test_accumulation_staircase_then_zero() -> None:
    step = "z = (x + 2).mean(); z.backward()"
    ws = make("x = torch.randn(2, 4, requires_grad=True)", step, step, step, "x.grad.zero_()")
    history = ws.grad_history("x")
    assert [r.step for r in history] == [2, 3, 4, 5]
    for record, value in zip(history, [0.125, 0.25, 0.375, 0.0], strict=True):
        assert np.allclose(record.grad, np.full((2, 4), value))
    assert ws.leaves_with_grad() == ["x"]


def test_grad_history_records_none_and_not_unchanged_steps() -> None:
    ws = make(
        "x = torch.randn(2, requires_grad=True)",
        "x.sum().backward()",
        "y = x * 2",  # does not touch x.grad: no record
        "x.grad = None",
    )
    history = ws.grad_history("x")
    assert [r.step for r in history] == [2, 4]
    assert np.array_equal(history[0].grad, np.ones(2, dtype=np.float32))
    assert history[1] == GradRecord(4, None)
    assert ws.grad_history("y") == []


def test_vector_backward_equals_two_y_v() -> None:
    ws = make(
        "x = torch.randn(2, 4, requires_grad=True)",
        "y = x + 2",
        "z = y * y",
        "v = torch.randn(2, 4)",
        "z.backward(v)",
    )
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, generator=g)
    v = torch.randn(2, 4, generator=g)
    expected = 2 * (x + 2) * v
    assert torch.allclose(torch.from_numpy(ws.facts("x").grad), expected)
    assert torch.equal(ws.tensor("v"), v)


def test_detach_and_no_grad_make_plain_tensors() -> None:
    ws = make("x = torch.randn(2, 4, requires_grad=True)", "y = x.detach()")
    result = ws.run("z = x + 1", no_grad=True)
    assert result.ok
    assert result.source == "with torch.no_grad():\n    z = x + 1"
    assert ws.log[-1] == result.source
    for name in ("y", "z"):
        facts = ws.facts(name)
        assert facts.grad_fn is None
        assert facts.requires_grad is False
    x = reference_x(2, 4)
    assert np.array_equal(ws.facts("y").values, x.numpy())
    assert np.allclose(ws.facts("z").values, (x + 1).numpy())


def test_facts_are_plain_copies() -> None:
    ws = make("x = torch.randn(2, 3, requires_grad=True)", "y = x * 2", "y.retain_grad()")
    ws.run("y.sum().backward()")
    fx, fy = ws.facts("x"), ws.facts("y")
    assert fx.shape == (2, 3) and fx.dtype == "float32" and fx.is_leaf
    assert fy.retains_grad and not fy.is_leaf and fy.grad_fn == "MulBackward0"
    assert np.array_equal(fy.grad, np.ones((2, 3), dtype=np.float32))
    fx.values[:] = 99  # a copy: the tensor is untouched
    assert not torch.any(ws.tensor("x") == 99)
    ws.run("w = x * 3")
    assert ws.facts("w").grad is None  # non-leaf .grad not read (no warning: warnings are errors)
    assert ws.facts("w").dtype == "float32"
    ws.run("i = torch.arange(3)")
    assert ws.facts("i").dtype == "int64"


# -- pitfalls: torch's text, explained, and nothing changed ---------------------------------

CHAIN = ("x = torch.randn(3, 2, requires_grad=True)", "y = x + 10", "z = y * y * y", "w = z.mean()")

PITFALLS = [
    ((), "z.backward()", "grad can be implicitly created only for scalar outputs"),
    (("w.backward()",), "w.backward()", "Trying to backward through the graph a second time"),
    (
        (),
        "v = torch.ones(2).sum()\nv.backward()",
        "element 0 of tensors does not require grad and does not have a grad_fn",
    ),
    ((), "x += 1", "a leaf Variable that requires grad is being used in an in-place operation."),
    (
        (),
        "i = torch.ones(2, dtype=torch.int64, requires_grad=True)",
        "Only Tensors of floating point and complex dtype can require gradients",
    ),
    ((), "y.requires_grad_(False)", "you can only change requires_grad flags of leaf variables"),
    ((), "z.backward(torch.ones(3))", "Mismatch in shape"),
    (("w.backward(retain_graph=True)",), "x.grad.zero_(); z.backward()", "scalar outputs"),
]


@pytest.mark.parametrize(("before", "source", "torch_text"), PITFALLS)
def test_pitfalls_keep_state(before: tuple[str, ...], source: str, torch_text: str) -> None:
    ws = make(*CHAIN, *before)
    state = snapshot(ws)
    calls = []
    ws.changed.connect(lambda: calls.append(1))

    result = ws.run(source)

    assert not result.ok
    [message] = result.messages
    assert message.level == "error"
    assert torch_text in message.text
    assert message.explanation
    assert snapshot(ws) == state
    assert calls == []
    assert ws.run("q = w * 2").ok  # still usable


def test_torch_failure_restores_rng() -> None:
    ws = make("x = torch.randn(2)")
    assert not ws.run("a = torch.randn(5); b = a @ torch.ones(3)").ok
    ws.run("c = torch.randn(2)")
    g = torch.Generator().manual_seed(0)
    torch.randn(2, generator=g)
    assert torch.equal(ws.tensor("c"), torch.randn(2, generator=g))


def test_non_leaf_grad_read_is_a_warning() -> None:
    ws = make(*CHAIN)
    result = ws.run("y.grad")
    assert result.ok
    [message] = result.messages
    assert message.level == "warning"
    assert "is not a leaf Tensor is being accessed" in message.text
    assert "retain_grad" in message.explanation


def test_success_has_no_messages_and_sets_current() -> None:
    ws = make(*CHAIN)
    result = ws.run("a = x * 2; b = a + 1")
    assert result.messages == []
    assert result.assigned == ["a", "b"]
    assert ws.current == "b"
    assert ws.last_result is result
    assert ws.names == ["x", "y", "z", "w", "a", "b"]
    ws.run("x = x.detach()")  # rebinding keeps first-binding order
    assert ws.names[0] == "x" and ws.current == "x"


# -- events, current, undo/redo, reset, load ------------------------------------------------


def test_changed_is_emitted_after_each_change() -> None:
    ws = Workspace()
    calls = []
    ws.changed.connect(lambda: calls.append(1))
    ws.run("x = torch.ones(2)")
    ws.run("y = x + 1")
    ws.current = "x"
    ws.current = "x"  # unchanged: no event
    ws.undo()
    ws.redo()
    ws.load(["x = torch.zeros(1)"])
    ws.reset()
    assert len(calls) == 7
    with pytest.raises(KeyError):
        ws.current = "nope"


def test_listeners_see_the_final_state() -> None:
    ws = make("a = torch.ones(2)", "b = a + 1")
    seen = []
    ws.changed.connect(lambda: seen.append((len(ws.log), ws.can_undo, ws.can_redo, ws.current)))
    ws.undo()
    ws.undo()
    ws.redo()
    ws.redo()
    assert seen == [
        (2, True, True, "a"),
        (1, False, True, None),
        (2, True, True, "a"),
        (3, True, False, "a"),
    ]


def test_undo_redo_replays_the_log() -> None:
    step = "z = (x + 2).mean(); z.backward()"
    ws = make("x = torch.randn(2, 4, requires_grad=True)", step, step)
    x_values = ws.facts("x").values
    ws.current = "x"
    assert ws.undo()
    assert len(ws.log) == 3 and ws.can_redo
    assert np.allclose(ws.facts("x").grad, 0.125)
    assert np.array_equal(ws.facts("x").values, x_values)
    assert [r.step for r in ws.grad_history("x")] == [2]
    assert ws.current == "x"
    assert ws.redo()
    assert np.allclose(ws.facts("x").grad, 0.25)
    assert ws.log[-1] == "z = (x + 2).mean()\nz.backward()"
    assert not ws.can_redo and not ws.redo()
    ws.undo(), ws.undo(), ws.undo()
    assert ws.log == [SEED_STATEMENT] and ws.current is None and not ws.undo()
    ws.redo()
    assert ws.current == "x"
    ws.run("y = x * 1")
    assert not ws.can_redo  # a new entry clears the redo stack


def test_reset_goes_back_to_the_seed() -> None:
    ws = make("x = torch.randn(2)")
    ws.reset()
    assert ws.log == [SEED_STATEMENT] and ws.names == [] and ws.current is None
    ws.run("x = torch.randn(2)")
    assert torch.equal(ws.tensor("x"), reference_x(2))


def test_load_replaces_the_log() -> None:
    ws = make("a = torch.ones(3)")
    result = ws.load([SEED_STATEMENT, "x=torch.randn(2,requires_grad=True)", "x.sum().backward()"])
    assert result.ok
    assert ws.log == [
        SEED_STATEMENT,
        "x = torch.randn(2, requires_grad=True)",
        "x.sum().backward()",
    ]
    assert ws.names == ["x"] and ws.current == "x"
    assert torch.equal(ws.tensor("x").detach(), reference_x(2))
    assert [r.step for r in ws.grad_history("x")] == [2]
    assert not ws.can_redo
    ws.load(["y = torch.randn(2)"])  # the seed is added when missing
    assert ws.log[0] == SEED_STATEMENT
    assert torch.equal(ws.tensor("y"), reference_x(2))


def test_new_and_load_keep_the_replaced_session_for_restore() -> None:
    ws = make("x = torch.randn(3, requires_grad=True)", "x.sum().backward()")
    kept = ws.log
    assert not ws.can_restore
    ws.reset()
    assert ws.can_restore and not ws.can_undo
    assert ws.restore_previous()
    assert ws.log == kept and ws.current == "x"
    assert ws.facts("x").grad.tolist() == [1.0, 1.0, 1.0]
    assert not ws.can_restore  # the seed-only session New made is not worth keeping

    ws.load(["a = torch.ones(2)"])
    assert ws.restore_previous() and ws.log == kept
    assert ws.restore_previous() and ws.names == ["a"]  # restore is itself reversible
    assert ws.restore_previous() and ws.log == kept
    ws.reset()
    ws.reset()  # a second New must not forget the real session
    assert ws.restore_previous() and ws.log == kept


def test_a_failed_load_keeps_nothing_for_restore() -> None:
    ws = make("x = torch.ones(2)")
    assert not ws.load(["import os"]).ok
    assert not ws.can_restore and not ws.restore_previous()


@pytest.mark.parametrize("bad", ["import os", "z.backward()", "q = torch.ones(2) @ torch.ones(3)"])
def test_load_is_atomic(bad: str) -> None:
    ws = make(*CHAIN)
    state = snapshot(ws)
    result = ws.load([SEED_STATEMENT, "a = torch.ones(2)", bad, "b = a + 1"])
    assert not result.ok
    assert "Entry 3" in result.messages[0].text
    assert snapshot(ws) == state


# -- statements the form and the Backward button emit ---------------------------------------

CREATE = [
    (("x", "2, 4", "randn", "", "float32", True), "x = torch.randn(2, 4, requires_grad=True)"),
    (("x", "2x4", "rand", "", "float32", False), "x = torch.rand(2, 4)"),
    (("x", "(2, 4)", "zeros", "", "float64", False), "x = torch.zeros(2, 4, dtype=torch.float64)"),
    (("x", "[2,4]", "ones", "", "int64", False), "x = torch.ones(2, 4, dtype=torch.int64)"),
    (("x", "3", "ones", "", "float32", True), "x = torch.ones(3, requires_grad=True)"),
    (("s", "", "randn", "", "float32", True), "s = torch.randn((), requires_grad=True)"),
    (
        ("x", "2, 4", "full", "3", "float32", True),
        "x = torch.full((2, 4), 3.0, requires_grad=True)",
    ),
    (("x", "3", "full", "2", "int64", False), "x = torch.full((3,), 2, dtype=torch.int64)"),
    (("x", "2, 4", "arange", "", "float32", False), "x = torch.arange(8.0).reshape(2, 4)"),
    (("x", "5", "arange", "", "int64", False), "x = torch.arange(5, dtype=torch.int64)"),
    (
        ("x", "2, 2", "arange", "", "float32", True),
        "x = torch.arange(4.0).reshape(2, 2).requires_grad_()",
    ),
    (
        ("x", "", "values", "[10.0, 5.0]", "float32", True),
        "x = torch.tensor([10.0, 5.0], requires_grad=True)",
    ),
    (
        ("x", "", "values", "[[1, 2], [3, 4]]", "float32", False),
        "x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])",
    ),
    (
        ("x", "", "values", "3.5", "float64", True),
        "x = torch.tensor(3.5, dtype=torch.float64, requires_grad=True)",
    ),
    (
        ("x", "2, 2", "values", "[1, 2, 3, 4]", "int64", False),
        "x = torch.tensor([[1, 2], [3, 4]], dtype=torch.int64)",
    ),
]


@pytest.mark.parametrize(("args", "expected"), CREATE, ids=[c[1] for c in CREATE])
def test_create_source_forms_run(args: tuple, expected: str) -> None:
    ws = Workspace()
    source = ws.create_source(*args)
    assert source == expected
    assert ws.run(source).ok
    facts = ws.facts(args[0])
    assert facts.dtype == args[4]
    assert facts.is_leaf
    assert facts.requires_grad == args[5]


def test_create_source_values_int_literal_is_float32() -> None:
    ws = Workspace()
    ws.run(ws.create_source("x", "", "values", "[1, 2]", "float32", True))
    assert ws.tensor("x").dtype == torch.float32
    assert torch.equal(ws.tensor("x").detach(), torch.tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    "args",
    [
        ("2x", "2", "randn", "", "float32", True),
        ("torch", "2", "randn", "", "float32", True),
        ("_x", "2", "randn", "", "float32", True),
        ("for", "2", "randn", "", "float32", True),
        ("x", "2, a", "randn", "", "float32", True),
        ("x", "-2", "zeros", "", "float32", True),
        ("x", "2", "eye", "", "float32", True),
        ("x", "2", "zeros", "", "complex64", True),
        ("x", "", "values", "[1, 'a']", "float32", True),
        ("x", "", "values", "__import__('os')", "float32", True),
        ("x", "", "values", "[[1, 2], [3]]", "float32", True),
        ("x", "3", "values", "[1.0, 2.0]", "float32", True),
        ("x", "", "values", "[1.5]", "int64", False),
        ("x", "2", "full", "", "float32", True),
        ("x", "2", "randn", "", "int64", False),
    ],
)
def test_create_source_rejects_bad_fields(args: tuple) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        Workspace().create_source(*args)


def test_create_source_messages_say_what_to_type() -> None:
    ws = Workspace()
    with pytest.raises(ValueError, match=r"Type the values: one number, or a list"):
        ws.create_source("x", "", "values", "  ", "float32", True)
    with pytest.raises(ValueError, match=r"whole numbers \(0 or more\)"):
        ws.create_source("x", "-1", "zeros", "", "float32", True)


def test_backward_source_forms() -> None:
    ws = Workspace()
    assert ws.backward_source("z") == "z.backward()"
    assert ws.backward_source("z", "ones") == "z.backward(torch.ones_like(z))"
    assert ws.backward_source("z", "randn") == "z.backward(torch.randn_like(z))"
    assert ws.backward_source("z", "[1, 0.5]") == "z.backward(torch.tensor([1.0, 0.5]))"
    assert ws.backward_source("z", "", True) == "z.backward(retain_graph=True)"
    assert (
        ws.backward_source("z", "ones", retain_graph=True)
        == "z.backward(torch.ones_like(z), retain_graph=True)"
    )
    with pytest.raises(ValueError):
        ws.backward_source("z", "open('x')")


def test_backward_sources_run_and_match_torch() -> None:
    ws = make("x = torch.randn(2, requires_grad=True)", "z = x * x")
    assert ws.run(ws.backward_source("z", "[1, 0.5]", retain_graph=True)).ok
    x = reference_x(2)
    assert torch.allclose(ws.tensor("x").grad, 2 * x * torch.tensor([1.0, 0.5]))
    assert ws.run(ws.backward_source("z", "ones")).ok
    assert torch.allclose(ws.tensor("x").grad, 2 * x * torch.tensor([2.0, 1.5]))


def test_grad_history_keeps_only_shape_and_mean_of_a_big_grad() -> None:
    n = HISTORY_FULL_ELEMENTS + 1
    ws = make(f"a = torch.randn({n}, requires_grad=True)", "s = (a * a).sum()",
              "s.backward(retain_graph=True)", "s.backward()", "a.grad = None",
              "c = torch.ones(3, requires_grad=True)", "c.sum().backward()")
    big = ws.grad_history("a")
    assert [r.step for r in big] == [3, 4, 5]
    assert all(r.grad is None for r in big)  # no 10,001-element copies kept
    assert [r.shape for r in big] == [(n,), (n,), None]
    assert big[2].is_none and not big[1].is_none
    a = ws.tensor("a").detach()
    assert big[0].mean == pytest.approx(float((2 * a).double().mean()), rel=1e-6)
    assert big[1].mean == pytest.approx(float((4 * a).double().mean()), rel=1e-6)
    small = ws.grad_history("c")[0]
    assert small.grad.tolist() == [1.0, 1.0, 1.0] and small.shape == (3,) and small.mean == 1.0


def test_all_named_tensors_together_stay_under_five_times_the_size_limit() -> None:
    ws = Workspace(max_elements=100)
    assert ws.max_total_elements == 500
    for name in "abcd":
        assert ws.run(f"{name} = torch.zeros(100)").ok
    assert ws.run("v = a.detach()").ok  # shares a's memory: nothing new is held
    assert ws.run("e = torch.zeros(100)").ok  # 500 in all
    log, names = ws.log, ws.names
    result = ws.run("f = torch.ones(1)")
    assert not result.ok
    assert "501 elements in all" in result.messages[0].text
    assert ws.log == log and ws.names == names
    assert ws.run("b = torch.zeros(1)").ok  # rebinding frees the old 100 (a lives on in v)
    assert ws.run("f = torch.ones(1)").ok
    # .grad counts too: a leaf of 60 and its grad are 120.
    ws.reset()
    assert ws.run("p = torch.ones(60, requires_grad=True)").ok
    for name in "qrtu":
        assert ws.run(f"{name} = torch.ones(100)").ok
    assert ws.run("s = p.sum()").ok  # 461 in all; backward would add p.grad's 60
    assert not ws.run("s.backward()").ok
    assert ws.tensor("p").grad is None


def test_a_session_cannot_load_past_the_total_limit() -> None:
    small = Workspace(max_elements=100)
    assert small.run("x = torch.ones(3)").ok
    result = small.load([f"t{i} = torch.zeros(100)" for i in range(6)])
    assert not result.ok and "Entry 7" in result.messages[0].text  # the seed is entry 1
    assert "600 elements in all" in result.messages[0].text
    assert small.names == ["x"]  # the state before the load is kept


# -- finer events, cheap summaries, grad history per tensor -----------------------------------


def test_log_changed_and_current_changed_say_what_changed() -> None:
    ws = Workspace()
    seen: list[str] = []
    ws.log_changed.connect(lambda: seen.append("log"))
    ws.current_changed.connect(lambda: seen.append("current"))
    ws.run("x = torch.ones(2)")
    ws.run("y = x + 1")
    assert seen == ["log", "log"]
    seen.clear()
    ws.current = "x"  # picking a row changes no tensor
    ws.current = "x"
    assert seen == ["current"]
    seen.clear()
    assert not ws.run("y = x @ nothing").ok  # refused: nothing changed, nothing emitted
    ws.undo()
    ws.redo()
    ws.load(["x = torch.zeros(1)"])
    ws.reset()
    assert seen == ["log"] * 4


def test_summaries_are_the_facts_without_the_values(monkeypatch) -> None:
    ws = make(*CHAIN, "w.backward()", "y.retain_grad()")
    facts = [ws.facts(n) for n in ws.names]
    expected = [
        (f.name, f.shape, f.dtype, f.requires_grad, f.is_leaf, f.retains_grad, f.grad_fn,
         f.grad is not None)
        for f in facts
    ]
    monkeypatch.setattr(workspace_module, "to_numpy", _no_copy)
    summaries = ws.summaries()  # metadata only: a copy of any value would raise
    assert [
        (s.name, s.shape, s.dtype, s.requires_grad, s.is_leaf, s.retains_grad, s.grad_fn,
         s.has_grad)
        for s in summaries
    ] == expected
    assert summaries[0].has_grad and summaries[0].grad_fn is None
    assert summaries[3].grad_fn == "MeanBackward0" and not summaries[3].has_grad


def _no_copy(*args: object) -> None:
    raise AssertionError("summaries must not copy tensor values")


def test_rebinding_a_name_starts_a_new_grad_history() -> None:
    ws = make(
        "x = torch.randn(2, 4, requires_grad=True)",
        "y = (x * 6).sum()",
        "y.backward()",
        "y = (x * 6).sum()",
        "y.backward()",
    )
    assert [float(r.grad.max()) for r in ws.grad_history("x")] == [6.0, 12.0]
    rebind = len(ws.log)
    step = "y = (x + 2).mean(); y.backward()"
    for line in ("x = torch.randn(2, 4, requires_grad=True)", step, step):
        assert ws.run(line).ok
    # Plain torch: the new x's own staircase, 0.125 then 0.25.
    x = torch.randn(2, 4, requires_grad=True)
    steps = []
    for _ in range(2):
        (x + 2).mean().backward()
        steps.append(x.grad.clone())
    history = ws.grad_history("x")
    assert [r.step for r in history] == [rebind + 1, rebind + 2]
    assert [r.grad.tolist() for r in history] == [s.tolist() for s in steps]
    ws.undo()  # replaying the log keeps the same rule
    assert [r.step for r in ws.grad_history("x")] == [rebind + 1]
