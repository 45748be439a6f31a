"""The Tensor Lab: a thin view over a Workspace where every click becomes one PyTorch statement.

All state lives in the workspace; every action is a statement from `core/tensorlab/statements.py` sent
through `run_source` (docs/architecture.md), so buttons, typed lines and menus agree. The view
follows the workspace's two events: `log_changed` re-renders everything from metadata plus the
current tensor's values; `current_changed` re-renders only what depends on the current tensor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import signals_blocked

from playground.core.export.tensorlab_script import to_script as tensorlab_to_script
from playground.core.files import atomic
from playground.core.tensorlab import statements
from playground.core.tensorlab.hints import hint_for, history_leaf
from playground.core.tensorlab.workspace import Message, RunResult, Workspace
from playground.ui.graph import GraphPanel
from playground.ui.tensor.backward_box import BackwardBox
from playground.ui.tensor.code_panel import CodePanel, monospace_font
from playground.ui.tensor.create_form import TensorCreateForm
from playground.ui.tensor.grad_history_plot import GradHistoryPlot
from playground.ui.tensor.hint_bar import HintBar
from playground.ui.tensor.inspector import TensorInspector
from playground.ui.tensor.statement_box import StatementBox
from playground.ui.tensor.table_model import TensorListModel, tensor_list_view
from playground.ui.widgets import file_dialogs
from playground.ui.widgets.messages import inline_message_style, show_status
from playground.ui.widgets.qt_parts import column


class TensorLab(QtWidgets.QWidget):
    """The autograd half of the playground, rendered from (and acting only through) a Workspace."""

    def __init__(self, workspace: Workspace, parent: QtWidgets.QWidget | None = None, *,
                 in_steps: bool = False) -> None:
        """`in_steps`: the caller runs `build_steps()` (the window's start-up, one step per
        event-loop turn, so none holds the GUI thread long); else the lab is whole at once."""
        super().__init__(parent)
        self.setObjectName("tensorLab")
        self._ws = workspace
        self._dark = False
        self._message_level: str | None = None
        self._list_signature: tuple | None = None
        self.build_steps: Iterator[str] = self._build_steps()
        if not in_steps:
            for _step in self.build_steps:
                pass

    def _build_steps(self) -> Iterator[str]:
        yield from self._build()
        self._connect()
        self._apply_fonts()
        self._ws.log_changed.connect(self._on_log_changed)
        self._ws.current_changed.connect(self._on_current_changed)
        self.refresh()

    # ----- public API -------------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        return self._ws

    def run_source(self, source: str) -> RunResult:
        """Run one log entry through the workspace (honouring no_grad) and show what happened."""
        # A line may take up to about a second (the work budget): show a busy cursor meanwhile.
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            result = self._ws.run(source, no_grad=self.no_grad_check.isChecked())
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        if result.ok and result.assigned and self._ws.current != result.assigned[-1]:
            self._ws.current = result.assigned[-1]  # the tensor just made becomes current
        self._show_result(result)
        self.graph_panel.show_failure(result)  # a failed backward points at its node
        if result.ok:
            self._status(f"Ran: {result.source}")
        else:
            self._status("Nothing changed: the statement was refused.")
            self.refresh()  # put toggles back to the workspace's state
        return result

    def show_messages(self, messages: list[Message]) -> None:
        """Show errors in red and warnings in amber; an empty list clears the area."""
        if not messages:
            self._message_level = None
            self.message_label.setText("")
            self._style_message()
            return
        parts = []
        for message in messages:
            parts.append(
                message.text + (f"\n→ {message.explanation}" if message.explanation else "")
            )
        self._message_level = "error" if any(m.level == "error" for m in messages) else "warning"
        self.message_label.setText("\n\n".join(parts))
        self._style_message()

    def save_script(self, path: str | Path) -> None:
        """Write the session as a runnable script (what Save as .py does, without the dialog).

        Atomic: a failed save leaves any old file whole; OSError says why it failed.
        """
        atomic.write_text(path, tensorlab_to_script(self._ws))
        self._status(f"Saved {path}")

    def backward_options(self) -> tuple[str, bool]:
        """The Backward box's gradient text and retain_graph, as Backward uses them."""
        return self.backward_box.options()

    def code_text(self) -> str:
        """The code panel's script, as Copy Code puts it on the clipboard."""
        return self.code_view.toPlainText()

    def show_graph(self) -> None:
        """Bring the autograd graph's tab on screen."""
        self.plot_tabs.setCurrentWidget(self.graph_panel)

    def set_dark(self, dark: bool) -> None:
        """Follow the main window's light/dark theme (plots and message colours)."""
        self._dark = dark
        self.grad_plot.set_dark(dark)
        self._style_message()

    def refresh(self) -> None:
        """Re-render every view from the workspace (what `log_changed` does)."""
        ws = self._ws
        summaries = ws.summaries()  # metadata only: no tensor's values are copied here
        signature = tuple(summaries)
        if signature != self._list_signature:  # a reset would drop the scroll position
            self._list_signature = signature
            self.list_model.set_facts(summaries)
            self._fit_list_width()
        self.code_panel.set_log(ws.log)
        self.create_form.suggest_name(statements.next_leaf_name(ws.names), set(ws.names))
        self._show_result(ws.last_result)
        self._refresh_current()

    def _refresh_current(self) -> None:
        """Re-render what depends on the current tensor; only its values and grad are read."""
        ws = self._ws
        current = ws.current if ws.current in ws.names else None
        self._select_row(self.list_model.row_of(current))
        # Views of the live memory, not copies: the tables read only the cells on screen.
        facts = ws.facts(current, copy=False) if current is not None else None
        self.inspector.show_facts(facts)
        leaf = history_leaf(ws, current)
        records = ws.grad_history(leaf) if leaf is not None else []
        self.grad_plot.show_history(leaf, records, len(ws.log))
        self.hint_label.setText(hint_for(ws))
        self._update_enabled(current)

    def _show_result(self, result: RunResult | None) -> None:
        """The messages and printed output of the last statement (none after New or Open)."""
        self.show_messages(result.messages if result is not None else [])
        output = result.output if result is not None else None
        self.output_label.setText(output or "")
        self.output_label.setVisible(bool(output))

    # ----- construction -----------------------------------------------------------------------

    def _build(self) -> Iterator[str]:
        self.create_form = TensorCreateForm()
        self.list_model = TensorListModel(self)
        self.tensor_list = tensor_list_view(self.list_model)
        tensors_box = QtWidgets.QGroupBox("Tensors")
        QtWidgets.QVBoxLayout(tensors_box).addWidget(self.tensor_list)
        left = column(self.create_form, tensors_box, stretch=(0, 1))

        self.inspector = TensorInspector()
        self.backward_box = BackwardBox()
        box = self.backward_box  # its parts under the lab's own names, as the lab uses them
        self.gradient_edit, self.retain_graph_check = box.gradient_edit, box.retain_graph_check
        self.backward_button = box.backward_button
        self.zero_grad_button, self.grad_none_button = box.zero_grad_button, box.grad_none_button
        self.statement_box = StatementBox()
        sb = self.statement_box  # its parts under the lab's own names, as the lab uses them
        self.statement_edit, self.run_button = sb.statement_edit, sb.run_button
        self.no_grad_check, self.ops_caption = sb.no_grad_check, sb.ops_caption
        self.op_arg_edit, self.op_buttons = sb.op_arg_edit, sb.op_buttons
        self.message_label, self.output_label = sb.message_label, sb.output_label
        sb.quickOpClicked.connect(self._run_quick_op)
        self._style_message()
        middle = column(self.statement_box, self.inspector, self.backward_box,
                        stretch=(0, 1, 0))
        yield "left and middle columns"
        self.grad_plot = GradHistoryPlot()
        # Views of the autograd state side by side; another view is one addTab away.
        self.plot_tabs = QtWidgets.QTabWidget(objectName="tensorPlotTabs")
        self.plot_tabs.setDocumentMode(True)
        self.plot_tabs.addTab(self.grad_plot, "Grad history")
        self.plot_tabs.setTabToolTip(0, "The current leaf's .grad after every statement.")
        yield "grad history plot"
        # The real autograd graph, its backward stepped with this lab's Backward options.
        self.graph_panel = GraphPanel(self._ws, backward_options=self.backward_options)
        self.plot_tabs.addTab(self.graph_panel, "Graph")
        self.graph_panel.ran.connect(self._show_result)  # a stepped backward's messages
        yield "graph"
        self.code_panel = CodePanel()
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical,
                                    objectName="tensorRightSplitter")
        right.addWidget(self.plot_tabs)
        right.addWidget(self.code_panel)
        right.setSizes([360, 360])
        right.setChildrenCollapsible(False)
        self._right = right
        # The graph needs height more than the code does: it gets two thirds while it is shown.
        self.plot_tabs.currentChanged.connect(self._share_right_column)
        yield "right column"
        self._left = left
        self._compact = False
        self._wide_need = (0, 1.0)  # (px, average character width then): see _choose_layout
        columns = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal, objectName="tensorSplitter")
        for widget in (left, middle, right):
            columns.addWidget(widget)
        for i, factor in enumerate((0, 1, 0)):  # extra width goes to the inspector's tables
            columns.setStretchFactor(i, factor)
        columns.setChildrenCollapsible(False)
        self._columns = columns
        self._sized = False
        self._list_width_hint = 0

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.hint_bar = HintBar()
        self.hint_label = self.hint_bar.hint_label
        layout.addWidget(self.hint_bar)
        # Zoomed classroom fonts can outgrow a small window: scroll rather than force it wider.
        scroll = QtWidgets.QScrollArea(objectName="tensorScroll")
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(columns)
        layout.addWidget(scroll, 1)

        self.copy_code_button = self.code_panel.copy_button
        self.save_code_button = self.code_panel.save_button
        self.code_view = self.code_panel.code_view

    # ----- a narrow lab (the Lessons dock open at 1280x720) --------------------------------------

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._choose_layout()

    def _choose_layout(self) -> None:
        """Three columns when they fit side by side; otherwise two, never a sideways scroll."""
        if not self._compact:  # measured while wide: the columns' own minimum widths
            margins = self.layout().contentsMargins()
            need = (sum(self._columns.widget(i).minimumSizeHint().width()
                        for i in range(self._columns.count()))
                    + self._columns.handleWidth() * (self._columns.count() - 1)
                    + margins.left() + margins.right() + 4)
            self._wide_need = (need, self.fontMetrics().averageCharWidth())
        need, char = self._wide_need
        need = round(need * self.fontMetrics().averageCharWidth() / max(char, 1))  # after a zoom
        if (self.width() < need) != self._compact:
            self.set_compact(self.width() < need)

    @property
    def compact(self) -> bool:
        """True while the lab is in its two-column layout."""
        return self._compact

    def set_compact(self, compact: bool) -> None:
        """Two columns for a narrow lab: the tensor list and the new-tensor form become the
        "Tensors" tab and the code panel the "Code" tab beside the graph, the quick ops and the
        inspector's facts take two rows. The statement line, inspector and graph stay in view."""
        if compact == self._compact:
            return
        self._compact = compact
        shown = self.plot_tabs.currentWidget()
        self.statement_box.set_compact(compact)
        self.inspector.set_compact(compact)
        if compact:
            self.plot_tabs.addTab(self._left, "Tensors")
            self.plot_tabs.setTabToolTip(self.plot_tabs.count() - 1,
                                         "Every named tensor, and the form that makes a new one.")
            self.plot_tabs.addTab(self.code_panel, "Code")
            self.plot_tabs.setTabToolTip(self.plot_tabs.count() - 1,
                                         "Every statement so far, as a script you can copy.")
        else:
            for page in (self._left, self.code_panel):
                self.plot_tabs.removeTab(self.plot_tabs.indexOf(page))
            self._columns.insertWidget(0, self._left)
            self._right.addWidget(self.code_panel)
            self._left.show()
            self.code_panel.show()
        self.plot_tabs.setCurrentWidget(shown)
        QtCore.QTimer.singleShot(0, self, self._apply_column_sizes)

    def _share_right_column(self, index: int) -> None:
        total = sum(self._right.sizes())
        if total <= 0 or self._right.count() < 2:  # the code panel is a tab in a narrow lab
            return
        graph = self.plot_tabs.widget(index) is self.graph_panel
        top = round(total * (2 / 3 if graph else 1 / 2))
        self._right.setSizes([top, total - top])

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._sized:  # splitter sizes only stick once the splitter has its real width
            self._sized = True
            QtCore.QTimer.singleShot(0, self, self._apply_column_sizes)  # not once deleted

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:  # View > zoom
            self._apply_fonts()
            # The children see the new font after this widget does: measure them a turn later,
            # then give the list's column the width its bigger text needs.
            QtCore.QTimer.singleShot(0, self, self._refit_after_zoom)  # not once deleted

    def _refit_after_zoom(self) -> None:
        self._fit_list_width()
        if self._sized:
            self._apply_column_sizes()

    def follow_font(self, font: QtGui.QFont) -> None:
        """View > Zoom: size the monospace fields from the zoomed application `font` now; Qt
        delivers it to the widgets a turn later."""
        self._apply_fonts(font)

    def _apply_fonts(self, base: QtGui.QFont | None = None) -> None:
        """Monospace for code-like fields, at the (possibly zoomed) inherited size."""
        mono = monospace_font(base or self.font())
        self.statement_edit.setFont(mono)
        self.output_label.setFont(mono)
        # A style-sheeted label keeps the font it was polished with: a message already shown
        # follows View > Zoom only when told.
        self.message_label.setFont(base or self.font())

    def _apply_column_sizes(self) -> None:
        width = self._columns.width()
        if self._compact:  # half for the tabs: the graph is what the lessons point at
            right = max(int(width * 0.5), self._right.minimumSizeHint().width())
            self._columns.setSizes([width - right, right])
            return
        left = max(int(width * 0.25), min(self._list_width_hint + 24, int(width * 0.34)))
        right = int(width * 0.31)
        self._columns.setSizes([left, max(width - left - right, 300), right])

    def _fit_list_width(self) -> None:
        """Let the left column show every column of the tensor list without clipping."""
        view = self.tensor_list
        header = view.horizontalHeader()
        needed = sum(
            max(view.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(self.list_model.columnCount())
        )
        needed += 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width()
        self._list_width_hint = needed  # a preference, not a minimum: zoomed fonts may scroll
        if self._sized and not self._compact:  # a longer name arrived: widen, never shrink
            sizes = self._columns.sizes()
            wanted = min(needed + 24, int(self._columns.width() * 0.34))
            if sizes and sizes[0] < wanted:
                grow = min(wanted - sizes[0], max(sizes[1] - 300, 0))  # the middle keeps 300
                self._columns.setSizes([sizes[0] + grow, sizes[1] - grow, *sizes[2:]])

    def _connect(self) -> None:
        self.create_form.create_button.clicked.connect(self._create_tensor)
        self.statement_edit.returnPressed.connect(self._run_typed)
        self.run_button.clicked.connect(self._run_typed)
        self.inspector.requires_grad_check.clicked.connect(self._toggle_requires_grad)
        self.tensor_list.selectionModel().currentRowChanged.connect(self._on_list_row_changed)
        self.backward_button.clicked.connect(self._backward)
        self.zero_grad_button.clicked.connect(self._zero_grads)
        self.grad_none_button.clicked.connect(self._grads_to_none)
        self.copy_code_button.clicked.connect(self._copy_code)
        self.save_code_button.clicked.connect(self._save_code_dialog)

    # ----- actions (each one statement through run_source) -------------------------------------

    def _create_tensor(self) -> None:
        req = self.create_form.request()
        try:
            source = statements.create(
                req.name, req.shape_text, req.init, req.values_text, req.dtype, req.requires_grad
            )
        except ValueError as exc:
            self.show_messages([Message("error", str(exc), "Fix the form field and Create again.")])
            return
        self.run_source(source)

    def _run_typed(self) -> None:
        text = self.statement_edit.text().strip()
        if not text:
            return
        self.statement_edit.remember(text)
        if self.run_source(text).ok:
            self.statement_edit.setText("")  # unlike clear(), also empties the edit's undo stack

    def _run_quick_op(self, key: str) -> None:
        current = self._ws.current
        if current is not None:
            self.run_source(
                statements.quick_op(key, current, self._ws.names, self.op_arg_edit.text())
            )

    def _toggle_requires_grad(self, checked: bool) -> None:
        if self._ws.current is not None:
            self.run_source(statements.set_requires_grad(self._ws.current, checked))

    def _backward(self) -> None:
        current = self._ws.current
        if current is None:
            return
        try:
            source = statements.backward(
                current,
                *self.backward_box.options(),
                self._ws.names,
            )
        except ValueError as exc:
            self.show_messages([Message(
                "error", str(exc), "Use empty, ones, randn, a tensor's name or [values].")])
            return
        self.run_source(source)

    def _zero_grads(self) -> None:
        if (source := statements.zero_grads(self._ws.leaves_with_grad())) is not None:
            self.run_source(source)

    def _grads_to_none(self) -> None:
        if (source := statements.grads_to_none(self._ws.leaves_with_grad())) is not None:
            self.run_source(source)

    def _copy_code(self) -> None:
        QtGui.QGuiApplication.clipboard().setText(self.code_view.toPlainText())
        self._status("Code copied to the clipboard.")

    def _save_code_dialog(self) -> None:
        path = file_dialogs.save_path(self, "Save the Tensor Lab as a Python script",
                                      "tensor_lab.py", "Python files (*.py)")
        if path:
            try:
                self.save_script(path)
            except OSError as exc:  # read-only or missing folder, full disk: say so here
                reason = exc.strerror or str(exc)
                self.show_messages([Message("error", f"Could not save {path}: {reason}",
                                            "Choose a folder you can write to and save again.")])
                self._status(f"Not saved: {reason}")

    # ----- rendering --------------------------------------------------------------------------

    def _on_log_changed(self) -> None:
        self.refresh()

    def _on_current_changed(self) -> None:
        self._refresh_current()

    def _on_list_row_changed(
        self, index: QtCore.QModelIndex, _previous: QtCore.QModelIndex
    ) -> None:
        names = self.list_model.names()
        if index.isValid() and 0 <= index.row() < len(names):
            name = names[index.row()]
            if name != self._ws.current:
                self._ws.current = name

    def _select_row(self, row: int) -> None:
        selection = self.tensor_list.selectionModel()
        with signals_blocked(selection):
            if row < 0:
                selection.clear()
            elif self.tensor_list.currentIndex().row() != row:
                index = self.list_model.index(row, 0)
                selection.setCurrentIndex(
                    index,
                    QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QtCore.QItemSelectionModel.SelectionFlag.Rows,
                )
                self.tensor_list.scrollTo(index)
        self.tensor_list.viewport().update()  # blocked signals skip the repaint

    def _update_enabled(self, current: str | None) -> None:
        has_current = current is not None
        for button in self.op_buttons.values():
            button.setEnabled(has_current)
        self.backward_button.setEnabled(has_current)
        self.ops_caption.setText(f"On {current}:" if has_current else "On current:")
        has_grads = bool(self._ws.leaves_with_grad())
        self.zero_grad_button.setEnabled(has_grads)
        self.grad_none_button.setEnabled(has_grads)

    def _style_message(self) -> None:
        level = self._message_level
        if level is None:
            self.message_label.setStyleSheet("")
            self.message_label.setVisible(False)
            return
        self.message_label.setStyleSheet(
            inline_message_style("messageLabel", level, self._dark))
        self.message_label.setVisible(True)

    def _status(self, text: str) -> None:
        show_status(self, text, 5000)
