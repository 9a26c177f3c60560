"""A message across the top of the window, with a way forward.

Things that go wrong (a dataset that is not there, a learning rate that blew up,
a file that cannot be read) are told here in words, each with buttons that do
the obvious next thing ("Use the bundled 8x8 digits", "Set lr to 0.01 and
resume"). A banner does not block: training and the rest of the window go on.

The banner shows the session's :class:`~gui.shared.state.Notice`; closing it (or
pressing one of its buttons) emits ``dismissed``, so the session forgets the
notice and the next picture of it does not bring the message back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from gui.shared.state import Notice

LEVELS = ("info", "warning", "error")
Action = tuple[str, Callable[[], object]]


class Banner(QFrame):
    """One message at a time, coloured by level, with action buttons and a close button.

    An action closes the banner before it runs, so its own outcome (a new
    message, say) is what the person sees next.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._notice: Notice | None = None
        self.setObjectName("banner")
        self.setProperty("level", "info")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._text = QLabel()
        self._text.setObjectName("bannerText")
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._buttons: list[QPushButton] = []
        self._close = QToolButton()
        self._close.setText("✕")
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss this message")
        self._close.clicked.connect(self._on_close)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self._text, 1)
        self._layout.addWidget(self._close)
        self.hide()

    def show_message(self, text: str, level: str = "info", actions: Sequence[Action] = ()) -> None:
        """Show ``text`` (replacing any earlier message) with one button per action."""
        if level not in LEVELS:
            raise ValueError(f"banner level {level!r}: use one of {', '.join(LEVELS)}")
        for b in self._buttons:
            self._layout.removeWidget(b)
            b.deleteLater()
        self._buttons = []
        for i, (label, fn) in enumerate(actions):
            b = QPushButton(label)
            b.setToolTip(label)
            b.clicked.connect(lambda _=False, fn=fn: self._run(fn))
            self._layout.insertWidget(1 + i, b)
            self._buttons.append(b)
        self._text.setText(text)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def show_notice(self, notice: Notice | None) -> None:
        """Show the session's notice (None hides the banner); the same one is left as it is."""
        if notice is self._notice:
            return
        self._notice = notice
        if notice is None:
            self.dismiss()
        else:
            self.show_message(notice.text, notice.level, notice.actions)

    def dismiss(self) -> None:
        self.hide()
        self._text.setText("")

    def _on_close(self) -> None:
        self.dismiss()
        self.dismissed.emit()

    def text(self) -> str:
        """The message shown now ("" when hidden)."""
        return "" if self.isHidden() else self._text.text()

    @property
    def level(self) -> str:
        return str(self.property("level"))

    def action_labels(self) -> list[str]:
        return [b.text() for b in self._buttons]

    def trigger(self, label: str) -> None:
        """Press the action button labelled ``label`` (as a person would)."""
        for b in self._buttons:
            if b.text() == label:
                b.click()
                return
        raise KeyError(f"no banner action {label!r}; there are {self.action_labels()}")

    def _run(self, fn: Callable[[], object]) -> None:
        self.dismiss()
        self.dismissed.emit()
        fn()
