"""Every view's header: its title, one sentence on what it shows, and a "?" that says more.

``ViewHeader("weights")`` is all a view needs: the title and the sentence come
from the help file (:mod:`gui.shared.explain`), and the small "?" button opens a
popover with the view's two to four sentences on what it shows and what to look
for. A view may put its own controls in the header's row (a checkbox, a button)
and a short status on the right of the title ("epoch 5 · 192 units"). Where the
panel is wide enough the summary sits on the title's line; otherwise under it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.shared.explain import Explanation, explanation
from gui.shared.style import SPACE_L, SPACE_M, SPACE_S

#: Width of the help popover's text, in average characters.
POPOVER_CHARS = 62


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when it does not fit; the whole text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setToolTip(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        metrics = QFontMetrics(self.font())
        shown = metrics.elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(self.rect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)
        p.end()


class HelpPopover(QFrame):
    """A small window over the view, closed by a click elsewhere or Escape."""

    def __init__(self, about: Explanation, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("popover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        title = QLabel(about.title)
        title.setObjectName("popoverTitle")
        self._text = QLabel(about.text)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setFixedWidth(self.fontMetrics().averageCharWidth() * POPOVER_CHARS)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE_L, SPACE_M, SPACE_L, SPACE_L)
        layout.setSpacing(SPACE_S)
        layout.addWidget(title)
        layout.addWidget(self._text)

    def text(self) -> str:
        return self._text.text()

    def show_below(self, anchor: QWidget) -> None:
        """Open under ``anchor``, moved left as far as needed to stay on its screen."""
        self.adjustSize()
        below = anchor.mapToGlobal(QPoint(anchor.width(), anchor.height() + 2))
        x = below.x() - self.width()
        screen = anchor.screen().availableGeometry()
        x = min(max(x, screen.left()), screen.right() - self.width())
        y = (
            below.y()
            if below.y() + self.height() <= screen.bottom()
            else screen.bottom() - self.height()
        )
        self.move(x, y)
        self.show()


class ViewHeader(QWidget):
    """Title, status and controls on one row, the view's summary under them, a "?" at the end."""

    def __init__(self, key: str, *controls: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._about = explanation(key)
        self._popover: HelpPopover | None = None
        self._title = QLabel(self._about.title)
        self._title.setObjectName("viewTitle")
        self._status = ElidedLabel("")
        self._status.setObjectName("viewStatus")
        self._summary = ElidedLabel(self._about.summary)
        self._summary.setObjectName("viewSummary")
        self.help_button = QToolButton()
        self.help_button.setObjectName("helpButton")
        self.help_button.setText("?")
        self.help_button.setToolTip(f"What {self._about.title.lower()} show and what to look for")
        self.help_button.clicked.connect(self.open_help)

        self._controls = controls
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(SPACE_M)
        self._row.addWidget(self._title)
        self._row.addWidget(self._status, 1)
        for control in controls:
            self._row.addWidget(control)
        self._row.addWidget(self.help_button)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addLayout(self._row)
        self._layout.addWidget(self._summary)
        self._one_line = False

    @property
    def key(self) -> str:
        return self._about.key

    @property
    def one_line(self) -> bool:
        """The summary sits on the title's line (the panel is wide enough)."""
        return self._one_line

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _arrange(self, width: int) -> None:
        """Summary beside the title when title, summary, status and controls all fit."""
        fm = self._summary.fontMetrics()
        needed = (
            self._title.sizeHint().width()
            + fm.horizontalAdvance(self._summary.text())
            + fm.horizontalAdvance(self._status.text())
            + sum(c.sizeHint().width() for c in self._controls if not c.isHidden())
            + self.help_button.sizeHint().width()
            + SPACE_M * (4 + len(self._controls))
        )
        one_line = width >= needed
        if one_line == self._one_line:
            return
        self._one_line = one_line
        if one_line:  # everything fits: the summary keeps its whole width
            self._layout.removeWidget(self._summary)
            self._summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            self._row.insertWidget(1, self._summary)
        else:
            self._row.removeWidget(self._summary)
            self._summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self._layout.addWidget(self._summary)

    def title(self) -> str:
        return self._title.text()

    def summary(self) -> str:
        return self._summary.text()

    def status(self) -> str:
        return self._status.text()

    def set_status(self, text: str) -> None:
        """The short, changing part beside the title ("epoch 5 · 192 units")."""
        if text != self._status.text():
            self._status.setText(text)
            self._arrange(self.width())

    def help_text(self) -> str:
        """What the "?" says."""
        return self._about.text

    def open_help(self) -> HelpPopover:
        """Open the "?" popover (what a click on it does) and return it."""
        if self._popover is None:
            self._popover = HelpPopover(self._about, self)
        self._popover.show_below(self.help_button)
        return self._popover


def help_button(key: str, parent: QWidget | None = None) -> QToolButton:
    """A "?" on its own (for a dialog or a panel without a header): the explanation of
    ``key`` as its tooltip, and in a popover under it when clicked."""
    about = explanation(key)
    button = QToolButton(parent)
    button.setObjectName("helpButton")
    button.setText("?")
    button.setCursor(Qt.CursorShape.WhatsThisCursor)
    button.setToolTip(f"<b>{html.escape(about.title)}</b><br>{html.escape(about.text)}")
    button.setAccessibleName(f"What is this: {about.title}")
    button.clicked.connect(lambda: _popover(about, button))
    return button


def _popover(about: Explanation, anchor: QWidget) -> HelpPopover:
    popover = HelpPopover(about, anchor)
    popover.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    popover.show_below(anchor)
    return popover
