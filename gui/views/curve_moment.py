"""The timeline's cursor on the curves: where the recorded moment being viewed stands."""

from __future__ import annotations

import pyqtgraph as pg

from gui.shared import style


class MomentCursor:
    """A vertical line on both plots at the moment viewed (its label on the first), hidden
    while the views follow the live run."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem) -> None:
        self._loss, self._acc = loss, acc
        self._lines: list[pg.InfiniteLine] = []
        self._label = ""

    def position(self) -> float | None:
        """Where the cursor stands (epochs done), None when it is hidden."""
        if self._lines and self._lines[0].isVisible():
            return float(self._lines[0].value())
        return None

    def show(self, x: float | None, label: str = "") -> None:
        """Stand at ``x`` epochs done with ``label``; None hides the cursor."""
        if x is None:
            for line in self._lines:
                line.hide()
            return
        if not self._lines:
            self._make()
        self._label = label
        for line in self._lines:
            line.setValue(x)
            line.show()
        self._lines[0].label.setFormat(label)

    def restyle(self) -> None:
        """The theme changed: the lines in the new palette's accent, where they stood."""
        if not self._lines:
            return
        x, shown = self._lines[0].value(), self._lines[0].isVisible()
        for line, plot in zip(self._lines, (self._loss, self._acc), strict=True):
            plot.removeItem(line)
        self._make()
        self.show(x if shown else None, self._label)

    def _make(self) -> None:
        p = style.palette()
        pen = style.pen(p.accent, 2.0)
        opts = {
            "position": 0.92,
            "color": p.accent,
            "anchors": [(0, 0), (0, 0)],
            "fill": pg.mkBrush(p.faded(p.surface, 0.85)),
        }
        self._lines = [
            pg.InfiniteLine(angle=90, pen=pen, label="", labelOpts=opts),
            pg.InfiniteLine(angle=90, pen=pen),
        ]
        self._lines[0].label.setFont(style.font("small"))
        for line, plot in zip(self._lines, (self._loss, self._acc), strict=True):
            line.setZValue(20)
            plot.addItem(line, ignoreBounds=True)
