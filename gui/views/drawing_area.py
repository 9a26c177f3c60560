"""The square a digit is drawn on: white ink on black, as large as its room.

The ink lives in a fixed ``SIDE`` x ``SIDE`` grayscale image (ten pixels per pixel
of an MNIST digit, whatever the widget's size), so a stroke is the same drawing
on a small screen or a large one; the widget shows it scaled to fit and maps the
mouse into it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.shared import style

SIDE = 280  # image pixels: ten per pixel of an MNIST digit
PEN_WIDTH = 22  # about two MNIST pixels, MNIST's own stroke width
SMALLEST = 200  # the least room the square is given, in widget pixels


class DrawingArea(QWidget):
    """A square of ink: mouse strokes paint on a grayscale QImage; ``changed`` after each."""

    changed = Signal()
    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage(SIDE, SIDE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._last: QPointF | None = None
        self.setMinimumSize(SMALLEST, SMALLEST)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; the prediction follows the pen")

    def sizeHint(self) -> QSize:
        return QSize(SIDE * 2, SIDE * 2)

    # -- the square inside the widget -------------------------------------------------------
    def square(self) -> QRectF:
        """Where the drawing is shown: the largest centred square the widget holds."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_image(self, point: QPointF) -> QPointF:
        """A widget point in image pixels (0..SIDE)."""
        sq = self.square()
        scale = SIDE / max(sq.width(), 1.0)
        return QPointF((point.x() - sq.x()) * scale, (point.y() - sq.y()) * scale)

    def to_widget(self, x: float, y: float) -> QPointF:
        """Image pixel ``(x, y)`` as a widget point (where the mouse would draw it)."""
        sq = self.square()
        scale = sq.width() / SIDE
        return QPointF(sq.x() + x * scale, sq.y() + y * scale)

    # -- ink ------------------------------------------------------------------------------
    def ink(self) -> np.ndarray:
        """The drawing as ``(SIDE, SIDE)`` float32 in [0, 1], ink high."""
        bpl = self._image.bytesPerLine()
        raw = np.frombuffer(self._image.constBits(), dtype=np.uint8, count=bpl * SIDE)
        return raw.reshape(SIDE, bpl)[:, :SIDE].astype(np.float32) / 255.0

    def clear(self) -> None:
        self._image.fill(0)
        self._last = None
        self.update()
        self.changed.emit()

    def stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Paint a stroke through image points ``(x, y)`` (0..SIDE)."""
        pts = [QPointF(float(x), float(y)) for x, y in points]
        for a, b in zip(pts, pts[1:] or pts, strict=False):
            self.draw_line(a, b)

    def draw_line(self, a: QPointF, b: QPointF) -> None:
        """Paint one segment of a stroke in image pixels (a dot when ``a == b``)."""
        p = QPainter(self._image)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(QColor(255, 255, 255), PEN_WIDTH)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.drawLine(a, b)
        finally:
            p.end()
        self.update()
        self.changed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        sq = self.square()
        p.drawImage(sq, self._image)
        p.setPen(style.palette().border)
        p.drawRect(sq.adjusted(0, 0, -1, -1))
        p.end()

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self._last = self.to_image(ev.position())
            self.draw_line(self._last, self._last)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._last is not None and ev.buttons() & Qt.MouseButton.LeftButton:
            point = self.to_image(ev.position())
            self.draw_line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if self._last is not None:
            self._last = None
            self.stroke_finished.emit()
