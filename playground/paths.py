"""Where the bundled resources (the icon, the notebook's sessions) live.

In a checkout or an editable install they are the repository's top-level `resources/`; a wheel
ships that folder as the package `playground.resources` (see pyproject.toml).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding icon.svg and sessions/, installed or not."""
    try:
        spec = importlib.util.find_spec("playground.resources")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[1] / "resources"
