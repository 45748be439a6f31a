"""Qt views of the core models: the main window and one widget per lab."""

from playground.ui.window.main_window import MainWindow

__all__ = ["MainWindow"]
