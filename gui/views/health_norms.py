"""The health panel's time series: weight and gradient norms, and dead units, per epoch.

Two plots that share their epoch axis: per layer, the L2 norm of the weights (solid)
and of the last batch's gradient (dashed) on a log scale, and per hidden layer the
share of dead units. One item per layer and series, made when the number of layers
is known and updated with ``setData``; live changes are marked on both, their
labels stacked (:class:`~gui.views.curve_marks.MarkerLayer`). The epoch axes span
the snapshots and markers shown, ticked at whole epochs.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.shared import style
from gui.views.curve_marks import MarkerLayer
from gui.views.health_parts import colour_key, epoch_ticks, health_plot
from gui.views.health_series import HealthSeries

#: Change markers kept on the time series (the newest).
MAX_MARKERS = 20
NORMS_TITLE = "Weight ‖W‖ (solid) and gradient (dashed) norms"


class NormPlots:
    """The norms plot and the dead-units plot, their items per layer, and the markers."""

    def __init__(self) -> None:
        self.norms_w = health_plot(
            NORMS_TITLE, "L2 norm", "Health: weight and gradient norms", True
        )
        self.norms_w.setLabel("bottom", "epoch")
        self.dead_w = health_plot(
            "Dead units per hidden layer (constant output)", "dead (%)", "Health: dead units"
        )
        self.dead_w.setLabel("bottom", "epoch")
        self.dead_w.setYRange(0, 100, padding=0.02)
        self.markers = MarkerLayer(
            self.norms_w.getPlotItem(), self.dead_w.getPlotItem(), MAX_MARKERS
        )
        self._weight: list[pg.PlotDataItem] = []
        self._grad: list[pg.PlotDataItem] = []
        self._dead: list[pg.PlotDataItem] = []

    def key(self) -> str:
        """HTML naming each layer's colour."""
        return colour_key([f"layer {l + 1}" for l in range(len(self._weight))])

    def build(self, n_layers: int, n_hidden: int) -> None:
        """One item per layer (norms) and per hidden layer (dead units)."""
        norms, dead = self.norms_w.getPlotItem(), self.dead_w.getPlotItem()
        for item in (*self._weight, *self._grad):
            norms.removeItem(item)
        for item in self._dead:
            dead.removeItem(item)
        self._weight = [norms.plot(symbol="o", symbolPen=None) for _ in range(n_layers)]
        self._grad = [norms.plot() for _ in range(n_layers)]
        self._dead = [dead.plot(symbol="o", symbolPen=None) for _ in range(n_hidden)]
        self.colour()

    def colour(self) -> None:
        p = style.palette()
        for l, item in enumerate(self._weight):
            item.setPen(style.pen(p.category(l), 2.0))
            item.setSymbolBrush(p.category(l))
        for l, item in enumerate(self._grad):
            item.setPen(style.pen(p.category(l), 1.5, "dash"))
        for l, item in enumerate(self._dead):
            item.setPen(style.pen(p.category(l), 2.0))
            item.setSymbolBrush(p.category(l))
        self.markers.restyle()

    def draw(self, s: HealthSeries) -> None:
        x = np.asarray(s.x)
        dots = 8 if len(x) <= 2 else 4  # a lone snapshot (an opened checkpoint) shows plainly
        for item in (*self._weight, *self._dead):
            item.setSymbolSize(dots)
        for l in range(len(self._weight)):
            self._weight[l].setData(x, np.asarray(s.weight[l]))
            self._grad[l].setData(x, np.asarray(s.grad[l]), connect="finite")
        for l, item in enumerate(self._dead):
            item.setData(x, 100.0 * np.asarray(s.dead[l]))
        self._fit_epochs(s)
        self.markers.draw()
        self.markers.arrange()

    def _fit_epochs(self, s: HealthSeries) -> None:
        """The epoch axes span the snapshots and markers shown, ticked at whole epochs."""
        xs = [*s.x, *self.markers.positions()]
        if not xs:
            style.set_title(self.norms_w.getPlotItem(), NORMS_TITLE)
            return
        lo, hi = min(xs) - 0.5, max(xs) + 0.5
        if hi - lo < 2.0:
            mid = (lo + hi) / 2
            lo, hi = mid - 1.0, mid + 1.0
        step = epoch_ticks(lo, hi)
        for w in (self.norms_w, self.dead_w):
            p = w.getPlotItem()
            p.enableAutoRange(x=False)
            p.setXRange(lo, hi, padding=0)
            p.getAxis("bottom").setTickSpacing(step, step)
        first = int(s.x[0]) if s.x else 1
        title = NORMS_TITLE + (f" · from epoch {first}" if first > 1 else "")
        style.set_title(self.norms_w.getPlotItem(), title)
