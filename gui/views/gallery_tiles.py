"""The gallery's tiles: one snapshot's samples, ranked, painted on demand.

:class:`Samples` holds a snapshot's misclassified (and least sure correct)
validation samples and the ranked selection shown; :func:`paint_tile` draws one
(the image, "true 3 → pred 5", one bar per class probability: the true class in
green, a wrong answer in red); :class:`TileModel` and :class:`TileDelegate` let a
list view paint only the visible tiles, from a QImage made once per sample.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from core.training.events import Snapshot
from gui.shared import colormaps as cm
from gui.shared import style

TILE_W, TILE_H, IMG = 108, 136, 84


class Samples:
    """One snapshot's samples and the ranked selection of them currently shown."""

    def __init__(self, snap: Snapshot | None = None) -> None:
        self.snap = snap
        n = 0 if snap is None else len(snap.sample_true)
        self.true = np.zeros(0, np.int64) if snap is None else np.asarray(snap.sample_true)
        self.pred = np.zeros(0, np.int64) if snap is None else np.asarray(snap.sample_pred)
        self.probs = np.zeros((0, 0)) if snap is None else np.asarray(snap.sample_probs)
        self.conf = self.probs[np.arange(n), self.pred] if n else np.zeros(0)
        self.names: tuple[str, ...] = () if snap is None else tuple(snap.class_names)
        self.order = np.zeros(0, dtype=np.int64)
        self._images: dict[int, QImage] = {}

    def name(self, c: int) -> str:
        return self.names[c] if c < len(self.names) else str(c)

    def select(self, true: int | None, pred: int | None) -> None:
        """Rank what the filter keeps: mistakes most confident first, a diagonal least first."""
        keep = np.ones(self.true.shape, dtype=bool)
        if true is not None:
            keep &= self.true == true
        if pred is not None:
            keep &= self.pred == pred
        diagonal = true is not None and true == pred
        if not diagonal:
            keep &= self.true != self.pred
        idx = np.flatnonzero(keep)
        key = self.conf[idx] if diagonal else -self.conf[idx]
        self.order = idx[np.argsort(key, kind="stable")]

    def image(self, i: int) -> np.ndarray:
        """Sample ``i`` as ``(h, w)`` or ``(h, w, 3)`` in [0, 1]."""
        return np.asarray(self.snap.sample_images[i]).reshape(self.snap.image_shape)

    def qimage(self, i: int) -> QImage:
        if i not in self._images:
            self._images[i] = cm.to_qimage(self.image(i))
        return self._images[i]

    def caption(self, i: int) -> str:
        return f"true {self.name(int(self.true[i]))} → pred {self.name(int(self.pred[i]))}"


def paint_tile(p: QPainter, rect: QRect, s: Samples, i: int, pal: QPalette, selected: bool) -> None:
    """Draw sample ``i`` into ``rect``: image, caption, one bar per class probability."""
    colours = style.palette()
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(colours.accent if selected else colours.border)
    p.setBrush(colours.surface)
    p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)
    if selected:
        p.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 4, 4)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    target = QRect(rect.x() + (rect.width() - IMG) // 2, rect.y() + 5, IMG, IMG)
    p.drawImage(target, s.qimage(i))

    font = QFont(p.font())
    font.setPointSizeF(style.points("small"))
    p.setFont(font)
    p.setPen(colours.text)
    text_rect = QRect(rect.x() + 3, target.bottom() + 3, rect.width() - 6, 15)
    fm = p.fontMetrics()
    caption = s.caption(i)
    if fm.horizontalAdvance(caption) > text_rect.width():  # long class names: drop the words
        caption = f"{s.name(int(s.true[i]))} → {s.name(int(s.pred[i]))}"
    caption = fm.elidedText(caption, Qt.TextElideMode.ElideRight, text_rect.width())
    p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, caption)

    probs = s.probs[i]
    k = probs.size
    bars = QRect(rect.x() + 8, text_rect.bottom() + 3, rect.width() - 16, 22)
    step = bars.width() / max(k, 1)
    t, pr = int(s.true[i]), int(s.pred[i])
    p.setPen(Qt.PenStyle.NoPen)
    for c in range(k):
        colour = colours.good if c == t else colours.bad if c == pr else colours.neutral
        h = max(1, round(float(probs[c]) * bars.height()))
        p.setBrush(colour)
        p.drawRect(
            round(bars.x() + c * step + 1), bars.bottom() - h + 1, max(1, round(step) - 2), h
        )
    p.setPen(colours.border)
    p.drawLine(bars.x(), bars.bottom() + 1, bars.right(), bars.bottom() + 1)
    # Underline the true and predicted classes' slots: visible even at probability ~0.
    p.setPen(Qt.PenStyle.NoPen)
    for c, colour in ((t, colours.good), (pr, colours.good if pr == t else colours.bad)):
        p.setBrush(colour)
        p.drawRect(round(bars.x() + c * step + 1), bars.bottom() + 2, max(1, round(step) - 2), 2)
    p.restore()


class TileModel(QAbstractListModel):
    """The shown samples as list rows; the row's data is the sample number."""

    def __init__(self) -> None:
        super().__init__()
        self.samples = Samples()

    def set_samples(self, samples: Samples) -> None:
        self.beginResetModel()
        self.samples = samples
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else int(self.samples.order.size)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        i = int(self.samples.order[index.row()])
        if role == Qt.ItemDataRole.UserRole:
            return i
        if role == Qt.ItemDataRole.ToolTipRole:
            s = self.samples
            return (
                f"validation #{int(s.snap.sample_index[i])}\n{s.caption(i)}\n"
                f"{s.conf[i]:.1%} sure of {s.name(int(s.pred[i]))}"
            )
        return None


class TileDelegate(QStyledItemDelegate):
    def __init__(self, model: TileModel) -> None:
        super().__init__()
        self._model = model

    def sizeHint(self, option, index) -> QSize:
        return QSize(TILE_W, TILE_H)

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        i = index.data(Qt.ItemDataRole.UserRole)
        paint_tile(painter, option.rect, self._model.samples, i, option.palette, selected)
