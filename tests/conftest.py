"""Test-wide set-up: headless Qt, settings kept away from the user's real ones, and the order
that lets `make test` (pytest-xdist, one worker per core) finish together."""

import os
import tempfile

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


# The long poles of `make test` (each 20 s or more in `pytest --durations`, most of them a fresh
# process importing torch, or dozens of windows), longest first: marked `slow` here, in one place.
LONG_POLES = (
    "tests/ui/window/test_fuzz_window.py::test_fuzzed_window",
    "tests/ui/window/test_faults.py::test_closing_mid_training_and_mid_step_through",
    "tests/ui/window/test_fits_1280x720.py::",
    "tests/limits/test_process_limits.py::test_repeated_products_give_their_memory_back",
    "tests/core/export/test_branch_script.py::",
    "tests/core/export/test_roundtrip.py::test_command_line_export_writes_both_formats",
    "tests/core/language/test_limits_memory.py::test_corpus_memory_peak_stays_bounded",
    "tests/ui/window/test_autosave.py::test_a_killed_session_is_restored_by_the_next_start",
    "tests/core/export/test_shadowing.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long poles marked `slow` and run first (stable order otherwise): a parallel run then
    never ends with one worker alone on a long test it started last."""
    def rank(item: pytest.Item) -> int:
        return next((i for i, pole in enumerate(LONG_POLES) if item.nodeid.startswith(pole)),
                    len(LONG_POLES))

    for item in items:
        if rank(item) < len(LONG_POLES):
            item.add_marker(pytest.mark.slow)
    items.sort(key=rank)  # longest first, as LONG_POLES lists them
