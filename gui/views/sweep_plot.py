"""The sweep's figure in the window: the same picture the command line writes as a PNG.

The core works out what the figure shows (:func:`core.sweep.figure.sweep_figure`);
:func:`gui.shared.figures.draw_sweep` draws it here, in the window's own colours, and
into ``sweep.png`` for the command line, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.sweep.figure import SweepFigure, sweep_figure
from core.sweep.results import Group
from gui.shared.figures import draw_sweep


class SweepPlot(pg.GraphicsLayoutWidget):
    """Shows the figure of a list of summary groups; a sentence when no setting varies."""

    EMPTY = "The plot appears once more than one setting has results."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(None)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.figure: SweepFigure | None = None
        self._empty = pg.LabelItem(self.EMPTY)
        self.addItem(self._empty)

    def show_groups(self, groups: Sequence[Group]) -> None:
        self.figure = sweep_figure(groups) if groups else None
        self._draw()

    def restyle(self) -> None:
        """Draw again in the palette now applied (after a theme switch)."""
        self._draw()

    def _draw(self) -> None:
        palette = self.palette()
        ink = palette.color(QPalette.ColorRole.WindowText).name()
        paper = palette.color(QPalette.ColorRole.Window).name()
        if self.figure is None:
            self.clear()
            self._empty = pg.LabelItem(self.EMPTY, color=ink)
            self.addItem(self._empty)
            return
        draw_sweep(self, self.figure, ink=ink, paper=paper)
