"""Sessions in the window: save and open both labs, bad files, failed writes, exports, Open Recent,
autosave and the recovery banner.

State is compared through what the window holds: every tensor's values and grad, the statement
log, the Training Lab's plain data (setup, points, runs and their records), what its plots draw,
the lab on screen and the lesson step.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from playground.core.export.tensorlab_script import to_script as tensorlab_to_script
from playground.core.files.session_file import SUFFIX, read_session_file, session_document
from playground.core.files.session_file import write_session_file as write_doc
from playground.testing import click, dead_pid, find, full_speed, type_statement
from playground.testing import run_python as run_child
from playground.ui.window.autosave import MAX_RECENT
from tests.core.files.test_session_file import ALL_BAD, make_bad

TIMEOUT_MS = 30_000  # only reached when something is broken


def train(qtbot, window, **setup) -> None:
    """One whole run with the Start button, at full speed, after changing the setup."""
    lab = window.training_lab
    full_speed(lab)
    if setup:
        lab.session.update(**setup)
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT_MS):
        click(qtbot, lab, "startButton")


def build_session(qtbot, window) -> None:
    """Typed statements, a selected tensor, custom points, two runs, a lesson step, and the
    Training Lab on screen."""
    for line in ("a = torch.randn(3, requires_grad=True)", "b = (a * a).sum()", "b.backward()"):
        type_statement(qtbot, window, line)
    assert {"a", "b"} <= set(window.workspace.names)  # the typed lines ran
    window.workspace.current = "a"
    window.training_session.set_data(kind="custom")
    window.training_session.set_custom_points([(0.0, 0.5), (1.0, 2.0), (2.0, 4.5)])
    train(qtbot, window, lr=0.05, epochs=15)
    train(qtbot, window, optimizer="Adam", lr=0.2, epochs=20)
    window.lessons_dock.panel.go_to("04-stop-tracking", 2)
    window.tabs.setCurrentWidget(window.training_lab)


def snapshot(window) -> dict:
    """Everything a session holds, as comparable plain data."""
    ws = window.workspace
    tensors = {}
    for name in ws.names:
        facts = ws.facts(name)
        tensors[name] = (facts.values.tolist(), None if facts.grad is None
                         else facts.grad.tolist(), facts.grad_fn, facts.requires_grad)
    lab = window.training_lab
    curve = lab.loss_plot.current.getData()[1] if hasattr(lab.loss_plot.current, "getData") \
        else None
    return {
        "document": json.loads(json.dumps(window.session_document())),
        "tensors": tensors,
        "code": tensorlab_to_script(ws),
        "tab": window.tabs.currentIndex(),
        "lesson": (window.lessons_dock.panel.lesson.id, window.lessons_dock.panel.step_index),
        "loss_curve": None if curve is None else np.asarray(curve).tolist(),
        "earlier_curves": len(lab.loss_plot.earlier),
        "lr_shown": lab.controls.lr.lr(),
    }


def test_file_menu_has_the_contract_actions(playground_window) -> None:
    window = playground_window()
    file_menu = window.menuBar().actions()[0].menu()
    in_file = {a.objectName() for a in file_menu.actions()}
    export = window.findChild(QtWidgets.QMenu, "menuExport")
    assert export is not None and export.menuAction() in file_menu.actions()
    in_export = {a.objectName() for a in export.actions()}
    for name in ("actionSave", "actionOpen"):
        action = window.findChild(QtGui.QAction, name)
        assert action is not None and name in in_file, name
    for name in ("actionExportScript", "actionExportPy", "actionExportNotebook",
                 "actionExportCsv", "actionExportPng"):  # one Export submenu holds them all
        action = window.findChild(QtGui.QAction, name)
        assert action is not None and name in in_export and name not in in_file, name
    recent = window.findChild(QtWidgets.QMenu, "menuRecent")
    assert recent is not None and recent.menuAction() in file_menu.actions()


def test_save_then_open_in_another_window_gives_the_identical_state(playground_window, qtbot,
                                                                   tmp_path) -> None:
    first = playground_window()
    build_session(qtbot, first)
    path = tmp_path / f"class{SUFFIX}"
    assert first.save_session(path) is True
    assert str(path) in first.statusBar().currentMessage()
    before = snapshot(first)
    assert before["document"]["view"] == {"lab": "training", "lesson": "04-stop-tracking",
                                          "step": 2}
    assert len(before["document"]["training"]["earlier"]) == 1
    second = playground_window()
    assert second.open_session(path) is True
    after = snapshot(second)
    assert after == before
    # The second window's Training Lab draws the loaded runs: the current curve is its losses.
    run = second.training_session.current
    np.testing.assert_array_equal(after["loss_curve"], run.history.column("loss"))
    assert second.training_lab.controls.lr.lr() == pytest.approx(0.2)


def test_a_version_1_file_still_opens_and_keeps_the_training_lab(playground_window, qtbot,
                                                                 tmp_path) -> None:
    window = playground_window()
    train(qtbot, window, epochs=5)
    training_before = window.training_session.to_dict()
    path = Path(__file__).parents[3] / "resources" / "sessions" / "notebook_backward.json"
    assert window.open_session(path) is True
    assert window.workspace.facts("x").grad.tolist() == [[0.125] * 4] * 2
    assert window.training_session.to_dict() == training_before
    assert window.tabs.currentWidget() is window.tensor_lab


BAD_STATEMENT_FILES = [
    ("import", ["import os"]),
    ("unknown-name", ["q = nothing * 2"]),
    ("dims-65", ["a = torch.zeros(" + ", ".join(["1"] * 65) + ")"]),
    ("runtime-error", ["a = torch.ones(2)", "b = a @ torch.ones(3)"]),
    ("dunder", ["a = torch.ones(2).__class__"]),
    ("not-a-name", ["1x = torch.ones(2)"]),
    ("huge-tensor", ["a = torch.ones(100000, 100000)"]),
    ("size-as-tensor", ["a = torch.arange(torch.tensor(30000000))"]),
]


def test_every_bad_file_is_refused_and_both_labs_stay_as_they_were(playground_window, qtbot,
                                                                  tmp_path) -> None:
    window = playground_window()
    build_session(qtbot, window)
    before = snapshot(window)
    paths = []
    for name, make in ALL_BAD:
        folder = tmp_path / name
        folder.mkdir()
        paths.append(make_bad(folder, name, make))
    training_doc = window.training_session.to_dict()
    for name, statements in BAD_STATEMENT_FILES:  # readable files whose statements torch refuses
        path = tmp_path / f"{name}{SUFFIX}"
        # a valid Training Lab of its own: it must not be applied when the statements fail
        other = dict(training_doc, config=dict(training_doc["config"], lr=0.5))
        doc = session_document(["torch.manual_seed(0)", *statements], None, lab="tensor")
        doc["training"] = other
        write_doc(path, doc)
        read_session_file(path)  # the file itself is fine
        paths.append(path)
    assert len(paths) >= 30
    for path in paths:
        assert window.open_session(path) is False, path
        message = window.statusBar().currentMessage()
        assert path.name in message and "\n" not in message, (path, message)
        assert snapshot(window) == before, path


def test_saving_where_it_cannot_write_keeps_the_session_and_the_old_file(playground_window,
                                                                        qtbot, tmp_path) -> None:
    window = playground_window()
    type_statement(qtbot, window, "k = torch.ones(2, requires_grad=True)")
    before = snapshot(window)
    targets = [tmp_path / "missing-folder" / f"s{SUFFIX}"]
    existing = tmp_path / "a-folder"
    existing.mkdir()
    (existing / "keep.txt").write_text("keep", encoding="utf-8")
    targets.append(existing)  # saving over a folder
    if os.geteuid() == 0:  # root writes through file modes: use a read-only file system
        targets.append(Path("/sys") / f"s{SUFFIX}")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        old = locked / f"old{SUFFIX}"
        assert window.save_session(old)
        old_bytes = old.read_bytes()
        locked.chmod(0o555)
        targets.append(old)
    for target in targets:
        for write in (window.save_session, window.export_script, window.export_python,
                      window.export_notebook):
            assert write(target) is False, (write, target)
            message = window.statusBar().currentMessage()
            assert str(target) in message and "unchanged" in message, message
            assert snapshot(window) == before
    assert (existing / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "missing-folder").exists()
    if os.geteuid() != 0:
        assert old.read_bytes() == old_bytes
        assert sorted(p.name for p in locked.iterdir()) == [old.name]  # no temporary left


def run_python(path: Path) -> str:
    proc = run_child([str(path)], timeout=120, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def check_against_window(out: str, window) -> None:
    """The Tensor Lab's printout exactly, then the run's log as the window shows it."""
    assert out.startswith(window.workspace.printout())
    history = window.training_lab.history
    rest = out[len(window.workspace.printout()):]
    # the notebook-style log the window shows, then the final numbers exactly
    assert "\n".join(window.training_session.log_lines()) + "\nfinal loss " in rest
    final = re.search(r"^final loss (\S+)$", rest, re.MULTILINE)
    assert final is not None and float(final.group(1)) == history.last("loss")


def test_exports_from_the_window_reproduce_its_numbers(playground_window, qtbot,
                                                       tmp_path) -> None:
    window = playground_window()
    build_session(qtbot, window)
    script = tmp_path / "session.py"
    assert window.findChild(QtGui.QAction, "actionExportPy").isEnabled()
    assert window.export_python(script) is True
    check_against_window(run_python(script), window)
    notebook_path = tmp_path / "session.ipynb"
    assert window.export_notebook(notebook_path) is True
    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.validate(notebook)
    assert any("Stopping" in c.source or "Lesson:" in c.source for c in notebook.cells
               if c.cell_type == "markdown")
    cells = tmp_path / "cells.py"
    cells.write_text("\n\n".join(c.source for c in notebook.cells if c.cell_type == "code"),
                     encoding="utf-8")
    check_against_window(run_python(cells), window)


def test_open_recent_lists_saved_and_opened_files_and_drops_missing_ones(playground_window,
                                                                         tmp_path) -> None:
    window = playground_window()
    menu = find(window, "menuRecent", QtWidgets.QMenu)
    paths = [tmp_path / f"s{i}{SUFFIX}" for i in range(MAX_RECENT + 2)]
    for path in paths:
        assert window.save_session(path)
    listed = [a.toolTip() for a in menu.actions() if a.objectName().startswith("actionRecent")]
    assert listed == [str(p) for p in reversed(paths)][:MAX_RECENT]  # newest first, at most 8
    gone = paths[-1]
    gone.unlink()
    before = snapshot(window)
    window.findChild(QtGui.QAction, "actionRecent0").trigger()
    assert "no longer exists" in window.statusBar().currentMessage()
    assert str(gone) not in [a.toolTip() for a in menu.actions()]
    assert snapshot(window) == before
    window.findChild(QtGui.QAction, "actionRecent0").trigger()  # now paths[-2]: it opens
    assert str(paths[-2]) in window.statusBar().currentMessage()
    # Kept in QSettings: a window with the same settings lists them too.
    again = playground_window(settings=window.settings)
    again_menu = find(again, "menuRecent", QtWidgets.QMenu)
    assert str(paths[-2]) in [a.toolTip() for a in again_menu.actions()]


def test_autosave_follows_changes_debounced_and_a_clean_close_removes_it(playground_window,
                                                                        qtbot, tmp_path) -> None:
    window = playground_window(autosave_dir=tmp_path)
    saves = []
    window.autosaver.saved.connect(saves.append)
    with qtbot.waitSignal(window.autosaver.saved, timeout=TIMEOUT_MS):
        type_statement(qtbot, window, "p = torch.ones(2, requires_grad=True)")
        type_statement(qtbot, window, "s = (p * 3).sum()")  # within the delay: one write
    assert len(saves) == 1 and not window.autosaver.pending()
    saved = read_session_file(saves[0])
    assert saved.statements == window.workspace.log
    with qtbot.waitSignal(window.autosaver.saved, timeout=TIMEOUT_MS):
        window.training_session.update(lr=0.03)  # the Training Lab's changes count too
    assert read_session_file(saves[-1]).training.config.lr == 0.03
    window.close()
    assert not Path(saves[0]).exists()


def leave_crash_autosave(folder: Path, statements: list[str], lr: float) -> Path:
    from playground.core.training.session import TrainingSession

    training = TrainingSession()
    training.update(lr=lr)
    path = folder / f"autosave-{dead_pid()}-0{SUFFIX}"
    write_doc(path, session_document(statements, training, lab="training"))
    return path


def test_the_banner_offers_a_crashed_session_and_restore_brings_it_back(playground_window,
                                                                       qtbot, tmp_path) -> None:
    path = leave_crash_autosave(tmp_path, ["torch.manual_seed(0)", "r = torch.arange(4.0)"],
                                0.07)
    window = playground_window(autosave_dir=tmp_path)
    banner = find(window, "autosaveBanner")
    assert banner.isVisible() and "Restore" in find(window, "autosaveRestoreButton").text()
    click(qtbot, window, "autosaveRestoreButton")
    assert not banner.isVisible()
    assert window.workspace.log == ["torch.manual_seed(0)", "r = torch.arange(4.0)"]
    assert window.workspace.facts("r").values.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert window.training_session.config.lr == 0.07
    assert window.tabs.currentWidget() is window.training_lab
    assert not path.exists()


def test_discard_and_the_keyword_answer_the_offer_without_a_click(playground_window, qtbot,
                                                                 tmp_path) -> None:
    path = leave_crash_autosave(tmp_path, ["d = torch.ones(1)"], 0.09)
    window = playground_window(autosave_dir=tmp_path)
    click(qtbot, window, "autosaveDiscardButton")
    assert not path.exists() and "d" not in window.workspace.names
    path = leave_crash_autosave(tmp_path, ["d = torch.ones(1)"], 0.09)
    restored = playground_window(autosave_dir=tmp_path, restore_autosave=True)
    assert not find(restored, "autosaveBanner").isVisible()
    assert "d" in restored.workspace.names and restored.training_session.config.lr == 0.09
    path = leave_crash_autosave(tmp_path, ["e = torch.ones(1)"], 0.09)
    declined = playground_window(autosave_dir=tmp_path, restore_autosave=False)
    assert not path.exists() and "e" not in declined.workspace.names


def test_a_running_windows_autosave_is_not_offered(playground_window, tmp_path) -> None:
    # This process is alive: its file belongs to a window still open, not to a crash.
    (tmp_path / f"autosave-{os.getpid()}-99{SUFFIX}").write_text("{}", encoding="utf-8")
    window = playground_window(autosave_dir=tmp_path)
    assert not find(window, "autosaveBanner").isVisible()


def test_opening_a_session_during_a_run_stops_it_and_shows_the_file(playground_window, qtbot,
                                                                    tmp_path) -> None:
    source = playground_window()
    train(qtbot, source, lr=0.02, epochs=8)
    path = tmp_path / f"done{SUFFIX}"
    assert source.save_session(path)
    window = playground_window()
    lab = window.training_lab
    lab.session.update(epochs=100_000)
    lab.session.set_speed(1.0)  # slow: it is certainly still going when the file opens
    click(qtbot, lab, "startButton")
    assert lab.is_running()
    assert window.open_session(path) is True
    assert not lab.is_running()
    assert snapshot(window)["document"]["training"] == snapshot(source)["document"]["training"]
    np.testing.assert_array_equal(lab.loss_plot.current.getData()[1],
                                  source.training_session.current.history.column("loss"))


def test_an_autosave_that_cannot_be_written_is_said_once(playground_window, qtbot,
                                                        tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    window = playground_window(autosave_dir=blocker)  # its "folder" is a file
    with qtbot.waitSignal(window.autosaver.failed, timeout=TIMEOUT_MS) as failed:
        type_statement(qtbot, window, "f = torch.ones(2)")
    assert str(blocker) in failed.args[0]
    assert "Autosave" in window.statusBar().currentMessage()
    assert "f" in window.workspace.names  # the work itself is untouched
    fired = []
    window.autosaver.failed.connect(fired.append)
    assert window.autosaver.save_now() is False and fired == []  # not repeated


def test_a_long_run_is_autosaved_while_it_trains(playground_window, qtbot, tmp_path,
                                                 monkeypatch) -> None:
    from playground.ui.window import autosave as session_io

    monkeypatch.setattr(session_io, "RUN_INTERVAL_MS", 300)  # instead of 15 s
    window = playground_window(autosave_dir=tmp_path)
    lab = window.training_lab
    lab.session.update(epochs=100_000)
    lab.session.set_speed(30.0)
    done = []
    window.autosaver.saved.connect(
        lambda path: done.append(read_session_file(path).training.current.epochs_done))
    click(qtbot, lab, "startButton")
    try:
        # The start's own change is saved once; then records keep the run saved as it grows
        # (a debounce alone would wait for the end, since records never stop arriving).
        qtbot.waitUntil(lambda: len(done) >= 3, timeout=TIMEOUT_MS)
        assert lab.is_running()
        assert done[2] > done[1] > 0 and done[2] < 100_000
    finally:
        with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT_MS):
            click(qtbot, lab, "stopButton")
