"""playground.core must never load Qt: the models run and are tested without a display."""

from __future__ import annotations

import subprocess
import sys

QT_PREFIXES = ("PySide6", "shiboken6", "PyQt", "pyqtgraph", "superqt")

CHECK = f"""
import importlib, pkgutil, sys
import playground.core
for info in pkgutil.walk_packages(playground.core.__path__, "playground.core."):
    importlib.import_module(info.name)  # every core module, so a new one is checked too
ws = playground.core.Workspace()
ws.run("x = torch.ones(2, requires_grad=True)")
loaded = sorted(m for m in sys.modules if m.startswith({QT_PREFIXES!r}))
print(",".join(loaded))
"""


def test_core_imports_no_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_check_would_notice_qt() -> None:
    code = "import sys, PySide6\nprint(any(m.startswith('PySide6') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "True"
