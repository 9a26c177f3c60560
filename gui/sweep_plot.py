"""The sweep's figure in the window: the same picture the command line writes as a PNG.

The core draws the heatmap or parallel-coordinates plot as an RGB array
(:func:`core.sweep_figure.draw_figure`); this view only shows it, scaled to fit,
so the window and the saved file never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from core.sweep_figure import draw_figure
from core.sweep_results import Group


class SweepPlot(QLabel):
    """Shows the figure of a list of summary groups; blank when no setting varies."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pixmap: QPixmap | None = None
        self.rgb: np.ndarray | None = None

    def show_groups(self, groups: Sequence[Group]) -> None:
        self.rgb = draw_figure(groups) if groups else None
        if self.rgb is None:
            self._pixmap = None
            self.clear()
            self.setText("The plot appears once more than one setting has results.")
            return
        h, w, _ = self.rgb.shape
        data = np.ascontiguousarray(self.rgb)
        image = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self._pixmap = QPixmap.fromImage(image)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        size = self._pixmap.size().boundedTo(self.size())
        self.setPixmap(self._pixmap.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        ))
