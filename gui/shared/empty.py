"""An honest empty state: a sentence saying what will appear and how, instead of bare axes.

:class:`EmptyState` holds a view's content (a plot, a grid of tiles) and shows
one line in its place until there is something to show: "Press Space to train:
the loss appears after the first batches." No axes, no ticks, no empty box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QWidget

#: The line most views show before a run: what to press.
PRESS_START = "Press Space (or Start) to train"


class EmptyState(QStackedWidget):
    """Either ``content`` or a centred message in its place."""

    def __init__(self, content: QWidget, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = QLabel(message)
        self._label.setObjectName("emptyState")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setWordWrap(True)
        self._label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._content = content
        self.addWidget(self._label)
        self.addWidget(content)
        self.setCurrentIndex(0)

    @property
    def empty(self) -> bool:
        """The message is shown, not the content."""
        return self.currentIndex() == 0

    def message(self) -> str:
        """The message, as shown ("" when the content is)."""
        return self._label.text() if self.empty else ""

    def show_message(self, message: str) -> None:
        self._label.setText(message)
        self.setCurrentIndex(0)

    def show_content(self) -> None:
        if self.currentIndex() != 1:
            self.setCurrentIndex(1)
