"""The fuzzed window: a seeded walk over every part of the app, checked after every action.

Every part of the app: typed lines (good, hostile and failing half-way), the create form, quick
operations, Backward and its grads, undo/redo/New/examples/restore, step-through backward and
the graph view, lessons, save/open/autosave/recovery, theme and zoom, the speed control, and
training that keeps running while the Tensor Lab is
used, with its settings and learning rate changed mid-run. A seeded walk rather than a
hypothesis state machine: thousands of steps in one window, each one reproducible from
PLAYGROUND_FUZZ_SEED, with no shrinking phase (shrinking a GUI walk re-runs it hundreds of times).

After every action: nothing reached sys.excepthook, Qt logged no critical or fatal message (nor a
"QThread: Destroyed" warning), a zero-delay timer fires within 1 s (the window is alive), and the
current tensor's valuesTable and gradTable show exactly torch's numbers. At checkpoints: the log
replayed in a fresh Workspace rebuilds every name, value and grad; save then open gives the same
state; the autosave restores into a new window; and (a few times per run) the exported script run
by plain python in a fresh process rebuilds the same tensors bit for bit.

PLAYGROUND_FUZZ_ACTIONS sets the number of actions (2,000 by default; `make fuzz` runs 50,000),
shared by PLAYGROUND_FUZZ_WALKS walks (2 by default), each in a window of its own: the first
walk is the first half of the one long walk this used to be (same seed, same actions, same
checkpoints), the second continues its action numbers, checkpoints and script checks with the
seed plus one. Two walks run side by side under `make test` (pytest-xdist) where one could not.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import textwrap
import time
import traceback
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.files.session_file import SUFFIX
from playground.core.limits import MAX_OUTPUT_CHARS
from playground.core.tensorlab.workspace import Workspace
from playground.testing import dead_pid, full_speed, run_python

ACTIONS = int(os.environ.get("PLAYGROUND_FUZZ_ACTIONS", "2000"))
SEED = int(os.environ.get("PLAYGROUND_FUZZ_SEED", "1126"))
WALKS = max(1, int(os.environ.get("PLAYGROUND_FUZZ_WALKS", "2")))
CHECK_EVERY = int(os.environ.get("PLAYGROUND_FUZZ_CHECK_EVERY", "250"))
SCRIPT_CHECKS = int(os.environ.get("PLAYGROUND_FUZZ_SCRIPT_CHECKS", "3"))  # fresh processes
LEFT = QtCore.Qt.MouseButton.LeftButton
# What the process may hold above its size when the walk began (docs/reliability.md), and how
# long one limits action (up to 42 typed lines of heavy work) may take on a loaded machine.
RSS_BOUND_MIB = 2048
HEAVY_ACTION_S = 60.0
NAMES = ["a", "b", "x", "y", "w", "loss"]
TABLE_LIMIT = 1200  # compare every cell of tables up to this size; bigger ones by a sample

# ----- a small grammar of statements -------------------------------------------------------------

UNARY_METHODS = ["sum()", "mean()", "exp()", "sin()", "tanh()", "relu()", "sigmoid()", "abs()",
                 "sqrt()", "log()", "t()", "reshape(-1)", "pow(2)", "clamp(min=0)", "detach()",
                 "clone()", "float()", "unsqueeze(0)", "squeeze()", "sum(dim=0)", "max()"]
TORCH_UNARY = ["torch.exp", "torch.log", "torch.sqrt", "torch.zeros_like", "torch.ones_like",
               "torch.sigmoid", "torch.tanh", "torch.abs"]
OPERATORS = [" + ", " - ", " * ", " / ", " ** ", " @ "]
NUMBERS = ["2", "0.5", "-1", "0", "1e-3", "3.0", "1e39", "1e400", "-1e400", "10"]
SHAPES = ["3", "2, 3", "3, 2", "1", "2, 2", "4"]
FACTORIES = [
    "torch.randn({s}, requires_grad=True)", "torch.rand({s})", "torch.ones({s})",
    "torch.zeros({s}, requires_grad=True)", "torch.full(({s},), 2.5)", "torch.arange(6.0)",
    "torch.linspace(0, 1, 5)", "torch.tensor([1.0, 2.0, 3.0], requires_grad=True)",
    "torch.tensor([[1.0, -2.0], [0.0, 4.0]], requires_grad=True)", "torch.tensor(3.0)",
    "torch.tensor([1e39, -1e39, 0.0])", "torch.zeros(3) / 0", "torch.log(torch.zeros(2))",
]
INVALID = [
    "import os", "{n}.__class__", "{n}.__dict__", "lambda: 0", "[i for i in range(3)]",
    "open('/etc/passwd')", "eval('1')", "{new} = ", "{new} = {n} +", "{n}.backward(", ")(",
    "{new} = undefined_name * 2", "{new} = {n} @ torch.ones(7)", "{new} = torch.ones(-1)",
    "{new} = torch.ones(10000, 10000)", "{new} = torch.arange(torch.tensor(30000000))",
    "{new} = torch.zeros(" + ", ".join(["1"] * 65) + ")", "torch.optim.SGD([{n}], lr=0.1)",
    "for i in range(3): {n}.backward()", "{n}.grad.zero_(); {n} @ torch.ones(7)",
    "{new} = {n} * 3; {n} @ torch.ones(7)", "torch.manual_seed(7); {n} @ torch.ones(7)",
    "with torch.no_grad(): {n} += 1; {n} @ torch.ones(7)", "{new} = {n}.item() + []",
    "{n}.backward(retain_graph=True); {n} @ torch.ones(7)", "{new} = {n}.numpy()",
    "{new} = torch.randn(2, 3, requires_grad='yes')", "\x00", "{new} = 1 if {n} else 2",
    "{new} = torch.ones(torch.tensor(250000000)).sum()", "nn.MSELoss()",
    "; ".join(["{new} = {n} + 1"] * 101), "{new} = torch.randn(3); {n} @ torch.ones(7)",
    "{n}.grad = None; {n} @ torch.ones(7)",
]


def expression(rng: random.Random, names: list[str], depth: int = 0) -> str:
    """A random tensor expression over the workspace's names (often ill-shaped: torch says so)."""
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice(names) if names and rng.random() < 0.8 else \
            rng.choice(FACTORIES).format(s=rng.choice(SHAPES))
    if roll < 0.55:
        left = expression(rng, names, depth + 1)
        right = rng.choice(NUMBERS) if rng.random() < 0.4 else expression(rng, names, depth + 1)
        if rng.random() < 0.5:
            left, right = right, left
        return f"({left}{rng.choice(OPERATORS)}{right})"
    if roll < 0.8:
        return f"{expression(rng, names, depth + 1)}.{rng.choice(UNARY_METHODS)}"
    if roll < 0.9:
        return f"{rng.choice(TORCH_UNARY)}({expression(rng, names, depth + 1)})"
    return f"{expression(rng, names, depth + 1)}[{rng.choice(['0', '-1', '1:', ':2', '0, 0'])}]"


def statement(rng: random.Random, names: list[str]) -> str:
    """One line a learner could type: mostly valid, a fifth of them refused or failing."""
    n = rng.choice(names) if names else "x"
    new = rng.choice(NAMES)
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(INVALID).format(n=n, new=new)
    if roll < 0.55:
        return f"{new} = {expression(rng, names)}"
    if roll < 0.62:
        return f"{new} = {rng.choice(FACTORIES).format(s=rng.choice(SHAPES))}"
    return rng.choice([
        f"{n}.backward()", f"{n}.backward(retain_graph=True)", f"{n}.sum().backward()",
        f"{n}.backward(torch.ones_like({n}))", f"{n}.grad", f"print({n})", f"print({n}.grad)",
        f"{n}.retain_grad()", f"{n}.requires_grad_()", f"{n}.grad = None", f"{n}.grad.zero_()",
        f"with torch.no_grad(): {n} -= 0.1", f"with torch.no_grad(): {n} -= 0.1 * {n}.grad",
        f"{n}.requires_grad = True", f"{new} = {n}.detach()", "torch.manual_seed(3)",
        f"{n}.grad_fn", f"{n}.is_leaf", f"{n}.shape", f"{new} = {n}.data",
        f"{new} = {n} * 2; {new}.sum().backward()",
    ])


# ----- reading the window and the workspace --------------------------------------------------------


def rss_mib() -> float:
    """The process's resident set now, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Bit-for-bit equal values (NaN equal to NaN), same shape and dtype; None only with None."""
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def workspace_state(ws: Workspace) -> dict:
    """Everything a Tensor Lab session is: log, current, and each tensor's facts."""
    tensors = {}
    for name in ws.names:
        f = ws.facts(name)
        tensors[name] = (f.shape, f.dtype, f.requires_grad, f.is_leaf, f.retains_grad,
                         f.grad_fn, f.values, f.grad)
    return {"log": list(ws.log), "current": ws.current, "tensors": tensors}


def assert_same_state(got: dict, want: dict, where: str, *, log_too: bool = True) -> None:
    if log_too:
        assert got["log"] == want["log"], f"{where}: logs differ"
    assert list(got["tensors"]) == list(want["tensors"]), f"{where}: names differ"
    for name, (*meta_g, values_g, grad_g) in got["tensors"].items():
        *meta_w, values_w, grad_w = want["tensors"][name]
        assert meta_g == meta_w, f"{where}: {name} facts {meta_g} != {meta_w}"
        assert same_array(values_g, values_w), f"{where}: {name} values differ"
        assert same_array(grad_g, grad_w), f"{where}: {name}.grad differs"


def table_cells(view: QtWidgets.QTableView, cells: list[int] | None = None) -> list[float]:
    """DisplayRole of the given flat cell indices (all by default), row by row, as floats."""
    model = view.model()
    columns = max(model.columnCount(), 1)
    if cells is None:
        cells = list(range(model.rowCount() * model.columnCount()))
    return [float(model.data(model.index(i // columns, i % columns))) for i in cells]


def assert_tables_match_torch(window, rng: random.Random) -> None:
    """valuesTable and gradTable hold exactly the current tensor's numbers (the table format)."""
    ws = window.workspace
    name = ws.current
    values_view = window.findChild(QtWidgets.QTableView, "valuesTable")
    grad_view = window.findChild(QtWidgets.QTableView, "gradTable")
    if name is None or name not in ws.names:
        return
    facts = ws.facts(name)
    for label, view, array in (("values", values_view, facts.values),
                               ("grad", grad_view, facts.grad)):
        if array is None:
            assert view.model().rowCount() == 0, f"{name}: gradTable has rows while .grad is None"
            continue
        flat = np.asarray(array, dtype=np.float64).reshape(-1)
        model = view.model()
        assert model.rowCount() * max(model.columnCount(), 1) >= flat.size or flat.size == 0, \
            f"{name}: {label} table has fewer cells than the tensor"
        cells = (list(range(flat.size)) if flat.size <= TABLE_LIMIT
                 else sorted(rng.sample(range(flat.size), 64)))
        shown = np.array(table_cells(view, cells), dtype=np.float64)
        assert np.array_equal(shown, flat[cells], equal_nan=True), \
            f"{name}: {label} table {shown[:8]} != torch {flat[cells][:8]}"


# ----- what escapes: exceptions and Qt's own messages ---------------------------------------------


class Escapes:
    """Collects exceptions sent to sys.excepthook and Qt's critical/fatal (and thread) messages."""

    def __init__(self) -> None:
        self.exceptions: list[BaseException] = []
        self.tracebacks: list[str] = []
        self.qt_messages: list[str] = []

    def excepthook(self, kind, exc, tb) -> None:
        self.exceptions.append(exc)
        self.tracebacks.append("".join(traceback.format_exception(kind, exc, tb)))

    def qt_handler(self, mode, context, message: str) -> None:
        bad = mode in (QtCore.QtMsgType.QtCriticalMsg, QtCore.QtMsgType.QtFatalMsg)
        if bad or "QThread: Destroyed" in message:
            self.qt_messages.append(f"{mode.name}: {message}")

    def check(self, where: str) -> None:
        assert not self.exceptions, \
            f"{where}: exception escaped: {self.exceptions[0]!r}\n{self.tracebacks[0]}"
        assert not self.qt_messages, f"{where}: Qt said {self.qt_messages[0]}"


def assert_alive(qtbot) -> None:
    """A zero-delay timer fires within a second: the event loop is turning (a liveness check
    with a generous timeout, not a speed assertion). Bounded by the clock, not by a nested event
    loop: a window stuck re-laying itself out must fail here, not hang the run."""
    fired: list[bool] = []
    QtCore.QTimer.singleShot(0, lambda: fired.append(True))
    clock = QtCore.QElapsedTimer()
    clock.start()
    while not fired and clock.elapsed() < 1000:
        QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    assert fired, "the window did not answer a zero-delay timer within 1 s"


REPLAY = textwrap.dedent(
    """
    import contextlib, io, json, runpy, sys, warnings
    import torch
    warnings.simplefilter("ignore")
    with contextlib.redirect_stdout(io.StringIO()):
        env = runpy.run_path(sys.argv[1], run_name="__main__")
    out = {}
    for name in json.loads(sys.argv[2]):
        t = env[name]
        grad = t.grad if t.is_leaf else None
        out[name] = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                     "requires_grad": t.requires_grad,
                     "values": [float(v).hex() for v in t.detach().reshape(-1).tolist()],
                     "grad": None if grad is None else
                             [float(v).hex() for v in grad.reshape(-1).tolist()]}
    print(json.dumps(out))
    """
)


def assert_script_rebuilds(window, folder: Path) -> None:
    """The exported .py, run by plain python in a fresh process, rebuilds every tensor exactly."""
    ws = window.workspace
    window.tabs.setCurrentWidget(window.tensor_lab)
    path = folder / "fuzz_export.py"
    assert window.export_script(path), "export_script failed"
    names = ws.names
    # Forked from a warm interpreter (torch imported, nothing of the app); in the worker's
    # environment, so torch's threads are the window's.
    proc = run_python(["-c", REPLAY, str(path), json.dumps(names)], timeout=120)
    assert proc.returncode == 0, f"the exported script failed:\n{proc.stderr[-2000:]}"
    plain = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in names:
        f = ws.facts(name)
        got = plain[name]
        assert tuple(got["shape"]) == f.shape and got["dtype"] == f.dtype, name
        assert got["requires_grad"] == f.requires_grad, name
        want = [float(v).hex() for v in np.asarray(f.values, dtype=np.float64).reshape(-1)]
        assert got["values"] == want, f"{name}: plain torch values differ"
        if f.is_leaf:
            want_grad = (None if f.grad is None else
                         [float(v).hex() for v in np.asarray(f.grad, np.float64).reshape(-1)])
            assert got["grad"] == want_grad, f"{name}: plain torch .grad differs"


# ----- the walker -----------------------------------------------------------------------------------


class Walker:
    """Random actions on the window, through docs/automation.md's names and window methods."""

    def __init__(self, window, qtbot, rng: random.Random, folder: Path) -> None:
        self.window, self.qtbot, self.rng, self.folder = window, qtbot, rng, folder
        self.lab = self.find("trainingLab")
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # where the walk's time goes (reported, not asserted)
        self.lines = {"ran": 0, "refused": 0}
        self.run_ends: list[str] = []
        self.unexpected_errors: list[str] = []
        self.lab.runFinished.connect(self.on_run_finished)
        self.plot_tabs = self.find("tensorPlotTabs", QtWidgets.QTabWidget)
        self.lessons = window.lessons_dock.panel
        self.rss_start = rss_mib()  # the bound on what the process holds is relative to this
        self.heavy: dict[str, float] = {}  # the slowest of each limits action, in seconds

    def on_run_finished(self, status: str) -> None:
        self.run_ends.append(status)
        run = self.lab.session.current
        # The notebook's out-of-place mistake (Manual) is meant to end in torch's error.
        meant = run is not None and run.config.optimizer == "Manual" \
            and run.config.out_of_place_update
        if status == "error" and not meant:
            text = self.find("trainingMessageLabel", QtWidgets.QLabel).text()
            self.unexpected_errors.append(f"{run.config if run else None}: {text}")

    def find(self, name: str, cls=QtWidgets.QWidget):
        widget = self.window.findChild(cls, name)
        assert widget is not None, name
        return widget

    def click(self, name: str, root=None) -> bool:
        button = (root or self.window).findChild(QtWidgets.QAbstractButton, name)
        assert button is not None, name
        if button.isEnabled() and button.isVisible():
            self.qtbot.mouseClick(button, LEFT)
            return True
        return False

    def trigger(self, name: str) -> None:
        action = self.window.findChild(QtGui.QAction, name)
        assert action is not None, name
        if action.isEnabled():
            action.trigger()

    def tensor_lab(self) -> None:
        self.window.tabs.setCurrentWidget(self.window.tensor_lab)

    # -- Tensor Lab --

    def type_line(self) -> None:
        self.tensor_lab()
        line = statement(self.rng, self.window.workspace.names)
        before = workspace_state(self.window.workspace)
        edit = self.find("statementEdit", QtWidgets.QLineEdit)
        edit.setText(line)
        self.qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
        result = self.window.workspace.last_result
        if result is None:
            return
        if result.ok:
            self.lines["ran"] += 1
        else:
            self.lines["refused"] += 1
            # Refused or failed: a message in the window, and nothing changed at all.
            assert self.find("messageLabel", QtWidgets.QLabel).text(), line
            assert_same_state(workspace_state(self.window.workspace), before, f"after {line!r}")

    def create(self) -> None:
        self.tensor_lab()
        self.find("tensorNameEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(NAMES + ["", "1x", "torch", "x y"]))
        self.find("tensorShapeEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(["", "3", "2, 3", "2x2", "(4,)", "0", "2, 0", "abc", "-1",
                             "99999999999", "1" + ", 1" * 70]))
        init = self.find("tensorInitCombo", QtWidgets.QComboBox)
        init.setCurrentIndex(self.rng.randrange(init.count()))
        self.find("tensorValuesEdit", QtWidgets.QLineEdit).setText(self.rng.choice(
            ["", "2.5", "[1.0, 2.0, 3.0]", "[[1, 2], [3, 4]]", "[1, [2]]", "1e400",
             "[1e39, -1e39]", "nan", "inf", "[0.5, -0.25]"]))
        dtype = self.find("tensorDtypeCombo", QtWidgets.QComboBox)
        dtype.setCurrentIndex(self.rng.randrange(dtype.count()))
        self.find("requiresGradCheck", QtWidgets.QCheckBox).setChecked(self.rng.random() < 0.7)
        self.click("createTensorButton")

    def quick_op(self) -> None:
        self.tensor_lab()
        self.find("opArgEdit", QtWidgets.QLineEdit).setText(
            self.rng.choice(["", "2", "0.5", "-1", "0", "1e400", "abc"]))
        self.click(self.rng.choice(["addButton", "mulButton", "powButton", "meanButton",
                                    "sumButton", "detachButton"]))

    def backward(self) -> None:
        self.tensor_lab()
        names = self.window.workspace.names
        self.find("gradientEdit", QtWidgets.QLineEdit).setText(self.rng.choice(
            ["", "", "ones", "randn", "[1.0, 2.0]", "[[1.0, 1.0]]", "2.0", "zzz"]
            + ([self.rng.choice(names)] if names else [])))
        self.find("retainGraphCheck", QtWidgets.QCheckBox).setChecked(self.rng.random() < 0.4)
        self.click(self.rng.choice(["backwardButton"] * 3 + ["zeroGradButton", "gradNoneButton"]))

    def toggle(self) -> None:
        self.tensor_lab()
        box = self.find(self.rng.choice(["noGradCheck", "currentRequiresGradCheck"]),
                        QtWidgets.QCheckBox)
        if box.isEnabled():
            self.qtbot.mouseClick(box, LEFT, pos=QtCore.QPoint(6, box.height() // 2))

    def pick_row(self) -> None:
        self.tensor_lab()
        view = self.find("tensorList", QtWidgets.QAbstractItemView)
        rows = view.model().rowCount()
        if rows:
            index = view.model().index(self.rng.randrange(rows), 0)
            view.scrollTo(index)
            rect = view.visualRect(index)
            if rect.isValid():
                self.qtbot.mouseClick(view.viewport(), LEFT, pos=rect.center())

    def history(self) -> None:
        self.trigger(self.rng.choice(
            ["actionUndo"] * 3 + ["actionRedo"] * 3 + ["actionRestoreSession"] * 2
            + ["actionNew", "actionExample_notebook_backward",
               "actionExample_notebook_accumulation"]))

    # -- limits: big prints, repeated backward, Step backward on deep graphs --

    def typed(self, line: str) -> bool:
        """Type `line` into the statement line; True when it ran."""
        self.tensor_lab()
        edit = self.find("statementEdit", QtWidgets.QLineEdit)
        edit.setText(line)
        self.qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
        result = self.window.workspace.last_result
        return result is not None and result.ok

    def within_limits(self, name: str, started: float) -> None:
        """The process holds at most RSS_BOUND_MIB more than when the walk began, and the
        action (many lines typed) finished."""
        seconds = time.perf_counter() - started
        self.heavy[name] = max(self.heavy.get(name, 0.0), seconds)
        rise = rss_mib() - self.rss_start
        assert rise < RSS_BOUND_MIB, f"{name}: the process grew {rise:.0f} MiB"
        assert seconds < HEAVY_ACTION_S, f"{name} took {seconds:.1f} s"

    def big_print(self) -> None:
        started = time.perf_counter()
        shape = self.rng.choice(["6, 6, 6, 6, 6", "6, 6, 6, 6, 6, 6, 6, 6", "2" + ", 2" * 20,
                                 "1000", "100, 100"])
        if self.typed(f"hp = torch.randn({shape})"):
            self.typed("; ".join([self.rng.choice(["print(hp)", "hp", "print(hp, hp)"])]
                                 * self.rng.choice([1, 5, 20])))
            shown = self.find("outputLabel", QtWidgets.QLabel).text()
            assert len(shown) <= MAX_OUTPUT_CHARS + 100, len(shown)
        self.within_limits("big_print", started)

    def repeated_backward(self) -> None:
        started = time.perf_counter()
        size = self.rng.choice([10, 10_000, 1_000_000])
        if self.typed(f"rb = torch.ones({size}, requires_grad=True)") and \
                self.typed(self.rng.choice(["rs = (rb * rb).sum()", "rs = (rb @ rb)",
                                            "rs = (rb.exp() * 2).mean()"])):
            self.typed("; ".join(["rs.backward(retain_graph=True)"]
                                 * self.rng.choice([1, 10, 66])))
        self.within_limits("repeated_backward", started)

    def deep_step_backward(self) -> None:
        started = time.perf_counter()
        if self.typed(f"dx = torch.ones({self.rng.choice([100, 10_000])}, requires_grad=True)"):
            self.typed("dg = dx * 1.0")
            for _ in range(self.rng.choice([1, 10, 40])):
                self.typed("; ".join(["dg = dg * 1.0001"] * 100))
            self.typed("ds = dg.sum()")
            self.tensor_lab()
            for i in range(self.plot_tabs.count()):
                if self.plot_tabs.tabText(i) == "Graph":
                    self.plot_tabs.setCurrentIndex(i)
            for _ in range(self.rng.choice([1, 3])):
                self.click("stepBackwardButton")
        self.within_limits("deep_step_backward", started)

    # -- the Graph tab --

    def graph(self) -> None:
        self.tensor_lab()
        for i in range(self.plot_tabs.count()):
            if self.plot_tabs.tabText(i) == "Graph":
                self.plot_tabs.setCurrentIndex(i)
        roll = self.rng.random()
        if roll < 0.45:
            self.click("stepBackwardButton")
        elif roll < 0.6:
            self.click("playBackwardButton")
        elif roll < 0.7:
            self.click("rewindBackwardButton")
        elif roll < 0.78:
            box = self.find("showSavedCheck", QtWidgets.QCheckBox)
            box.setChecked(not box.isChecked())
        elif roll < 0.86:
            self.click(self.rng.choice(["graphZoomInButton", "graphZoomOutButton",
                                        "graphFitButton"]))
        elif roll < 0.9:
            self.find("graphSpeedSpin", QtWidgets.QDoubleSpinBox).setValue(
                self.rng.uniform(0.5, 20))
        elif roll < 0.98:
            self.click_graph_node()
        else:
            self.click("graphWindowButton")
            for top in QtWidgets.QApplication.topLevelWidgets():
                if top.objectName() == "graphWindow" and top.isVisible() and \
                        self.rng.random() < 0.7:
                    top.close()

    def click_graph_node(self) -> None:
        view = self.find("graphView", QtWidgets.QGraphicsView)
        nodes = [item for item in view.scene().items() if item.data(0) == "tensor"]
        if not nodes:
            return
        item = self.rng.choice(nodes)
        view.ensureVisible(item)
        point = view.mapFromScene(item.sceneBoundingRect().center())
        if view.viewport().rect().contains(point):
            self.qtbot.mouseClick(view.viewport(), LEFT, pos=point)

    # -- lessons --

    def lesson(self) -> None:
        dock = self.window.lessons_dock
        if not dock.isVisible():
            self.trigger("actionShowLessons")
        roll = self.rng.random()
        panel = self.lessons
        if roll < 0.2:
            lessons = panel.findChild(QtWidgets.QListWidget, "lessonList")
            if lessons.count():
                lessons.setCurrentRow(self.rng.randrange(lessons.count()))
        elif roll < 0.55:
            self.click("runStepButton", panel)
        elif roll < 0.75:
            self.click("nextStepButton", panel)
        elif roll < 0.85:
            self.click("prevStepButton", panel)
        elif roll < 0.95:
            answer = panel.findChild(QtWidgets.QLineEdit, "lessonAnswerEdit")
            if answer.isVisible():
                answer.setText(self.rng.choice(["1", "0.5", "1/8", "-3", "abc", "", "1e400"]))
            choices = [b for b in panel.findChildren(QtWidgets.QRadioButton) if b.isVisible()]
            if choices:
                self.rng.choice(choices).setChecked(True)
            self.click("checkAnswerButton", panel)
        else:
            self.trigger("actionShowLessons")  # hide it again now and then

    # -- files --

    def save_open(self) -> None:
        window = self.window
        path = self.folder / "fuzz_session.json"
        # a run still going (either lab) is saved unfinished and opens as stopped
        running = self.lab.is_running() or self.window.network_lab.is_running()
        before = workspace_state(window.workspace)
        doc = window.session_document()
        assert window.save_session(path), "save_session failed"
        assert window.open_session(path), window.statusBar().currentMessage()
        assert_same_state(workspace_state(window.workspace), before, "save then open")
        if not running:
            after = window.session_document()
            assert after == doc, "save then open changed the session document"

    def open_bad_file(self) -> None:
        path = self.folder / "broken.json"
        path.write_text(self.rng.choice([
            "", "{", '["import os"]', "[5]", "null", '{"version": 999}', '{"version": 2, "statements": 5}',
            '{"version": 2, "statements": ["import os"]}', "[" * 5000, "\x00\x01"]))
        before = workspace_state(self.window.workspace)
        assert not self.window.open_session(path)
        assert_same_state(workspace_state(self.window.workspace), before, "a bad file")

    def autosave(self) -> None:
        from playground.core.files.session_file import read_session_file

        saver = self.window.autosaver
        assert saver.save_now(), "autosave failed"
        state = read_session_file(saver.path)
        assert list(state.statements) == list(self.window.workspace.log)

    # -- view --

    def view(self) -> None:
        from playground.ui.widgets.theme import ThemeMode

        if self.rng.random() < 0.5:
            self.window.set_zoom(self.rng.randint(-4, 6))
        else:
            self.window.set_theme(self.rng.choice(list(ThemeMode)))

    # -- Training Lab --

    def speed(self) -> None:
        combo = self.find("speedCombo", QtWidgets.QComboBox)
        # Mostly full speed: a paced run is fine mid-walk but must not stretch CI.
        if self.rng.random() < 0.7:
            full_speed(self.window)
        else:
            combo.setCurrentIndex(self.rng.randrange(combo.count()))

    def training_setting(self) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.4:
            spin = self.find(rng.choice(["lrSpin", "w0Spin", "b0Spin", "noiseSpin"]),
                             QtWidgets.QDoubleSpinBox)
            spin.setValue(rng.uniform(spin.minimum(), min(spin.maximum(), 5.0)))
        elif roll < 0.55:
            spin = self.find(rng.choice(["batchSizeSpin", "pointsSpin", "seedSpin"]),
                             QtWidgets.QSpinBox)
            spin.setValue(rng.randint(spin.minimum(), min(spin.maximum(), 60)))
        elif roll < 0.8:
            combo = self.find(rng.choice(["optimizerCombo", "lossCombo", "datasetCombo"]),
                              QtWidgets.QComboBox)
            combo.setCurrentIndex(rng.randrange(combo.count()))
        else:
            box = self.find(rng.choice(["forgetZeroGradCheck", "outOfPlaceCheck",
                                        "newOptimizerCheck", "logYCheck"]), QtWidgets.QCheckBox)
            box.setChecked(not box.isChecked())

    def training_control(self) -> None:
        rng = self.rng
        self.window.tabs.setCurrentWidget(self.lab)
        roll = rng.random()
        if roll < 0.3:
            if self.lab.is_running():
                self.finish_run(stop=True)
            self.find("epochsSpin", QtWidgets.QSpinBox).setValue(rng.choice([1, 5, 30, 200, 2000]))
            self.click("startButton")
        elif roll < 0.55:
            # A learning-rate drag mid-run: the spin box or the log slider.
            if rng.random() < 0.5:
                self.find("lrSpin", QtWidgets.QDoubleSpinBox).setValue(10 ** rng.uniform(-4, 0))
            else:
                self.find("lrSlider").setValue(rng.uniform(-5, 0))
        elif roll < 0.65:
            self.click("pauseButton")
        elif roll < 0.75:
            self.click("stepButton")
        elif roll < 0.85:
            self.click("stopButton")
        elif roll < 0.9:
            self.click("lowerLrButton")
        elif roll < 0.95:
            if self.lab.is_running():
                self.finish_run(stop=True)
            self.click("resetButton")
        else:
            self.speed()

    def finish_run(self, *, stop: bool) -> None:
        """Wait for a running (or paused) run to end; stop it first if asked."""
        if not self.lab.is_running():
            return
        with self.qtbot.waitSignal(self.lab.runFinished, timeout=30_000):
            if stop:
                self.lab.stop()

    # -- one action --

    def step(self) -> str:
        table = [
            (0.26, self.type_line), (0.07, self.create), (0.08, self.quick_op),
            (0.08, self.backward), (0.04, self.toggle), (0.05, self.pick_row),
            (0.06, self.history), (0.08, self.graph), (0.07, self.lesson),
            (0.01, self.save_open), (0.01, self.open_bad_file), (0.005, self.autosave),
            (0.01, self.view), (0.06, self.training_setting), (0.105, self.training_control),
            (0.004, self.big_print), (0.004, self.repeated_backward),
            (0.002, self.deep_step_backward),
        ]
        roll = self.rng.random() * sum(w for w, _ in table)
        action = table[-1][1]
        for weight, candidate in table:
            roll -= weight
            if roll <= 0:
                action = candidate
                break
        started = time.perf_counter()
        action()
        name = action.__name__
        self.counts[name] = self.counts.get(name, 0) + 1
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return name


def checkpoint(window, walker: Walker, qtbot, folder: Path, *, script: bool,
               playground_window) -> None:
    """The expensive invariants: fresh replay and save/open at every checkpoint; autosave
    recovery into a new window and the script in plain python at `script` ones (they cost most)."""
    walker.finish_run(stop=True)
    ws = window.workspace
    state = workspace_state(ws)
    fresh = Workspace()
    assert fresh.load(list(ws.log), work_budget=None).ok, "the log does not replay"
    fresh.current = ws.current
    assert_same_state(workspace_state(fresh), state, "fresh Workspace replay")
    walker.save_open()
    if not script:
        return
    # Recovery: this window's autosave, left by a process that has ended, restores into a new one.
    assert window.autosaver.save_now()
    crashed = folder / f"crash{len(walker.counts)}-{ws.log.__len__()}"
    crashed.mkdir()
    shutil.copy(window.autosaver.path, crashed / f"autosave-{dead_pid()}-1{SUFFIX}")
    restored = playground_window(show=False, restore_autosave=True, autosave_dir=crashed)
    assert_same_state(workspace_state(restored.workspace), state, "autosave recovery")
    restored.shutdown()
    restored.close()
    assert_script_rebuilds(window, folder)


@pytest.mark.parametrize("walk", range(WALKS), ids=[f"walk{w + 1}" for w in range(WALKS)])
def test_fuzzed_window(playground_window, qtbot, monkeypatch, tmp_path, walk: int) -> None:
    # This walk's share of the actions, numbered as in one long walk: checkpoints and script
    # checks fall where that walk had them.
    first, last = walk * ACTIONS // WALKS + 1, (walk + 1) * ACTIONS // WALKS
    seed = SEED + walk
    escapes = Escapes()
    monkeypatch.setattr(sys, "excepthook", escapes.excepthook)
    # Modal boxes would block the walk; what they would say is also in the window's labels.
    for box in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QtWidgets.QMessageBox, box, staticmethod(lambda *a, **k: None))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: ("", "")))
    previous = QtCore.qInstallMessageHandler(escapes.qt_handler)
    try:
        window = playground_window(autosave_dir=tmp_path / "autosave")
        full_speed(window)
        rng = random.Random(seed)
        walker = Walker(window, qtbot, rng, tmp_path)
        checks = max(1, ACTIONS // CHECK_EVERY)
        script_at = {round(k * checks / SCRIPT_CHECKS) for k in range(1, SCRIPT_CHECKS + 1)}
        done_checks = 0
        for done in range(first, last + 1):
            name = walker.step()
            where = f"action {done} ({name}, seed {seed})"
            started = time.perf_counter()
            escapes.check(where)
            assert_alive(qtbot)
            escapes.check(where)
            alive = time.perf_counter()
            assert_tables_match_torch(window, rng)
            walker.seconds["(checks: alive)"] = (walker.seconds.get("(checks: alive)", 0.0)
                                                 + alive - started)
            walker.seconds["(checks: tables)"] = (walker.seconds.get("(checks: tables)", 0.0)
                                                  + time.perf_counter() - alive)
            if done % CHECK_EVERY == 0 or done == last:
                done_checks += 1
                started = time.perf_counter()
                index = -(-done // CHECK_EVERY)  # this checkpoint's number in one long walk
                checkpoint(window, walker, qtbot, tmp_path, script=index in script_at,
                           playground_window=playground_window)
                walker.seconds["(checkpoints)"] = (walker.seconds.get("(checkpoints)", 0.0)
                                                   + time.perf_counter() - started)
                escapes.check(f"checkpoint after {where}")
                print(f"fuzz: {done} actions checked, log {len(window.workspace.log)}, "
                      f"names {len(window.workspace.names)}", flush=True)
        walker.finish_run(stop=True)
    finally:
        QtCore.qInstallMessageHandler(previous)
        for window_ in QtWidgets.QApplication.topLevelWidgets():
            if hasattr(window_, "shutdown"):  # a failed walk must not also leak its run
                window_.shutdown()
    escapes.check("end of the walk")
    # The walk did real work everywhere: lines ran and were refused, runs ended, files were used.
    actions = last - first + 1
    assert walker.lines["ran"] > actions // 25 and walker.lines["refused"] > actions // 50
    assert not walker.unexpected_errors, walker.unexpected_errors[0]
    assert len(walker.run_ends) >= max(1, actions // 400)
    for action in ("graph", "lesson", "training_control", "history", "create"):
        assert walker.counts.get(action, 0) > 0, action
    statuses = {s: walker.run_ends.count(s) for s in set(walker.run_ends)}
    print(f"fuzz: actions {first}-{last} (seed {seed}), {walker.counts}, typed {walker.lines}, "
          f"run ends {statuses}, {done_checks} checkpoints; slowest limits actions "
          f"{ {k: round(v, 1) for k, v in walker.heavy.items()} }; seconds per kind "
          f"{ {k: round(v, 1) for k, v in sorted(walker.seconds.items())} }")


# ----- the core under hypothesis: a state machine over the statement pipe ---------------------------


class WorkspaceMachine(RuleBasedStateMachine):
    """Statements from the grammar (drawn through hypothesis, so a failure shrinks to a short
    list of lines), undo, redo, New and Restore on a Qt-free Workspace. Invariants: a refused
    line changes nothing and says why; the log replayed in a fresh Workspace is the same state."""

    def __init__(self) -> None:
        super().__init__()
        self.ws = Workspace()
        assert self.ws.run("x = torch.randn(2, 3, requires_grad=True)").ok

    @rule(rng=st.randoms(use_true_random=False))
    def type_line(self, rng: random.Random) -> None:
        line = statement(rng, self.ws.names)
        before = workspace_state(self.ws)
        result = self.ws.run(line)
        if not result.ok:
            assert result.messages and result.messages[0].text, line
            assert_same_state(workspace_state(self.ws), before, f"refused {line!r}")

    @rule()
    def undo(self) -> None:
        self.ws.undo()

    @rule()
    def redo(self) -> None:
        self.ws.redo()

    @rule()
    def new(self) -> None:
        self.ws.reset()
        assert len(self.ws.log) == 1

    @rule()
    def restore(self) -> None:
        self.ws.restore_previous()

    @invariant()
    def replays_to_the_same_state(self) -> None:
        fresh = Workspace()
        assert fresh.load(list(self.ws.log), work_budget=None).ok
        assert_same_state(workspace_state(fresh), workspace_state(self.ws), "fresh replay")


WorkspaceMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("PLAYGROUND_FUZZ_EXAMPLES", "25")),
    stateful_step_count=30, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TestWorkspaceMachine = WorkspaceMachine.TestCase


def test_grammar_covers_valid_and_invalid_lines() -> None:
    """The statement grammar yields both lines the workspace runs and lines it refuses."""
    ws = Workspace()
    assert ws.run("x = torch.randn(3, requires_grad=True)").ok
    rng = random.Random(0)
    outcomes = [ws.run(statement(rng, ws.names)).ok for _ in range(300)]
    assert 30 < sum(outcomes) < 270, sum(outcomes)
