"""Sessions on disk: the statement log as a small JSON document (never pickle)."""

from __future__ import annotations

import json
from pathlib import Path

SESSION_FORMAT = "gradient-playground-session"
SESSIONS_DIR = Path(__file__).resolve().parents[2] / "resources" / "sessions"


def read_session(path: str | Path) -> list[str]:
    """Return a session file's statements; ValueError with a readable reason if it is bad."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"Could not read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise ValueError(f"{path} is not a Gradient Playground session file.")
    statements = data.get("statements")
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise ValueError(f"{path} has no list of statements.")
    return statements


def write_session(path: str | Path, statements: list[str]) -> None:
    """Write the log so a person can read and diff it."""
    doc = {"format": SESSION_FORMAT, "version": 1, "statements": statements}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
