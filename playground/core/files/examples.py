"""The sessions bundled with the app (resources/sessions), as File > Open Example lists them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.core.files.session_file import read_session_document
from playground.paths import resources_dir

SESSIONS_DIR = resources_dir() / "sessions"


@dataclass(frozen=True)
class Example:
    """A bundled session: its title and one-line summary for the menu, and where it is."""

    title: str
    summary: str
    path: Path


def bundled_examples(directory: Path = SESSIONS_DIR) -> list[Example]:
    """The session documents in `directory`, ordered by title; unreadable files skipped."""
    examples = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = read_session_document(path)
        except ValueError:
            continue
        examples.append(Example(data.title or path.stem, data.summary, path))
    return sorted(examples, key=lambda e: e.title)
