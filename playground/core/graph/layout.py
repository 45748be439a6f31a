"""Layered left-to-right layout of a graph: inputs on the left, the output on the right.

A small Sugiyama-style layout in linear-ish time. grandalf was tried first (DESIGN.md section 7)
and took 0.4 s for a 156-node autograd graph, because a weight used at every layer of a deep
graph adds a dummy vertex per column crossed; here a long edge is drawn as one curve instead.
Steps: columns by longest path from the output, order within columns by a fixed number of
barycentre sweeps (bounded time), then rows pulled towards neighbours without overlapping.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Point = tuple[float, float]
DEFAULT_SIZE = (80.0, 30.0)


@dataclass
class Layout:
    """Centres of the nodes, each node's column (0 = the output's), and the total size."""

    positions: dict[str, Point] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def _ranks(keys: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Column of each node: the longest path from a node nothing points at (Kahn's order)."""
    indegree = dict.fromkeys(keys, 0)
    out: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        out[s].append(t)
        indegree[t] += 1
    rank = dict.fromkeys(keys, 0)
    has_in = {k for k in keys if indegree[k]}
    queue = deque(k for k in keys if indegree[k] == 0)
    while queue:
        k = queue.popleft()
        for t in out[k]:
            rank[t] = max(rank[t], rank[k] + 1)
            indegree[t] -= 1
            if indegree[t] == 0:
                queue.append(t)
    # Nodes on a cycle (autograd graphs have none) keep the column reached so far.
    # A source other than the first node (a named result such as y pointing at its grad_fn) sits
    # one column right of its nearest target, not at the far right beside the output.
    for k in keys[1:]:
        if k not in has_in and out[k]:
            rank[k] = max(min(rank[t] for t in out[k]) - 1, 0)
    return rank


def _order(columns: list[list[str]], neighbours: Mapping[str, list[str]], rank: Mapping[str, int],
           sweeps: int) -> None:
    """Reorder each column by the mean position of its neighbours in the column before it,
    sweeping right-to-left then back, `sweeps` times (fewer crossings, bounded time)."""
    index = {k: i for col in columns for i, k in enumerate(col)}
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        order = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for c in order:
            side = c - 1 if forward else c + 1
            col = columns[c]

            def centre(k: str, side: int = side) -> float:
                near = [index[n] for n in neighbours[k] if rank[n] == side]
                return sum(near) / len(near) if near else index[k]

            col.sort(key=centre)
            for i, k in enumerate(col):
                index[k] = i


def layered_layout(
    keys: Sequence[str],
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str]],
    *,
    column_gap: float = 60.0,
    row_gap: float = 16.0,
    sweeps: int = 4,
) -> Layout:
    """Place `keys` (sizes are (width, height)) in columns so that every edge's source sits in
    a column right of its target's; edges point from the output towards the inputs."""
    keys = list(dict.fromkeys(keys))
    known = set(keys)
    edges = [(s, t) for s, t in edges if s in known and t in known and s != t]
    rank = _ranks(keys, edges)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        neighbours[s].append(t)
        neighbours[t].append(s)
    n_columns = max(rank.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(n_columns)]
    for k in keys:  # walk order first: the builder lists nodes breadth-first from the output
        columns[rank[k]].append(k)
    _order(columns, neighbours, rank, sweeps)

    def size(k: str) -> tuple[float, float]:
        return sizes.get(k, DEFAULT_SIZE)

    layout = Layout(columns=dict(rank))
    # x: column 0 (the output) is rightmost; each column as wide as its widest node.
    widths = [max((size(k)[0] for k in col), default=0.0) for col in columns]
    total = sum(widths) + column_gap * max(n_columns - 1, 0)
    right = total
    xs = []
    for w in widths:
        xs.append(right - w / 2)
        right -= w + column_gap
    # y: stack each column, then pull nodes towards their already placed neighbours.
    y: dict[str, float] = {}
    for c, col in enumerate(columns):
        wanted = []
        for k in col:
            placed = [y[n] for n in neighbours[k] if n in y and rank[n] < c]
            wanted.append(sum(placed) / len(placed) if placed else None)
        cursor = 0.0
        for k, want in zip(col, wanted, strict=True):
            h = size(k)[1]
            top = cursor if want is None else max(cursor, want - h / 2)
            y[k] = top + h / 2
            cursor = top + h + row_gap
    height = 0.0
    for c, col in enumerate(columns):
        for k in col:
            layout.positions[k] = (xs[c], y[k])
            height = max(height, y[k] + size(k)[1] / 2)
    layout.width = total
    layout.height = height
    return layout
