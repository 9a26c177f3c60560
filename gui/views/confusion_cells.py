"""The confusion matrix's cells: their colours and the numbers written in them.

:func:`cell_values` turns counts into what the cells show, counts or each row's
percentages, and into a colour scale where a handful of mistakes stands out beside
a diagonal of hundreds. :class:`CellText` paints every cell's number in one pass,
as large as the cell allows (three digits fit at 1280x800), dark on light cells
and light on dark ones. :func:`accuracy_floor` is where the per-class accuracy
scale starts, and :class:`ClickableImage` reports the cell a click landed on.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter

from gui.shared import style

#: Smallest readable number, in pixels; smaller cells show their colour only.
MIN_TEXT_PX = 6


def percent_text(v: float) -> str:
    """A row share in percent, at most three characters: ``96``, ``3``, ``0.4``."""
    if v <= 0:
        return ""
    return f"{v:.0f}" if v >= 0.95 else f"{v:.1f}"


def cell_values(confusion: np.ndarray, row_percent: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(heat, labels)`` for a ``(k, k)`` matrix: a colour value in [0, 1] and the text.

    Counts are coloured by ``log(1 + count)`` over the largest; row percentages by
    ``log(1 + percent)`` over ``log(101)``, so a 1% mistake is visible beside 95%.
    Empty cells off the diagonal say nothing.
    """
    c = np.asarray(confusion, dtype=np.int64)
    k = c.shape[0]
    shown = (c > 0) | np.eye(k, dtype=bool)
    if row_percent:
        rows = c.sum(axis=1, keepdims=True)
        share = np.where(rows > 0, 100.0 * c / np.maximum(rows, 1), 0.0)
        heat = np.log1p(share) / np.log1p(100.0)
        labels = np.array([[percent_text(v) for v in row] for row in share], dtype=object)
        labels = np.where(shown & (rows > 0), labels, "")
    else:
        heat = np.log1p(c.astype(float))
        top = max(float(heat.max(initial=0.0)), np.log1p(1.0))
        heat = heat / top
        labels = np.where(shown, c.astype(str), "").astype(object)
    return heat, labels


def accuracy_floor(acc: np.ndarray) -> float:
    """Where the per-class accuracy scale starts, in percent: 90, or lower in steps of 10."""
    finite = acc[np.isfinite(acc)]
    worst = 100.0 * float(finite.min()) if finite.size else 100.0
    return min(90.0, 10.0 * math.floor(worst / 10.0 - 1e-9)) if worst < 100 else 90.0


class ClickableImage(pg.ImageItem):
    """An image item that reports the pixel it was clicked on."""

    def __init__(self, on_click, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_click = on_click

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self._on_click(ev.pos().x(), ev.pos().y())
            ev.accept()


class CellText(pg.GraphicsObject):
    """Every cell's number, painted in one pass (a text item per cell costs a stall)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels = np.zeros((0, 0), dtype=object)
        self.colours: list[list[QColor]] = []
        self.font = QFont(style.font("body"))
        self.drawn_px = 0  # the numbers' size in pixels at the last paint (0: too small to draw)

    def set_cells(self, labels: np.ndarray, backgrounds: np.ndarray) -> None:
        """``labels`` ``(k, k)`` and the cells' colours ``(k, k, 3)`` (uint8) they sit on."""
        self.prepareGeometryChange()
        self.labels = labels
        self.colours = [
            [style.ink_on(QColor(*map(int, rgb))) for rgb in row] for row in backgrounds
        ]
        self.font = QFont(style.font("title", bold=True))
        self.update()

    def boundingRect(self) -> QRectF:
        k = self.labels.shape[0]
        return QRectF(0, 0, k, k)

    def paint(self, p: QPainter, *_args) -> None:
        k = self.labels.shape[0]
        if not k:
            return
        to_screen = p.transform()
        corner, far = to_screen.map(QPointF(0, 0)), to_screen.map(QPointF(1, 1))
        cell_w, cell_h = abs(far.x() - corner.x()), abs(far.y() - corner.y())
        longest = max((len(str(v)) for v in self.labels.flat), default=1)
        size = min(0.5 * cell_h, cell_w / (0.64 * max(longest, 1)), 22.0)
        self.drawn_px = round(size) if size >= MIN_TEXT_PX else 0
        if not self.drawn_px:
            return
        font = QFont(self.font)
        font.setPixelSize(round(size))
        p.save()
        p.resetTransform()  # draw text in pixels so it does not stretch with the cells
        p.setFont(font)
        for t in range(k):
            for c in range(k):
                if not self.labels[t, c]:
                    continue
                a = to_screen.map(QPointF(c, t))
                b = to_screen.map(QPointF(c + 1, t + 1))
                p.setPen(self.colours[t][c])
                p.drawText(
                    QRectF(a, b).normalized(), Qt.AlignmentFlag.AlignCenter, self.labels[t, c]
                )
        p.restore()
