"""A short colour key: what a colour map's two ends mean, on one line.

``lowers ▓▓▓▓▓▓ raises``: the gradient is drawn from the same colours the view
paints with (a callable giving ``(1, w, 3)`` uint8, so it follows the theme),
with a word or number at each end. Short on purpose: a key explains, the
picture beside it is what matters.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.shared import style
from gui.shared.colormaps import rgb_qimage
from gui.shared.style import SPACE_S

#: Length of the gradient in pixels.
STRIP_PX = 96


class ColourKey(QWidget):
    """``title  low [gradient] high`` in the small type."""

    def __init__(
        self,
        colours: Callable[[], np.ndarray],
        low: str = "",
        high: str = "",
        title: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._colours = colours
        self._low, self._high, self._title = low, high, title
        self.setFont(style.font("small"))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        style.on_change(self, lambda _p: self.update())

    def labels(self) -> tuple[str, str, str]:
        """``(title, low, high)`` as shown."""
        return self._title, self._low, self._high

    def set_labels(self, low: str, high: str, title: str | None = None) -> None:
        if title is not None:
            self._title = title
        if (low, high) != (self._low, self._high) or title is not None:
            self._low, self._high = low, high
            self.updateGeometry()
            self.update()

    def _parts(self) -> list[str]:
        return [t for t in (self._title, self._low) if t]

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        words = sum(fm.horizontalAdvance(t) + SPACE_S for t in [*self._parts(), self._high])
        return QSize(words + STRIP_PX + 2 * SPACE_S, fm.height() + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        fm = self.fontMetrics()
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        x = 0
        for i, t in enumerate(self._parts()):
            if i == 0 and self._title:
                p.setPen(style.palette().muted)
            else:
                p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            p.drawText(
                QRect(x, 0, fm.horizontalAdvance(t), self.height()),
                Qt.AlignmentFlag.AlignVCenter,
                t,
            )
            x += fm.horizontalAdvance(t) + SPACE_S
        strip = QRect(x, (self.height() - 8) // 2, STRIP_PX, 8)
        p.drawImage(strip, rgb_qimage(self._colours()))
        p.setPen(style.palette().border)
        p.drawRect(strip.adjusted(0, 0, -1, -1))
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        x = strip.right() + SPACE_S
        p.drawText(
            QRect(x, 0, self.width() - x, self.height()), Qt.AlignmentFlag.AlignVCenter, self._high
        )
        p.end()


def gradient(kind: str) -> Callable[[], np.ndarray]:
    """The colours of colour map ``kind`` ("diverging", "sequential") as a key strip."""
    from gui.shared import colormaps

    return lambda: colormaps.lut(kind)[None, :, :]
