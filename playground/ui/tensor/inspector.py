"""The inspector: the current tensor's autograd facts, its values and its .grad side by side."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import signals_blocked

from playground.core.tensorlab.workspace import TensorFacts
from playground.ui.tensor.table_model import ArrayTableModel, ShortNumberDelegate

_CELL_PADDING = 10  # px around a cell's text: the delegate's margins plus a little air


def _value_label(name: str, tip: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel("—", objectName=name)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setToolTip(tip)
    return label


def _array_table(name: str, tip: str) -> QtWidgets.QTableView:
    table = QtWidgets.QTableView(objectName=name)
    table.setModel(ArrayTableModel(table))
    table.setItemDelegate(ShortNumberDelegate(table))
    table.setToolTip(tip)
    table.setAlternatingRowColors(True)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ContiguousSelection)
    # Fixed sizes set from a sample (`fit_cells`): ResizeToContents would make Qt ask the model
    # for every cell, minutes for a 3000x3000 tensor.
    for header in (table.horizontalHeader(), table.verticalHeader()):
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        header.setMinimumSectionSize(8)
    table.setHorizontalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
    table.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
    return table


def _content_width(table: QtWidgets.QTableView) -> int:
    """The width `table` needs to show a whole row without a horizontal scroll bar."""
    model = table.model()
    header = table.horizontalHeader()
    vertical = table.verticalHeader()
    label = str(max(model.rowCount() - 1, 0))
    rows_width = QtGui.QFontMetrics(vertical.font()).horizontalAdvance(label) + 8
    scroll = table.verticalScrollBar().sizeHint().width() if model.rowCount() > 8 else 0
    return (model.columnCount() * header.defaultSectionSize() + rows_width + scroll
            + 2 * table.frameWidth())


def fit_cells(table: QtWidgets.QTableView) -> None:
    """Size every column and row of `table` at once from a sample of its cells (in bounded time,
    whatever the tensor's size): one width for all columns, one height for all rows."""
    model = table.model()
    assert isinstance(model, ArrayTableModel)
    metrics = QtGui.QFontMetrics(table.font())
    texts = model.sample_texts()
    # The font is fixed-pitch, so the longest text is the widest.
    longest = max(texts, key=len, default="0")
    header = table.horizontalHeader()
    label = str(max(model.columnCount() - 1, 0))  # the widest column number
    header_width = QtGui.QFontMetrics(header.font()).horizontalAdvance(label) + _CELL_PADDING
    width = max(metrics.horizontalAdvance(longest) + _CELL_PADDING, header_width)
    header.setDefaultSectionSize(width)
    table.verticalHeader().setDefaultSectionSize(metrics.height() + 6)


class TensorInspector(QtWidgets.QGroupBox):
    """Shows one TensorFacts; the lab wires `requires_grad_check` to a statement."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Inspector", parent)
        self.setObjectName("tensorInspector")
        self.grad_fn_label = _value_label(
            "gradFnLabel", "The backward function that made this tensor; None for leaves."
        )
        self.is_leaf_label = _value_label(
            "isLeafLabel", "A leaf was created directly, not computed: only leaves get a .grad."
        )
        self.requires_grad_label = _value_label(
            "requiresGradLabel", "Whether autograd records operations on this tensor."
        )
        self.retains_grad_label = _value_label(
            "retainsGradLabel",
            "Whether this non-leaf keeps its .grad because retain_grad() was called.",
        )
        self.shape_label = _value_label("shapeLabel", "The size of each dimension; () is a scalar.")
        self.dtype_label = _value_label(
            "dtypeLabel", "The element type; only floating-point tensors can require gradients."
        )
        self.requires_grad_check = QtWidgets.QCheckBox(
            "requires_grad", objectName="currentRequiresGradCheck"
        )
        self.requires_grad_check.setToolTip(
            "Turn gradient tracking on or off for this tensor with requires_grad_(); "
            "torch only allows it on leaves."
        )
        self.values_table = _array_table("valuesTable", "The tensor's values, row by row.")
        self.grad_table = _array_table(
            "gradTable", "The accumulated gradient d(output)/d(this tensor) from backward calls."
        )
        self.grad_none_label = QtWidgets.QLabel("None", objectName="gradNoneLabel")
        self.grad_none_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.grad_none_label.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.grad_none_label.setToolTip(".grad is None: no backward has reached this tensor yet.")
        self.grad_none_label.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        self._split_for: tuple | None = None  # the widths the values/.grad split was sized for
        self._build_layout()
        self._apply_fonts()
        self.show_facts(None)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._apply_fonts()

    def _apply_fonts(self) -> None:
        """Sizes relative to the inherited font, so View > zoom scales them too."""
        big = QtGui.QFont(self.font())
        if big.pointSizeF() > 0:
            big.setPointSizeF(big.pointSizeF() * 1.6)
        big.setItalic(True)
        self.grad_none_label.setFont(big)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        if self.font().pointSizeF() > 0:
            mono.setPointSizeF(self.font().pointSizeF())
        for table in (self.values_table, self.grad_table):
            table.setFont(mono)
        self._fit_columns()  # the same numbers need wider columns in a bigger font
        bold = QtGui.QFont(self.font())
        bold.setBold(True)
        self.grad_fn_label.setFont(bold)
        # Room for the usual values whatever the current tensor, so selecting another one does
        # not resize the grid and move the tables (only an unusually long name widens it).
        for label, sample in ((self.grad_fn_label, "AccumulateGrad0"),
                              (self.shape_label, "[10, 10, 10]"),
                              (self.dtype_label, "float64"),
                              (self.is_leaf_label, "False"), (self.requires_grad_label, "False"),
                              (self.retains_grad_label, "False")):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(sample) + 4)
        check = self.requires_grad_check  # its text holds the tensor's name
        extra = check.sizeHint().width() - check.fontMetrics().horizontalAdvance(check.text())
        check.setMinimumWidth(extra + check.fontMetrics().horizontalAdvance("loss.requires_grad"))

    def _build_layout(self) -> None:
        facts = QtWidgets.QGridLayout()
        facts.setHorizontalSpacing(10)
        pairs = [
            ("grad_fn", self.grad_fn_label),
            ("is_leaf", self.is_leaf_label),
            ("requires_grad", self.requires_grad_label),
            ("retains_grad", self.retains_grad_label),
            ("shape", self.shape_label),
            ("dtype", self.dtype_label),
        ]
        for i, (caption, label) in enumerate(pairs):
            row, col = divmod(i, 2)
            name = QtWidgets.QLabel(caption + ":")
            # Muted caption that still follows the light/dark palette.
            name.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
            facts.addWidget(name, row, col * 2, QtCore.Qt.AlignmentFlag.AlignRight)
            facts.addWidget(label, row, col * 2 + 1)
            facts.setColumnStretch(col * 2 + 1, 1)
        facts.addWidget(self.requires_grad_check, 0, 4, 3, 1, QtCore.Qt.AlignmentFlag.AlignVCenter)
        self._facts = facts

        self.values_box = self._titled(self.values_table, "values")
        grad_stack = QtWidgets.QWidget()
        stack = QtWidgets.QGridLayout(grad_stack)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.addWidget(self.grad_table, 0, 0)
        stack.addWidget(self.grad_none_label, 0, 0)  # overlaid on the empty table
        self.grad_box = self._titled(grad_stack, ".grad")

        tables = QtWidgets.QSplitter(
            QtCore.Qt.Orientation.Horizontal, objectName="inspectorSplitter"
        )
        tables.addWidget(self.values_box)
        tables.addWidget(self.grad_box)
        tables.setChildrenCollapsible(False)
        self.tables_splitter = tables
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(facts)
        layout.addWidget(tables, 1)

    def set_compact(self, compact: bool) -> None:
        """A narrow lab: the requires_grad box under the facts rather than beside them."""
        self._facts.removeWidget(self.requires_grad_check)
        if compact:
            self._facts.addWidget(self.requires_grad_check, 3, 0, 1, 4)
        else:
            self._facts.addWidget(self.requires_grad_check, 0, 4, 3, 1,
                                  QtCore.Qt.AlignmentFlag.AlignVCenter)

    @staticmethod
    def _titled(widget: QtWidgets.QWidget, title: str) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        caption = QtWidgets.QLabel(title)
        font = caption.font()
        font.setBold(True)
        caption.setFont(font)
        layout.addWidget(caption)
        layout.addWidget(widget, 1)
        box.caption = caption  # type: ignore[attr-defined]
        return box

    def show_facts(self, facts: TensorFacts | None) -> None:
        """Render `facts` (None: nothing selected)."""
        values_model = self.values_table.model()
        grad_model = self.grad_table.model()
        assert isinstance(values_model, ArrayTableModel) and isinstance(grad_model, ArrayTableModel)
        if facts is None:
            self.setTitle("Inspector")
            for label in self._fact_labels():
                label.setText("—")
            self.grad_fn_label.setText("None")
            values_model.set_array(None)
            grad_model.set_array(None)
            self.grad_none_label.setVisible(False)
            with signals_blocked(self.requires_grad_check):
                self.requires_grad_check.setChecked(False)
            self.requires_grad_check.setEnabled(False)
            self.requires_grad_check.setText("requires_grad")
            self.values_box.caption.setText("values")  # type: ignore[attr-defined]
            self.grad_box.caption.setText(".grad")  # type: ignore[attr-defined]
            return
        self.setTitle(f"Inspector: {facts.name}")
        self.grad_fn_label.setText(facts.grad_fn or "None")
        self.is_leaf_label.setText(str(facts.is_leaf))
        self.requires_grad_label.setText(str(facts.requires_grad))
        self.retains_grad_label.setText(str(facts.retains_grad))
        self.shape_label.setText("(" + ", ".join(str(d) for d in facts.shape) + ")")
        self.dtype_label.setText(facts.dtype)
        with signals_blocked(self.requires_grad_check):
            self.requires_grad_check.setChecked(facts.requires_grad)
        self.requires_grad_check.setEnabled(True)
        self.requires_grad_check.setText(f"{facts.name}.requires_grad")
        # The lab hands over fresh copies or read-only views of the live tensor: no second copy.
        values_model.set_array(facts.values, copy=False)
        grad_model.set_array(facts.grad, copy=False)
        self.grad_none_label.setVisible(facts.grad is None)
        self.values_box.caption.setText(f"{facts.name} values")  # type: ignore[attr-defined]
        self.grad_box.caption.setText(f"{facts.name}.grad")  # type: ignore[attr-defined]
        self._fit_columns()

    def _fit_columns(self) -> None:
        for table in (self.values_table, self.grad_table):
            fit_cells(table)
        self._choose_orientation()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._choose_orientation()

    def _choose_orientation(self) -> None:
        """Values beside .grad when both fit across; stacked when only then a row fits whole
        (a 2x4 tensor on a 1280x720 screen), so small tensors never need sideways scrolling."""
        widths = [_content_width(t) for t in (self.values_table, self.grad_table)]
        available = self.contentsRect().width() - 8
        beside = sum(widths) + self.tables_splitter.handleWidth() <= available
        stacked = max(widths) <= available
        vertical = stacked and not beside
        wanted = QtCore.Qt.Orientation.Vertical if vertical else QtCore.Qt.Orientation.Horizontal
        if self.tables_splitter.orientation() != wanted:
            self.tables_splitter.setOrientation(wanted)
        if not beside:
            self._split_for = None
            return
        key = (tuple(widths), available)
        if key != self._split_for:  # only when the need changed: a dragged handle stays put
            self._split_for = key
            room = available - self.tables_splitter.handleWidth()
            if max(widths) <= room // 2:  # halves whatever the tensor: selecting moves nothing
                self.tables_splitter.setSizes([room // 2, room - room // 2])
                return
            spare = max(room - sum(widths), 0) // 2
            self.tables_splitter.setSizes([w + spare for w in widths])

    def _fact_labels(self) -> list[QtWidgets.QLabel]:
        return [
            self.is_leaf_label,
            self.requires_grad_label,
            self.retains_grad_label,
            self.shape_label,
            self.dtype_label,
        ]
