"""Session files on disk, every version, read and written in one place (plain JSON, no pickle).

A version-2 file (`*.gradplay.json`) holds the Tensor Lab's statement log and selected tensor,
the Training Lab's model as `TrainingSession.to_dict()` gives it (setup, custom points, current
and earlier runs), which lab was on screen and the lesson step open. A version-1 file holds the
statement log only (with an optional title and summary, as the bundled examples do); the oldest
form, a bare JSON list of statements, still opens as a whole session.

Reading goes through files/guarded.py (regular files only, never blocking, a size cap, a depth
cap), checks the version once, then every field before anything is applied, so a bad file is
refused with one line naming it and the caller's state is never half replaced.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.files import atomic
from playground.core.files.guarded import FileRefused, check_structure, parse_json, read_bytes
from playground.core.labs import SAVED_LABS
from playground.core.limits import (
    MAX_CUSTOM_POINTS,
    MAX_EARLIER_RUNS,
    MAX_FILE_BYTES,
    MAX_NOISY_POINTS,
    MAX_RACERS,
    MAX_RECORDS,
    MAX_SEGMENTS,
    MAX_SESSION_BYTES,
    MAX_SESSION_STATEMENTS,
    MAX_STEP,
)
from playground.core.network.session import NetworkSession
from playground.core.training.config import check_lr, out_of_range
from playground.core.training.datasets import notebook_dataset
from playground.core.training.session import Run, TrainingSession

SESSION_FORMAT = "gradient-playground-session"
VERSION = 2  # the format write_session_file writes; every version up to it is read
STATEMENT_LOG_VERSION = 1  # the statement log alone, as write_session writes it
SUFFIX = ".gradplay.json"
_LESSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
_KNOWN_KEYS = {"format", "version", "title", "summary", "statements", "current", "training",
               "view", "network"}
_RUN_STATUSES = ("completed", "stopped", "diverged", "error")
# The lists a session holds, bounded while json parses them (a million lr changes stop the parse).
CAPS = {
    "statements": MAX_SESSION_STATEMENTS,
    "earlier": MAX_EARLIER_RUNS,
    "runs": MAX_RACERS,
    "records": MAX_RECORDS,
    "lr_changes": MAX_RECORDS,  # at most one change per recorded epoch
    "segments": MAX_SEGMENTS,
    "custom": MAX_CUSTOM_POINTS,
    "x": max(MAX_NOISY_POINTS, MAX_CUSTOM_POINTS),
    "y": max(MAX_NOISY_POINTS, MAX_CUSTOM_POINTS),
}


@dataclass
class SessionFile:
    """A session as read from (or about to be written to) disk; every field already checked."""

    statements: list[str]
    training: TrainingSession | None = None  # None: the file has no Training Lab (version 1)
    current: str | None = None  # the selected tensor
    lab: str | None = None  # a Lab in SAVED_LABS; None: leave the window's choice
    lesson: str | None = None  # a lesson id; None: no lesson was open
    step: int | None = None
    version: int = VERSION
    title: str | None = None  # a bundled example's title; None when the file has none
    summary: str = ""
    network: NetworkSession | None = None  # None: the file has no Network Lab (older files)


def read_session_file(path: str | Path) -> SessionFile:
    """Read and check a session file of any supported version; ValueError (one line, naming
    the file) for anything wrong with it."""
    path = Path(path)
    doc = _parse(path, read_bytes(path, MAX_FILE_BYTES))
    if isinstance(doc, list):  # the oldest form: a bare list of statements
        return SessionFile(_statements(path, doc), version=1)
    return _from_document(path, doc)


def read_session_document(path: str | Path) -> SessionFile:
    """Like read_session_file, but only a session document (any version), not a bare list."""
    path = Path(path)
    return _from_document(path, _parse(path, read_bytes(path, MAX_FILE_BYTES)))


def read_session(path: str | Path) -> list[str]:
    """The statements of a session document: the log a workspace replays. ValueError with a
    readable reason if the file is bad."""
    return read_session_document(path).statements


def _from_document(path: Path, doc: object) -> SessionFile:
    if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT:
        raise ValueError(f"{path} is not a Gradient Playground session file.")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{path} has no valid format version (found {_short(version)}); "
                         f"this build reads versions 1 and {VERSION}.")
    if not 1 <= version <= VERSION:
        newer = " (made by a newer Gradient Playground?)" if version > VERSION else ""
        raise ValueError(f"{path} is session format version {version}{newer}; this build "
                         f"reads versions 1 and {VERSION}.")
    statements = _statements(path, doc.get("statements"))
    title = doc.get("title") if isinstance(doc.get("title"), str) else None
    summary = doc.get("summary") if isinstance(doc.get("summary"), str) else ""
    if version == 1:
        return SessionFile(statements, version=1, title=title, summary=summary)
    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        raise ValueError(f"{path} has fields this build does not know: "
                         f"{_short(', '.join(unknown))}.")
    current = doc.get("current")
    if current is not None and not (isinstance(current, str) and current.isidentifier()
                                    and not keyword.iskeyword(current)):
        raise ValueError(f"{path}: the selected tensor {_short(current)} is not a Python name.")
    lab, lesson, step = _view(path, doc.get("view", {}))
    training = None if doc.get("training") is None else _training(path, doc["training"])
    network = None if doc.get("network") is None else _network(path, doc["network"])
    return SessionFile(statements, training, current, lab, lesson, step, title=title,
                       summary=summary, network=network)


def session_document(statements: list[str], training: TrainingSession | None, *,
                     current: str | None = None, lab: str | None = None,
                     lesson: str | None = None, step: int | None = None,
                     network: NetworkSession | None = None) -> dict[str, Any]:
    """The version-2 document for the given state (plain data, JSON-ready); the Network Lab's
    section is added when given (a file without it still opens)."""
    doc = {
        "format": SESSION_FORMAT,
        "version": VERSION,
        "statements": list(statements),
        "current": current,
        "view": {"lab": lab, "lesson": lesson, "step": step},
        "training": None if training is None else training.to_dict(),
    }
    if network is not None:
        doc["network"] = network.to_dict()
    return doc


def write_session_file(path: str | Path, doc: dict[str, Any]) -> None:
    """Write a document atomically (the old file stays whole if this fails); OSError says why
    the disk refused, ValueError that the session is too big to be opened again."""
    text = _format(doc)
    data = text.encode("utf-8")
    advice = "Reset the Training Lab's runs (or train fewer epochs) and save again."
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"Could not save {path}: the session's training runs make it over "
                         f"{MAX_FILE_BYTES:,} bytes, more than a session file may hold. {advice}")
    try:  # what Open would refuse is never written: a save must open again
        check_structure(Path(path), data)
        _too_many(doc)
    except ValueError as exc:
        why = exc.reason if isinstance(exc, FileRefused) else str(exc)
        raise ValueError(f"Could not save {path}: {why} {advice}") from None
    atomic.write_text(path, text)


def _too_many(value: object) -> None:
    """ValueError if a list under a key of CAPS is longer than its cap (as reading checks)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                cap = CAPS.get(key)
                if cap is not None and isinstance(child, list) and len(child) > cap:
                    raise ValueError(f'its "{key}" list would hold {len(child):,} items; at most '
                                     f"{cap:,} can be read back.")
                if isinstance(child, dict) or (isinstance(child, list) and key != "records"):
                    stack.append(child)
        elif isinstance(item, list):
            stack.extend(child for child in item if isinstance(child, (dict, list)))


def write_session(path: str | Path, statements: list[str]) -> None:
    """Write the statement log alone (version 1) so a person can read and diff it; atomic, so a
    failed save keeps the old file."""
    doc = {"format": SESSION_FORMAT, "version": STATEMENT_LOG_VERSION, "statements": statements}
    atomic.write_text(path, json.dumps(doc, indent=2) + "\n")


def _format(doc: dict[str, Any]) -> str:
    # Statements one per line so a person can read and diff them; the runs' records compact.
    parts = []
    for key, value in doc.items():
        if key == "statements" and value:
            text = "[\n" + ",\n".join(f"    {json.dumps(s)}" for s in value) + "\n  ]"
        else:
            text = json.dumps(value, separators=(", ", ": "))  # inf loss stays Infinity
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


# ----- checks -------------------------------------------------------------------------------------
def _parse(path: Path, data: bytes) -> object:
    doc = parse_json(path, data, CAPS)
    if (isinstance(doc, list) or (isinstance(doc, dict)
                                  and doc.get("version") == STATEMENT_LOG_VERSION)) and \
            len(data) > MAX_SESSION_BYTES:
        raise ValueError(f"Could not open {path}: it is {len(data):,} bytes; a statement-only "
                         f"session is at most {MAX_SESSION_BYTES:,}.")
    return doc


def _statements(path: Path, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError(f"{path} has no list of statements.")
    if len(value) > MAX_SESSION_STATEMENTS:
        raise ValueError(f"{path} has {len(value):,} statements; a session holds at most "
                         f"{MAX_SESSION_STATEMENTS:,}.")
    return value


def _view(path: Path, view: object) -> tuple[str | None, str | None, int | None]:
    if not isinstance(view, dict) or set(view) - {"lab", "lesson", "step"}:
        raise ValueError(f"{path}: \"view\" must be a mapping of lab, lesson and step.")
    lab, lesson, step = view.get("lab"), view.get("lesson"), view.get("step")
    if lab is not None and lab not in SAVED_LABS:
        raise ValueError(f"{path}: the lab {_short(lab)} is not one of {', '.join(SAVED_LABS)}.")
    if lesson is not None and not (isinstance(lesson, str) and _LESSON_ID.fullmatch(lesson)):
        raise ValueError(f"{path}: the lesson {_short(lesson)} is not a lesson name.")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int)
                             or not 0 <= step <= MAX_STEP):
        raise ValueError(f"{path}: the lesson step {_short(step)} is not a step number.")
    if step is not None and lesson is None:
        raise ValueError(f"{path}: a lesson step is given without its lesson.")
    return lab, lesson, step


def _training(path: Path, data: object) -> TrainingSession:
    """The Training Lab's model, rebuilt and checked as the lab itself would accept it."""
    _check_numbers(path, data)
    try:
        if not isinstance(data, dict):
            raise ValueError("it is not a mapping")
        for run in [data.get("current"), *_as_list(data.get("earlier", []))]:
            if run is not None:
                _check_run_shape(run)
        session = TrainingSession.from_dict(data)
        # The setup may lack points (the learner deleted them all); every other setting must
        # be one the controls could have made.
        session.config.replace(dataset=notebook_dataset()).validate()
        _finite_points(session.config.dataset.x + session.config.dataset.y)
        _finite_points(tuple(v for point in session.data.custom for v in point))
        runs = [r for r in (session.current, *session.earlier) if r is not None]
        for run in runs:
            _check_run(run)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"{path}: its Training Lab is malformed ({_clip(reason)}).") from None
    return session


def _network(path: Path, data: object) -> NetworkSession:
    """The Network Lab's model, rebuilt and checked by its own from_dict (every setting, point
    and record is validated there)."""
    try:
        return NetworkSession.from_dict(data)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"{path}: its Network Lab is malformed ({_clip(reason)}).") from None


def _check_numbers(path: Path, data: object) -> None:
    """Every number a control will show, in the range that control accepts, read before any
    conversion: a box must never show a clamped value while the model holds another."""
    if not isinstance(data, dict):
        return  # the shape checks that follow say what is wrong

    def number(where: str, name: str, value: object) -> None:
        why = out_of_range(name, value)
        if why is not None:
            raise ValueError(f"{path}: {where} {why}.")

    def config(where: str, values: object) -> None:
        if not isinstance(values, dict):
            return
        for name in ("seed", "epochs", "w0", "b0", "lr"):
            if name in values:
                number(f"{where}.{name}", name, values[name])
        if values.get("batch_size") is not None:
            number(f"{where}.batch_size", "batch_size", values["batch_size"])

    def run(where: str, values: object) -> None:
        if not isinstance(values, dict):
            return
        config(f"{where}.config", values.get("config"))
        segments = values.get("segments")
        for i, segment in enumerate(segments if isinstance(segments, list) else []):
            if isinstance(segment, list) and len(segment) == 2:
                config(f"{where}.segments[{i}].config", segment[1])
        records = values.get("records")
        count = len(records) if isinstance(records, list) else 0
        changes = values.get("lr_changes")
        for i, change in enumerate(changes if isinstance(changes, list) else []):
            if not (isinstance(change, list) and len(change) == 2):
                raise ValueError(f"{path}: {where}.lr_changes[{i}] is not a pair [epoch, lr].")
            epoch, lr = change
            if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch < count:
                raise ValueError(f"{path}: {where}.lr_changes[{i}] names epoch {_short(epoch)}; "
                                 f"the run recorded epochs 0 to {count - 1}.")
            number(f"{where}.lr_changes[{i}].lr", "lr", lr)

    config("training.config", data.get("config"))
    setup = data.get("data")
    if isinstance(setup, dict):
        for name in ("points", "noise"):
            if name in setup:
                number(f"training.data.{name}", name, setup[name])
    if data.get("speed") is not None:
        number("training.speed", "speed", data["speed"])
    run("training.current", data.get("current"))
    earlier = data.get("earlier")
    for i, item in enumerate(earlier if isinstance(earlier, list) else []):
        run(f"training.earlier[{i}]", item)
    race = data.get("race")
    racers = race.get("runs") if isinstance(race, dict) else None
    for i, item in enumerate(racers if isinstance(racers, list) else []):
        run(f"training.race.runs[{i}]", item)


def _as_list(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("\"earlier\" must be a list of runs")
    return value


def _check_run_shape(run: object) -> None:
    if not isinstance(run, dict):
        raise ValueError("a run must be a mapping")
    records = run.get("records")
    if not isinstance(records, list) or len(records) > MAX_RECORDS:
        raise ValueError(f"a run's records must be a list of at most {MAX_RECORDS:,} rows")
    if not all(isinstance(row, list) and len(row) == 7 for row in records):
        raise ValueError("every record must be a row of 7 numbers")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for row in records for v in row):
        raise ValueError("record values must be numbers")
    if not isinstance(run.get("lr_changes", []), list):
        raise ValueError("a run's lr_changes must be a list")


def _check_run(run: Run) -> None:
    run.config.validate()
    if run.end is not None and run.end.status not in _RUN_STATUSES:
        raise ValueError(f"unknown run status {_short(run.end.status)}")
    for _epoch, lr in run.lr_changes:
        check_lr(lr)


def _finite_points(values: tuple[float, ...]) -> None:
    if not all(math.isfinite(v) for v in values):
        raise ValueError("the data points must be finite numbers")


def _short(value: object) -> str:
    try:
        text = json.dumps(value) if value is not None else "none"
    except (TypeError, ValueError):
        text = type(value).__name__
    return _clip(text, 24)


def _clip(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."
