"""The launcher's deferred window (`MainWindow(defer=True)`): the labs a person uses first are
whole at `labsReady`; the Network Lab follows one step later, or at once when it is needed.

Each window here is deferred as the launcher's is (torch is already imported in the test
process, so the loader thread returns quickly); settings and autosaves go to tmp_path.
"""

from __future__ import annotations

import torch
from PySide6 import QtCore, QtWidgets

from playground.core.labs import Lab
from playground.testing import find
from playground.ui import MainWindow
from playground.ui.tensor.lab import TensorLab

LEFT = QtCore.Qt.MouseButton.LeftButton


def deferred(qtbot, tmp_path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, autosave_dir=tmp_path / "autosave", defer=True)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    return window


def network_tab_page(window: MainWindow) -> QtWidgets.QWidget:
    return window.tabs.widget(2)


def test_labs_ready_comes_before_the_network_lab_and_both_labs_work_then(qtbot, tmp_path):
    window = deferred(qtbot, tmp_path)
    seen, finished = {}, []

    def at_ready() -> None:  # inside labsReady: what a person does first must work right then
        seen["network_lab"] = window.network_lab
        seen["network_page"] = network_tab_page(window).objectName()
        edit = find(window, "statementEdit", QtWidgets.QLineEdit)
        edit.setText("t = (w * 3).sum()")
        qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
        seen["t"] = window.workspace.tensor("t").item()
        qtbot.mouseClick(find(window, "startButton", QtWidgets.QPushButton), LEFT)
        seen["running"] = window.training_lab.is_running()
        window.training_lab.runFinished.connect(finished.append)
        window.training_lab.stop()

    window.labsReady.connect(at_ready)
    with qtbot.waitSignal(window.labsReady, timeout=60_000):
        window.show()
    assert seen["network_lab"] is None
    assert seen["network_page"] == "labsLoading"
    assert seen["t"] == (window.workspace.tensor("w") * 3).sum().item()
    assert seen["running"] is True
    qtbot.waitUntil(lambda: window.network_lab is not None, timeout=60_000)
    assert network_tab_page(window) is window.network_lab
    assert [window.tabs.widget(i).objectName() for i in range(3)] == [
        "tensorLab", "trainingLab", "networkLab"]
    qtbot.waitUntil(lambda: finished == ["stopped"], timeout=60_000)
    window.close()


def test_the_network_tab_shown_early_is_built_at_once(qtbot, tmp_path):
    window = deferred(qtbot, tmp_path)
    shown = []
    window.labsReady.connect(lambda: (window.tabs.setCurrentIndex(2),
                                      shown.append(window.tabs.currentWidget())))
    with qtbot.waitSignal(window.labsReady, timeout=60_000):
        window.show()
    assert shown == [window.network_lab] and window.network_lab is not None
    assert window.navigator.shown_lab() is Lab.NETWORK
    window.close()


def test_a_session_opened_before_the_network_lab_is_built_shows_in_it(qtbot, tmp_path):
    source = MainWindow(settings=QtCore.QSettings(str(tmp_path / "a.ini"),
                                                  QtCore.QSettings.Format.IniFormat),
                        autosave_dir=tmp_path / "a")
    qtbot.addWidget(source)
    source.network_session.set_data(seed=7, noise=20)
    path = tmp_path / "session.json"
    source.navigator.show_lab(Lab.NETWORK)
    assert source.save_session(path)
    saved_config = source.network_session.config
    saved_data = source.network_session.data_settings
    assert (saved_data.seed, saved_data.noise) == (7, 20)
    source.close()

    window = deferred(qtbot, tmp_path)
    opened = []
    window.labsReady.connect(lambda: opened.append((window.network_lab is None,
                                                    window.open_session(path))))
    with qtbot.waitSignal(window.labsReady, timeout=60_000):
        window.show()
    assert opened == [(True, True)]  # opened before the lab was due: it was built for it
    assert window.network_lab is not None
    assert window.navigator.shown_lab() is Lab.NETWORK
    assert window.network_session.config == saved_config
    assert window.network_session.data_settings == saved_data
    seed_spin = find(window, "netSeedSpin", QtWidgets.QSpinBox)
    assert seed_spin.value() == 7  # the lab shows the opened session, not the default
    window.close()


def test_the_tensor_lab_in_steps_ends_whole_and_equal_to_one_built_at_once(qtbot):
    from playground.core.tensorlab.statements import DEFAULT_SESSION
    from playground.core.tensorlab.workspace import Workspace

    workspace = Workspace()
    for statement in DEFAULT_SESSION:
        workspace.run(statement)
    stepped = TensorLab(workspace, in_steps=True)
    qtbot.addWidget(stepped)
    assert stepped.findChild(QtWidgets.QWidget, "gradHistoryPlot") is None  # not built yet
    steps = list(stepped.build_steps)
    assert len(steps) >= 3
    whole = TensorLab(workspace)
    qtbot.addWidget(whole)
    for lab in (stepped, whole):
        assert lab.list_model.rowCount() == len(workspace.names)
    assert stepped.code_text() == whole.code_text()
    stepped.statement_edit.setText("z = w * 2")
    qtbot.keyClick(stepped.statement_edit, QtCore.Qt.Key.Key_Return)
    assert torch.equal(workspace.tensor("z"), workspace.tensor("w") * 2)


class _InParts:
    def __init__(self, name: str, *, in_steps: bool = False) -> None:
        self.name, self.parts = name, []
        self.build_steps = self._steps()
        if not in_steps:
            for _part in self.build_steps:
                pass

    def _steps(self):
        for part in ("a", "b", "c"):
            self.parts.append(part)
            if part != "c":
                yield part


class _AtOnce:
    def __init__(self, name: str) -> None:
        self.name = name


def test_stepwise_builds_one_part_per_step_and_finishes_the_rest_at_once():
    from playground.ui.window.startup import Stepwise

    build = Stepwise(_InParts, "x")
    assert build.step() is True and build.built is None
    assert build.step() is True
    assert build.step() is False  # the last part ran: the object is whole
    assert build.built.parts == ["a", "b", "c"] and build.built.name == "x"
    assert build.step() is False and build.finish() is build.built

    early = Stepwise(_InParts, "y")
    early.step()
    assert early.finish().parts == ["a", "b", "c"]  # an early need: the rest at once

    once = Stepwise(_AtOnce, "z")
    assert once.step() is False and once.built.name == "z"


def test_a_lesson_step_run_right_at_labs_ready_builds_the_network_lab_first(qtbot, tmp_path):
    window = deferred(qtbot, tmp_path)
    seen = {}

    def at_ready() -> None:
        panel = window.lessons_dock.panel
        lesson = next(lesson for lesson in panel.lessons
                      if lesson.steps[0].network is not None and lesson.steps[0].network.start)
        seen["before"] = window.network_lab is None
        panel.go_to(lesson.id, 0)
        outcome = panel.run_current_step()
        seen["ok"] = outcome is not None and outcome.ok
        seen["lab"] = window.network_lab
        seen["shown"] = window.navigator.shown_lab()
        seen["lab_running"] = window.network_lab is not None and window.network_lab.is_running()
        if window.network_lab is not None:
            window.network_lab.runFinished.connect(seen.setdefault("finished", []).append)
            window.network_session.stop()

    window.labsReady.connect(at_ready)
    with qtbot.waitSignal(window.labsReady, timeout=60_000):
        window.show()
    assert seen["before"] is True
    assert seen["ok"] is True
    assert seen["lab"] is not None and seen["lab"] is window.network_lab
    assert seen["shown"] is Lab.NETWORK
    assert seen["lab_running"] is True  # the lab was there before the step started the run
    qtbot.waitUntil(lambda: seen.get("finished") == ["stopped"], timeout=60_000)
    window.close()
