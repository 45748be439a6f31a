"""Files benchmark: how long the worst hostile session file takes to refuse, and what it costs in
memory, one row per bound in docs/reliability.md's "session file" and "lists" rows.

Each file is read in its own child process (ru_maxrss only grows), after importing the reader:
  empty lists     48 MB of `[],` (16,000,002 lists; was 51 s and 2.6 GB to refuse)
  lr changes      1,000,000 of them, 16.9 MB (was accepted, and blocked Open for 112 s)
  custom points   200,000 of them, 3.4 MB (was accepted: 7.2 s and 5.6 GiB to draw)
  one big list    400,001 objects in one list, 1.2 MB
and a valid session of 300,000 records (about 30 MB) is opened, to show what the byte count
costs a file that is accepted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import at_most, emit, figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
from playground.core.files.session_file import read_session_file
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter()
try:
    read_session_file(sys.argv[1])
    said = None
except ValueError as exc:
    said = str(exc)
seconds = time.perf_counter() - began
rise = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps({"seconds": seconds, "rise_mib": rise, "refused": said is not None}))
"""

HEAVY = ("empty-lists-48MB", "lr-changes-1000000", "custom-200000-points",
         "one-list-of-400001-objects")


def measure(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, timeout=600, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def big_valid_session(path: Path) -> None:
    from tests.core.files.test_session_file import GOOD, good_doc  # noqa: F401

    doc = good_doc()
    run = doc["training"]["current"]
    row = run["records"][-1]
    run["records"] = [[i, *row[1:]] for i in range(300_000)]
    run["config"]["epochs"] = 300_000
    path.write_text(json.dumps(doc), encoding="utf-8")


def main() -> None:
    from tests.core.files.test_session_file import RANGE_FILES, make_bad

    folder = Path(tempfile.mkdtemp())
    results = {}
    for name, make, _ in RANGE_FILES:
        if name in HEAVY:
            results[name] = measure(make_bad(folder, name, make))
            print(f"{name}: {json.dumps(results[name])}", flush=True)
    valid = folder / "big.gradplay.json"
    big_valid_session(valid)
    opened = measure(valid)
    print(f"valid 300,000 records ({valid.stat().st_size / 1e6:.1f} MB): {json.dumps(opened)}")
    assert all(r["refused"] for r in results.values()) and not opened["refused"]
    figures = [at_most("worst hostile-file refusal (48 MB of lists, 1M lr changes, 200k points)",
                       max(r["seconds"] for r in results.values()), "s", 1.0),
               at_most("peak RSS rise over the hostile-file refusals",
                       max(r["rise_mib"] for r in results.values()), "MiB", 512),
               figure("open a valid 300,000-record session (counting and parsing)",
                      opened["seconds"], "s", "reported", None)]
    emit(figures)


if __name__ == "__main__":
    main()
