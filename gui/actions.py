"""Menu actions of the main window, made one way."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def window_action(
    window: QWidget, text: str, slot: Callable, shortcut: str | None = None, tip: str = ""
) -> QAction:
    """An action owned by ``window`` whose shortcut works anywhere in it.

    Added to the window itself as well as to whatever menu shows it, so the shortcut
    still fires when the menu bar is hidden.
    """
    a = QAction(text, window)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    a.setStatusTip(tip or text)
    a.setToolTip(tip or text)
    a.triggered.connect(slot)
    window.addAction(a)
    return a
