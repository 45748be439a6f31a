"""The Network Lab through its automation contract: widgets found by objectName, clicked and
typed into with qtbot, numbers compared with torch computed here."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
import torch
from PySide6 import QtCore, QtWidgets

from playground.core.network.config import NetConfig
from playground.core.network.datasets import DataSettings
from playground.core.network.session import NetworkSession
from playground.testing import click, find
from playground.ui.network.lab import NetworkLab


@pytest.fixture
def make_lab(qtbot):
    labs: list[NetworkLab] = []

    def make(data: DataSettings | None = None, config: NetConfig | None = None,
             speed: float | None = None) -> NetworkLab:
        lab = NetworkLab(NetworkSession(data, config, speed))
        qtbot.addWidget(lab)
        lab.resize(1270, 640)
        lab.show()
        qtbot.waitExposed(lab)
        labs.append(lab)
        return lab

    yield make
    for lab in labs:
        lab.shutdown()
    assert not any(lab.is_running() for lab in labs)


def run_to_end(qtbot, lab: NetworkLab, timeout: int = 60_000) -> str:
    with qtbot.waitSignal(lab.runFinished, timeout=timeout) as finished:
        click(qtbot, lab, "netStartButton")
    return finished.args[0]


def set_layers(qtbot, lab: NetworkLab, text: str) -> None:
    edit = find(lab, "layerSizesEdit")
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text) if text else edit.clear()
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)


def nodes(lab: NetworkLab, kind: str) -> list[str]:
    view = find(lab, "networkView", QtWidgets.QGraphicsView)
    return sorted(str(i.data(1)) for i in view.scene().items() if i.data(0) == kind)


def accuracy(lab: NetworkLab, name: str) -> float:
    return float(find(lab, name, QtWidgets.QLabel).text())


XOR_FAST = NetConfig(optimizer="Adam", lr=0.1, batch_size=0, epochs=80)


def test_the_diagram_has_one_node_per_feature_neuron_and_output(qtbot, make_lab):
    lab = make_lab()
    assert nodes(lab, "input") == ["x1", "x2"]
    assert nodes(lab, "neuron") == ["L1N1", "L1N2", "L1N3", "L1N4", "L2N1", "L2N2"]
    assert nodes(lab, "output") == ["output"]
    assert len(nodes(lab, "link")) == 2 * 4 + 4 * 2 + 2
    set_layers(qtbot, lab, "3, 5, 1")
    click(qtbot, lab, "featureX1X2Check")
    assert lab.session.config.layers == (3, 5, 1)
    assert nodes(lab, "input") == ["x1", "x1·x2", "x2"]
    assert len(nodes(lab, "neuron")) == 9
    assert len(nodes(lab, "link")) == 3 * 3 + 3 * 5 + 5 * 1 + 1
    click(qtbot, lab, "netRemoveLayerButton")
    assert lab.session.config.layers == (3, 5)
    assert find(lab, "layerSizesEdit").text() == "3, 5"


def test_plus_under_a_layer_adds_a_neuron(qtbot, make_lab):
    lab = make_lab()
    view = find(lab, "networkView", QtWidgets.QGraphicsView)
    plus = next(i for i in view.scene().items() if i.data(0) == "add" and i.data(1) == "L2")
    pos = view.mapFromScene(plus.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: lab.session.config.layers == (4, 3))
    assert "L2N3" in nodes(lab, "neuron")


def test_bad_layer_text_is_refused_and_changes_nothing(qtbot, make_lab):
    lab = make_lab()
    set_layers(qtbot, lab, "4, 17")
    assert lab.session.config.layers == (4, 2)
    assert "1-16" in find(lab, "netStatusLabel").text()


def test_xor_needs_a_hidden_layer_or_the_product_feature(qtbot, make_lab):
    lab = make_lab(DataSettings(kind="XOR"), XOR_FAST.replace(layers=()))
    assert run_to_end(qtbot, lab) == "completed"
    assert accuracy(lab, "testAccuracyLabel") < 0.7  # a line cannot split XOR
    set_layers(qtbot, lab, "4")
    assert run_to_end(qtbot, lab) == "completed"
    assert accuracy(lab, "trainAccuracyLabel") > 0.95
    assert accuracy(lab, "testAccuracyLabel") > 0.9
    set_layers(qtbot, lab, "")
    click(qtbot, lab, "featureX1X2Check")
    click(qtbot, lab, "featureX1Check")
    click(qtbot, lab, "featureX2Check")
    assert lab.session.config.features == ("x1·x2",)
    assert run_to_end(qtbot, lab) == "completed"
    assert accuracy(lab, "testAccuracyLabel") > 0.95


def test_the_loss_plot_and_labels_hold_torchs_numbers(qtbot, make_lab):
    lab = make_lab(DataSettings(kind="Circle", n_points=100), XOR_FAST.replace(epochs=12))
    run_to_end(qtbot, lab)
    x_train, y_train, x_test, y_test = lab.session.data()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2),
                                torch.nn.Tanh(), torch.nn.Linear(2, 1))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 lab.session.initial_state().values(),
                                                 strict=True))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    train_losses, test_losses = [], []
    for _ in range(12):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(x_train).squeeze(1),
                                                             y_train).backward()
        opt.step()
        with torch.no_grad():
            train_losses.append(torch.nn.functional.binary_cross_entropy_with_logits(
                model(x_train).squeeze(1), y_train).item())
            test_out = model(x_test).squeeze(1)
            test_losses.append(torch.nn.functional.binary_cross_entropy_with_logits(
                test_out, y_test).item())
    plot = find(lab, "netLossPlot", pg.PlotWidget)
    curves = [i for i in plot.getPlotItem().items if isinstance(i, pg.PlotDataItem)]
    assert list(curves[0].getData()[1]) == pytest.approx(train_losses, abs=1e-6)
    assert list(curves[1].getData()[1]) == pytest.approx(test_losses, abs=1e-6)
    test_acc = ((test_out > 0) == (y_test > 0.5)).float().mean().item()
    assert accuracy(lab, "testAccuracyLabel") == pytest.approx(test_acc, abs=1e-3)
    assert find(lab, "netEpochLabel").text() == "12"


def test_the_live_learning_rate_acts_at_the_next_step(qtbot, make_lab):
    lab = make_lab(config=NetConfig(lr=0.01, epochs=10))
    click(qtbot, lab, "netStepButton")
    qtbot.waitUntil(lambda: len(lab.session.current.records) == 1)
    spin = find(lab, "netLrSpin", QtWidgets.QDoubleSpinBox)
    spin.setValue(0.2)
    assert lab.session.current is not None  # the run was not reset
    click(qtbot, lab, "netStepButton")
    qtbot.waitUntil(lambda: len(lab.session.current.records) == 2)
    assert [r.lr for r in lab.session.current.records] == [0.01, 0.2]
    with qtbot.waitSignal(lab.runFinished):
        click(qtbot, lab, "netStopButton")


def test_changing_the_data_resets_the_run_and_says_so(qtbot, make_lab):
    lab = make_lab(config=XOR_FAST.replace(epochs=5))
    run_to_end(qtbot, lab)
    find(lab, "netNoiseSpin", QtWidgets.QSpinBox).setValue(20)
    assert lab.session.current is None
    assert "data changed" in find(lab, "netStatusLabel").text()
    assert find(lab, "netEpochLabel").text() == "0"


def test_a_good_import_shows_its_points_a_bad_one_says_why(qtbot, make_lab, tmp_path):
    lab = make_lab()
    before = lab.session.data()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,1\n3,4,1\n5;inf;0\n")
    assert not lab.import_data(str(bad))
    message = find(lab, "netImportMessage", QtWidgets.QLabel)
    assert message.isVisible() and "line 4" in message.text() and "finite" in message.text()
    assert torch.equal(lab.session.data()[0], before)
    assert find(lab, "netDatasetCombo", QtWidgets.QComboBox).currentText() == "Circle"
    good = tmp_path / "good.tsv"
    good.write_text("".join(f"{i % 7 - 3}\t{i % 5 - 2}\t{i % 2}\n" for i in range(40)))
    assert lab.import_data(str(good))
    assert find(lab, "netDatasetCombo", QtWidgets.QComboBox).currentText() == "Imported"
    x_train, _, x_test, _ = lab.session.data()
    assert len(x_train) + len(x_test) == 40
    assert not message.isVisible()
    scatter = lab.boundary.train_points
    assert len(scatter.data) == len(x_train)


def test_clicks_on_the_boundary_place_custom_points(qtbot, make_lab):
    lab = make_lab()
    combo = find(lab, "netDatasetCombo", QtWidgets.QComboBox)
    combo.setCurrentText("Custom points")
    plot = find(lab, "boundaryPlot", pg.PlotWidget)
    vb = plot.getPlotItem().vb

    def at(x: float, y: float) -> QtCore.QPoint:
        return plot.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))

    start = len(lab.session.data_settings.custom)
    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=at(2.0, 3.0))
    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.RightButton, pos=at(-2.0, -1.0))
    custom = lab.session.data_settings.custom
    assert len(custom) == start + 2
    assert custom[-2][2] == 1.0 and custom[-1][2] == 0.0
    assert custom[-2][0] == pytest.approx(2.0, abs=0.15)
    assert custom[-1][1] == pytest.approx(-1.0, abs=0.15)
    # A right click on a placed point opens its menu instead of adding a point.
    placed = [tuple(p) for p in custom]
    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.RightButton, pos=at(2.0, 3.0))
    menu = find(lab, "netPointMenu", QtWidgets.QMenu)
    qtbot.waitUntil(menu.isVisible)
    assert len(lab.session.data_settings.custom) == start + 2
    remove = next(a for a in menu.actions() if a.objectName() == "netRemovePointAction")
    assert remove.text() == "Remove point"
    remove.trigger()
    menu.close()
    assert [tuple(p) for p in lab.session.data_settings.custom] == placed[:-2] + placed[-1:]
    # Ctrl+click is the shortcut.
    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.LeftButton,
                     QtCore.Qt.KeyboardModifier.ControlModifier, pos=at(-2.0, -1.0))
    assert [tuple(p) for p in lab.session.data_settings.custom] == placed[:-2]


def test_step_graph_shows_the_real_node_names(qtbot, make_lab):
    lab = make_lab(DataSettings(kind="XOR", n_points=60), NetConfig(layers=(3, 2)))
    click(qtbot, lab, "netStepGraphButton")
    dialog = lab.findChild(QtWidgets.QDialog, "netStepGraphDialog")
    assert dialog is not None and dialog.isVisible()
    labels = {n.label for n in dialog.view.graph.nodes}
    assert {"AddmmBackward0", "TanhBackward0", "BinaryCrossEntropyWithLogitsBackward0",
            "AccumulateGrad", "L1.weight", "L3.bias"} <= labels
    assert sum(n.label == "AccumulateGrad" for n in dialog.view.graph.nodes) == 6
    # Grouped by layer: a captioned box per nn.Linear round its Addmm, activation and leaves.
    view = find(dialog, "netStepGraphView", QtWidgets.QGraphicsView)
    boxes = {i.data(1): i.sceneBoundingRect() for i in view.scene().items()
             if i.data(0) == "group"}
    assert sorted(boxes) == ["Layer 1", "Layer 2", "Layer 3 (output)"]
    named = {str(i.data(1)): i.sceneBoundingRect() for i in view.scene().items()
             if i.data(0) == "tensor"}
    for layer, caption in ((1, "Layer 1"), (2, "Layer 2"), (3, "Layer 3 (output)")):
        assert boxes[caption].contains(named[f"L{layer}.weight"])
        assert boxes[caption].contains(named[f"L{layer}.bias"])
    rects = list(boxes.values())
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    nodes = {n.key: n.label for n in dialog.view.graph.nodes}
    by_layer = {}
    for key, caption in dialog.step.groups.items():
        by_layer.setdefault(caption, []).append(nodes[key])
    assert sorted(by_layer["Layer 1"]) == sorted(["AddmmBackward0", "TanhBackward0", "TBackward0",
                                                  "AccumulateGrad", "AccumulateGrad",
                                                  "L1.weight", "L1.bias"])
    assert "TanhBackward0" not in by_layer["Layer 3 (output)"]
    click(qtbot, dialog, "netGraphStepButton")
    assert "BinaryCrossEntropyWithLogitsBackward0" in find(dialog, "netGraphStepLabel").text()
    dialog.close()


def test_discretize_and_test_points_toggles(qtbot, make_lab):
    lab = make_lab()
    click(qtbot, lab, "showTestCheck")
    assert len(lab.boundary.test_points.data) == len(lab.session.data()[2])
    click(qtbot, lab, "discretizeCheck")
    colours = {tuple(c) for c in lab.boundary.shown_rgb().reshape(-1, 3).tolist()}
    assert len(colours) <= 2


def test_pasted_text_imports_through_the_menu(qtbot, make_lab):
    lab = make_lab()
    QtWidgets.QApplication.clipboard().setText("x1\tx2\tlabel\n1\t1\t0.5\n-1\t2\t-0.25\n"
                                               "2\t-2\t1.5\n")
    button = find(lab, "importDataButton", QtWidgets.QPushButton)
    action = next(a for a in button.menu().actions() if a.objectName() == "netImportPasteAction")
    action.trigger()
    assert lab.session.data_settings.kind == "Imported"
    assert lab.session.split.task == "regression"
    assert not find(lab, "trainAccuracyLabel").isVisible()
    QtWidgets.QApplication.clipboard().setText("1,2\n")
    action.trigger()
    assert "line 1" in find(lab, "netImportMessage").text()
    assert lab.session.split.task == "regression"
