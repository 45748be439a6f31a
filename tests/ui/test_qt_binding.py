"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every void method call; the live
plots make thousands of such calls a second and the interpreter aborted with `none_dealloc`.
This test fails with a clear message instead of a crash if such a build is ever installed.
"""

import sys

from PySide6 import QtWidgets


def test_void_method_calls_keep_none_refcount(qtbot):
    label = QtWidgets.QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("x")
    drift = sys.getrefcount(None) - before
    assert drift > -50, (
        f"None lost {-drift} references over 200 QLabel.setText calls: this PySide6 build "
        "corrupts reference counts; install the version pinned in constraints.txt")
