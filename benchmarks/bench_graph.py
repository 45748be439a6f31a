"""Graph view benchmark: build, lay out and draw a 200-node autograd graph.

The graph is a 28-layer chain t = tanh(t * w_i + b_i) over named leaves (what a small network's
forward makes): 3 operation nodes, 2 AccumulateGrad nodes and 2 leaf tensors per layer. Times,
over several repeats (median and worst):
  build   core.autograd_graph.build_graph (walk, facts, texts),
  layout  core.graph_layout.layered_layout alone,
  show    GraphView.show_graph (items, layout, edges),
  paint   one full paint of the fitted view into an image,
  total   build + show + paint (the target: under 0.2 s).
Also times a 500-node-capped graph of a 2,000-operation chain (what "summarised" costs).
Prints a table, one JSON line and the FIGURES line run_all.py collects.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_graph.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402
from common import at_most, emit, figure  # noqa: E402
from PySide6 import QtGui, QtWidgets  # noqa: E402

from playground.core.graph.build import build_graph  # noqa: E402
from playground.core.graph.layout import layered_layout  # noqa: E402
from playground.ui.graph.view import GraphView  # noqa: E402

TARGET_S = 0.2


def network(layers: int) -> dict[str, torch.Tensor]:
    """Named leaves and the output of a tanh chain: 7 nodes per layer."""
    torch.manual_seed(0)
    tensors: dict[str, torch.Tensor] = {"x": torch.randn(4)}
    t = tensors["x"]
    for i in range(layers):
        w = tensors[f"w{i}"] = torch.randn(4, requires_grad=True)
        b = tensors[f"b{i}"] = torch.randn(4, requires_grad=True)
        t = (t * w + b).tanh()
    tensors["out"] = t.sum()
    return tensors


def long_chain(ops: int) -> dict[str, torch.Tensor]:
    x = torch.ones(3, requires_grad=True)
    t = x
    for _ in range(ops):
        t = t * 1.0001
    return {"x": x, "out": t.sum()}


def measure(view: GraphView, tensors: dict[str, torch.Tensor], repeat: int) -> dict[str, list]:
    times: dict[str, list[float]] = {k: [] for k in ("build", "layout", "show", "paint", "total")}
    image = QtGui.QImage(view.viewport().size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    nodes = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        graph = build_graph(tensors, "out")
        t1 = time.perf_counter()
        view.show_graph(graph)
        t2 = time.perf_counter()
        view.fit()
        painter = QtGui.QPainter(image)
        view.render(painter)
        painter.end()
        t3 = time.perf_counter()
        sizes = {k: item.size_hint() for k, item in view.items_by_key.items()}
        edges = [(e.source, e.target) for e in graph.edges]
        t4 = time.perf_counter()
        layered_layout([n.key for n in graph.nodes], sizes, edges)
        t5 = time.perf_counter()
        for key, value in (("build", t1 - t0), ("show", t2 - t1), ("paint", t3 - t2),
                           ("total", t3 - t0), ("layout", t5 - t4)):
            times[key].append(value)
        nodes = len(graph.nodes)
    times["nodes"] = [nodes]
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    view = GraphView()
    view.resize(1200, 700)
    view.show()
    app.processEvents()

    cases = {"200-node network": network(28), "2,000-op chain (capped)": long_chain(2000)}
    results = {}
    print(f"{'graph':26} {'nodes':>5} {'step':>7} {'median ms':>10} {'worst ms':>9}")
    for label, tensors in cases.items():
        times = measure(view, tensors, args.repeat)
        nodes = times.pop("nodes")[0]
        results[label] = {"nodes": nodes}
        for step, values in times.items():
            med, worst = statistics.median(values) * 1000, max(values) * 1000
            results[label][step] = {"median_ms": round(med, 2), "worst_ms": round(worst, 2)}
            print(f"{label:26} {nodes:5d} {step:>7} {med:10.1f} {worst:9.1f}")
    total = results["200-node network"]["total"]["median_ms"] / 1000
    met = total < TARGET_S
    print(f"target: 200-node build+layout+draw < {TARGET_S * 1000:.0f} ms: "
          f"{'met' if met else 'MISSED'} ({total * 1000:.0f} ms)")
    print(json.dumps({"benchmark": "graph", "python": platform.python_version(),
                      "torch": torch.__version__, "repeat": args.repeat, "target_s": TARGET_S,
                      "met": met, "results": results}))
    capped = results["2,000-op chain (capped)"]
    emit([
        at_most("graph: build, lay out and draw a 200-node graph",
                results["200-node network"]["total"]["median_ms"], "ms", TARGET_S * 1000),
        figure(f"graph: a 2,000-op chain capped at {capped['nodes']} nodes (reference)",
               capped["total"]["median_ms"], "ms", "", None),
    ])
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
