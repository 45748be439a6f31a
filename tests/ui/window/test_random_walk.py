"""A seeded random walk over both labs, driven only through docs/automation.md's objectNames.

Invariants after thousands of clicks, typed lines (good and hostile), menu actions and short
training runs: no exception reaches sys.excepthook, and the code panel, run as a plain torch
script, rebuilds exactly the tensors and grads the window shows. A first version of the fuzzer
"Proof under load" asks for; RANDOM_WALK_ACTIONS raises the count.
"""

from __future__ import annotations

import os
import random
import sys
import warnings

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import full_speed

ACTIONS = int(os.environ.get("RANDOM_WALK_ACTIONS", "2000"))
SEED = int(os.environ.get("RANDOM_WALK_SEED", "20261126"))
CHECK_EVERY = 250
LEFT = QtCore.Qt.MouseButton.LeftButton
NAMES = ["a", "b", "x", "y", "w"]

# Lines a learner might type; {n} and {m} are current names, {new} a name to bind.
TEMPLATES = [
    "{new} = {n} * 2", "{new} = {n} + {m}", "{new} = {n}.sum()", "{new} = {n}.mean()",
    "{new} = {n}.exp()", "{new} = {n} @ {m}", "{new} = {n}.t()", "{new} = {n} ** 2",
    "{new} = {n}.detach()", "{new} = {n}.clone()", "{new} = {n}.reshape(-1)",
    "{n}.backward()", "{n}.backward(retain_graph=True)", "{n}.sum().backward()",
    "{n}.grad", "print({n})", "print({n}.grad)", "{n}.retain_grad()",
    "{n}.requires_grad_()", "{n}.grad = None", "{n}.grad.zero_()",
    "with torch.no_grad(): {n} -= 0.1", "with torch.no_grad(): {n} -= 0.1 * {n}.grad",
    "{new} = torch.randn(2, 3, requires_grad=True)", "{new} = torch.ones(3)",
    "{new} = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)", "torch.manual_seed(3)",
    "{new} = torch.zeros_like({n})", "{new} = {n}[0]", "{new} = {n}.float()",
    # hostile or wrong lines: refused with a message, nothing changes
    "{new} = torch.ones(torch.tensor(250000000)).sum()", "import os", "{n}.__class__",
    "torch.optim.SGD([{n}], lr=0.1)", "nn.MSELoss()", "for i in range(3): {n}.backward()",
    "{new} = torch.zeros(" + ", ".join(["1"] * 65) + ")", "{new} = {n} @ torch.ones(7)",
    "; ".join(["{new} = {n} + 1"] * 101), "{new} = undefined_name", "{n}.backward(",
    # lines that change state, then fail: all of it must be undone
    "{new} = {n} * 3; {n} @ torch.ones(7)", "torch.manual_seed(7); {n} @ torch.ones(7)",
    "{new} = torch.randn(3); {n} @ torch.ones(7)", "{n}.grad = None; {n} @ torch.ones(7)",
    "with torch.no_grad(): {n} += 1; {n} @ torch.ones(7)",
    "{n}.backward(retain_graph=True); {n} @ torch.ones(7)",
]
TENSOR_BUTTONS = ["addButton", "mulButton", "powButton", "meanButton", "sumButton",
                  "detachButton", "backwardButton", "zeroGradButton", "gradNoneButton"]
TENSOR_ACTIONS = ["actionUndo", "actionRedo", "actionUndo", "actionRedo", "actionNew",
                  "actionExample_notebook_backward", "actionExample_notebook_accumulation",
                  "actionRestoreSession"]
VIEW_ACTIONS = ["actionZoomIn", "actionZoomOut", "actionZoomReset", "actionThemeDark",
                "actionThemeLight"]  # rarer: each restyles the whole window


class Walker:
    """Random actions on the window, found by objectName only."""

    def __init__(self, window, qtbot, rng: random.Random, export_dir) -> None:
        self.window, self.qtbot, self.rng = window, qtbot, rng
        self.export_dir = export_dir
        self.training_runs = 0
        self.lines = {"ran": 0, "refused": 0}

    def find(self, name: str, cls=QtWidgets.QWidget):
        widget = self.window.findChild(cls, name)
        assert widget is not None, name
        return widget

    def click(self, name: str) -> None:
        button = self.find(name, QtWidgets.QAbstractButton)
        if button.isEnabled() and button.isVisible():
            self.qtbot.mouseClick(button, LEFT)

    def trigger(self, name: str) -> None:
        action = self.window.findChild(QtGui.QAction, name)
        if action is not None and action.isEnabled():
            action.trigger()

    def show_lab(self, index: int) -> None:
        self.find("labTabs", QtWidgets.QTabWidget).setCurrentIndex(index)

    def names(self) -> list[str]:
        return self.window.workspace.names

    # -- Tensor Lab --

    def type_line(self) -> None:
        names = self.names() or ["x"]
        line = self.rng.choice(TEMPLATES).format(
            n=self.rng.choice(names), m=self.rng.choice(names), new=self.rng.choice(NAMES))
        edit = self.find("statementEdit", QtWidgets.QLineEdit)
        edit.setText(line)
        self.qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
        result = self.window.workspace.last_result
        if result is not None:
            self.lines["ran" if result.ok else "refused"] += 1

    def create(self) -> None:
        self.find("tensorNameEdit", QtWidgets.QLineEdit).setText(self.rng.choice(NAMES))
        self.find("tensorShapeEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(["", "3", "2, 3", "2x2", "(4,)", "0", "2, 0", "abc", "99999999999"]))
        init = self.find("tensorInitCombo", QtWidgets.QComboBox)
        init.setCurrentIndex(self.rng.randrange(init.count()))
        self.find("tensorValuesEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(["", "2.5", "[1.0, 2.0, 3.0]", "[[1, 2], [3, 4]]", "[1, [2]]"]))
        dtype = self.find("tensorDtypeCombo", QtWidgets.QComboBox)
        dtype.setCurrentIndex(self.rng.randrange(dtype.count()))
        self.find("requiresGradCheck", QtWidgets.QCheckBox).setChecked(self.rng.random() < 0.7)
        self.click("createTensorButton")

    def pick_row(self) -> None:
        view = self.find("tensorList", QtWidgets.QAbstractItemView)
        rows = view.model().rowCount()
        if rows:
            index = view.model().index(self.rng.randrange(rows), 0)
            view.scrollTo(index)
            rect = view.visualRect(index)
            if rect.isValid():
                self.qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())

    def tensor_button(self) -> None:
        self.find("opArgEdit", QtWidgets.QLineEdit).setText(self.rng.choice(["", "2", "0.5", "-1"]))
        self.find("gradientEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(["", "", "ones", "randn", "[1.0, 2.0]", self.rng.choice(NAMES)]))
        self.find("retainGraphCheck", QtWidgets.QCheckBox).setChecked(self.rng.random() < 0.3)
        self.click(self.rng.choice(TENSOR_BUTTONS))

    def toggle(self) -> None:
        name = self.rng.choice(["noGradCheck", "currentRequiresGradCheck"])
        box = self.find(name, QtWidgets.QCheckBox)
        if box.isEnabled():
            self.qtbot.mouseClick(box, LEFT, pos=QtCore.QPoint(6, box.height() // 2))

    # -- Training Lab --

    def training(self) -> None:
        lab = self.find("trainingLab")
        choice = self.rng.random()
        if choice < 0.5:
            spin = self.find(self.rng.choice(["lrSpin", "w0Spin", "b0Spin", "noiseSpin"]),
                             QtWidgets.QDoubleSpinBox)
            spin.setValue(self.rng.uniform(spin.minimum(), min(spin.maximum(), 3.0)))
        elif choice < 0.8:
            combo = self.find(self.rng.choice(["optimizerCombo", "lossCombo", "datasetCombo"]),
                              QtWidgets.QComboBox)
            combo.setCurrentIndex(self.rng.randrange(combo.count()))
        elif choice < 0.9:
            box = self.find(self.rng.choice(["forgetZeroGradCheck", "outOfPlaceCheck",
                                             "newOptimizerCheck", "logYCheck"]),
                            QtWidgets.QCheckBox)
            box.setChecked(not box.isChecked())
        else:
            stop_early = self.rng.random() < 0.3
            epochs = 100_000 if stop_early else self.rng.randint(1, 30)
            self.find("epochsSpin", QtWidgets.QSpinBox).setValue(epochs)
            self.find("batchSizeSpin", QtWidgets.QSpinBox).setValue(self.rng.randint(0, 3))
            start = self.find("startButton", QtWidgets.QPushButton)
            if start.isEnabled():
                with self.qtbot.waitSignal(lab.runFinished, timeout=30_000):
                    self.qtbot.mouseClick(start, LEFT)
                    if stop_early:
                        self.click("stopButton")
                self.training_runs += 1
                if self.rng.random() < 0.3:
                    target = self.rng.choice([lab.export_script, lab.export_loss_csv])
                    target(self.export_dir / "run.out")

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.12:
            self.show_lab(1)
            self.training()
            return
        self.show_lab(0)
        if roll < 0.45:
            self.type_line()
        elif roll < 0.60:
            self.create()
        elif roll < 0.78:
            self.tensor_button()
        elif roll < 0.86:
            self.pick_row()
        elif roll < 0.93:
            self.toggle()
        elif roll < 0.99:
            self.trigger(self.rng.choice(TENSOR_ACTIONS))
        else:
            self.trigger(self.rng.choice(VIEW_ACTIONS))


def table_values(view: QtWidgets.QTableView) -> list[float]:
    """Every cell's DisplayRole, row by row, as floats (the documented table format)."""
    model = view.model()
    return [float(model.data(model.index(r, c)))
            for r in range(model.rowCount()) for c in range(model.columnCount())]


def assert_code_panel_replays_to_the_window(window) -> None:
    """Run codeView's text as plain python + torch and compare every tensor with the window."""
    code = window.findChild(QtWidgets.QPlainTextEdit, "codeView").toPlainText()
    namespace: dict = {}
    state = torch.get_rng_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with open(os.devnull, "w") as sink:
                stdout, sys.stdout = sys.stdout, sink
                try:
                    exec(compile(code, "<codeView>", "exec"), namespace)  # the test's own replay
                finally:
                    sys.stdout = stdout
    finally:
        torch.set_rng_state(state)
    ws = window.workspace
    for name in ws.names:
        plain = namespace[name]
        facts = ws.facts(name)
        assert facts.shape == tuple(plain.shape), name
        assert np.array_equal(facts.values, plain.detach().numpy(), equal_nan=True), name
        assert facts.requires_grad == plain.requires_grad, name
        grad = plain.grad if plain.is_leaf else None
        if facts.grad is None:
            assert grad is None, name
        else:
            assert np.array_equal(facts.grad, grad.numpy(), equal_nan=True), name
    current = ws.current
    if current is not None:
        plain = namespace[current].detach().reshape(-1).double().tolist()
        values_table = window.findChild(QtWidgets.QTableView, "valuesTable")
        if 0 < len(plain) <= 200 and values_table.model().rowCount():
            assert table_values(values_table) == pytest.approx(plain, nan_ok=True)


def test_random_walk_over_both_labs(playground_window, qtbot, monkeypatch, tmp_path) -> None:
    escaped: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: escaped.append(exc))
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", staticmethod(lambda *a, **k: None))
    window = playground_window()
    full_speed(window)
    walker = Walker(window, qtbot, random.Random(SEED), tmp_path)
    compared = []
    for done in range(1, ACTIONS + 1):
        walker.step()
        assert escaped == [], f"after {done} actions: {escaped[0]!r}"
        if done % CHECK_EVERY == 0 or done == ACTIONS:
            QtWidgets.QApplication.processEvents()
            assert_code_panel_replays_to_the_window(window)
            compared.append((len(window.workspace.log), len(window.workspace.names)))
    # The walk did real work: lines ran and were refused, runs trained, states were compared.
    assert walker.lines["ran"] > ACTIONS // 20 and walker.lines["refused"] > ACTIONS // 40
    assert walker.training_runs > 0
    assert max(names for _, names in compared) >= 3
    print(f"random walk: {ACTIONS} actions, typed lines {walker.lines}, "
          f"{walker.training_runs} training runs, (log length, names) at checks {compared}")
