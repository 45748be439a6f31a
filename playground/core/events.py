"""A tiny Qt-free event emitter, so core models can notify views without importing Qt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A list of callbacks; views `connect` to it, the model calls `emit` after it changes."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        # Copy so a callback may disconnect itself while we iterate.
        for callback in list(self._callbacks):
            callback(*args)
