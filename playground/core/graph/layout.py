"""Layered layout of a graph: inputs first, the output last, left to right or top to bottom.

A small Sugiyama-style layout in linear-ish time. The grandalf library was tried first
and took 0.4 s for a 156-node autograd graph, because a weight used at every layer of a deep
graph adds a dummy vertex per column crossed; here a long edge is drawn as one curve instead.
Steps: columns by longest path from the output, order within columns by a fixed number of
barycentre sweeps (bounded time), then rows pulled towards neighbours without overlapping.

Readability rules the drawing relies on: a node with one link (a named result, a leaf under its
AccumulateGrad, a saved tensor) may be attached beside its anchor instead of taking a rank of its
own; every edge gets a route that crosses no box (between ranks it runs in the gap, a long edge
takes a lane clear of every rank it passes, a link to a non-adjacent neighbour goes round by the
gap before its rank). Routing costs O(edges x ranks passed), still bounded.

Optional groups (a network's layers) get ranks of their own: each group's ranks are moved past
the previous group's, so a box drawn round a group's nodes overlaps no other group's, and an
extra gap between groups leaves room for its caption. When moving would turn an edge against
the ranks the groups are ignored (`Layout.grouped` says which happened).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Point = tuple[float, float]
DEFAULT_SIZE = (80.0, 30.0)
LEFT_TO_RIGHT, TOP_TO_BOTTOM = "left-to-right", "top-to-bottom"


@dataclass
class Layout:
    """Centres of the nodes, each node's rank (0 = the output's), the total size, and each
    edge's route: points where consecutive points differing on both axes are joined by a curve
    leaving and arriving along the ranks' axis, the others by a straight line."""

    positions: dict[str, Point] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0
    orientation: str = LEFT_TO_RIGHT
    routes: dict[tuple[str, str], list[Point]] = field(default_factory=dict)
    grouped: bool = False  # the groups asked for got ranks of their own


def _grouped_ranks(rank: dict[str, int], edges: Sequence[tuple[str, str]],
                   groups: Mapping[str, str]) -> dict[str, int] | None:
    """Ranks with each group's nodes moved past the previous group's (groups ordered by their
    first rank), others moved with the group before them; None if an edge would turn back."""
    members: dict[str, list[str]] = defaultdict(list)
    for k, g in groups.items():
        if k in rank:
            members[g].append(k)
    if not members:
        return None
    spans = sorted(((min(rank[k] for k in ks), max(rank[k] for k in ks), g)
                    for g, ks in members.items()))
    shift_of: dict[str, int] = {}
    starts: list[tuple[int, int]] = []  # (first original rank, shift) per group, in order
    shift, end = 0, -1
    for low, high, g in spans:
        start = max(low + shift, end + 1)
        shift = start - low
        shift_of[g] = shift
        starts.append((low, shift))
        end = high + shift

    def loose(r: int) -> int:  # an ungrouped node moves with the last group started by rank r
        return max((sh for low, sh in starts if low <= r), default=0)

    new = {k: r + (shift_of[groups[k]] if k in groups else loose(r)) for k, r in rank.items()}
    if any(new[s] >= new[t] for s, t in edges if rank[s] < rank[t]):
        return None
    return new


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


def attachments(edges: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """Which nodes to draw beside the node they hang on, from (source, target, kind) edges: a
    named result beside its grad_fn ("grad_fn"), a leaf beside its AccumulateGrad ("variable"),
    a saved tensor beside its function ("saved"), each only when that is its one link (so no
    other edge has to reach it). Tensors come first, so they sit nearest their node."""
    degree = Counter(k for s, t, _ in edges for k in (s, t))
    beside: dict[str, str] = {}
    for s, t, kind in edges:
        node, anchor = (s, t) if kind == "grad_fn" else (t, s)
        if kind in ("grad_fn", "variable", "saved") and degree[node] == 1:
            beside.setdefault(node, anchor)
    ordered = sorted(beside.items(), key=lambda item: not item[0].startswith("t:"))
    return {k: a for k, a in ordered if a not in beside}


def _blocks(col: list[str], beside: Mapping[str, list[str]]) -> list[list[str]]:
    """A column's nodes grouped as [left attachments..., anchor, right attachments...]: the
    first attachment goes after the anchor, the next before it, and so on."""
    blocks = []
    for k in col:
        after = beside.get(k, [])[0::2]
        before = beside.get(k, [])[1::2]
        blocks.append([*reversed(before), k, *after])
    return blocks


class _Lanes:
    """Cross coordinates for long edges, clear of every box and earlier lane in the ranks they
    pass. A short pass (up to NEAR ranks) may run straight where there is room; a longer one
    goes just outside everything it passes, so each edge costs O(ranks passed)."""

    NEAR = 8

    def __init__(self, spans: list[list[tuple[float, float]]], pad: float) -> None:
        self.spans = spans  # per rank: (lo, hi) of each box, then of each lane taken
        self.low = [min((a for a, _ in rank), default=0.0) for rank in spans]
        self.high = [max((b for _, b in rank), default=0.0) for rank in spans]
        self.pad = pad

    def take(self, first: int, last: int, wanted: Sequence[float]) -> float:
        """A lane through ranks first..last (inclusive), preferring one of `wanted`."""
        pad = self.pad
        ranks = range(first, last + 1)
        lane = None
        if last - first < self.NEAR:
            for c in wanted:
                if all(hi <= c - pad or lo >= c + pad for r in ranks for lo, hi in self.spans[r]):
                    lane = c
                    break
        if lane is None:
            lo = min(self.low[first:last + 1])
            hi = max(self.high[first:last + 1])
            middle = sum(wanted) / len(wanted)
            lane = hi + pad if hi - middle <= middle - lo else lo - pad
        for r in ranks:  # later lanes keep off this one
            self.spans[r].append((lane - 1.0, lane + 1.0))
            self.low[r] = min(self.low[r], lane - 1.0)
            self.high[r] = max(self.high[r], lane + 1.0)
        return lane


def layered_layout(
    keys: Sequence[str],
    sizes: Mapping[str, tuple[float, float]],
    edges: Sequence[tuple[str, str]],
    *,
    column_gap: float = 60.0,
    row_gap: float = 16.0,
    sweeps: int = 4,
    orientation: str = LEFT_TO_RIGHT,
    attached: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    group_gap: float = 0.0,
) -> Layout:
    """Place `keys` (sizes are (width, height)) in ranks so that every edge's source sits in a
    rank nearer the output than its target's; edges point from the output towards the inputs.

    `orientation` LEFT_TO_RIGHT puts the output on the right, TOP_TO_BOTTOM at the bottom
    (the forward pass reads like the code, downwards). `attached` maps a node to an anchor it
    is drawn beside, in the anchor's rank (a named result beside its grad_fn, a saved tensor
    beside its function): fewer ranks, and no edge has to pass it. An anchor's first two
    attachments sit next to it (after it, then before it), later ones further out. `column_gap` separates
    ranks, `row_gap` nodes within a rank. Every edge gets a route that crosses no box.
    `groups` maps nodes to a group name (attached nodes follow their anchor): each group gets
    ranks of its own, `group_gap` extra apart from the next group's.
    """
    keys = list(dict.fromkeys(keys))
    known = set(keys)
    edges = [(s, t) for s, t in dict.fromkeys(edges) if s in known and t in known and s != t]
    anchor_of = {k: a for k, a in (attached or {}).items()
                 if k in known and a in known and k != a and a not in (attached or {})}
    core = [k for k in keys if k not in anchor_of]
    core_edges = [(s, t) for s, t in edges if s not in anchor_of and t not in anchor_of]
    rank = _ranks(core, core_edges)
    grouped = False
    if groups:
        regrouped = _grouped_ranks(rank, core_edges, groups)
        if regrouped is not None:
            rank, grouped = regrouped, True
    beside: dict[str, list[str]] = defaultdict(list)
    for k, anchor in anchor_of.items():  # in `attached`'s order: the first sits nearest
        beside[anchor].append(k)
        rank[k] = rank[anchor]
    neighbours: dict[str, list[str]] = defaultdict(list)
    for s, t in core_edges:
        neighbours[s].append(t)
        neighbours[t].append(s)
    n_ranks = max(rank.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(n_ranks)]
    for k in core:  # walk order first: the builder lists nodes breadth-first from the output
        columns[rank[k]].append(k)
    _order(columns, neighbours, rank, sweeps)

    tall = orientation == TOP_TO_BOTTOM

    def extent(k: str) -> tuple[float, float]:
        """(along the ranks' axis, across it)."""
        w, h = sizes.get(k, DEFAULT_SIZE)
        return (h, w) if tall else (w, h)

    blocks = [_blocks(col, beside) for col in columns]
    # Main axis: the rank furthest from the output first, the output's rank last.
    bands = [max((extent(k)[0] for b in blocks[r] for k in b), default=0.0)
             for r in range(n_ranks)]
    main = [0.0] * n_ranks
    cursor = 0.0
    rank_group: list[str | None] = [None] * n_ranks
    if grouped:
        for k in core:
            if groups and k in groups:
                rank_group[rank[k]] = groups[k]
    for r in range(n_ranks - 1, -1, -1):
        main[r] = cursor + bands[r] / 2
        cursor += bands[r] + column_gap
        if r and rank_group[r] != rank_group[r - 1]:
            cursor += group_gap
    total_main = max(cursor - column_gap, 0.0)
    # Cross axis: stack each rank's blocks, pulled towards their anchors' placed neighbours.
    cross: dict[str, float] = {}
    order: list[list[str]] = []
    for r in range(n_ranks):
        flat: list[str] = []
        cursor = 0.0
        for block in blocks[r]:
            anchor = next(k for k in block if k not in anchor_of)
            placed = [cross[n] for n in neighbours[anchor] if n in cross and rank[n] < r]
            offsets, length = {}, 0.0
            for k in block:
                offsets[k] = length + extent(k)[1] / 2
                length += extent(k)[1] + row_gap
            top = cursor
            if placed:
                top = max(cursor, sum(placed) / len(placed) - offsets[anchor])
            for k in block:
                cross[k] = top + offsets[k]
            cursor = top + length
            flat.extend(block)
        order.append(flat)
    spans = [[(cross[k] - extent(k)[1] / 2, cross[k] + extent(k)[1] / 2) for k in col]
             for col in order]
    # Routes as (main, cross) pairs; see Layout for how the view joins them.
    lanes = _Lanes([list(col) for col in spans], min(row_gap / 2, 8.0))
    slot = {k: i for col in order for i, k in enumerate(col)}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for s, t in edges:
        rs, rt = rank[s], rank[t]
        ms, mt = extent(s)[0] / 2, extent(t)[0] / 2
        cs, ct = cross[s], cross[t]
        if rs == rt:  # beside each other: straight across, or round by the gap before the rank
            step = 1 if ct > cs else -1
            if abs(slot[s] - slot[t]) == 1:
                route = [(main[rs], cs + step * extent(s)[1] / 2),
                         (main[rs], ct - step * extent(t)[1] / 2)]
            else:
                gap = main[rs] - bands[rs] / 2 - column_gap / 3
                route = [(main[rs] - ms, cs), (gap, cs), (gap, ct), (main[rt] - mt, ct)]
        elif rt > rs:  # towards the inputs, as every autograd edge goes
            route = [(main[rs] - ms, cs), (main[rs] - bands[rs] / 2, cs)]
            if rt > rs + 1:
                lane = lanes.take(rs + 1, rt - 1, (cs, ct, (cs + ct) / 2))
                route += [(main[rs + 1] + bands[rs + 1] / 2, lane),
                          (main[rt - 1] - bands[rt - 1] / 2, lane)]
            route += [(main[rt] + bands[rt] / 2, ct), (main[rt] + mt, ct)]
        else:  # against the ranks (only on a cycle): straight, nothing better to promise
            route = [(main[rs], cs), (main[rt], ct)]
        routes[(s, t)] = route
    # Shift so every box and lane starts at 0 across; then to scene coordinates.
    lows = [lo for col in spans for lo, _ in col]
    highs = [hi for col in spans for _, hi in col]
    low, high = min(lows, default=0.0), max(highs, default=0.0)

    def point(along: float, across: float) -> Point:
        return (across - low, along) if tall else (along, across - low)

    layout = Layout(columns=dict(rank), orientation=orientation, grouped=grouped)
    for r, col in enumerate(order):
        for k in col:
            layout.positions[k] = point(main[r], cross[k])
    layout.routes = {e: [point(a, c) for a, c in route] for e, route in routes.items()}
    across = high - low
    layout.width, layout.height = (across, total_main) if tall else (total_main, across)
    return layout
