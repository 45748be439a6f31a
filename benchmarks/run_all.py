"""`make bench`: run every benchmark, print one table, save it as JSON and in docs/performance.md.

Each bench_*.py runs in its own child process (so one cannot leave threads, memory or Qt state
to the next) and ends its output with a FIGURES line (see common.py). This script collects them
into one table with the target of each figure, whether it was met and the machine's load while
it was measured, writes benchmarks/results/latest.json (a list of {"name", "value", "unit",
"target", "met", "load"}), and replaces the table between the markers in docs/performance.md,
with the machine it ran on.
Exit status 1 only when a benchmark could not run; missed targets are in the table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHES = ("bench_training.py", "bench_startup.py", "bench_tensor_lab.py", "bench_graph.py",
           "bench_memory.py", "bench_network.py", "bench_limits.py", "bench_rewind.py",
           "bench_race.py", "bench_long_run.py")
START, END = "<!-- bench:table:start -->", "<!-- bench:table:end -->"


def load_average() -> float:
    """The machine's 1-minute load average (other processes compete for the 2 cores)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def run_bench(script: str) -> tuple[list[dict], float]:
    """The figures one benchmark printed (its other output is passed through), and seconds.

    Each figure carries `load`: the load average before and after its script, as "a-b", since
    a paired ratio survives a busy machine but an absolute time or a stall does not.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    load_before = load_average()
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(HERE / script)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    figures: list[dict] = []
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("FIGURES "):
            figures = json.loads(line[len("FIGURES "):])
        elif "propagateSizeHints" not in line:  # the offscreen platform's harmless notice
            print(f"  [{script}] {line.rstrip()}", flush=True)
    code = child.wait()
    if code != 0 or not figures:
        figures.append({"name": f"{script} did not finish (exit {code})", "value": None,
                        "unit": "", "target": "runs", "met": False})
    load = f"{load_before:.1f}-{load_average():.1f}"
    for f in figures:
        f["load"] = load
    return figures, time.perf_counter() - began


def machine() -> dict[str, str]:
    """What the figures depend on: CPU, cores, versions, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    import PySide6  # the package only (no Qt module): its wheel names vary, its version not

    load = load_average()
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "torch": version("torch"),
        "PySide6": PySide6.__version__, "pyqtgraph": version("pyqtgraph"),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": f"{load:.1f}",
    }


def show(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(figures: list[dict]) -> list[str]:
    """Markdown rows: figure, value, unit, target, met, load average while measured."""
    rows = ["| figure | value | unit | target | met | load |",
            "| --- | ---: | --- | --- | --- | --- |"]
    for f in figures:
        met = {True: "yes", False: "**NO**", None: ""}[f["met"]]
        rows.append(f"| {f['name']} | {show(f['value'])} | {f['unit']} | {f['target']} | {met} "
                    f"| {f.get('load', '')} |")
    return rows


def write_doc(rows: list[str], info: dict[str, str], seconds: float) -> None:
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    block = [
        f"Measured {info['date']} by `make bench` ({seconds:.0f} s) on: {info['cpu']}, "
        f"{info['cores']} cores, {info['os']}, Python {info['python']}, torch {info['torch']}, "
        f"PySide6 {info['PySide6']}, pyqtgraph {info['pyqtgraph']}; load average "
        f"{info['load']} at the end.", "", *rows]
    doc.write_text(head + START + "\n" + "\n".join(block) + "\n" + END + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=BENCHES, help="run just these")
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    figures: list[dict] = []
    for script in args.only or BENCHES:
        print(f"{script}:", flush=True)
        found, seconds = run_bench(script)
        print(f"  ({seconds:.0f} s)", flush=True)
        figures.extend(found)
    seconds = time.perf_counter() - began
    info = machine()
    rows = table(figures)
    print()
    print("\n".join(rows))
    print(f"\n{info['cpu']} · {info['cores']} cores · Python {info['python']} · torch "
          f"{info['torch']} · PySide6 {info['PySide6']} · {info['date']} · {seconds:.0f} s")
    missed = [f["name"] for f in figures if f["met"] is False]
    print(f"targets missed: {len(missed)}" + (": " + "; ".join(missed) if missed else ""))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    (results / "machine.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    if not args.no_doc:
        write_doc(rows, info, seconds)
    return 1 if any("did not finish" in f["name"] for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
