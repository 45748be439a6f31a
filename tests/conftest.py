"""Test-wide set-up: headless Qt, settings kept away from the user's real ones, the order that
lets `make test` (pytest-xdist, one worker per core) finish together, and an optional record
of each test's CPU seconds."""

import json
import os
import resource
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Must happen before any QApplication exists (pytest-qt creates it lazily).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Each process (each xdist worker too) gets its own folders: no two tests share a settings file.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="playground-test-config-")
# Autosaves (QStandardPaths.AppDataLocation) too: no test reads or leaves the user's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="playground-test-data-")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # One worker per core already fills the machine; torch's own threads would fight over it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


# Seconds each long test took in one measured `pytest -n 2 --durations=0` run (tests/durations.json;
# a busy machine then, so the figures are relative weights, not promises). Only the order of the
# run depends on them: a stale or missing entry makes the run less balanced, never wrong.
DURATIONS: dict[str, float] = json.loads(
    (Path(__file__).with_name("durations.json")).read_text(encoding="utf-8"))
SLOW_SECONDS = 10.0  # marked `slow` from this weight up
SHORT_SECONDS = 0.5  # the weight of a test not listed (most take well under a second)


def _weight(item: pytest.Item) -> float:
    return DURATIONS.get(item.nodeid, SHORT_SECONDS)


def _chunk_sizes(count: int, workers: int) -> list[int]:
    """How xdist's worksteal scheduler first deals `count` tests to `workers` idle workers:
    consecutive chunks, each the remaining tests divided by the workers still to serve."""
    sizes, left = [], count
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    return sizes


def balanced_order(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """Order `items` so that each worker's first chunk starts with its share of the long tests
    (longest first, each to the chunk with the least weight so far) and is filled with short
    ones: the long tests run side by side from the start, and what a worker steals later (from
    the end of another's queue) is short."""
    heavy = sorted((i for i in items if _weight(i) >= SLOW_SECONDS), key=_weight, reverse=True)
    light = [i for i in items if _weight(i) < SLOW_SECONDS]
    sizes = _chunk_sizes(len(items), workers)
    chunks: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for item in heavy:
        # The chunk that would weigh least, counting the short tests it will be filled with.
        def load(k: int) -> float:
            return (sum(_weight(i) for i in chunks[k])
                    + (sizes[k] - len(chunks[k])) * SHORT_SECONDS)
        open_chunks = [k for k in range(workers) if len(chunks[k]) < sizes[k]]
        chunks[min(open_chunks, key=load)].append(item)
    order: list[pytest.Item] = []
    for k in range(workers):
        fill = sizes[k] - len(chunks[k])
        order += chunks[k] + light[:fill]
        light = light[fill:]
    return order


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests marked `slow` and started first (stable order otherwise). Under pytest-xdist
    (whose workers all collect, and must order, the same way) the long tests are spread over
    the workers' first chunks, so no worker is left at the end with several of them in a row."""
    for item in items:
        if _weight(item) >= SLOW_SECONDS:
            item.add_marker(pytest.mark.slow)
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        items[:] = balanced_order(items, workers)
    else:
        items.sort(key=_weight, reverse=True)  # stable: the rest keep their collected order


def _cpu_seconds() -> float:
    """User + system CPU of this process (every thread), of its waited-for children and of
    the children playground.testing.run_python forked from its warm server."""
    import playground.testing

    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
            + playground.testing.warm_child_seconds)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """With PLAYGROUND_TEST_CPU=<file>, append each test's CPU seconds (set-up, call, teardown,
    its child processes included) as a JSON line: where the suite's time goes, measured in a
    way a busy machine does not inflate the way it inflates `--durations`."""
    out = os.environ.get("PLAYGROUND_TEST_CPU")
    started = _cpu_seconds()
    yield
    if out:
        line = json.dumps({"test": item.nodeid, "cpu": round(_cpu_seconds() - started, 3)})
        with open(out, "a", encoding="utf-8") as file:
            file.write(line + "\n")
