"""The Tensor Lab's building blocks on their own: table models, step series and the plot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6 import QtWidgets

from playground.core.tensorlab.workspace import GradRecord, Workspace
from playground.ui.tensor.grad_history_plot import GradHistoryPlot, StatementAxis, step_series
from playground.ui.tensor.table_model import (
    SHORT_TEXT_ROLE,
    ArrayTableModel,
    ShortNumberDelegate,
    TensorListModel,
    as_grid,
)


def read(model) -> list[str]:
    return [
        model.index(r, c).data()
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    ]


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 2, 3), (2, 1, 2, 2)])
def test_array_model_reads_row_by_row_as_the_flattened_array(qtbot, shape):
    torch.manual_seed(0)
    values = torch.randn(shape).numpy()
    model = ArrayTableModel()
    model.set_array(values)
    texts = read(model)
    parsed = np.array([float(t) for t in texts], dtype=np.float32)
    assert np.array_equal(parsed, values.reshape(-1))  # exact float32 round trip
    assert model.columnCount() == (shape[-1] if shape else 1)


def test_array_model_keeps_a_copy_and_none_means_no_rows(qtbot):
    values = np.array([0.125, 0.25], dtype=np.float32)
    model = ArrayTableModel()
    model.set_array(values)
    values[0] = 99.0  # the caller's later change must not leak into the view
    assert read(model) == ["0.125", "0.25"]
    model.set_array(None)
    assert model.rowCount() == 0 and model.columnCount() == 0


def test_array_model_text_is_exact_and_paints_the_short_form(qtbot):
    model = ArrayTableModel()
    value = np.float32(1174.8466)
    model.set_array(np.array([value, 3], dtype=np.float32))
    # DisplayRole: float() gives back exactly what torch holds, even compared as float64.
    assert read(model) == ["1174.8465576171875", "3.0"]
    assert float(read(model)[0]) == torch.tensor(1174.8466).item()
    # What the table paints: the shortest spelling of the float32.
    short = [model.index(0, c).data(SHORT_TEXT_ROLE) for c in range(2)]
    assert short == ["1174.8466", "3.0"]
    table = QtWidgets.QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.setItemDelegate(ShortNumberDelegate(table))
    option = QtWidgets.QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, model.index(0, 0))
    assert option.text == "1174.8466"
    ints = ArrayTableModel()
    ints.set_array(np.array([[1, -2]], dtype=np.int64))
    assert read(ints) == ["1", "-2"]


def test_as_grid_of_empty_last_dimension(qtbot):
    assert as_grid(np.zeros((2, 0))).shape == (2, 0)
    assert as_grid(np.zeros((2, 3, 0))).size == 0


def test_list_model_rows_start_with_the_name(qtbot):
    ws = Workspace()
    for statement in ("x = torch.randn(2, 4, requires_grad=True)", "y = x + 2", "s = y.sum()"):
        assert ws.run(statement).ok
    model = TensorListModel()
    model.set_facts([ws.facts(n) for n in ws.names])
    assert [model.index(r, 0).data() for r in range(3)] == ["x", "y", "s"]
    assert [model.index(r, 3).data() for r in range(3)] == ["None", "AddBackward0", "SumBackward0"]
    assert model.index(2, 1).data() == "scalar"
    assert model.row_of("y") == 1 and model.row_of("nope") == -1


def test_step_series_is_a_staircase_with_gaps_for_none():
    g = [np.full((2,), v, np.float32) for v in (0.125, 0.25)]
    records = [GradRecord(2, g[0]), GradRecord(3, g[1]), GradRecord(5, None), GradRecord(6, g[0])]
    xs, ys, labels = step_series(records, end_step=8)
    assert labels == ["[0]", "[1]"]
    assert xs.tolist() == [2, 3, 3, 5, 5, 6, 6, 8]
    col = ys[:, 0]
    assert col[:4].tolist() == [0.125, 0.125, 0.25, 0.25]
    assert np.isnan(col[4:6]).all()
    assert col[6:].tolist() == [0.125, 0.125]


def test_step_series_uses_the_mean_above_eight_elements():
    grad = np.arange(12, dtype=np.float32).reshape(3, 4)
    xs, ys, labels = step_series([GradRecord(1, grad)], end_step=1)
    assert labels == ["mean"]
    assert ys[:, 0].tolist() == [grad.mean()] * 2
    assert xs.tolist() == [1, 2]  # the last step still has a width


def test_plot_draws_one_curve_per_element(qtbot):
    plot = GradHistoryPlot()
    qtbot.addWidget(plot)
    plot.show_history("x", [GradRecord(1, np.ones((2, 2), np.float32))], end_step=3)
    assert len(plot.curve_data()) == 4
    plot.show_history("x", [], end_step=3)
    assert plot.curve_data() == []


@pytest.mark.parametrize(("lo", "hi"), [(6.0, 7.0), (0.0, 3.0), (5.0, 240.0), (2.3, 2.7)])
def test_statement_axis_ticks_are_whole_numbers(qtbot, lo, hi):
    axis = StatementAxis("bottom")
    levels = axis.tickValues(lo, hi, 400)
    values = [v for _spacing, vs in levels for v in vs]
    assert all(float(v).is_integer() for v in values)
    assert all(lo <= v <= hi for v in values)
    if hi - lo >= 1:
        assert values, "a range spanning a statement shows at least one tick"


def test_step_series_of_a_rebound_name_with_another_shape_uses_the_mean():
    records = [GradRecord(1, np.array([1.0, 3.0])), GradRecord(4, np.array([6.0, 6.0, 9.0]))]
    xs, ys, labels = step_series(records, end_step=5)
    assert labels == ["mean"]
    assert ys[:, 0].tolist() == [2.0, 2.0, 7.0, 7.0]
