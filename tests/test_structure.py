"""The tree keeps the shape docs/architecture.md draws: a Qt-free core whose packages import
one way only, modules small enough to read, and views that are handed what they use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "playground"
CORE = ROOT / "core"
QT_PREFIXES = ("PySide6", "shiboken6", "PyQt", "pyqtgraph", "superqt")
MAX_LINES = 500
# Lowest first: a core package may import its own modules and those of packages before it,
# never one after it. The root modules (events, limits, labs) sit below every package.
# graph sits below network: the Network Lab's step-by-step backward draws with the graph builder.
# files sits below lessons: lesson files are read through the sessions' guarded reader.
ORDER = ("events", "limits", "labs", "language", "tensorlab", "training", "graph", "network",
         "files", "lessons", "export")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> list[str]:
    """Every module `path` imports, at the top or inside a function, absolute names."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _level(path: Path) -> int | None:
    """The layer of a core module: its package's (or root module's) place in ORDER."""
    first = path.relative_to(CORE).parts[0].removesuffix(".py")
    return ORDER.index(first) if first in ORDER else None


def _core_level(module: str) -> int | None:
    parts = module.split(".")
    if parts[:2] != ["playground", "core"] or len(parts) < 3:
        return None
    return ORDER.index(parts[2]) if parts[2] in ORDER else None


def test_every_core_module_has_a_place_in_the_order() -> None:
    unplaced = [str(p.relative_to(CORE)) for p in _modules(CORE)
                if p != CORE / "__init__.py" and _level(p) is None]
    assert unplaced == [], "add the package to ORDER here and in docs/architecture.md"


def test_core_imports_no_qt_and_no_ui() -> None:
    found = [(str(p.relative_to(ROOT)), name) for p in _modules(CORE) for name in _imported(p)
             if name.startswith(QT_PREFIXES) or name.startswith("playground.ui")]
    assert found == []


def test_core_packages_import_only_at_or_below_their_layer() -> None:
    upward = []
    for path in _modules(CORE):
        level = _level(path)
        if level is None:  # core/__init__.py gathers the public names from every layer
            continue
        for name in _imported(path):
            target = _core_level(name)
            if target is not None and target > level:
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert upward == []


def test_the_layer_check_would_notice_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from playground.core.export import whole_session\n")
    assert _core_level(_imported(module)[0]) == ORDER.index("export")
    assert _core_level("playground.core.language.grammar") < ORDER.index("tensorlab")


def _too_long(folder: Path) -> list[str]:
    lengths = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in _modules(folder)}
    return [f"{p.relative_to(ROOT)}: {n} lines" for p, n in lengths.items() if n > MAX_LINES]


@pytest.mark.parametrize("package", ["core", "other"])
def test_no_module_outside_the_ui_is_over_the_line_limit(package: str) -> None:
    if package == "core":
        assert _too_long(CORE) == []
    else:
        rest = [p for p in _too_long(ROOT) if not p.startswith(("core/", "ui/"))]
        assert rest == []


def test_no_ui_module_is_over_the_line_limit() -> None:
    assert _too_long(ROOT / "ui") == []


def test_views_do_not_find_each_other_through_the_widget_tree() -> None:
    found = [str(p.relative_to(ROOT)) for p in _modules(ROOT / "ui")
             if "findChild(" in p.read_text(encoding="utf-8")]
    assert found == []
