"""A pyqtgraph ViewBox whose right-click menu is built on the first right-click.

pyqtgraph builds every ViewBox's context menu (`ViewBoxMenu` with its two axis forms) with the
plot, eagerly: tens of milliseconds of the GUI thread per plot at start-up, the first one most,
for a menu most people never open. Pass `LazyMenuViewBox()` as a PlotWidget's `viewBox` (or
build a plot with `enableMenu=False` when it has no menu at all).
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu


class LazyMenuViewBox(pg.ViewBox):
    """A ViewBox with pyqtgraph's menu, made when first asked for (`getMenu`)."""

    def __init__(self, *args, enableMenu: bool = True, **kwargs) -> None:  # noqa: N803
        super().__init__(*args, enableMenu=False, **kwargs)
        self.state["enableMenu"] = enableMenu

    def _applyMenuEnabled(self) -> None:  # noqa: N802 (pyqtgraph API)
        # pyqtgraph's builds the menu as soon as it is enabled; here only a disabled one goes.
        if not self.menuEnabled() and self.menu is not None:
            self.menu.setParent(None)
            self.menu = None

    def getMenu(self, ev) -> ViewBoxMenu | None:  # noqa: N802 (pyqtgraph API)
        if self.menu is None and self.menuEnabled():
            self.menu = ViewBoxMenu(self)
            self.updateViewLists()  # the X/Y link lists, as pyqtgraph fills them
        return self.menu

    def getContextMenus(self, event) -> list:  # noqa: N802 (pyqtgraph API)
        menu = self.getMenu(event)
        return menu.actions() if menu is not None else []
