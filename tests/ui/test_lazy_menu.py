"""Plot context menus cost nothing at start-up: built on the first right-click, or never."""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu

from playground.ui.tensor.grad_history_plot import GradHistoryPlot
from playground.ui.training.plot_base import TrainingPlot
from playground.ui.widgets.lazy_menu import LazyMenuViewBox


def test_lazy_view_box_builds_pyqtgraphs_menu_when_first_asked(qtbot) -> None:
    widget = pg.PlotWidget(viewBox=LazyMenuViewBox())
    qtbot.addWidget(widget)
    box = widget.getPlotItem().getViewBox()
    assert box.menu is None and box.menuEnabled()
    menu = box.getMenu(None)
    assert isinstance(menu, ViewBoxMenu)
    assert "View All" in [action.text() for action in menu.actions()]
    assert box.getMenu(None) is menu  # once
    assert box.getContextMenus(None) == menu.actions()


def test_lazy_view_box_menu_follows_set_menu_enabled(qtbot) -> None:
    widget = pg.PlotWidget(viewBox=LazyMenuViewBox())
    qtbot.addWidget(widget)
    box = widget.getPlotItem().getViewBox()
    box.getMenu(None)
    box.setMenuEnabled(False)
    assert box.menu is None and box.getMenu(None) is None and box.getContextMenus(None) == []
    box.setMenuEnabled(True)
    assert box.menu is None  # enabled again, still built only when asked for
    assert isinstance(box.getMenu(None), ViewBoxMenu)


def test_lazy_view_box_can_start_without_a_menu(qtbot) -> None:
    box = LazyMenuViewBox(enableMenu=False)
    assert not box.menuEnabled() and box.getMenu(None) is None


def test_plots_without_a_menu_never_build_one(qtbot) -> None:
    for widget in (TrainingPlot("somePlot", "Some title"), GradHistoryPlot()):
        qtbot.addWidget(widget)
        item = widget.getPlotItem()
        assert not item.menuEnabled()
        assert item.getViewBox().menu is None
        assert item.getViewBox().getContextMenus(None) == []


def test_network_loss_plot_keeps_pyqtgraphs_menu_built_on_first_right_click(qtbot) -> None:
    from playground.ui.network.boundary import NetLossPlot

    widget = NetLossPlot()
    qtbot.addWidget(widget)
    box = widget.getPlotItem().getViewBox()
    assert box.menuEnabled() and box.menu is None
    assert "View All" in [action.text() for action in box.getContextMenus(None)]
