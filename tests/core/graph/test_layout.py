"""The layered layout's readability promises, checked on real autograd graphs built from torch:
both orientations keep the inputs first and the output last, one-link nodes sit beside their
anchor, and no edge's route crosses a box it does not end at."""

from __future__ import annotations

import itertools

import pytest
import torch

from playground.core.graph.build import build_graph
from playground.core.graph.layout import (
    LEFT_TO_RIGHT,
    TOP_TO_BOTTOM,
    attachments,
    layered_layout,
)


def notebook_chain() -> dict[str, torch.Tensor]:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    y = x + 10
    z = y * y * y  # the outer MulBackward0 reaches AddBackward0 past the inner one: a long edge
    return {"x": x, "y": y, "z": z, "w": z.mean()}


def shared_weight() -> dict[str, torch.Tensor]:
    """A weight used at every layer: many long edges towards one leaf."""
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    a = torch.tensor([0.5, 0.25], requires_grad=True)
    h = x
    for _ in range(6):
        h = torch.tanh(h * a + 1)
    return {"x": x, "a": a, "out": h.sum()}


def used_twice() -> dict[str, torch.Tensor]:
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([0.5, -1.0], requires_grad=True)
    return {"x": x, "b": b, "w": (x * x + x * b).sum()}


def lay_out(make, root, orientation, show_saved=False):
    graph = build_graph(make(), root, show_saved=show_saved)
    keys = [n.key for n in graph.nodes]
    # Uneven sizes, as real text gives: tensors wider and taller than functions.
    sizes = {n.key: (120.0, 40.0) if n.kind == "tensor" else (100.0 + 3 * (i % 4), 26.0)
             for i, n in enumerate(graph.nodes)}
    triples = [(e.source, e.target, e.kind) for e in graph.edges]
    beside = attachments(triples)
    layout = layered_layout(keys, sizes, [(s, t) for s, t, _ in triples],
                            orientation=orientation, attached=beside)
    return graph, sizes, beside, layout


def box(layout, sizes, key, shrink=0.5):
    (x, y), (w, h) = layout.positions[key], sizes[key]
    return x - w / 2 + shrink, y - h / 2 + shrink, x + w / 2 - shrink, y + h / 2 - shrink


def route_samples(route, vertical, steps=24):
    """Points along a route drawn as the view draws it: straight, or a cubic whose control
    points share the ranks' axis midpoint."""
    for (ax, ay), (bx, by) in itertools.pairwise(route):
        for i in range(steps + 1):
            t = i / steps
            if ax != bx and ay != by:
                if vertical:
                    mid = (ay + by) / 2
                    c1, c2 = (ax, mid), (bx, mid)
                else:
                    mid = (ax + bx) / 2
                    c1, c2 = (mid, ay), (mid, by)
                u = 1 - t
                yield (u**3 * ax + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * bx,
                       u**3 * ay + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * by)
            else:
                yield ax + (bx - ax) * t, ay + (by - ay) * t


CASES = [(notebook_chain, "w", False), (notebook_chain, "w", True), (shared_weight, "out", False),
         (used_twice, "w", True)]


@pytest.mark.parametrize("orientation", [LEFT_TO_RIGHT, TOP_TO_BOTTOM])
@pytest.mark.parametrize(("make", "root", "saved"), CASES)
def test_no_route_crosses_a_box_and_no_boxes_overlap(make, root, saved, orientation):
    graph, sizes, _, layout = lay_out(make, root, orientation, saved)
    keys = [n.key for n in graph.nodes]
    assert set(layout.positions) == set(keys)
    for a, b in itertools.combinations(keys, 2):
        ax0, ay0, ax1, ay1 = box(layout, sizes, a, 0)
        bx0, by0, bx1, by1 = box(layout, sizes, b, 0)
        assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)
    vertical = orientation == TOP_TO_BOTTOM
    for e in graph.edges:
        route = layout.routes[(e.source, e.target)]
        for key in keys:
            if key in (e.source, e.target):
                continue
            x0, y0, x1, y1 = box(layout, sizes, key)
            for x, y in route_samples(route, vertical):
                assert not (x0 < x < x1 and y0 < y < y1), (e, key, (x, y))


@pytest.mark.parametrize("orientation", [LEFT_TO_RIGHT, TOP_TO_BOTTOM])
def test_routes_start_and_end_on_their_boxes(orientation):
    graph, sizes, _, layout = lay_out(notebook_chain, "w", orientation, True)
    for e in graph.edges:
        route = layout.routes[(e.source, e.target)]
        for key, (px, py) in ((e.source, route[0]), (e.target, route[-1])):
            x0, y0, x1, y1 = box(layout, sizes, key, 0)
            on_side = (abs(px - x0) < 1e-6 or abs(px - x1) < 1e-6) and y0 <= py <= y1
            on_top = (abs(py - y0) < 1e-6 or abs(py - y1) < 1e-6) and x0 <= px <= x1
            assert on_side or on_top, (e, key, (px, py))


def test_top_to_bottom_puts_the_inputs_above_and_the_output_below():
    graph, _, beside, layout = lay_out(notebook_chain, "w", TOP_TO_BOTTOM)
    ys = {k: y for k, (_, y) in layout.positions.items()}
    for e in graph.edges:
        if e.source not in beside and e.target not in beside:
            assert ys[e.source] > ys[e.target], e  # gradients flow upwards
    (acc,) = graph.keys("function", "AccumulateGrad")
    (mean,) = graph.keys("function", "MeanBackward0")
    assert ys[acc] == min(ys.values()) and ys[mean] == max(ys.values())
    assert layout.height > layout.width  # a chain runs down the page


def test_left_to_right_puts_the_inputs_left_and_the_output_right():
    graph, _, beside, layout = lay_out(notebook_chain, "w", LEFT_TO_RIGHT)
    xs = {k: x for k, (x, _) in layout.positions.items()}
    for e in graph.edges:
        if e.source not in beside and e.target not in beside:
            assert xs[e.source] > xs[e.target], e
    assert layout.width > layout.height


def test_one_link_nodes_sit_beside_their_anchor():
    graph, _, beside, layout = lay_out(notebook_chain, "w", TOP_TO_BOTTOM, True)
    (acc,) = graph.keys("function", "AccumulateGrad")
    (add,) = graph.keys("function", "AddBackward0")
    (mean,) = graph.keys("function", "MeanBackward0")
    assert beside["t:x"] == acc and beside["t:y"] == add and beside["t:w"] == mean
    assert all(n.key in beside for n in graph.nodes if n.kind == "saved")
    for node, anchor in beside.items():
        assert layout.columns[node] == layout.columns[anchor]
        assert layout.positions[node][1] == layout.positions[anchor][1]  # the same row
    # Seven ranks without attachments (w, Mean, Mul, Mul, Add, AccumulateGrad, x); five with.
    assert len(set(layout.columns.values())) == 5


def test_defaults_keep_the_left_to_right_layout_without_attachments():
    graph = build_graph(notebook_chain(), "w")
    edges = [(e.source, e.target) for e in graph.edges]
    layout = layered_layout([n.key for n in graph.nodes], {}, edges)
    assert layout.orientation == LEFT_TO_RIGHT
    assert layout.positions["t:w"][0] == max(x for x, _ in layout.positions.values())
    assert set(layout.routes) == set(edges)
