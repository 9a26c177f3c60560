"""How the curves' axes grow: in 1-2-5 steps, only when a curve leaves them.

Painting the axes (their tick labels and the grid) costs more than the curves, so
the view does not let pyqtgraph re-fit the ranges to every new point: the x axis
grows to 10, 20, 50 epochs, the loss axis down by 1-2-5 steps, accuracy down by
tens of percent, and the axes are redrawn a few times a run instead of ten times
a second. Once the person zooms or pans, the ranges are theirs until the next run
or the plot's "A" button.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics

from gui.views.curve_parts import step_down, step_up

#: Steps of the accuracy axis's labels, in percent.
STEPS = (5.0, 10.0, 20.0, 50.0)


class CurveRanges:
    """The ranges of a loss plot (log y) and an accuracy plot (percent) sharing their x."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem) -> None:
        self._loss, self._acc = loss, acc
        # Ranges set here: "x" (epochs), "loss" (log10 units), "acc" (percent).
        self._ranges: dict[str, tuple[float, float]] = {}
        self.steering = True  # False once the person zooms or pans, until the next run
        self._major = 0.0  # the accuracy axis's label step now

    def x(self) -> tuple[float, float]:
        """The epochs the x axis spans (``(0, 1)`` before any point)."""
        return self._ranges.get("x", (0.0, 1.0))

    def restart(self) -> None:
        """Forget the ranges and steer again (a new run, fewer runs, the "A" button)."""
        self.steering = True
        self._ranges.clear()

    def fit(self, bounds: dict[str, tuple[float, float]]) -> bool:
        """Grow each range until it holds ``bounds`` (x, loss, acc: min and max of the
        curves); True when the x axis changed."""
        if not self.steering:
            return False
        wanted: dict[str, tuple[float, float]] = {}
        if "x" in bounds:
            wanted["x"] = (0.0, step_up(max(bounds["x"][1], 1.0)))
        if "loss" in bounds and bounds["loss"][0] > 0:
            lo, hi = bounds["loss"]
            wanted["loss"] = (float(np.log10(step_down(lo))), float(np.log10(step_up(hi))))
        if "acc" in bounds:
            wanted["acc"] = (min(10.0 * np.floor(bounds["acc"][0] / 10.0), 90.0), 100.0)
        x_changed = False
        for key, (lo, hi) in wanted.items():
            old = self._ranges.get(key)
            if old is not None:
                lo, hi = min(lo, old[0]), max(hi, old[1])
                if (lo, hi) == old:
                    continue
            self._ranges[key] = (lo, hi)
            if key == "x":
                self._loss.setXRange(lo, hi, padding=0.03)  # the accuracy plot follows (linked)
                x_changed = True
            elif key == "loss":
                self._loss.setYRange(lo, hi, padding=0.03)
            else:  # room for the notes' text at 100%
                self._acc.setYRange(lo, hi, padding=0.08)
                self.space_ticks()
        return x_changed

    def space_ticks(self) -> None:
        """Accuracy ticks at 5, 10, 20 or 50% steps, whichever leaves room for the labels
        on the plot's height now (a short plot gets fewer), and an axis title that fits."""
        lo, hi = self._ranges.get("acc", (80.0, 100.0))
        axis = self._acc.getAxis("left")
        height = self._acc.getViewBox().height()
        room = 2.2 * QFontMetrics(axis.style["tickFont"] or QFont()).height()
        major = next(
            (m for m in STEPS if height <= 0 or m / max(hi - lo, 1e-9) * height >= room), STEPS[-1]
        )
        if self._major != major:
            self._major = major
            axis.setTickSpacing(major, major / 2)
        # The axis title stands along the plot's height: too short for "accuracy (%)",
        # it says "%" (the ticks say it too).
        fm = QFontMetrics(axis.style["tickFont"] or QFont())
        title = (
            "accuracy (%)"
            if height <= 0 or height >= fm.horizontalAdvance("accuracy (%)") + 8
            else "%"
        )
        if axis.labelText != title:
            axis.setLabel(title)
