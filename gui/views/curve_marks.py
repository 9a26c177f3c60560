"""Where a setting changed (or training diverged): dashed lines whose labels never overlap.

Each change is a vertical line on two plots that share their x axis (loss and
accuracy, or the health panel's norms and dead units) with its label on the first,
"lr 0.1→0.01", written as the control showed the values. Labels of changes close
together are stacked in rows (:func:`~gui.views.curve_parts.stack_rows`, in
pixels of the plot as it is now), so a burst of changes stays readable. Only the
newest :data:`MAX_MARKERS` are kept: every marker is painted on every frame.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from gui.shared import style
from gui.views.curve_parts import stack_rows

#: Change and divergence markers kept on the plots (the newest; older ones are removed).
MAX_MARKERS = 40
#: Rows of labels; the first sits at the top of the plot (falling loss curves leave the top
#: right free), each next one a line of text lower.
ROWS, FIRST_ROW = 4, 0.99


class MarkerLayer:
    """Labelled vertical lines on the first plot, plain ones on the second."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem, limit: int = MAX_MARKERS) -> None:
        self._loss, self._acc = loss, acc
        self._limit = limit
        # label, position, kind ("change", "diverged" or "fork"), the two lines once drawn,
        # label row
        self._markers: list[list] = []

    @property
    def waiting(self) -> bool:
        """Markers added since the last drawing."""
        return any(m[3] is None for m in self._markers)

    def labels(self) -> list[str]:
        return [m[0] for m in self._markers]

    def positions(self) -> list[float]:
        """Where the markers sit on the x axis, oldest first."""
        return [m[1] for m in self._markers]

    def rows(self) -> list[int]:
        """The label row of each marker, oldest first (0 is the top one)."""
        return [m[4] for m in self._markers]

    def add(self, x: float, label: str, kind: str) -> None:
        self._markers.append([label, x, kind, None, 0])
        while len(self._markers) > self._limit:
            self._remove(self._markers.pop(0)[3])

    def draw(self) -> None:
        """Make the lines of new markers, then place every label."""
        if not self.waiting:
            return
        for m in self._markers:
            if m[3] is None:
                m[3] = self._lines(m[0], m[1], m[2])
        self.arrange()

    def arrange(self) -> None:
        """Stack the labels in rows so that none prints over another."""
        drawn = [m for m in self._markers if m[3] is not None]
        vb = self._loss.getViewBox()
        (x0, x1), width = vb.viewRange()[0], vb.width()
        if not drawn or width <= 0 or x1 <= x0:
            return
        fm = QFontMetrics(style.font("small"))
        scale = width / (x1 - x0)
        starts = [(m[1] - x0) * scale for m in drawn]
        widths = [fm.horizontalAdvance(m[0]) + 14.0 for m in drawn]
        step = (fm.height() + 3) / max(vb.height(), 1.0)
        for m, row in zip(drawn, stack_rows(starts, widths, ROWS), strict=True):
            m[4] = row
            m[3][0].label.setPosition(max(FIRST_ROW - step * row, step))

    def restyle(self) -> None:
        for m in self._markers:
            if m[3] is not None:
                self._remove(m[3])
                m[3] = self._lines(m[0], m[1], m[2])
        self.arrange()

    def clear(self) -> None:
        for m in self._markers:
            self._remove(m[3])
        self._markers.clear()

    def _lines(self, label: str, x: float, kind: str) -> list[pg.InfiniteLine]:
        p = style.palette()
        colour = {"diverged": p.bad, "fork": p.accent}.get(kind, p.marker)
        pen = style.pen(colour, 1.4, "dash")
        lines = [
            pg.InfiniteLine(
                pos=x,
                angle=90,
                pen=pen,
                label=label,
                labelOpts={
                    "position": FIRST_ROW,
                    "color": colour,
                    "anchors": [(0, 0), (0, 0)],
                    "fill": pg.mkBrush(p.faded(p.surface, 0.85)),
                },
            ),
            pg.InfiniteLine(pos=x, angle=90, pen=pen),
        ]
        lines[0].label.setFont(style.font("small"))
        self._loss.addItem(lines[0], ignoreBounds=True)
        self._acc.addItem(lines[1], ignoreBounds=True)
        return lines

    def _remove(self, lines: list[pg.InfiniteLine] | None) -> None:
        if lines is not None:
            self._loss.removeItem(lines[0])
            self._acc.removeItem(lines[1])
