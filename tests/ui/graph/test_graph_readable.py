"""The graph readable at first sight: on a 1280x720 screen the docked Graph tab shows the first
example's whole graph at 75% or more; stepping keeps the output and the step in view; the
orientation follows the panel's shape; no edge crosses a box; node text follows View > Zoom; the
graph window closes with Esc and Ctrl+W. Driven through graphView and the buttons' objectNames."""

from __future__ import annotations

import textwrap

import pytest
import shiboken6
from PySide6 import QtCore, QtWidgets

from playground.core.tensorlab.workspace import Workspace
from playground.testing import find, run_on_screen
from playground.ui.graph import GraphPanel
from playground.ui.graph.items import EdgeItem

NODE_KINDS = ("tensor", "function", "saved", "summary")

# Runs in a child process whose offscreen screen is 1280x720 (a process's screen is fixed when
# its QApplication starts). Prints, as JSON, what the docked graph shows at first sight and at
# every step of Step backward.
FIRST_SIGHT = textwrap.dedent("""
    import json, re, sys
    from PySide6 import QtCore, QtWidgets
    app = QtWidgets.QApplication([])
    from playground.ui.window.main_window import MainWindow

    def settle():
        for _ in range(5):
            app.processEvents()

    window = MainWindow(settings=QtCore.QSettings(sys.argv[1] + "/s.ini",
                                                  QtCore.QSettings.Format.IniFormat),
                        autosave_dir=sys.argv[1])
    window.show()
    settle()
    view = window.findChild(QtWidgets.QGraphicsView, "graphView")
    tabs = window.findChild(QtWidgets.QTabWidget, "tensorPlotTabs")
    tabs.setCurrentIndex(next(i for i in range(tabs.count())
                              if tabs.widget(i).isAncestorOf(view)))
    settle()

    def inside(item):
        shown = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        return view.viewport().rect().contains(shown)

    def look():
        nodes = [i for i in view.scene().items()
                 if i.data(0) in ("tensor", "function", "saved", "summary")]
        step = [i for i in nodes if i.data(3) == "step" and i.data(0) == "function"]
        root = view.items_by_key[view.graph.root]
        return {"scale": view.transform().m11(), "viewport": list(view.viewport().size().toTuple()),
                "outside": [i.data(2) for i in nodes if not inside(i)],
                "root_inside": inside(root), "step_inside": all(inside(i) for i in step),
                "steps": len(step), "positions": {i.data(2): list(i.pos().toTuple())
                                                  for i in nodes}}

    out = {"window": list(window.geometry().getRect()), "first": look(), "stepping": []}
    button = window.findChild(QtWidgets.QPushButton, "stepBackwardButton")
    label = window.findChild(QtWidgets.QLabel, "graphStepLabel")
    for _ in range(30):
        button.click()
        settle()
        out["stepping"].append(look())
        done = re.search(r"\\((\\d+)/(\\d+)\\)\\s*$", label.text())
        if done and done[1] == done[2]:
            break
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def at_1280x720(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("graph-1280x720")
    return run_on_screen(FIRST_SIGHT, folder, timeout=180)


def test_first_example_is_whole_and_readable_at_1280x720(at_1280x720):
    first = at_1280x720["first"]
    assert first["outside"] == [], first
    assert first["scale"] >= 0.75, first


def test_stepping_keeps_the_output_and_the_step_in_view_and_holds_still(at_1280x720):
    stepping = at_1280x720["stepping"]
    assert len(stepping) >= 5  # the notebook chain runs five nodes (Mean, Mul, Mul, Add, Acc)
    for look in stepping:
        assert look["root_inside"] and look["step_inside"], look
        assert look["steps"] == 1
        assert look["scale"] >= 0.6, look  # shrunk a little at most, never a thumbnail
    # The layout kept room for the freed lines and the leaf's .grad: nothing moved.
    assert stepping[-1]["positions"] == at_1280x720["first"]["positions"]


CHAIN = ["x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)",
         "y = x + 10", "z = y * y * y", "w = z.mean()"]


@pytest.fixture
def make_panel(qtbot):
    def make(width, height, lines=CHAIN):
        ws = Workspace()
        for line in lines:
            assert ws.run(line).ok, line
        panel = GraphPanel(ws)
        qtbot.addWidget(panel)
        panel.resize(width, height)
        panel.show()
        qtbot.waitExposed(panel)
        view = find(panel, "graphView", QtWidgets.QGraphicsView)
        qtbot.waitUntil(lambda: view.fitting is not None)  # the first fit happened
        return ws, panel, view
    return make


def node_rects(view):
    return {i.data(2): i.sceneBoundingRect() for i in view.scene().items()
            if i.data(0) in NODE_KINDS}


def centres(view):
    return {k: (r.center().x(), r.center().y()) for k, r in node_rects(view).items()}


@pytest.mark.parametrize(("size", "orientation"), [((360, 700), "top-to-bottom"),
                                                  ((1000, 360), "left-to-right")])
def test_orientation_follows_the_panel_shape(make_panel, qtbot, size, orientation):
    _, panel, view = make_panel(*size)
    qtbot.waitUntil(lambda: view.orientation == orientation)
    at = centres(view)
    acc = next(k for k, i in view.items_by_key.items() if i.data(1) == "AccumulateGrad")
    mean = next(k for k, i in view.items_by_key.items() if i.data(1) == "MeanBackward0")
    axis = 1 if orientation == "top-to-bottom" else 0
    assert at[acc][axis] < at[mean][axis]  # inputs first, the output last
    legend = view.legend
    assert legend is not None and legend.data(0) == "legend"
    arrow = "\u2193" if orientation == "top-to-bottom" else "\u2192"
    assert legend.lines[0] == f"forward {arrow}" and "backward (gradients)" in legend.lines[1]


def test_legend_and_orientation_change_with_a_resize(make_panel, qtbot):
    _, panel, view = make_panel(1000, 360)
    qtbot.waitUntil(lambda: view.orientation == "left-to-right")
    panel.resize(360, 800)
    qtbot.waitUntil(lambda: view.orientation == "top-to-bottom")
    assert "\u2193" in view.legend.lines[0]


@pytest.mark.parametrize("saved", [False, True])
@pytest.mark.parametrize("size", [(360, 700), (1000, 420)])
def test_no_edge_is_drawn_across_a_box(make_panel, qtbot, size, saved):
    _, panel, view = make_panel(*size)
    find(panel, "showSavedCheck", QtWidgets.QCheckBox).setChecked(saved)
    rects = node_rects(view)
    assert any(i.data(0) == "saved" for i in view.node_items()) == saved
    edges = [i for i in view.scene().items() if isinstance(i, EdgeItem)]
    assert len(edges) == len(view.graph.edges)
    for edge in edges:
        path = edge.path()
        ends = [path.pointAtPercent(0.0), edge.path().currentPosition()]
        touching = {k for k, r in rects.items()
                    if any(r.adjusted(-1, -1, 1, 1).contains(p) for p in ends)}
        for i in range(1, 200):
            point = path.pointAtPercent(i / 200)
            for key, rect in rects.items():
                if key not in touching:
                    assert not rect.adjusted(1, 1, -1, -1).contains(point), (edge.kind, key)


def test_stepping_never_moves_a_box(make_panel, qtbot):
    _, panel, view = make_panel(360, 700)
    before = centres(view)
    step = find(panel, "stepBackwardButton", QtWidgets.QPushButton)
    for _ in range(5):
        qtbot.mouseClick(step, QtCore.Qt.MouseButton.LeftButton)
        assert centres(view) == before
    x = view.items_by_key["t:x"]
    assert any(line.startswith("grad ") for line in x._lines)  # the .grad line arrived


def test_node_text_follows_view_zoom(playground_window, qtbot):
    window = playground_window()
    view = find(window, "graphView", QtWidgets.QGraphicsView)
    tabs = find(window, "tensorPlotTabs", QtWidgets.QTabWidget)
    tabs.setCurrentIndex(next(i for i in range(tabs.count())
                              if tabs.widget(i).isAncestorOf(view)))
    qtbot.waitUntil(lambda: bool(view.node_items()))
    before = view.node_items()[0].font().pointSizeF()
    action = next(a for a in window.findChildren(QtCore.QObject, "actionZoomIn"))
    action.trigger()
    action.trigger()
    qtbot.waitUntil(lambda: view.node_items()[0].font().pointSizeF() > before * 1.1)
    assert view.node_items()[0].font().pointSizeF() == pytest.approx(
        QtWidgets.QApplication.font().pointSizeF())


@pytest.mark.parametrize("keys", ["Esc", "Ctrl+W"])
def test_graph_window_is_an_ordinary_window_that_closes_with_esc_and_ctrl_w(
        make_panel, qtbot, keys):
    _, panel, _ = make_panel(500, 400)
    window = panel.open_window()
    qtbot.waitExposed(window)
    assert window.objectName() == "graphWindow" and window.isWindow()
    flags = window.windowFlags()
    for hint in (QtCore.Qt.WindowType.WindowTitleHint, QtCore.Qt.WindowType.WindowCloseButtonHint):
        assert flags & hint
    find(window, "graphWindowCloseButton", QtWidgets.QPushButton)
    window.activateWindow()  # window shortcuts fire in the active window
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window)
    focus = find(window, "graphView", QtWidgets.QGraphicsView)
    if keys == "Esc":
        qtbot.keyClick(focus, QtCore.Qt.Key.Key_Escape)
    else:
        qtbot.keyClick(focus, QtCore.Qt.Key.Key_W, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not shiboken6.isValid(window) or not window.isVisible())


def test_graph_window_close_button_closes_it(make_panel, qtbot):
    _, panel, _ = make_panel(500, 400)
    window = panel.open_window()
    qtbot.waitExposed(window)
    qtbot.mouseClick(find(window, "graphWindowCloseButton", QtWidgets.QPushButton),
                     QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not shiboken6.isValid(window) or not window.isVisible())


def test_a_graph_too_big_to_read_whole_is_centred_on_the_output_at_a_readable_scale(
        make_panel, qtbot):
    chain = ["x = torch.tensor([1.0, 2.0], requires_grad=True)", "h = x"]
    chain += ["h = torch.sin(h) * 1.1 + 0.1"] * 12 + ["out = h.sum()"]
    _, panel, view = make_panel(420, 420, chain)
    assert view.transform().m11() == pytest.approx(0.75)  # not shrunk to a thumbnail
    root = view.items_by_key[view.graph.root]
    shown = view.mapFromScene(root.sceneBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(shown)
    outside = [i for i in view.node_items()
               if not view.viewport().rect().contains(
                   view.mapFromScene(i.sceneBoundingRect()).boundingRect())]
    assert outside  # it really was too big
