"""The sweep's figure in the window: the same picture the command line writes as a PNG.

The core works out what the figure shows (:func:`core.sweep.figure.sweep_figure`);
:func:`gui.shared.figures.draw_sweep` draws it here, in the window's own colours (and
again in the new ones when the theme switches), and into ``sweep.png`` for the
command line, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.sweep.figure import SweepFigure, sweep_figure
from core.sweep.results import Group
from gui.shared import style
from gui.shared.figures import draw_sweep


class SweepPlot(pg.GraphicsLayoutWidget):
    """Shows the figure of a list of summary groups; a sentence when no setting varies."""

    EMPTY = "The plot appears once more than one setting has results."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.figure: SweepFigure | None = None
        self._empty = pg.LabelItem(self.EMPTY)
        self.addItem(self._empty)
        self._draw()
        style.on_change(self, lambda _p: self._draw())

    def show_groups(self, groups: Sequence[Group]) -> None:
        self.figure = sweep_figure(groups) if groups else None
        self._draw()

    def _draw(self) -> None:
        p = style.palette()
        ink, paper = p.text.name(), p.surface.name()
        self.setBackground(p.surface)
        if self.figure is None:
            self.clear()
            self._empty = pg.LabelItem(self.EMPTY, color=p.muted)
            self.addItem(self._empty)
            return
        draw_sweep(self, self.figure, ink=ink, paper=paper)
        style.style_view(self, "Sweep")
