"""Groups in the layered layout: each group's ranks are its own, or the groups are ignored
when keeping them apart would turn an edge back."""

from __future__ import annotations

from playground.core.graph.layout import TOP_TO_BOTTOM, layered_layout


def test_interleaved_groups_get_ranks_of_their_own():
    # Two chains hanging off a spine, as a two-layer network's graph: a -> b -> c, a -> x, b -> y
    edges = [("a", "b"), ("b", "c"), ("a", "x"), ("x", "x2"), ("b", "y"), ("y", "y2")]
    keys = ["a", "b", "c", "x", "x2", "y", "y2"]
    groups = {"a": "G2", "x": "G2", "x2": "G2", "b": "G1", "c": "G1", "y": "G1", "y2": "G1"}
    plain = layered_layout(keys, {}, edges)
    assert plain.columns["x2"] == plain.columns["y"]  # the groups share a rank ungrouped
    layout = layered_layout(keys, {}, edges, groups=groups, group_gap=30.0,
                            orientation=TOP_TO_BOTTOM)
    assert layout.grouped
    g2 = {layout.columns[k] for k in keys if groups[k] == "G2"}
    g1 = {layout.columns[k] for k in keys if groups[k] == "G1"}
    assert max(g2) < min(g1)
    for s, t in edges:
        assert layout.columns[s] < layout.columns[t]


def test_groups_that_cannot_be_kept_apart_are_ignored():
    edges = [("a", "b"), ("b", "c")]
    layout = layered_layout(["a", "b", "c"], {}, edges, groups={"a": "G", "c": "G", "b": "H"})
    assert not layout.grouped
    assert [layout.columns[k] for k in "abc"] == [0, 1, 2]
