"""The icon and the notebook's sessions travel with the package, not only with a checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from playground.core.files.examples import SESSIONS_DIR
from playground.core.files.session_file import read_session
from playground.paths import resources_dir

ROOT = Path(__file__).resolve().parents[1]


def test_resources_dir_holds_the_icon_and_the_sessions() -> None:
    assert (resources_dir() / "icon.svg").is_file()
    names = sorted(p.name for p in SESSIONS_DIR.glob("*.json"))
    assert names == sorted(p.name for p in (ROOT / "resources" / "sessions").glob("*.json"))
    assert all(read_session(SESSIONS_DIR / name)[0] == "torch.manual_seed(0)" for name in names)


def test_a_built_wheel_ships_resources_as_playground_resources(tmp_path: Path) -> None:
    # Build from a copy, so setuptools' build/ never lands in (or goes stale in) the checkout.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("playground", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("gradient_playground-*.whl")
    files = set(zipfile.ZipFile(wheel).namelist())
    expected = {"playground/resources/icon.svg"} | {
        f"playground/resources/sessions/{p.name}"
        for p in (ROOT / "resources" / "sessions").glob("*.json")}
    expected |= {f"playground/resources/lessons/{p.name}"
                 for p in (ROOT / "resources" / "lessons").glob("*.json")}
    expected |= {"playground/core/lessons/format.py", "playground/ui/lessons/panel.py"}
    # Every package of the source tree ships (a missing subpackage breaks `import playground.ui`).
    expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "playground").rglob("*.py")
                 if "__pycache__" not in p.parts}
    assert expected <= files
    assert "playground/testing.py" in files and "playground/core/language/interpreter.py" in files
