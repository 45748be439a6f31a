"""The window in front of a class: it fits the screen, and the wheel scrolls rather than edits."""

from __future__ import annotations

import textwrap

from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import inside, run_on_screen

# Runs in a child process whose offscreen screen is 1280x720 (this process's screen is fixed
# when its QApplication starts).
FIT_SCRIPT = textwrap.dedent("""
    import json, sys
    from PySide6 import QtCore, QtWidgets
    app = QtWidgets.QApplication([])
    from playground.ui.window.main_window import MainWindow

    def ini(name):
        return QtCore.QSettings(sys.argv[1] + "/" + name, QtCore.QSettings.Format.IniFormat)

    def rect(r):
        return [r.x(), r.y(), r.width(), r.height()]

    out = {"screen": rect(app.primaryScreen().availableGeometry())}
    first = MainWindow(settings=ini("first.ini"))
    first.show()
    app.processEvents()
    out["first"] = rect(first.frameGeometry())
    # A geometry remembered from a bigger monitor, and one that still fits.
    for name, (x, y, w, h) in (("big", (40, 30, 1900, 1100)), ("small", (60, 50, 900, 500))):
        window = MainWindow(settings=ini(name + ".ini"))
        window.setGeometry(x, y, w, h)
        window.close()  # saves its settings
        again = MainWindow(settings=ini(name + ".ini"))
        again.show()
        app.processEvents()
        out[name] = rect(again.geometry())
        again.close()
    first.close()
    print(json.dumps(out))
""")


def test_first_launch_fits_a_1280x720_screen_and_restores_only_what_fits(tmp_path):
    out = run_on_screen(FIT_SCRIPT, tmp_path, timeout=120)
    screen = out["screen"]
    assert inside(out["first"], screen), out
    # Most of the screen, not a postage stamp.
    assert out["first"][2] >= 0.8 * screen[2] and out["first"][3] >= 0.8 * screen[3], out
    assert inside(out["big"], screen), out  # the big monitor's geometry is not brought back
    assert out["small"] == [60, 50, 900, 500]  # one that fits is


def wheel(widget: QtWidgets.QWidget, steps: int = -1) -> None:
    """A mouse-wheel turn over the middle of `widget` (negative: towards the user)."""
    centre = QtCore.QPointF(widget.rect().center())
    event = QtGui.QWheelEvent(
        centre, QtCore.QPointF(widget.mapToGlobal(centre.toPoint())), QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 120 * steps), QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget, event)


def test_wheel_over_unfocused_controls_scrolls_and_changes_nothing(playground_window, qtbot):
    window = playground_window()
    window.resize(1280, 620)  # short enough that the Training Lab's controls scroll
    window.tabs.setCurrentWidget(window.training_lab)
    scroll = window.findChild(QtWidgets.QScrollArea, "trainingControlsScroll")
    bar = scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    dataset = window.findChild(QtWidgets.QComboBox, "datasetCombo")
    dataset.setCurrentIndex(dataset.findData("noisy"))  # the Noise σ control, enabled
    window.findChild(QtWidgets.QPushButton, "startButton").setFocus()
    names = ("noiseSpin", "epochsSpin", "lrSpin", "w0Spin", "optimizerCombo", "lossCombo",
             "lrSlider")
    for name in names:
        widget = window.findChild(QtWidgets.QWidget, name)
        assert widget is not None and widget.isEnabled(), name
        before = widget.value() if hasattr(widget, "value") else widget.currentIndex()
        assert not widget.hasFocus()
        for steps in (-1, 1, -1):
            wheel(widget, steps)
        after = widget.value() if hasattr(widget, "value") else widget.currentIndex()
        assert after == before, f"the wheel changed {name}: {before} -> {after}"
        assert widget.focusPolicy() != QtCore.Qt.FocusPolicy.WheelFocus
    bar.setValue(0)
    wheel(window.findChild(QtWidgets.QWidget, "w0Spin"), -2)
    assert bar.value() > 0  # the page scrolled instead


def test_a_focused_spin_box_still_takes_the_wheel(playground_window, qtbot):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    spin = window.findChild(QtWidgets.QSpinBox, "epochsSpin")
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    before = spin.value()
    wheel(spin, 1)
    assert spin.value() == before + spin.singleStep()


def test_after_a_run_the_training_lab_still_fits_720p_at_152_percent(playground_window, qtbot):
    from playground.testing import full_speed

    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    full_speed(window)
    with qtbot.waitSignal(window.training_lab.runFinished, timeout=60_000):
        window.training_lab.start()  # shows the notebook's print(y_predicted) line
    try:
        for steps, (width, height) in ((0, (1126, 633)), (3, (1280, 690))):
            window.set_zoom(steps)
            QtWidgets.QApplication.processEvents()
            needed = window.minimumSizeHint()
            assert needed.width() <= width and needed.height() <= height, (steps, needed)
    finally:
        window.set_zoom(0)
