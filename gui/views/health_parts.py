"""Pieces of the health panel: its plots, epoch ticks, densities and the hovered digit's inset.

- :func:`health_plot`: a styled plot with a small title and muted axes;
- :func:`epoch_ticks`: whole-epoch tick spacing, at most :data:`MAX_TICKS` labels;
- :func:`density`: a histogram as a density, comparable whatever the layer's size;
- :func:`colour_key`: HTML squares naming what each colour is (layers, classes);
- :class:`DigitInset`: the digit under the mouse on the PCA map, in a corner of it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.pacing import cache_static_parts

#: Most tick labels on an epoch axis.
MAX_TICKS = 8
INSET = 84  # side of the hovered digit's picture


def epoch_ticks(lo: float, hi: float) -> float:
    """Spacing of whole-epoch ticks (1, 2, 5, 10, ...) so that at most ``MAX_TICKS`` show."""
    span = max(hi - lo, 1.0)
    step = 1.0
    while span / step > MAX_TICKS:
        for m in (2.0, 2.5, 2.0):
            step *= m
            if span / step <= MAX_TICKS:
                break
    return step


def density(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """A histogram's counts as a density: area 1 whatever the layer's size."""
    counts = np.asarray(counts, dtype=float)
    widths = np.diff(np.asarray(edges, dtype=float))
    total = counts.sum()
    return counts / (total * widths) if total > 0 else counts


def health_plot(title: str, left: str, name: str, log_y: bool = False) -> pg.PlotWidget:
    w = pg.PlotWidget()
    p = w.getPlotItem()
    style.set_title(p, title)
    p.setLabel("left", left)
    style.grid(p)
    p.setLogMode(y=log_y)
    p.getViewBox().setDefaultPadding(0.1)  # a lone point sits inside the frame, not on it
    cache_static_parts(p)
    style.style_view(w, name)
    return w


def colour_key(names: list[str]) -> str:
    """HTML: a coloured square before each name, in the palette's order."""
    p = style.palette()
    return " ".join(
        f"<span style='color:{p.category(i).name()}'>■</span>&nbsp;{n}" for i, n in enumerate(names)
    )


class DigitInset(QFrame):
    """A digit and its label, shown in the top right corner of a plot."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("popover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._picture = QLabel()
        self._picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._text = QLabel()
        self._text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(1)
        layout.addWidget(self._picture)
        layout.addWidget(self._text)
        self.hide()

    def text(self) -> str:
        return self._text.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_digit(self, image: np.ndarray, text: str) -> None:
        pix = QPixmap.fromImage(cm.to_qimage(image)).scaled(
            INSET,
            INSET,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        self._picture.setPixmap(pix)
        self._text.setText(text)
        self.adjustSize()
        self.move(self.parentWidget().width() - self.width() - 12, 30)
        self.show()
        self.raise_()
