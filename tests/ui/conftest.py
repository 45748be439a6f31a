"""Fixtures shared by the GUI tests. The helpers that drive widgets by their objectNames
(`find`, `click`, `settle`, `table_cells`, ...) live in `playground.testing`, with the
`playground_window` fixture, so a test imports them from there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def shown(qtbot) -> Callable[..., Any]:
    """`shown(widget, width, height)`: the widget on screen at that size, closed after the test."""

    def show(widget: Any, width: int = 640, height: int = 420) -> Any:
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return show
