"""The statement log reader: one set of rules the hint, the graph and the exports share."""

from __future__ import annotations

from playground.core.graph.build import build_workspace_graph
from playground.core.tensorlab.hints import hint_for
from playground.core.tensorlab.log import cut_of, inplace_statements, read_entry, statement_sources
from playground.core.tensorlab.workspace import Workspace


def test_data_cuts_for_the_hint_and_the_graph_alike() -> None:
    ws = Workspace()
    for line in ("x = torch.randn(3, requires_grad=True)", "y = x.data * 2"):
        assert ws.run(line).ok
    assert cut_of(ws.log, "y") == "data"
    assert statement_sources(ws.log)["y"] == (True, ["x"])
    ws.current = "y"
    assert ".data" in hint_for(ws)
    graph = build_workspace_graph(ws, "y")
    assert [(e.source, e.target) for e in graph.edges if e.kind == "no_graph"] == [("t:y", "t:x")]
    assert not ws.tensor("y").requires_grad  # what torch itself says


def test_no_grad_takes_precedence_and_in_place_changes_are_found() -> None:
    log = ["x = torch.ones(2, requires_grad=True)",
           "with torch.no_grad():\n    y = x.detach() * 2\n    x -= 1",
           "x.data.zero_(); x.requires_grad_()"]
    assert cut_of(log, "y") == "no_grad"
    assert [(i, names) for i, _, names in inplace_statements(log)] == [(1, ["x"]), (2, ["x"])]
    entry = read_entry(log[1])
    assert entry.assigned == ("y", "x") and "detach" in entry.calls
    assert read_entry("not python (") == read_entry("")
