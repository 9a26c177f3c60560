"""The pieces the curves are made of: growable buffers, axes that read well, label rows.

- :class:`Buffer`: ``(x, y)`` float arrays that grow by doubling, read as views;
- :class:`LogAxis`: a log axis labelled at 1-2-5 steps (pyqtgraph labels every
  minor tick it can, which piles up numbers on a short plot);
- :class:`PercentAxis`: tick labels with their "%";
- :func:`step_up` / :func:`step_down`: the 1-2-5 numbers the ranges grow to;
- :func:`stack_rows`: rows for labels that would otherwise print over one another;
- :func:`change_label`: a change as the control showed it, "lr 0.1→0.01".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg

from core.training.events import HyperparameterChanged
from gui.shared.formats import SHORT_NAMES, format_setting


class Buffer:
    """Growable ``(x, y)`` float arrays: appends are amortised O(1), reads are views."""

    def __init__(self) -> None:
        self._x = np.empty(256)
        self._y = np.empty(256)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == self._x.size:
            self._x = np.resize(self._x, 2 * self.n)
            self._y = np.resize(self._y, 2 * self.n)
        self._x[self.n], self._y[self.n] = x, y
        self.n += 1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self.n], self._y[: self.n]

    def clear(self) -> None:
        self.n = 0


class LogAxis(pg.AxisItem):
    """A log-scale axis labelled at 1-2-5 steps (0.1, 0.2, 0.5, 1, 2, ...)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Its labels are the values themselves: no "(x0.001)" scale in the axis title.
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        decades = range(math.floor(minVal), math.ceil(maxVal) + 1)
        steps = (1, 2, 5) if size / max(maxVal - minVal, 1e-9) > 60 else (1,)
        values = [d + math.log10(m) for d in decades for m in steps]
        return [(1.0, [v for v in values if minVal <= v <= maxVal])]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [f"{10.0**v:.3g}" for v in values]


class PercentAxis(pg.AxisItem):
    """Tick labels that say what they are: "95%"."""

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        return [f"{s}%" for s in super().tickStrings(values, scale, spacing)]


def step_up(v: float) -> float:
    """The smallest 1-2-5 number (..., 0.5, 1, 2, 5, 10, ...) at or above ``v`` > 0."""
    e = math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10.0**e >= v * (1 - 1e-9):
            return m * 10.0**e
    return 10.0 ** (e + 1)


def step_down(v: float) -> float:
    """The largest 1-2-5 number at or below ``v`` > 0."""
    e = math.floor(math.log10(v))
    for m in (5, 2, 1):
        if m * 10.0**e <= v * (1 + 1e-9):
            return m * 10.0**e
    return 10.0 ** (e - 1)


def stack_rows(starts: Sequence[float], widths: Sequence[float], rows: int) -> list[int]:
    """A row for each label so that labels in one row do not overlap.

    Labels start at ``starts`` (in pixels, any order) and are ``widths`` wide; each
    takes the lowest row whose last label ends before it starts. With more labels
    side by side than ``rows``, the row whose last label ends first is reused.
    """
    ends = [-math.inf] * max(rows, 1)
    out = [0] * len(starts)
    for i in sorted(range(len(starts)), key=lambda i: starts[i]):
        free = [r for r, end in enumerate(ends) if end < starts[i]]
        row = free[0] if free else min(range(len(ends)), key=ends.__getitem__)
        out[i] = row
        ends[row] = starts[i] + widths[i]
    return out


def change_label(ev: HyperparameterChanged) -> str:
    """``"lr 0.1→0.01"``: what changed, from what, to what, as its control shows it."""
    name = SHORT_NAMES.get(ev.name, ev.name)
    return f"{name} {format_setting(ev.name, ev.old)}→{format_setting(ev.name, ev.new)}"
