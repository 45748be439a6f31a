"""Limits benchmark: what the process really holds and how long the worst accepted or refused
work takes, one row per bound in docs/reliability.md.

Every route runs in its own child process (ru_maxrss only grows, so each needs a fresh one), on
a Qt-free Workspace, after a warm-up line; the peak is ru_maxrss over that warm baseline:
  products      20 lines of 100 `y = y * 1.0001` on a 1M-element leaf (was +6.9 GiB)
  history       50 float64 leaves of 10,000, 500 lines of `s.backward(retain_graph=True)`
                (was +1.9 GiB)
  step          Step backward's recording of 40 lines of 100 products on 10,000 elements
                (200 lines took 6.9 s and +1.6 GiB; those are now refused by their price)
  refusals      the slowest of: 66 backwards of a 12-matmul sum (was 28.9 s), print of an
                8-dimensional 6^8 tensor (was 16 s), a session of 500,000 statements (was 31 s),
                200 lines of products and Step backward
  replay        Undo over 20 heavy lines, and opening a session at the opening budget, replayed
                on the calling thread: how long a learner waits for them
  window        the same Undo (6 heavy lines) through the window's ReplayProgress, with a 10 ms
                heartbeat on the GUI thread: how late it ever fires is how long the window froze
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from common import at_most, emit, figure

PRELUDE = textwrap.dedent(
    """
    import json, resource, time
    import torch
    from playground.core.tensorlab.workspace import Workspace

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ws = Workspace()
    assert ws.run("warm = (torch.ones(1000, 1000) @ torch.ones(1000, 1000)).sum()").ok
    base = peak()
    out = {}

    def run(line):
        result = ws.run(line)
        assert result.ok, [m.text for m in result.messages]
        return result

    def timed(fn):
        t = time.perf_counter()
        value = fn()
        return value, time.perf_counter() - t
    """
)

ROUTES = {
    "products": """
        run("x = torch.ones(1000000, requires_grad=True)"); run("y = x * 1.0")
        _, out["seconds"] = timed(lambda: [run("; ".join(["y = y * 1.0001"] * 100))
                                            for _ in range(20)])
    """,
    "history": """
        names = [f"l{i}" for i in range(50)]
        for n in names:
            run(f"{n} = torch.ones(10000, dtype=torch.float64, requires_grad=True)")
        run("t = " + " + ".join(names[:10]))  # ten at a time: nesting stays under 50
        for i in range(10, 50, 10):
            run("t = t + " + " + ".join(names[i:i + 10]))
        run("s = t.sum()")
        _, out["seconds"] = timed(lambda: [run("s.backward(retain_graph=True)")
                                            for _ in range(500)])
    """,
    "step": """
        from playground.core.graph.recording import record_workspace_backward
        run("x = torch.ones(10000, requires_grad=True)"); run("y = x * 1.0")
        for _ in range(40):
            run("; ".join(["y = y * 1.0001"] * 100))
        run("s = y.sum()")
        (result, rec), out["seconds"] = timed(lambda: record_workspace_backward(ws, "s"))
        assert result.ok and len(rec.steps) > 4000
    """,
    "refusals": """
        from playground.core.graph.recording import record_workspace_backward
        worst = {}
        run("a = torch.randn(1000, 1000, requires_grad=True)")
        run("e = (" + " + ".join(["a @ a"] * 12) + ").sum()")
        r, worst["66 backwards"] = timed(lambda: ws.run(
            "; ".join(["e.backward(retain_graph=True)"] * 66)))
        assert not r.ok
        run("c = torch.ones(6, 6, 6, 6, 6, 6, 6, 6)")
        r, worst["print 6^8"] = timed(lambda: ws.run("print(c)"))
        assert r.ok and len(r.output) < 6000
        entries = ["; ".join(["a = torch.ones(2) * 3"] * 100)] * 5000
        r, worst["500,000 statements"] = timed(lambda: ws.load(entries))
        assert not r.ok
        ws.reset()
        run("x = torch.ones(10000, requires_grad=True)"); run("y = x * 1.0")
        for _ in range(200):
            run("; ".join(["y = y * 1.0001"] * 100))
        run("s = y.sum()")
        (r, rec), worst["Step backward, 20,000 nodes"] = timed(
            lambda: record_workspace_backward(ws, "s"))
        assert not r.ok
        out["worst"] = {k: round(v, 3) for k, v in worst.items()}
        out["seconds"] = max(worst.values())
    """,
    "replay": """
        run("b = torch.ones(3000000)")
        for _ in range(20):
            run("; ".join(["c = b * 2"] * 40))
        _, undo = timed(ws.undo)
        log = ws.log
        fresh = Workspace()
        r, opened = timed(lambda: fresh.load(log))
        out["undo"], out["open"] = round(undo, 3), round(opened, 3)
        out["seconds"] = max(undo, opened)
    """,
    "window": """
        import sys
        sys.path.insert(0, BENCH_DIR)
        from common import make_heartbeat
        from PySide6 import QtWidgets
        from playground.ui.window.replay_progress import ReplayProgress
        app = QtWidgets.QApplication([])
        parent = QtWidgets.QWidget()
        parent.show()
        ReplayProgress(parent).install(ws)
        run("b = torch.ones(3000000)")
        for _ in range(6):
            run("; ".join(["c = b * 2"] * 40))
        beat = make_heartbeat()
        beat.start()
        _, out["seconds"] = timed(ws.undo)
        beat.stop()
        out["worst_late_ms"] = round(max(beat.late_ms), 1) if beat.late_ms else None
        out["beats"] = len(beat.late_ms)
    """,
}


def run_route(name: str) -> dict:
    code = f"BENCH_DIR = {str(Path(__file__).resolve().parent)!r}\n" + PRELUDE + textwrap.dedent(
        ROUTES[name]) + (
        "\nout['peak_rise_mib'] = round(peak() - base, 1)\nprint(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=1200, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    figures = []
    only = sys.argv[1:]  # route names, to measure just those (no figures then)
    results = {name: run_route(name) for name in (only or ROUTES)}
    for name, result in results.items():
        print(f"{name}: {json.dumps(result)}", flush=True)
    if only:
        return
    for name in ("products", "history", "step"):
        figures.append(at_most(f"peak RSS rise, {name} route", results[name]["peak_rise_mib"],
                               "MiB", 2048))
    figures.append(at_most("worst refusal (backward, print, 500k statements, deep Step)",
                           results["refusals"]["seconds"], "s", 1.0))
    figures.append(at_most("peak RSS rise over the refusals", results["refusals"][
        "peak_rise_mib"], "MiB", 2048))
    figures.append(figure("replay time, Undo or Open of 20 heavy lines (off the GUI thread)",
                          results["replay"]["seconds"], "s", "reported", None))
    figures.append(at_most("window frozen during a 6-heavy-line Undo (worst 10 ms timer delay)",
                           results["window"]["worst_late_ms"] or 0.0, "ms", 250))
    emit(figures)


if __name__ == "__main__":
    main()
