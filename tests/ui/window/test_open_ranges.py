"""Files that hold numbers their controls cannot show, opened through the window: refused in
one line naming the file, the field and the range, with both labs and every control exactly
as they were; lesson files that are not lessons never stop the window from starting."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from playground.core.files.session_file import SUFFIX
from playground.core.lessons import format as lesson_format
from playground.testing import find, type_statement
from tests.core.files.test_session_file import RANGE_FILES, make_bad

SPINS = ("seedSpin", "epochsSpin", "batchSizeSpin", "w0Spin", "b0Spin", "lrSpin", "noiseSpin",
         "pointsSpin")
# The cases the window's spin boxes could not hold or would have shown clamped.
WINDOW_CASES = ("seed-3e9", "seed-4000-digits", "epochs-3e9", "epochs-1e30", "batch-3e9",
                "w0-1e6", "w0-1e308", "lr-1e400", "speed-1e-300", "noise-50",
                "custom-200000-points", "lr-changes-1000000")


def _state(window) -> dict:
    lab = window.training_lab
    return {
        "log": list(window.workspace.log),
        "names": sorted(window.workspace.names),
        "training": json.dumps(window.training_session.to_dict()),
        "spins": {name: find(lab, name).value() for name in SPINS},
        "speed": find(lab, "speedCombo").currentText(),
    }


@pytest.mark.parametrize("case", WINDOW_CASES)
def test_a_number_its_control_cannot_show_is_refused_and_nothing_changes(
        playground_window, qtbot, tmp_path: Path, case: str) -> None:
    name, make, phrase = next(item for item in RANGE_FILES if item[0] == case)
    window = playground_window()
    type_statement(qtbot, window, "a = torch.ones(3, requires_grad=True)")
    window.training_session.update(seed=7, epochs=40, w0=2.5, lr=0.02)
    before = _state(window)
    path = make_bad(tmp_path, name, make)

    assert window.open_session(path) is False
    message = window.statusBar().currentMessage()
    assert str(path) in message and phrase in message and "\n" not in message, message
    assert _state(window) == before


def test_the_window_starts_with_lesson_files_that_are_not_lessons(
        playground_window, monkeypatch, tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    shutil.copytree(lesson_format.LESSONS_DIR, folder)
    shipped = sorted(p.stem for p in folder.glob("*.json"))
    (folder / "98-digits.json").write_text(
        '{"format": 1, "title": "t", "summary": "s", "steps": [{"title": "t", "text": "x", '
        '"training": {"settings": {"lr": 1e400, "epochs": ' + "9" * 4400 + "}}}]}")
    os.mkfifo(folder / "99-fifo.json")
    monkeypatch.setattr(lesson_format, "LESSONS_DIR", folder)

    window = playground_window(show=False)

    assert [lesson.id for lesson in window.lessons_dock.panel.lessons] == shipped


def test_a_session_at_the_controls_ends_opens_and_the_boxes_show_its_numbers(
        playground_window, tmp_path: Path) -> None:
    from tests.core.files.test_session_file import spoil

    def ends(doc: dict) -> None:
        doc["training"]["config"].update(seed=2**31 - 1, epochs=1_000_000, w0=-100.0, lr=1.0)
    path = tmp_path / f"ends{SUFFIX}"
    spoil(ends)(path)
    window = playground_window()
    assert window.open_session(path) is True
    lab = window.training_lab
    assert (find(lab, "seedSpin").value(), find(lab, "epochsSpin").value(),
            find(lab, "w0Spin").value(), find(lab, "lrSpin").value()) == (
        2**31 - 1, 1_000_000, -100.0, 1.0)
    assert window.training_session.config.w0 == -100.0
