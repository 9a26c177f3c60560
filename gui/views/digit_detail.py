"""One digit up close: its saliency drawn over it, with a colour key, and its probabilities.

The gallery opens this panel beside its tiles when a digit is selected (and
closes it again: it is never an empty block). The saliency is the gradient of
the predicted class's score with respect to each pixel; drawn over the digit
(:func:`gui.shared.colormaps.saliency_overlay`), red where a brighter pixel would
raise the score, blue where it would lower it, transparent where it hardly
matters. Under it, all the class probabilities as bars.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.colour_key import ColourKey
from gui.shared.picture import Picture
from gui.shared.style import SPACE_M, SPACE_S

PICTURE_MIN, PICTURE_MAX = 120, 200


def grey(image: np.ndarray) -> np.ndarray:
    """An image ``(h, w)`` or ``(h, w, 3)`` as ``(h, w)`` grey."""
    a = np.asarray(image, dtype=np.float32)
    return a.mean(axis=2) if a.ndim == 3 else a


class ProbabilityBars(QWidget):
    """One row per class: its name, a bar and the percentage (true green, wrong answer red)."""

    def __init__(self) -> None:
        super().__init__()
        self._probs = np.zeros(0)
        self._names: list[str] = []
        self._true = self._pred = -1
        self.setFont(style.font("small"))

    def set_probabilities(self, probs: np.ndarray, names: list[str], true: int, pred: int) -> None:
        self._probs, self._names, self._true, self._pred = np.asarray(probs), names, true, pred
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, (self.fontMetrics().height() + 2) * max(self._probs.size, 1))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = style.palette()
        fm = self.fontMetrics()
        row = fm.height() + 2
        name_w = max((fm.horizontalAdvance(n) for n in self._names), default=0) + SPACE_S
        pct_w = fm.horizontalAdvance("100.0%") + SPACE_S
        bar_w = max(self.width() - name_w - pct_w, 10)
        for c, prob in enumerate(self._probs):
            y = c * row
            colour = pal.good if c == self._true else pal.bad if c == self._pred else pal.neutral
            p.setPen(pal.text if c in (self._true, self._pred) else pal.muted)
            p.drawText(
                QRectF(0, y, name_w - SPACE_S, row), Qt.AlignmentFlag.AlignRight, self._names[c]
            )
            p.fillRect(QRectF(name_w, y + 3, max(float(prob) * bar_w, 1.0), row - 6), colour)
            p.drawText(
                QRectF(name_w + bar_w + SPACE_S, y, pct_w, row),
                Qt.AlignmentFlag.AlignLeft,
                f"{prob:.1%}",
            )
        p.end()


class DigitDetail(QFrame):
    """The selected digit: title, picture (saliency over it or not), key and probabilities."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel()
        self._title.setObjectName("popoverTitle")
        self._title.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Close (select another digit to see it here)")
        close.clicked.connect(self.closed)
        self.overlay = QCheckBox("saliency over the digit")
        self.overlay.setChecked(True)
        self.overlay.setToolTip("Red: brighter pixels there would raise the score; blue: lower it")
        self.overlay.toggled.connect(lambda _on: self._draw())
        self.picture = Picture(PICTURE_MIN, PICTURE_MAX)
        self.key = ColourKey(cm.saliency_key, "lowers", "raises")
        self.bars = ProbabilityBars()
        self._note = QLabel()
        self._note.setObjectName("viewSummary")
        self._note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE_M, 0, 0, 0)
        layout.setSpacing(SPACE_S)
        layout.addLayout(top)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.overlay)
        layout.addWidget(self.key)
        layout.addWidget(self.bars)
        layout.addWidget(self._note)
        self._below = QVBoxLayout()
        self._below.setSpacing(SPACE_S)
        layout.addLayout(self._below)
        layout.addStretch(1)
        self._image = np.zeros((0, 0))
        self._saliency: np.ndarray | None = None
        style.on_change(self, lambda _p: self._draw())

    def add_below(self, *widgets: QWidget) -> None:
        """Put what the view offers for the digit (buttons, panels) under its details."""
        for w in widgets:
            self._below.addWidget(w)

    def texts(self) -> tuple[str, str]:
        """The title and the note, as shown."""
        return self._title.text(), self._note.text()

    def clear(self) -> None:
        """Forget the digit (the panel is about to be hidden)."""
        self._image, self._saliency = np.zeros((0, 0)), None
        self._title.setText("")
        self._note.setText("")
        self._draw()

    def show_digit(
        self,
        image: np.ndarray,
        saliency: np.ndarray | None,
        probs: np.ndarray,
        names: list[str],
        true: int,
        pred: int,
        title: str,
    ) -> None:
        self._image, self._saliency = np.asarray(image), saliency
        self._title.setText(title)
        self.bars.set_probabilities(probs, names, true, pred)
        name = names[pred] if pred < len(names) else str(pred)
        self.overlay.setText(f"saliency of “{name}” over the digit")
        if saliency is None:
            self._note.setText("No parameters in this snapshot: no saliency to show.")
        elif not np.any(saliency):
            self._note.setText("The saliency is zero everywhere: no pixel moves the score.")
        else:
            self._note.setText(
                f"Saliency: how each pixel moves the score of “{name}”. A map spread over the "
                "background means the network uses clues a person would not."
            )
        self.overlay.setEnabled(saliency is not None)
        self._draw()

    def _draw(self) -> None:
        if not self._image.size:
            self.picture.set_image(None)
            return
        if self._saliency is not None and self.overlay.isChecked():
            rgb = cm.saliency_overlay(grey(self._image), grey(self._saliency))
            self.picture.set_image(cm.rgb_qimage(rgb))
            self.key.show()
        else:
            self.picture.set_image(cm.to_qimage(self._image))
            self.key.hide()
