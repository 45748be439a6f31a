"""The graph view's core: the graph equals torch's own next_functions walk, the recorded backward
runs in torch's order and leaves the same grads as a plain backward, and errors point at nodes."""

from __future__ import annotations

import itertools

import pytest
import torch

from playground.core.graph.build import build_graph, build_workspace_graph
from playground.core.graph.layout import layered_layout
from playground.core.graph.locate import locate_error
from playground.core.graph.recording import (
    BackwardPlayer,
    record_backward,
    record_workspace_backward,
)
from playground.core.limits import MAX_FUNCTIONS
from playground.core.tensorlab.workspace import Workspace

# ----- the test's own walk of torch's graph ------------------------------------------------------


def torch_walk(root: torch.Tensor):
    """Every grad_fn reachable from root (kept alive, so ids are stable), the next_functions
    edges, and the AccumulateGrad -> variable edges, as id() pairs."""
    fns, stack, seen = [], [root.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        fns.append(fn)
        stack.extend(n for n, _ in fn.next_functions)
    next_edges = {(id(f), id(n)) for f in fns for n, _ in f.next_functions if n is not None}
    variables = {(id(f), id(f.variable)) for f in fns if hasattr(f, "variable")}
    return fns, next_edges, variables


def graph_edges(graph, kind):
    ident = {n.key: n.ident for n in graph.nodes}
    return {(ident[e.source], ident[e.target]) for e in graph.edges if e.kind == kind}


def assert_graph_is_torch_walk(graph, tensors, root):
    fns, next_edges, variables = torch_walk(tensors[root])
    functions = {n.ident: n.label for n in graph.nodes if n.kind == "function"}
    assert functions == {id(f): type(f).__name__ for f in fns}
    assert graph_edges(graph, "next") == next_edges
    assert graph_edges(graph, "variable") == variables
    # The root and every named result whose grad_fn is drawn hang off their grad_fn.
    named = {(id(t), id(t.grad_fn)) for t in tensors.values() if id(t.grad_fn) in functions}
    assert graph_edges(graph, "grad_fn") >= named
    names = {n.ident: n.label for n in graph.nodes if n.kind == "tensor"}
    for t_id, _ in named:
        assert names[t_id] in tensors and id(tensors[names[t_id]]) == t_id
    return fns


def notebook_chain():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x + 10
    z = y * y * y
    w = z.mean()
    return {"x": x, "y": y, "z": z, "w": w}


def test_notebook_chain_graph_equals_next_functions_walk():
    tensors = notebook_chain()
    graph = build_graph(tensors, "w")
    fns = assert_graph_is_torch_walk(graph, tensors, "w")
    assert sorted(type(f).__name__ for f in fns) == sorted(
        ["MeanBackward0", "MulBackward0", "MulBackward0", "AddBackward0", "AccumulateGrad"])
    x = graph.node("t:x")
    assert (x.label, x.shape, x.is_leaf, x.grad) == ("x", (3,), True, None)
    assert x.values == "[1, 2, 3]"
    assert graph.root == "t:w"


def test_one_line_expression_has_unnamed_intermediates():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    tensors = {"x": x, "w": ((x + 10) ** 3).mean()}
    graph = build_graph(tensors, "w")
    fns = assert_graph_is_torch_walk(graph, tensors, "w")
    assert [type(f).__name__ for f in fns] == [
        "MeanBackward0", "PowBackward0", "AddBackward0", "AccumulateGrad"]
    assert graph.keys("tensor") == ["t:w", "t:x"]


def test_leaf_used_twice_has_one_accumulate_grad_with_two_edges_in():
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    tensors = {"x": x, "w": (x * x + x).sum()}
    graph = build_graph(tensors, "w")
    assert_graph_is_torch_walk(graph, tensors, "w")
    (acc,) = graph.keys("function", "AccumulateGrad")
    into_acc = [e for e in graph.edges if e.target == acc and e.kind == "next"]
    assert len(into_acc) == 2  # from AddBackward0 and from MulBackward0 (one pair each)
    assert graph.leaf_of(acc) == "t:x"


def test_detach_draws_a_dashed_edge_and_the_graph_stops_there():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    v = y.detach()
    u = v * 3
    tensors = {"x": x, "y": y, "v": v, "u": u}
    log = ["x = torch.tensor([1.0, 2.0], requires_grad=True)", "y = x * 2", "v = y.detach()",
           "u = v * 3"]
    graph = build_graph(tensors, "v", log)
    dashed = {(e.source, e.target) for e in graph.edges if e.kind == "no_graph"}
    assert dashed == {("t:v", "t:y")}
    assert v.grad_fn is None  # the cut is real: nothing links v to y in torch's graph
    assert_graph_is_torch_walk(graph, tensors, "y")  # and y's own graph is drawn behind it
    # u has no graph at all: it links to v, which links to y.
    graph_u = build_graph(tensors, "u", log)
    assert {(e.source, e.target) for e in graph_u.edges if e.kind == "no_graph"} == {
        ("t:u", "t:v"), ("t:v", "t:y")}
    assert graph_u.keys("function", "AccumulateGrad")


def test_no_grad_result_is_linked_to_what_it_read():
    ws = Workspace()
    for line in ["a = torch.ones(2, requires_grad=True)", "b = a * 3"]:
        assert ws.run(line).ok
    assert ws.run("c = b + a", no_grad=True).ok
    graph = build_workspace_graph(ws, "c")
    assert ws.tensor("c").grad_fn is None
    assert {(e.source, e.target) for e in graph.edges if e.kind == "no_graph"} == {
        ("t:c", "t:a"), ("t:c", "t:b")}
    tensors = {n: ws.tensor(n) for n in ws.names}
    assert_graph_is_torch_walk(build_workspace_graph(ws, "b"), tensors, "b")


def test_saved_tensors_on_demand_and_freed_after_backward():
    tensors = notebook_chain()
    assert not build_graph(tensors, "w").keys("saved")
    graph = build_graph(tensors, "w", show_saved=True)
    muls = graph.keys("function", "MulBackward0")
    for key in muls:
        assert {graph.node(f"{key}.self").kind, graph.node(f"{key}.other").kind} == {"saved"}
        assert not graph.node(key).freed
    tensors["w"].backward()
    with pytest.raises(RuntimeError):  # torch itself refuses to hand them out now
        _ = tensors["z"].grad_fn._saved_self
    after = build_graph(tensors, "w", show_saved=True)
    assert all(after.node(k).freed for k in muls)
    assert all(after.node(f"{k}.self").freed for k in muls)
    assert not after.node(after.keys("function", "MeanBackward0")[0]).freed  # it saved no tensor
    assert after.node("t:x").grad is not None


def test_big_graph_is_summarised_above_the_limit():
    x = torch.ones(1, requires_grad=True)
    t = x
    for _ in range(MAX_FUNCTIONS + 100):
        t = t * 1.0
    graph = build_graph({"x": x, "t": t}, "t")
    assert len(graph.keys("function")) == MAX_FUNCTIONS
    assert graph.keys("summary") == ["more"]
    total = MAX_FUNCTIONS + 100 + 1  # the multiplications and x's AccumulateGrad
    assert graph.left_out == total - MAX_FUNCTIONS
    assert graph.node("more").label == "101 more nodes"
    assert str(MAX_FUNCTIONS) in graph.note


# ----- recording a real backward -------------------------------------------------------------------


def observed_order(make):
    """Class names and incoming grads in the order the test's own pre-hooks see them."""
    tensors = make()
    fns, _, _ = torch_walk(tensors["w"])
    seen = []

    def hook(name):
        return lambda grads: seen.append((name, grads[0].clone()))

    handles = [f.register_prehook(hook(type(f).__name__)) for f in fns]
    tensors["w"].backward()
    for h in handles:
        h.remove()
    return seen, tensors


def one_line():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    return {"x": x, "w": ((x + 10) ** 3).mean()}


def used_twice():
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([0.5, -1.0], requires_grad=True)
    return {"x": x, "b": b, "w": (x * x + x * b).sum()}


@pytest.mark.parametrize("make", [notebook_chain, one_line, used_twice])
def test_recorded_order_equals_hooks_on_a_plain_backward(make):
    expected, plain = observed_order(make)
    tensors = make()
    names = {id(t): n for n, t in tensors.items()}
    w = tensors["w"]
    _, recording = record_backward(w, lambda: w.backward(retain_graph=True), names, "w")
    assert [s.name for s in recording.steps] == [n for n, _ in expected]
    for step, (_, grad) in zip(recording.steps, expected, strict=True):
        assert torch.equal(torch.from_numpy(step.grads_in[0].values), grad)
    for name, t in tensors.items():
        if t.is_leaf:
            assert torch.equal(t.grad, plain[name].grad)
    w.backward()  # the hooks are gone: a second backward records nothing more
    assert len(recording.steps) == len(expected)


WS_CHAIN = ["x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)", "y = x + 10",
            "z = y * y * y", "w = z.mean()"]


def run_all(ws, lines):
    for line in lines:
        assert ws.run(line).ok, line


def test_stepping_to_the_end_gives_plain_backward_grads_with_accumulation():
    ws = Workspace()
    run_all(ws, WS_CHAIN)
    assert ws.run("w.backward(retain_graph=True)").ok  # an existing .grad to add onto
    result, recording = record_workspace_backward(ws, "w")
    assert result.ok and ws.log[-1] == "w.backward()"  # through the pipe: logged like Backward

    plain = notebook_chain()
    plain["w"].backward(retain_graph=True)
    first = plain["x"].grad.clone()
    plain["w"].backward()
    assert torch.equal(ws.tensor("x").grad, plain["x"].grad)

    player = BackwardPlayer(recording)
    (acc,) = [s.key for s in recording.steps if s.name == "AccumulateGrad"]
    assert torch.equal(torch.from_numpy(player.leaf_grads()[acc].values), first)
    while player.step() is not None:
        pass
    assert player.done
    assert torch.equal(torch.from_numpy(player.leaf_grads()[acc].values), plain["x"].grad)
    step = recording.steps[-1]
    assert step.leaf == "x"
    grown = torch.from_numpy(step.grad_before.values) + torch.from_numpy(step.grads_in[0].values)
    assert torch.equal(torch.from_numpy(step.grad_after.values), grown)
    player.rewind()
    assert player.position == 0 and player.current is None
    # The recorder's keys are the graph's keys.
    graph = build_workspace_graph(ws, "w")
    assert [graph.node(s.key).label for s in recording.steps] == [s.name for s in recording.steps]
    assert graph.leaf_of(acc) == "t:x"


# ----- errors pointing at the graph ----------------------------------------------------------------


def test_inplace_error_points_at_the_node_and_the_statement():
    ws = Workspace()
    run_all(ws, ["a = torch.ones(3, requires_grad=True)", "b = a.exp()", "b += 1",
                 "c = b.sum()"])
    graph = build_workspace_graph(ws, "c", show_saved=True)
    # Visible before backward fails: torch refuses to hand out the changed saved result.
    (exp,) = graph.keys("function", "ExpBackward0")
    assert graph.node(exp).modified and graph.node(f"{exp}.result").modified
    with pytest.raises(RuntimeError, match="inplace"):
        _ = ws.tensor("b").grad_fn.next_functions[0][0]._saved_result
    assert not any(graph.node(k).modified for k in graph.keys("function") if k != exp)
    result, _ = record_workspace_backward(ws, "c")
    assert not result.ok
    message = result.messages[0].text
    assert "is at version 1; expected version 0" in message
    spot = locate_error(graph, message, ws.log)
    assert spot.reason == "inplace"
    assert graph.node(spot.key).label == "ExpBackward0"
    assert spot.statement == "b += 1"


def test_backward_twice_points_at_the_first_freed_node():
    ws = Workspace()
    run_all(ws, WS_CHAIN)
    assert record_workspace_backward(ws, "w")[0].ok
    result, _ = record_workspace_backward(ws, "w")
    assert not result.ok
    graph = build_workspace_graph(ws, "w")
    spot = locate_error(graph, result.messages[0].text, ws.log)
    assert spot.reason == "freed"
    assert graph.node(spot.key).label == "MulBackward0" and graph.node(spot.key).freed


def test_non_scalar_without_gradient_points_at_the_root():
    ws = Workspace()
    run_all(ws, WS_CHAIN[:2])
    result, _ = record_workspace_backward(ws, "y")
    assert not result.ok
    graph = build_workspace_graph(ws, "y")
    spot = locate_error(graph, result.messages[0].text, ws.log)
    assert (spot.reason, spot.key) == ("no_gradient", "t:y")


# ----- layout --------------------------------------------------------------------------------------


def test_layout_puts_inputs_left_of_outputs_without_overlap():
    tensors = used_twice()
    graph = build_graph(tensors, "w", show_saved=True)
    keys = [n.key for n in graph.nodes]
    sizes = {k: (90.0, 36.0) for k in keys}
    edges = [(e.source, e.target) for e in graph.edges]
    layout = layered_layout(keys, sizes, edges)
    assert set(layout.positions) == set(keys)
    for s, t in edges:
        assert layout.positions[s][0] > layout.positions[t][0]  # gradients flow right to left
    for a, b in itertools.combinations(keys, 2):
        (ax, ay), (bx, by) = layout.positions[a], layout.positions[b]
        assert abs(ax - bx) >= 90 or abs(ay - by) >= 36, (a, b)
    assert layout.positions["t:w"][0] == max(x for x, _ in layout.positions.values())


def test_layout_of_a_tree_has_no_crossings():
    # Two chains joined at the root, listed in an order that crosses before sorting.
    keys = ["r", "a1", "b1", "b2", "a2", "a3", "b3"]
    edges = [("r", "a1"), ("r", "b1"), ("a1", "a2"), ("b1", "b2"), ("a2", "a3"), ("b2", "b3")]
    layout = layered_layout(keys, {}, edges)
    for (s1, t1), (s2, t2) in itertools.combinations(edges, 2):
        ys = layout.positions
        if layout.columns[s1] == layout.columns[s2] and s1 != s2:
            assert (ys[s1][1] - ys[s2][1]) * (ys[t1][1] - ys[t2][1]) > 0


# ----- the Training Lab's loss graph ---------------------------------------------------------------


@pytest.mark.parametrize("loss_name", ["MSE", "L1", "Huber"])
def test_loss_graph_is_the_training_forward_with_real_grads(loss_name):
    from playground.core.graph.loss_graph import loss_graph
    from playground.core.training import TrainConfig
    from playground.core.training.tables import LOSS_SPECS

    config = TrainConfig(loss=loss_name)
    graph = loss_graph(config, 1.5, -0.5)
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    w = torch.tensor([1.5], requires_grad=True)
    b = torch.tensor([-0.5], requires_grad=True)
    y_hat = w * x + b
    loss = LOSS_SPECS[loss_name].function(y, y_hat)
    tensors = {"x": x, "y": y, "w": w, "b": b, "y_hat": y_hat, "loss": loss}
    fns, _, _ = torch_walk(loss)
    labels = sorted(n.label for n in graph.nodes if n.kind == "function")
    assert labels == sorted(type(f).__name__ for f in fns)
    assert {"MulBackward0", "AddBackward0"} <= set(labels)
    assert labels.count("AccumulateGrad") == 2
    loss.backward()
    fresh = build_graph(tensors, "loss")
    assert graph.node("t:w").grad == fresh.node("t:w").grad  # the same real gradient
    assert graph.node("t:b").grad == fresh.node("t:b").grad
    assert graph.node("t:y_hat").kind == "tensor"
    given = loss_graph(config, 1.5, -0.5, w_grad=0.25, b_grad=-2.0)
    assert (given.node("t:w").grad, given.node("t:b").grad) == ("[0.25]", "[-2]")


def test_session_loss_graph_before_training_has_the_starting_gradients():
    from playground.core.graph.loss_graph import session_loss_graph
    from playground.core.training import TrainingSession
    from playground.core.training.tables import LOSS_SPECS

    session = TrainingSession()
    graph, caption = session_loss_graph(session)
    config = session.config
    w = torch.tensor([config.w0], requires_grad=True)
    b = torch.tensor([config.b0], requires_grad=True)
    x = torch.tensor(config.dataset.x, dtype=torch.float32)
    y = torch.tensor(config.dataset.y, dtype=torch.float32)
    LOSS_SPECS[config.loss].function(w * x + b, y).backward()
    assert graph.node("t:w").grad == f"[{w.grad.item():.4g}]"
    assert graph.node("t:b").grad == f"[{b.grad.item():.4g}]"
    assert "Before training" in caption


def test_layout_puts_a_named_result_beside_its_grad_fn_not_beside_the_output():
    tensors = notebook_chain()
    graph = build_graph(tensors, "w")
    layout = layered_layout([n.key for n in graph.nodes], {},
                            [(e.source, e.target) for e in graph.edges])
    (add,) = graph.keys("function", "AddBackward0")
    assert layout.columns["t:y"] == layout.columns[add] - 1
    assert layout.columns["t:w"] == 0
