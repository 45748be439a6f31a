"""Table models for the Tensor Lab: a tensor's values as a grid, and the list of named tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.tensorlab.workspace import TensorSummary
from playground.ui.widgets.number_text import exact_text, short_text

_Display = QtCore.Qt.ItemDataRole.DisplayRole
_Align = QtCore.Qt.ItemDataRole.TextAlignmentRole
_ToolTip = QtCore.Qt.ItemDataRole.ToolTipRole
_Font = QtCore.Qt.ItemDataRole.FontRole
_NO_INDEX = QtCore.QModelIndex()
# Built once: combining Qt flags per cell showed up as a third of a repaint's Python time.
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)


def as_grid(values: np.ndarray) -> np.ndarray:
    """A 2-D view whose row-by-row reading is the flattened tensor (0-D: 1x1, 1-D: one row)."""
    if values.ndim == 0:
        return values.reshape(1, 1)
    if values.ndim == 1:
        return values.reshape(1, -1)
    if values.ndim == 2:
        return values
    # Higher ranks: keep the last dimension as columns so rows are contiguous slices.
    last = values.shape[-1]
    return values.reshape(-1, last) if last else values.reshape(0, 0)


# What the table paints: the short spelling (DisplayRole holds the exact one for automation).
SHORT_TEXT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


class ShortNumberDelegate(QtWidgets.QStyledItemDelegate):
    """Paints SHORT_TEXT_ROLE (0.5518012) where DisplayRole is exact (0.5518012046813965)."""

    def initStyleOption(self, option: QtWidgets.QStyleOptionViewItem,  # noqa: N802 (Qt API)
                        index: QtCore.QModelIndex) -> None:
        super().initStyleOption(option, index)
        short = index.data(SHORT_TEXT_ROLE)
        if short is not None:
            option.text = short


class ArrayTableModel(QtCore.QAbstractTableModel):
    """A read-only grid over a numpy copy of a tensor; `None` means no rows at all."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._grid: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def set_array(self, values: np.ndarray | None, *, copy: bool = True) -> None:
        """Show `values` (or nothing for None); `copy=False` when the caller hands over a fresh
        copy already (a 9M-element tensor is not worth copying twice)."""
        self.beginResetModel()
        if values is None:
            self._grid, self._shape = None, ()
        else:
            held = np.array(values, copy=True) if copy else np.asarray(values)
            self._grid, self._shape = as_grid(held), tuple(held.shape)
        self.endResetModel()

    def sample_texts(self, block: int = 24, spread: int = 200) -> list[str]:
        """The painted text of a sample of cells: the top-left `block` x `block` corner (what a
        view shows first) and `spread` cells spaced evenly through the whole grid. Views size
        their columns from it without asking for every cell."""
        grid = self._grid
        if grid is None or grid.size == 0:
            return []
        corner = grid[:block, :block].reshape(-1)
        picks = np.linspace(0, grid.size - 1, min(spread, grid.size)).astype(np.int64)
        spaced = grid[np.unravel_index(picks, grid.shape)]  # no flattening copy of a big grid
        return [short_text(v) for v in (*corner, *spaced)]

    def array(self) -> np.ndarray | None:
        """The grid currently shown (a 2-D numpy array) or None."""
        return self._grid

    def rowCount(self, parent: QtCore.QModelIndex = _NO_INDEX) -> int:  # noqa: N802 (Qt API)
        if parent.isValid() or self._grid is None:
            return 0
        return int(self._grid.shape[0])

    def columnCount(self, parent: QtCore.QModelIndex = _NO_INDEX) -> int:  # noqa: N802 (Qt API)
        if parent.isValid() or self._grid is None:
            return 0
        return int(self._grid.shape[1])

    def data(self, index: QtCore.QModelIndex, role: int = _Display) -> Any:
        if not index.isValid() or self._grid is None:
            return None
        if role == _Display:
            return exact_text(self._grid[index.row(), index.column()])
        if role == SHORT_TEXT_ROLE:
            return short_text(self._grid[index.row(), index.column()])
        if role == _Align:
            return _RIGHT
        if role == _ToolTip:
            where = self._element_index(index.row(), index.column())
            return f"element {where} = {self._grid[index.row(), index.column()]}"
        return None

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = _Display
    ) -> Any:
        if role != _Display:
            return None
        return str(section)

    def _element_index(self, row: int, col: int) -> str:
        """The tensor index of a cell, e.g. `[1, 3]`, for the tooltip."""
        if len(self._shape) == 0:
            return "[]"
        if len(self._shape) == 1:
            return f"[{col}]"
        leading = np.unravel_index(row, self._shape[:-1]) if len(self._shape) > 2 else (row,)
        return "[" + ", ".join(str(int(i)) for i in (*leading, col)) + "]"


class TensorListModel(QtCore.QAbstractTableModel):
    """One row per named tensor: name, shape, requires_grad and a grad_fn badge."""

    HEADERS = ("name", "shape", "requires_grad", "grad_fn")
    BADGE_COLUMN = 3

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TensorSummary] = []

    def set_facts(self, facts: Sequence[TensorSummary]) -> None:
        """Replace every row (the workspace is small, so a reset is cheap and simple)."""
        self.beginResetModel()
        self._rows = list(facts)
        self.endResetModel()

    def names(self) -> list[str]:
        return [f.name for f in self._rows]

    def row_of(self, name: str | None) -> int:
        """Row index of `name`, or -1."""
        for row, facts in enumerate(self._rows):
            if facts.name == name:
                return row
        return -1

    def rowCount(self, parent: QtCore.QModelIndex = _NO_INDEX) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QtCore.QModelIndex = _NO_INDEX) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QtCore.QModelIndex, role: int = _Display) -> Any:
        if not index.isValid():
            return None
        facts, col = self._rows[index.row()], index.column()
        if role == _Display:
            return self._display(facts, col)
        if role == _ToolTip:
            return self._tooltip(facts)
        if role == _Font and col == 0:
            font = QtGui.QFont()
            font.setBold(True)
            return font
        if role == _Align and col in (1, 2):
            return int(QtCore.Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(  # noqa: N802 (Qt API)
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = _Display
    ) -> Any:
        if role == _Display and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    @staticmethod
    def _display(facts: TensorSummary, col: int) -> str:
        if col == 0:
            return facts.name
        if col == 1:
            return "(" + ", ".join(str(d) for d in facts.shape) + ")" if facts.shape else "scalar"
        if col == 2:
            return "True" if facts.requires_grad else "False"
        return facts.grad_fn or "None"

    @staticmethod
    def _tooltip(facts: TensorSummary) -> str:
        kind = "a leaf tensor" if facts.is_leaf else f"made by {facts.grad_fn}"
        grad = "has a .grad" if facts.has_grad else ".grad is None"
        return f"{facts.name}: {facts.dtype} {list(facts.shape)}, {kind}; {grad}."


def tensor_list_view(model: QtCore.QAbstractTableModel) -> QtWidgets.QTableView:
    """The Tensor Lab's list of named tensors (`tensorList`), read-only, one row selectable."""
    view = QtWidgets.QTableView(objectName="tensorList")
    view.setModel(model)
    view.setToolTip("Every named tensor; click one to make it the current tensor.")
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().setVisible(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view
