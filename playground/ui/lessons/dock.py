"""The Lessons panel as a dock on the main window's right, beside whichever lab is on screen.

A dock rather than a third tab: a step's explanation has to stay readable while the lab it
drives changes next to it. View > Lessons (Ctrl+L) and the "Lessons" button at the end of the
lab tabs show and hide it; whether it is shown is remembered (`lessons/visible`). Open at
1280x720 the Tensor Lab keeps its statement line, tables and buttons in view (its columns
scroll sideways rather than shrink past their minimum).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from playground.core.lessons.runner import StepOutcome
from playground.ui.lessons.panel import LessonsPanel

if TYPE_CHECKING:
    from playground.ui.window.main_window import MainWindow

VISIBLE_KEY = "lessons/visible"
DOCK_WIDTH = 330  # enough for a step's text at the default font; the lab keeps the rest


class LessonsDock(QtWidgets.QDockWidget):
    """Holds a LessonsPanel and connects it to the window's labs."""

    def __init__(self, window: MainWindow, settings: QtCore.QSettings) -> None:
        super().__init__("Lessons", window)
        self.setObjectName("lessonsDock")
        self.setAllowedAreas(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea
                             | QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._window = window
        self._settings = settings
        self.panel = LessonsPanel(window.workspace, window.training_session, settings)
        self.panel.setMinimumWidth(260)
        self.setWidget(self.panel)
        for name, tip in (("qt_dockwidget_floatbutton", "Float the lessons in their own window."),
                          ("qt_dockwidget_closebutton", "Hide the lessons (View > Lessons)")):
            button = self.findChild(QtWidgets.QAbstractButton, name)
            if button is not None:  # Qt's own title-bar buttons: say what they do too
                button.setToolTip(tip)
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

    def install(self) -> None:
        """Dock on the right, put the toggle at the end of the lab tabs, restore visibility."""
        window = self._window
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self)
        window.resizeDocks([self], [DOCK_WIDTH], QtCore.Qt.Orientation.Horizontal)
        window.tabs.setCornerWidget(self.corner_button, QtCore.Qt.Corner.TopRightCorner)
        self.corner_button.show()
        # Closed on first launch: the labs' default layout fills 1280x720 without scrolling, and
        # the Lessons button beside the lab tabs is in plain sight.
        self.setVisible(_as_bool(self._settings.value(VISIBLE_KEY, False)))

    def _remember_visible(self, checked: bool) -> None:
        self._settings.setValue(VISIBLE_KEY, bool(checked))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt API)
        # The title bar's close button (closing the main window sends no close to its docks).
        self._remember_visible(False)
        super().closeEvent(event)

    def _show_view(self, view: str) -> None:
        window = self._window
        if view == "training":
            window.tabs.setCurrentWidget(window.training_lab)
            return
        window.tabs.setCurrentWidget(window.tensor_lab)
        if view == "graph":
            tabs = window.tensor_lab.plot_tabs
            for i in range(tabs.count()):
                page = tabs.widget(i)
                if page.objectName() == "graphView" or page.findChild(
                        QtWidgets.QWidget, "graphView") is not None:
                    tabs.setCurrentIndex(i)
                    return
            window.statusBar().showMessage("The graph view is not available in this build.",
                                           5000)

    def _after_step(self, outcome: StepOutcome) -> None:
        # A refused or failing statement leaves the log as it was (no refresh follows), so the
        # Tensor Lab's message strip is told directly, with torch's own text.
        failed = [r for r in outcome.results if not r.ok]
        if failed:
            self._window.tensor_lab.show_messages(failed[0].messages)


def _as_bool(value: object) -> bool:
    """QSettings' ini files give "true"/"false" strings back."""
    if isinstance(value, str):
        return value.lower() not in ("false", "0", "")
    return bool(value)
