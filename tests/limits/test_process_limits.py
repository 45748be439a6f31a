"""The limits seen from outside: each route runs in its own process, with a time limit and,
where memory is the point, an address-space cap (RLIMIT_AS) 2 GiB above what the process has
mapped once the workspace is warm, so a route that holds more fails instead of swapping.

Each route is the one that broke before (numbers in docs/reliability.md) plus a variant; what
is accepted is compared with plain torch computed in the child, and the report says how far
the resident set rose over the warm baseline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# The documented bound: the process's RSS after any accepted sequence stays this far above the
# warm workspace (docs/reliability.md, "What the process holds").
RSS_BOUND_MIB = 2048
# What the fixed routes really rise by is far less; a regression shows up well before the bound.
ROUTE_RISE_MIB = 400

PRELUDE = textwrap.dedent(
    """
    import json, resource, time
    import torch
    from playground.core.tensorlab.workspace import Workspace

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) // 1024
        return 0

    ws = Workspace()
    assert ws.run("warm = torch.ones(3, requires_grad=True) * 2").ok
    baseline = status("VmRSS")
    if CAP:
        limit = (status("VmSize") + 2048) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    report = {}
    start = time.perf_counter()

    def run(line):
        result = ws.run(line)
        assert result.ok, (line[:80], [m.text for m in result.messages])
        return result

    def done():
        report["rise_mib"] = status("VmRSS") - baseline
        report["seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps(report))
    """
)


def run_child(body: str, *, cap: bool = True, timeout: float = 600) -> dict:
    """Run PRELUDE + `body` in a fresh interpreter; its last stdout line is the JSON report."""
    code = f"CAP = {cap!r}\n" + PRELUDE + textwrap.dedent(body) + "\ndone()\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(report))  # the figures docs/reliability.md quotes (pytest -s)
    return report


@pytest.mark.parametrize("line, per_line, lines", [
    ("y = y * 1.0001", 100, 20),  # the route: +6.9 GiB before freed memory went back
    ("y = (y + 0.5) / 1.0001", 50, 20),  # its cousin: two temporaries a statement
])
def test_repeated_products_give_their_memory_back(line: str, per_line: int, lines: int
                                                  ) -> None:
    report = run_child(f"""
        run("x = torch.ones(1000000, requires_grad=True)")
        run("y = x * 1.0")
        for _ in range({lines}):
            run("; ".join([{line!r}] * {per_line}))
        x = torch.ones(1000000, requires_grad=True)
        y = x * 1.0
        for _ in range({lines} * {per_line}):
            {line}  # the same line, as plain torch
        report["equal"] = bool(torch.equal(ws.tensor("y"), y))
    """)
    assert report["equal"]
    assert report["rise_mib"] < ROUTE_RISE_MIB


@pytest.mark.parametrize("leaves, lines", [(50, 500), (2, 3000)])
def test_grad_history_is_bounded(leaves: int, lines: int) -> None:
    """50 float64 leaves and 500 retained backward lines took +1.9 GiB; one leaf with
    thousands of records is thinned instead of growing without end."""
    report = run_child(f"""
        from playground.core.limits import (HISTORY_BYTES, HISTORY_RECORDS_PER_TENSOR)
        names = [f"l{{i}}" for i in range({leaves})]
        for name in names:
            run(f"{{name}} = torch.ones(10000, dtype=torch.float64, requires_grad=True)")
        run("t = " + " + ".join(names[:10]))  # ten at a time: nesting stays under 50
        for i in range(10, len(names), 10):
            run("t = t + " + " + ".join(names[i:i + 10]))
        run("s = t.sum()")
        for _ in range({lines}):
            run("s.backward(retain_graph=True)")
        kept = sum(r.nbytes for n in names for r in ws.grad_history(n))
        report["kept_bytes"] = kept
        report["bound"] = HISTORY_BYTES
        report["longest"] = max(len(ws.grad_history(n)) for n in names)
        report["per_tensor"] = HISTORY_RECORDS_PER_TENSOR
        expected = torch.full((10000,), float({lines}), dtype=torch.float64)
        last = ws.grad_history(names[-1])[-1]
        report["last_mean"] = last.mean
        report["equal"] = all(torch.equal(ws.tensor(n).grad, expected) for n in names)
        report["steps_increase"] = all(
            [r.step for r in ws.grad_history(n)] == sorted({{r.step for r in ws.grad_history(n)}})
            for n in names)
    """)
    assert report["equal"]
    assert report["steps_increase"]
    assert report["last_mean"] == float(lines)
    assert report["kept_bytes"] <= report["bound"]
    assert report["longest"] <= report["per_tensor"]
    assert report["rise_mib"] < ROUTE_RISE_MIB


@pytest.mark.parametrize("lines, refused", [(200, True), (40, False)])
def test_step_backward_on_deep_graphs(lines: int, refused: bool) -> None:
    """200 lines of 100 products on 10,000 elements, then Step backward, took 6.9 s and
    +1.6 GiB: now backward is priced by its 20,000 nodes and refused; a graph a fifth as deep
    is recorded within RECORDING_BYTES and its gradient is torch's."""
    report = run_child(f"""
        from playground.core.graph.recording import record_workspace_backward
        from playground.core.limits import RECORDING_BYTES
        run("x = torch.ones(10000, requires_grad=True)")
        run("y = x * 1.0")
        for _ in range({lines}):
            run("; ".join(["y = y * 1.0001"] * 100))
        run("s = y.sum()")
        result, recording = record_workspace_backward(ws, "s")
        report["ok"] = result.ok
        report["steps"] = len(recording.steps)
        report["kept"] = sum(c.nbytes for step in recording.steps
                             for c in (*step.grads_in, *step.grads_out, step.grad_before,
                                       step.grad_after) if c is not None)
        report["bound"] = RECORDING_BYTES
        if result.ok:
            x = torch.ones(10000, requires_grad=True)
            y = x * 1.0
            for _ in range({lines} * 100):
                y = y * 1.0001
            y.sum().backward()
            report["equal"] = bool(torch.equal(ws.tensor("x").grad, x.grad))
        else:
            report["message"] = result.messages[0].text
    """)
    assert report["ok"] is not refused
    if refused:
        assert "element operations" in report["message"]
        assert report["steps"] == 0
    else:
        assert report["equal"]
        assert report["steps"] > lines * 100
    # one step's copy may take it past the bound; none after that
    assert report["kept"] <= report["bound"] + 2 * 40_000
    assert report["rise_mib"] < ROUTE_RISE_MIB


@pytest.mark.parametrize("terms, repeats", [(12, 1), (6, 66)])
def test_backward_is_priced_by_its_matrix_products(terms: int, repeats: int) -> None:
    """66 backwards of a 12-matmul sum on 1000x1000 on one line ran 28.9 s; now a backward
    costs the products it repeats, so both lines are refused before they run."""
    report = run_child(f"""
        run("a = torch.randn(1000, 1000, requires_grad=True)")
        run("e = (" + " + ".join(["a @ a"] * {terms}) + ").sum()")
        result = ws.run("; ".join(["e.backward(retain_graph=True)"] * {repeats}))
        report["ok"] = result.ok
        report["message"] = result.messages[0].text if result.messages else ""
        report["grad_none"] = ws.tensor("a").grad is None
    """, cap=False)
    assert not report["ok"]
    assert "element operations" in report["message"]
    assert report["grad_none"]  # refused before the engine ran: nothing accumulated


def test_one_priced_backward_runs_and_equals_torch() -> None:
    report = run_child("""
        run("a = torch.randn(300, 300, requires_grad=True)")
        run("e = (a @ a + a @ a).sum()")
        run("e.backward(retain_graph=True); e.backward()")
        g = torch.Generator().manual_seed(0)
        a = torch.randn(300, 300, requires_grad=True, generator=g)
        e = (a @ a + a @ a).sum()
        e.backward(retain_graph=True)
        e.backward()
        report["equal"] = bool(torch.equal(ws.tensor("a").grad, a.grad))
    """, cap=False)
    assert report["equal"]


@pytest.mark.parametrize("line", [
    "print(c)",  # c = torch.ones(6, ..., 6) of 8 dims: 16 s and an 11.3M-character string
    "c",  # its repr
    "; ".join(["print(d)"] * 20),  # 20 prints of a 6^5 tensor put 969 KB on a label
])
def test_print_is_summarised_and_capped(line: str) -> None:
    report = run_child(f"""
        from playground.core.limits import MAX_OUTPUT_CHARS, MAX_PRINT_CHARS
        run("c = torch.ones(6, 6, 6, 6, 6, 6, 6, 6)")
        run("d = torch.ones(6, 6, 6, 6, 6)")
        run("e = torch.arange(12.0).reshape(3, 4)")
        result = run({line!r})
        report["chars"] = len(result.output)
        report["bound"] = MAX_OUTPUT_CHARS + 100
        report["longest"] = max(len(t) for t in result.output.split("\\n"))
        small = run("print(e); e").output
        e = torch.arange(12.0).reshape(3, 4)
        report["small_as_python"] = small == str(e) + "\\n" + repr(e)
    """)
    assert report["chars"] <= report["bound"]
    assert report["small_as_python"]
    assert report["rise_mib"] < ROUTE_RISE_MIB


@pytest.mark.parametrize("statements, accepted", [(500_000, False), (5_000, True)])
def test_many_statements_refused_before_they_run(statements: int, accepted: bool) -> None:
    """500,000 tiny statements (a 5.5 MB file) took 31 s; they are refused from the text.
    5,000 are opened, and the names are torch's."""
    report = run_child(f"""
        entries = ["; ".join(["a = torch.ones(2) * 3"] * 100)] * ({statements} // 100)
        t = time.perf_counter()
        result = ws.load(entries)
        report["load_seconds"] = round(time.perf_counter() - t, 3)
        report["ok"] = result.ok
        report["message"] = result.messages[0].text if result.messages else ""
        report["equal"] = result.ok and bool(torch.equal(ws.tensor("a"), torch.ones(2) * 3))
    """, timeout=300)
    assert report["ok"] is accepted
    if accepted:
        assert report["equal"]
    else:
        assert "statements" in report["message"]
