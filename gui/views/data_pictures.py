"""A few training images of every class, one class per row, with the class's mean image.

The rows are labelled with the class names; the last column, set a little apart,
is the mean of all the class's training images: the "typical" picture of the
class, and how much its images vary (a blurred mean is a varied class). Tiles
are painted from QImages made once per dataset, enlarged pixel for pixel to
whatever room the widget has; with many classes the grid keeps a least tile size
and its scroll area scrolls.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from core.data.summary import DataSummary
from gui.shared import colormaps as cm
from gui.shared import style

MIN_TILE, MAX_TILE = 20, 72  # side of one image, in pixels
GAP = 3  # between two tiles
MEAN_GAP = style.SPACE_L  # between the samples and the mean column
LABEL_MAX = 110  # widest row label, in pixels (longer names are elided)


class ClassGrid(QWidget):
    """Rows of samples per class, the class names as row labels, the mean image last."""

    def __init__(self, per_class: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: tuple[str, ...] = ()
        self._rows: list[list[QImage]] = []
        self._means: list[QImage] = []
        self._columns = per_class
        self.setToolTip(
            "A few training images of each class (drawn at random, the same ones each time) "
            "and, last, the mean of all the class's training images"
        )

    # -- what is shown -----------------------------------------------------------------
    def set_summary(self, summary: DataSummary | None) -> None:
        """Show ``summary``'s samples and means (None: nothing)."""
        if summary is None:
            self._names, self._rows, self._means = (), [], []
        else:
            shape = summary.image_shape
            self._names = summary.class_names
            self._columns = summary.samples.shape[1]
            self._rows = [
                [
                    cm.to_qimage(summary.samples[c, i].reshape(shape))
                    for i in range(int(summary.shown[c]))
                ]
                for c in range(len(summary.class_names))
            ]
            self._means = [cm.to_qimage(np.reshape(m, shape)) for m in summary.means]
        self.updateGeometry()
        self.update()

    def row_labels(self) -> tuple[str, ...]:
        """The class names labelling the rows, top to bottom."""
        return self._names

    def samples_in_row(self, row: int) -> int:
        """How many sample images row ``row`` shows (its mean aside)."""
        return len(self._rows[row])

    # -- geometry ------------------------------------------------------------------------
    def _label_width(self) -> int:
        fm = self.fontMetrics()
        widest = max((fm.horizontalAdvance(n) for n in self._names), default=fm.averageCharWidth())
        return min(widest, LABEL_MAX) + 8

    def _header(self) -> int:
        return self.fontMetrics().height() + 4

    def _tile(self) -> int:
        """The side of one image: as large as both the width and the height allow."""
        k, cols = len(self._names), self._columns + 1
        if not k:
            return MAX_TILE
        across = (self.width() - self._label_width() - MEAN_GAP) // cols - GAP
        down = (self.height() - self._header()) // k - GAP
        return max(MIN_TILE, min(MAX_TILE, across, down))

    def sizeHint(self) -> QSize:
        return self._size_for(min(48, MAX_TILE))

    def minimumSizeHint(self) -> QSize:
        return self._size_for(MIN_TILE)

    def _size_for(self, tile: int) -> QSize:
        k, cols = len(self._names), self._columns + 1
        return QSize(
            self._label_width() + MEAN_GAP + cols * (tile + GAP),
            self._header() + max(k, 1) * (tile + GAP),
        )

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        if not self._names:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No dataset yet")
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        tile, label_w, top = self._tile(), self._label_width(), self._header()
        fm = p.fontMetrics()
        mean_x = label_w + self._columns * (tile + GAP) + MEAN_GAP - GAP
        colours = style.palette()
        p.setPen(colours.muted)
        p.drawText(
            QRect(label_w, 0, self._columns * (tile + GAP), top),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "samples (training set)",
        )
        p.drawText(QRect(mean_x - 10, 0, tile + 20, top), Qt.AlignmentFlag.AlignCenter, "mean")
        for c, name in enumerate(self._names):
            y = top + c * (tile + GAP)
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(
                QRect(0, y, label_w - 6, tile),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(name, Qt.TextElideMode.ElideRight, LABEL_MAX),
            )
            for i, image in enumerate(self._rows[c]):
                p.drawImage(QRect(label_w + i * (tile + GAP), y, tile, tile), image)
            p.drawImage(QRect(mean_x, y, tile, tile), self._means[c])
            p.setPen(colours.border)
            p.drawRect(QRect(mean_x - 1, y - 1, tile + 1, tile + 1))
        p.end()
