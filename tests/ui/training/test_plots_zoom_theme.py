"""Zoom and theme reach every plot text, the colour bar and check boxes.

Sizes are measured on the items pyqtgraph draws; readability is measured on rendered pixels
(the contrast between a text's pixels and its background), not on style sheets.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from playground.testing import find, settle
from playground.ui.widgets.theme import ThemeMode


def lightness(image: QtGui.QImage, rect: QtCore.QRect) -> np.ndarray:
    """Perceived lightness (0-255) of every pixel of `rect` in `image`."""
    part = image.copy(rect).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    width, height = part.width(), part.height()
    data = np.frombuffer(part.constBits(), dtype=np.uint8, count=part.sizeInBytes())
    pixels = data.reshape(height, part.bytesPerLine() // 4, 4)[:, :width, :3].astype(float)
    blue, green, red = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return 0.299 * red + 0.587 * green + 0.114 * blue


def contrast(widget: QtWidgets.QWidget, rect: QtCore.QRect, background: QtGui.QColor) -> float:
    """How far the most distinct pixel in `rect` is from `background` in lightness."""
    image = widget.grab().toImage()
    bg = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return float(np.max(np.abs(lightness(image, rect) - bg)))


def tick_font(axis) -> QtGui.QFont:
    """The font an axis paints its tick labels in (pyqtgraph's default: the widget's font)."""
    return axis.style["tickFont"] or QtWidgets.QApplication.font()


def text_height(item: QtWidgets.QGraphicsTextItem) -> float:
    """The laid-out height of a text item's text, without its fixed document margins."""
    return item.boundingRect().height() - 2 * item.document().documentMargin()


def text_heights(window) -> dict[str, float]:
    """Heights of the plot texts zoom must scale, as laid out by pyqtgraph."""
    lab = window.training_lab
    loss = lab.loss_plot.getPlotItem()
    landscape = lab.landscape_plot
    bar = landscape.colour_bar
    grad = find(window, "gradHistoryPlot").getPlotItem()
    legend_label = loss.legend.items[0][1]
    return {
        "loss axis title": text_height(loss.getAxis("left").label),
        "epoch axis title": text_height(loss.getAxis("bottom").label),
        "loss legend": text_height(legend_label.item),
        "colour bar title": text_height(bar.getAxis("left").label),
        "colour bar ticks": QtGui.QFontMetricsF(tick_font(bar.axis)).height(),
        ".grad axis title": text_height(grad.getAxis("left").label),
        "statement # axis title": text_height(grad.getAxis("bottom").label),
        "check box": QtWidgets.QApplication.style().pixelMetric(
            QtWidgets.QStyle.PixelMetric.PM_IndicatorHeight, None,
            find(window, "logYCheck")),
    }


def test_zoom_scales_axis_titles_legends_colour_bar_and_check_boxes(playground_window):
    window = playground_window()
    window.resize(1280, 720)
    window.set_zoom(0)  # from 100 %, whatever an earlier test left the application font at
    settle(window)
    before = text_heights(window)
    window.set_zoom(3)  # 152 %
    settle(window)
    after = text_heights(window)
    window.set_zoom(0)
    for name, size in before.items():
        assert after[name] >= 1.3 * size, f"{name}: {size} -> {after[name]} at 152 %"


def test_colour_bar_ticks_fit_at_152_percent_on_720p(playground_window):
    window = playground_window()
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.training_lab)
    window.set_zoom(3)
    settle(window)
    axis = window.training_lab.landscape_plot.colour_bar.axis
    low, high = sorted(axis.range)
    painter_image = QtGui.QImage(4, 4, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(painter_image)
    painter.setFont(tick_font(axis))
    texts = [text for _rect, _flags, text in axis.generateDrawSpecs(painter)[2]]
    widest = max(painter.fontMetrics().horizontalAdvance(t) for t in texts) if texts else 0
    painter.end()
    plot = window.training_lab.landscape_plot
    right_edge = axis.sceneBoundingRect().right()
    window.set_zoom(0)
    assert right_edge <= plot.width(), "the colour bar runs past the plot's right edge"
    majors = [v for v in axis.tickValues(low, high, axis.height())[0][1] if low <= v <= high]
    assert len(texts) >= len(majors) >= 2, (texts, majors)  # none dropped for lack of room
    assert widest + axis.style["tickTextOffset"][0] + 5 <= axis.width()


def loss_plot_with_an_earlier_run(playground_window):
    """A 1280x720 window on the Training Lab whose loss plot holds a run and an earlier one."""
    window = playground_window()
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.training_lab)
    plot = window.training_lab.loss_plot
    epochs = np.arange(20, dtype=float)
    plot.set_current(epochs, np.exp(-epochs / 5))
    plot.keep_current_as_earlier("an earlier run")
    return window, plot


def test_theme_switch_recolours_legend_and_axis_text(playground_window):
    window, plot = loss_plot_with_an_earlier_run(playground_window)
    window.set_theme(ThemeMode.LIGHT)
    window.set_theme(ThemeMode.DARK)  # the legend's entries exist before the switch
    settle(window)
    background = QtGui.QColor(plot.backgroundBrush().color())
    assert background.lightness() < 80  # a dark plot
    item = plot.getPlotItem()
    for _sample, label in item.legend.items:
        text_rect = label.item.sceneBoundingRect().adjusted(2, 2, -2, -2)
        rect = plot.mapFromScene(text_rect).boundingRect()
        assert contrast(plot, rect, background) > 120, f"legend text {label.text!r} unreadable"
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        rect = plot.mapFromScene(axis.label.sceneBoundingRect()).boundingRect()
        assert contrast(plot, rect, background) > 120, f"{side} axis title unreadable"
    window.set_theme(ThemeMode.LIGHT)


def test_unchecked_check_box_is_visible_in_the_dark_theme(playground_window):
    window = playground_window()
    window.tabs.setCurrentWidget(window.training_lab)
    window.set_theme(ThemeMode.DARK)
    box = find(window, "logYCheck", QtWidgets.QCheckBox)
    box.setChecked(False)
    settle(window)
    option = QtWidgets.QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(
        QtWidgets.QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    window_colour = box.palette().color(QtGui.QPalette.ColorRole.Window)
    # The box's outline must stand out from the window around it, not only its inside.
    assert contrast(box, indicator, window_colour) > 70
    window.set_theme(ThemeMode.LIGHT)


def test_a_renamed_run_entry_takes_the_dark_theme_and_zoom(playground_window):
    window, plot = loss_plot_with_an_earlier_run(playground_window)
    window.set_theme(ThemeMode.DARK)
    font = QtGui.QFont(window.font())
    font.setPointSizeF(font.pointSizeF() * 1.5)
    plot.setFont(font)  # zoomed before the entry is renamed
    plot.set_current_name("run 7 (now)")  # a run starts: its entry is made again
    settle(window)
    background = QtGui.QColor(plot.backgroundBrush().color())
    labels = {label.text: label for _sample, label in plot.getPlotItem().legend.items}
    renamed, earlier = labels["run 7 (now)"], labels["an earlier run"]
    assert text_height(renamed.item) == text_height(earlier.item)
    rect = plot.mapFromScene(renamed.item.sceneBoundingRect().adjusted(2, 2, -2, -2))
    assert contrast(plot, rect.boundingRect(), background) > 120
    window.set_theme(ThemeMode.LIGHT)
