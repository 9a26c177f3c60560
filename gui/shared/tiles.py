"""Small pictures with captions.

:class:`TileRow` paints images side by side (wrapping after ``columns``), each
enlarged pixel for pixel to the room there is and captioned underneath in the
small type and the muted colour: the augmentation preview, the fooled digit and
the digits a run learned or unlearned use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.shared import style

GAP = style.SPACE_M  # pixels between two tiles


class TileRow(QWidget):
    """Captioned pictures, ``columns`` to a row, each at most ``max_side`` pixels wide."""

    def __init__(
        self, columns: int, min_side: int = 40, max_side: int = 120, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._columns = max(1, columns)
        self._min, self._max = min_side, max_side
        self._tiles: list[tuple[QImage, str]] = []
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setFont(style.font("small"))
        style.on_change(self, lambda _p: self.update())

    def set_tiles(self, tiles: Sequence[tuple[QImage, str]]) -> None:
        """Show ``tiles`` (image, caption) in order, replacing what was shown."""
        self._tiles = list(tiles)
        self.updateGeometry()
        self.update()

    def captions(self) -> list[str]:
        return [caption for _, caption in self._tiles]

    def _rows(self) -> int:
        return max(1, math.ceil(len(self._tiles) / self._columns))

    def _side(self, width: int) -> int:
        room = (width - (self._columns - 1) * GAP) // self._columns
        return max(self._min, min(self._max, room))

    def _caption_height(self) -> int:
        return self.fontMetrics().height() + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._rows() * (self._side(width) + self._caption_height() + GAP)

    def sizeHint(self) -> QSize:
        width = self._columns * (self._max + GAP)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        width = self._columns * (self._min + GAP)
        return QSize(width, self.heightForWidth(width))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        side = self._side(self.width())
        text_h = self._caption_height()
        colours = style.palette()
        for n, (image, caption) in enumerate(self._tiles):
            r, c = divmod(n, self._columns)
            x, y = c * (side + GAP), r * (side + text_h + GAP)
            scaled = image.size().scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(
                x + (side - scaled.width()) // 2,
                y + (side - scaled.height()) // 2,
                scaled.width(),
                scaled.height(),
            )
            p.drawImage(target, image)
            p.setPen(colours.border)
            p.drawRect(target.adjusted(0, 0, -1, -1))
            p.setPen(colours.muted)
            text = p.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideRight, side + GAP)
            p.drawText(
                QRect(x - GAP // 2, y + side + 1, side + GAP, text_h),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                text,
            )
        p.end()
