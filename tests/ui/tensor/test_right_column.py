"""The Graph tab gets the room it needs: two thirds of the right column while it is shown."""

from __future__ import annotations

from PySide6 import QtWidgets


def test_graph_tab_takes_two_thirds_of_the_right_column_and_gives_it_back(playground_window,
                                                                          qtbot):
    window = playground_window()
    window.resize(1280, 720)
    tabs = window.findChild(QtWidgets.QTabWidget, "tensorPlotTabs")
    splitter = window.findChild(QtWidgets.QSplitter, "tensorRightSplitter")
    graph = window.findChild(QtWidgets.QGraphicsView, "graphView")
    qtbot.waitUntil(lambda: sum(splitter.sizes()) > 0)
    graph_index = next(i for i in range(tabs.count()) if tabs.widget(i).isAncestorOf(graph))
    tabs.setCurrentIndex(graph_index)
    top, bottom = splitter.sizes()
    assert top > 1.8 * bottom
    tabs.setCurrentIndex(0 if graph_index else 1)
    top, bottom = splitter.sizes()
    assert abs(top - bottom) <= 1
