"""The main window's size and place: fit the screen it opens on, at any resolution.

A fixed first size (1360x860) hung off a 1280x720 screen, and a geometry saved on a big monitor
came back off screen on a projector. The first launch takes a share of the screen's available
area; a remembered geometry is restored only when it still fits a screen.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

# Of the screen's available area (desktop minus panels): room to see the desktop around it.
SCREEN_SHARE = 0.88


def first_geometry(available: QtCore.QRect, share: float = SCREEN_SHARE) -> QtCore.QRect:
    """A rect `share` of `available` in each direction, centred in it."""
    size = QtCore.QSize(int(available.width() * share), int(available.height() * share))
    rect = QtCore.QRect(QtCore.QPoint(0, 0), size)
    rect.moveCenter(available.center())
    return rect


def fits_a_screen(rect: QtCore.QRect) -> bool:
    """True when `rect` lies wholly inside one screen's available area."""
    return any(screen.availableGeometry().contains(rect)
               for screen in QtGui.QGuiApplication.screens())


def saved_frame(saved: QtCore.QByteArray | bytes) -> QtCore.QRect | None:
    """The frame rect inside QWidget.saveGeometry()'s bytes, as saved (before any clamping).

    restoreGeometry() squeezes a too-big geometry into the screen on its own, so whether the
    remembered window fits is read from the bytes: magic, version, then the frame as
    left, top, right, bottom.
    """
    stream = QtCore.QDataStream(QtCore.QByteArray(saved))
    stream.setByteOrder(QtCore.QDataStream.ByteOrder.BigEndian)
    if stream.readUInt32() != 0x1D9D0CB:
        return None
    stream.readUInt16()  # major version
    stream.readUInt16()  # minor version
    left, top, right, bottom = (stream.readInt32() for _ in range(4))
    if stream.status() != QtCore.QDataStream.Status.Ok:
        return None
    return QtCore.QRect(QtCore.QPoint(left, top), QtCore.QPoint(right, bottom))


def place_window(window: QtWidgets.QWidget, saved: QtCore.QByteArray | bytes | None) -> None:
    """Restore `saved` geometry if it fits a screen now; otherwise size from the screen."""
    frame = saved_frame(saved) if saved else None
    if frame is not None and fits_a_screen(frame) and window.restoreGeometry(saved):
        return
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        return
    rect = first_geometry(screen.availableGeometry())
    window.resize(rect.size())
    window.move(rect.topLeft())
