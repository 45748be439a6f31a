"""The core's Event: bound methods are held weakly, plain functions strongly."""

from __future__ import annotations

import gc

from playground.core.events import Event


class View:
    def __init__(self, event: Event) -> None:
        self.seen: list[int] = []
        event.connect(self.on_changed)

    def on_changed(self, value: int) -> None:
        self.seen.append(value)


def test_a_collected_view_is_no_longer_called():
    event = Event()
    calls: list[int] = []

    class Spy(View):
        def on_changed(self, value: int) -> None:
            calls.append(value)

    view = Spy(event)
    event.emit(1)
    del view
    gc.collect()
    event.emit(2)
    assert calls == [1]
    assert len(event) == 0


def test_a_live_view_is_called_once_per_emit_however_often_it_connects():
    event = Event()
    view = View(event)
    event.connect(view.on_changed)
    event.emit(3)
    assert view.seen == [3]
    event.disconnect(view.on_changed)
    event.emit(4)
    assert view.seen == [3]


def test_a_lambda_connected_inline_stays_alive_until_disconnected():
    event = Event()
    seen: list[int] = []
    callback = lambda v: seen.append(v)  # noqa: E731
    event.connect(callback)
    event.connect(lambda v: seen.append(-v))
    gc.collect()
    event.emit(5)
    assert seen == [5, -5]
    event.disconnect(callback)
    event.emit(6)
    assert seen == [5, -5, -6]


def test_a_callback_may_disconnect_itself_while_emitting():
    event = Event()
    seen: list[str] = []

    def once(_v: int) -> None:
        seen.append("once")
        event.disconnect(once)

    event.connect(once)
    event.connect(lambda _v: seen.append("always"))
    event.emit(0)
    event.emit(0)
    assert seen == ["once", "always", "always"]
