"""The Lessons panel as a dock on the main window's right, beside whichever lab is on screen.

A dock rather than a third tab: a step's explanation has to stay readable while the lab it
drives changes next to it. View > Lessons (Ctrl+L) and the "Lessons" button at the end of the
lab tabs show and hide it; whether it is shown is remembered (`lessons/visible`). Open at
1280x720 the Tensor Lab turns to two columns (the tensor list and the code become tabs beside
the graph) so nothing scrolls sideways; the step scrolls as a page when the dock is short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.labs import GRAPH_VIEW, Lab
from playground.core.lessons.runner import StepOutcome
from playground.ui.lessons.panel import LessonsPanel
from playground.ui.widgets.qt_parts import qt_part

if TYPE_CHECKING:
    from playground.core.network.session import NetworkSession
    from playground.core.tensorlab.workspace import Message, Workspace
    from playground.core.training.session import TrainingSession

VISIBLE_KEY = "lessons/visible"
DOCK_WIDTH = 320  # a step's text reads at the default font; the lab keeps the rest


class LabNavigator(Protocol):
    """What a lesson step may do to the labs beside it (the main window provides it)."""

    def show_lab(self, lab: Lab) -> None:
        """Bring `lab` on screen."""

    def show_graph(self) -> None:
        """Bring the Tensor Lab's autograd graph on screen."""

    def show_tensor_messages(self, messages: list[Message]) -> None:
        """Show torch's messages in the Tensor Lab's message strip."""


class LessonsDock(QtWidgets.QDockWidget):
    """Holds a LessonsPanel and lets its steps show the lab they drive."""

    def __init__(self, workspace: Workspace, training_session: TrainingSession,
                 navigator: LabNavigator, settings: QtCore.QSettings,
                 parent: QtWidgets.QWidget | None = None,
                 network_session: NetworkSession | None = None,
                 lessons: tuple[list, list[str]] | None = None) -> None:
        """`lessons`: the shipped lessons already read, (lessons, errors), or None to read them."""
        super().__init__("Lessons", parent)
        self.setObjectName("lessonsDock")
        self.setAllowedAreas(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
                             | QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._navigator = navigator
        self._settings = settings
        self.panel = LessonsPanel(workspace, training_session, settings,
                                  network=network_session, lessons=lessons)
        self.panel.setMinimumWidth(260)
        self.setWidget(self.panel)
        for name, tip in (("qt_dockwidget_floatbutton", "Float the lessons in their own window."),
                          ("qt_dockwidget_closebutton", "Hide the lessons (View > Lessons)")):
            button = qt_part(self, QtWidgets.QAbstractButton, name)
            if button is not None:  # Qt's own title-bar buttons: say what they do too
                button.setToolTip(tip)
        self._width_before: int | None = None  # the window's width before the dock opened
        self.panel.showRequested.connect(self._show_view)
        self.panel.stepRan.connect(self._after_step)

        action = self.toggleViewAction()
        action.setText("&Lessons")
        action.setObjectName("actionShowLessons")
        action.setShortcut(QtGui.QKeySequence("Ctrl+L"))
        tip = "Show or hide the guided lessons beside the labs."
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(self._remember_visible)  # only the user's toggles are kept
        self.corner_button = QtWidgets.QToolButton(objectName="lessonsToggleButton")
        self.corner_button.setDefaultAction(action)
        self.corner_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        # No minimum width: QTabWidget lays its corner out at the size hint (more is clipped).

    def install(self, window: QtWidgets.QMainWindow, tabs: QtWidgets.QTabWidget) -> None:
        """Dock on `window`'s right, put the toggle at the end of the lab `tabs`, restore
        visibility."""
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self)
        window.resizeDocks([self], [DOCK_WIDTH], QtCore.Qt.Orientation.Horizontal)
        tabs.setCornerWidget(self.corner_button, QtCore.Qt.Corner.TopRightCorner)
        self.corner_button.show()
        # Closed on first launch: the labs' default layout fills 1280x720 without scrolling, and
        # the Lessons button beside the lab tabs is in plain sight.
        self.setVisible(_as_bool(self._settings.value(VISIBLE_KEY, False)))

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt API)
        """A window the dock had to widen (a lab's minimum width plus the dock's) goes back to
        its width when the dock closes."""
        window = self.parentWidget()
        was_visible = self.isVisible()
        if visible and not was_visible and window is not None and window.isVisible():
            self._width_before = window.width()  # before the main window makes room
        super().setVisible(visible)
        if visible or not was_visible or window is None or self.isFloating():
            return
        before, self._width_before = self._width_before, None
        if before is not None and window.width() > before and not window.isMaximized():
            QtCore.QTimer.singleShot(0, window, lambda: window.resize(before, window.height()))

    def _remember_visible(self, checked: bool) -> None:
        self._settings.setValue(VISIBLE_KEY, bool(checked))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt API)
        # The title bar's close button (closing the main window sends no close to its docks).
        self._remember_visible(False)
        super().closeEvent(event)

    def _show_view(self, view: str) -> None:
        if view in (Lab.TRAINING, Lab.NETWORK):
            self._navigator.show_lab(Lab(view))
        elif view == GRAPH_VIEW:
            self._navigator.show_graph()
        else:
            self._navigator.show_lab(Lab.TENSOR)

    def _after_step(self, outcome: StepOutcome) -> None:
        # A refused or failing statement leaves the log as it was (no refresh follows), so the
        # Tensor Lab's message strip is told directly, with torch's own text.
        failed = [r for r in outcome.results if not r.ok]
        if failed:
            self._navigator.show_tensor_messages(failed[0].messages)


def _as_bool(value: object) -> bool:
    """QSettings' ini files give "true"/"false" strings back."""
    if isinstance(value, str):
        return value.lower() not in ("false", "0", "")
    return bool(value)
