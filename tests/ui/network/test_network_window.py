"""The Network Lab in the window: the third tab, saved and opened with the session, a file
without it, and Export Script while it is on screen."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from PySide6 import QtWidgets

from playground.testing import click, find

TIMEOUT_MS = 60_000  # only reached when something is broken


def train(qtbot, window) -> None:
    lab = window.network_lab
    window.navigator.show_lab("network")
    find(lab, "netSpeedCombo", QtWidgets.QComboBox).setCurrentText("Full speed")
    find(lab, "netEpochsSpin", QtWidgets.QSpinBox).setValue(6)
    find(lab, "netDatasetCombo", QtWidgets.QComboBox).setCurrentText("XOR")
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT_MS):
        click(qtbot, lab, "netStartButton")


def test_the_third_tab_is_the_network_lab(playground_window):
    window = playground_window()
    tabs = find(window, "labTabs", QtWidgets.QTabWidget)
    assert tabs.tabText(2) == "Network Lab"
    assert tabs.widget(2) is window.network_lab
    assert window.network_lab.objectName() == "networkLab"
    assert window.network_lab.session is window.network_session


def test_save_then_open_gives_the_same_network_lab(playground_window, qtbot, tmp_path):
    first = playground_window()
    train(qtbot, first)
    set_layers = find(first.network_lab, "layerSizesEdit", QtWidgets.QLineEdit)
    assert set_layers.text() == "4, 2"
    path = tmp_path / "net.gradplay.json"
    assert first.save_session(path)
    second = playground_window()
    assert second.open_session(path)
    a, b = first.network_session, second.network_session
    assert b.config == a.config and b.data_settings == a.data_settings
    assert [r.train_loss for r in b.current.records] == [r.train_loss for r in a.current.records]
    assert second.navigator.shown_lab() == "network"
    assert find(second.network_lab, "netDatasetCombo", QtWidgets.QComboBox).currentText() == "XOR"
    assert find(second.network_lab, "netEpochLabel").text() == "6"


def test_a_file_without_the_network_lab_leaves_it_as_it_was(playground_window, qtbot, tmp_path):
    window = playground_window()
    train(qtbot, window)
    doc = window.session_document()
    del doc["network"]
    doc["view"]["lab"] = "tensor"
    path = tmp_path / "old.gradplay.json"
    path.write_text(json.dumps(doc))
    before = [r.train_loss for r in window.network_session.current.records]
    assert window.open_session(path)
    assert [r.train_loss for r in window.network_session.current.records] == before


def test_a_malformed_network_section_changes_nothing(playground_window, qtbot, tmp_path):
    window = playground_window()
    doc = window.session_document()
    doc["network"]["config"]["layers"] = [4, 40]
    path = tmp_path / "bad.gradplay.json"
    path.write_text(json.dumps(doc))
    before = window.network_session.config
    assert not window.open_session(path)
    assert "Network Lab is malformed" in window.statusBar().currentMessage()
    assert window.network_session.config == before


def test_export_script_with_the_network_lab_shown_prints_its_losses(playground_window, qtbot,
                                                                     tmp_path):
    window = playground_window()
    train(qtbot, window)
    path = tmp_path / "net.py"
    assert window.export_script(path)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    printed = [float(v) for v in re.findall(r"train loss ([\d.e-]+)", out)]
    assert printed == [r.train_loss for r in window.network_session.current.records]


def test_a_lesson_step_sets_up_and_starts_the_network_lab(playground_window, qtbot):
    window = playground_window()
    panel = window.lessons_dock.panel
    window.lessons_dock.show()
    panel.go_to("08-hidden-layer-xor", 1)
    find(panel, "lessonAnswerEdit", QtWidgets.QLineEdit).setText("0.95")
    lab = window.network_lab
    with qtbot.waitSignal(lab.runFinished, timeout=TIMEOUT_MS):
        click(qtbot, panel, "runStepButton")
        find(lab, "netSpeedCombo", QtWidgets.QComboBox).setCurrentText("Full speed")
    assert window.navigator.shown_lab() == "network"
    assert find(lab, "layerSizesEdit").text() == "4"
    assert find(lab, "netDatasetCombo", QtWidgets.QComboBox).currentText() == "XOR"
    click(qtbot, panel, "checkAnswerButton")
    accuracy = float(find(lab, "testAccuracyLabel").text())
    assert f"{accuracy:.3g}"[:3] in find(panel, "lessonVerdict").text()


def test_copy_code_with_the_network_lab_shown_copies_its_script(playground_window):
    window = playground_window()
    window.navigator.show_lab("network")
    window.copy_code()
    text = QtWidgets.QApplication.clipboard().text()
    assert text == window.network_lab.script_text() and "nn.Sequential(" in text


def test_the_whole_session_exports_carry_the_network_lab(playground_window, qtbot, tmp_path):
    import nbformat

    window = playground_window()
    train(qtbot, window)
    losses = [r.test_loss for r in window.network_session.current.records]
    script = tmp_path / "all.py"
    assert window.export_python(script)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert [float(v) for v in re.findall(r"test loss ([\d.e-]+)", out)] == losses
    notebook = tmp_path / "all.ipynb"
    assert window.export_notebook(notebook)
    cells = nbformat.read(str(notebook), as_version=4).cells
    assert cells[-2].source.startswith("## Network Lab")
    assert "nn.Sequential(" in cells[-1].source
