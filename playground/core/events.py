"""A tiny Qt-free event emitter, so core models can notify views without importing Qt.

An `Event` holds a bound method weakly: a view that is collected stops being called and
needs no "is my widget still alive" guard, and a model never keeps a closed view alive.
A plain function or lambda is held strongly, because nothing else may keep it alive (a
closure connected inline would otherwise vanish at once); whoever connects one that
refers to a view must disconnect it.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any


class _Strong:
    """A reference to a plain function, called like a weak reference for one code path."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback

    def __call__(self) -> Callable[..., Any]:
        return self.callback


class Event:
    """A list of callbacks; views `connect` to it, the model calls `emit` after it changes."""

    def __init__(self) -> None:
        self._refs: list[weakref.WeakMethod | _Strong] = []

    def _find(self, callback: Callable[..., Any]) -> int:
        for i, ref in enumerate(self._refs):
            if ref() == callback:
                return i
        return -1

    def connect(self, callback: Callable[..., Any]) -> None:
        """Call `callback` on every emit until it is disconnected or its object is collected."""
        if self._find(callback) >= 0:
            return
        if inspect.ismethod(callback):
            self._refs.append(weakref.WeakMethod(callback, self._drop))
        else:
            self._refs.append(_Strong(callback))

    def disconnect(self, callback: Callable[..., Any]) -> None:
        i = self._find(callback)
        if i >= 0:
            del self._refs[i]

    def _drop(self, dead: weakref.WeakMethod) -> None:
        # The method's object was collected: forget it so the list does not grow.
        self._refs = [ref for ref in self._refs if ref is not dead]

    def emit(self, *args: Any) -> None:
        # Copy so a callback may disconnect itself while we iterate.
        for ref in list(self._refs):
            callback = ref()
            if callback is not None:
                callback(*args)

    def __len__(self) -> int:
        """How many live callbacks are connected (tests check a closed view left none)."""
        return sum(1 for ref in self._refs if ref() is not None)
