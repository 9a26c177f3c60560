"""The Data tab's two charts: images per class in each split, and the pixel values.

:class:`CountsChart` is a grouped bar chart: for every class, one bar for the
training, validation and test sets side by side (an unbalanced class, or a split
that lacks one, shows at a glance). :class:`PixelHistogram` draws how often each
pixel value occurs in the training set, in :data:`SHOWN_BINS` bins of four 8-bit
levels each, on a log scale (MNIST is mostly exact black: a linear scale would
show one bar), one translucent area per colour channel.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.data.summary import SPLITS, DataSummary
from gui.shared import style
from gui.shared.legend import Legend

SPLIT_NAMES = dict(zip(SPLITS, ("train", "validation", "test"), strict=True))
BAR_WIDTH = 0.27
#: Bins the histogram shows (the summary's 256 levels, four to a bin).
SHOWN_BINS = 64


def split_colour(p: style.Palette, split: int) -> QColor:
    """The colour of split ``split`` (0 train, 1 validation, 2 test) in palette ``p``; the
    Evaluation tab draws the test set in the same colour."""
    return p.run(split)


def channel_colour(p: style.Palette, channel: int, channels: int) -> QColor:
    """A colour channel's line: red, green and blue; grey images one line in the training
    colour."""
    return split_colour(p, 0) if channels == 1 else p.category((3, 2, 0)[channel])


def _plot(title: str, export_name: str) -> tuple[pg.PlotWidget, pg.PlotItem]:
    widget = pg.PlotWidget()
    widget.setMinimumHeight(120)
    plot = widget.getPlotItem()
    style.set_title(plot, title)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    style.grid(plot, x=False)
    style.style_view(widget, export_name)
    return widget, plot


def class_ticks(names: tuple[str, ...]) -> list[tuple[int, str]]:
    """Tick labels for one slot per class: the names when they are short, else numbers."""
    short = all(len(n) <= 3 for n in names) or (
        len(names) <= 10 and all(len(n) <= 8 for n in names)
    )
    step = max(1, len(names) // 20)  # at most ~20 labels
    return [(i, n if short else str(i)) for i, n in enumerate(names) if i % step == 0]


class CountsChart(QWidget):
    """Images of each class in the training, validation and test sets, as grouped bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget, self.plot = _plot("Images per class", "Data: images per class")
        self.plot.setLabel("left", "images")
        self.legend = Legend()  # beside the bars, never over them
        self._bars = []
        for _split in SPLITS:
            bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, pen=None)
            self.plot.addItem(bars)
            self._bars.append(bars)
        self._counts = np.zeros((len(SPLITS), 0), dtype=np.int64)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.legend)
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        for i, bars in enumerate(self._bars):
            bars.setOpts(brush=pg.mkBrush(split_colour(p, i)))
        self.legend.set_entries(
            [(split_colour(p, i), SPLIT_NAMES[s], "box") for i, s in enumerate(SPLITS)]
        )

    def set_summary(self, summary: DataSummary | None) -> None:
        counts = np.zeros((len(SPLITS), 0), np.int64) if summary is None else summary.counts
        self._counts = np.asarray(counts)
        k = self._counts.shape[1]
        x = np.arange(k, dtype=float)
        for i, bars in enumerate(self._bars):
            bars.setOpts(x=x + (i - 1) * BAR_WIDTH, height=self._counts[i], width=BAR_WIDTH)
        names = () if summary is None else summary.class_names
        self.plot.getAxis("bottom").setTicks([class_ticks(names)])
        self.plot.setXRange(-0.6, max(k, 1) - 0.4, padding=0)
        top = float(self._counts.max()) if self._counts.size else 1.0
        self.plot.setYRange(0, top or 1.0, padding=0.04)

    def counts(self) -> np.ndarray:
        """The bar heights shown, ``(3, k)``: train, validation, test."""
        return self._counts.copy()


class PixelHistogram(QWidget):
    """How often each pixel value occurs in the training set (log scale), per channel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget, self.plot = _plot("Pixel values (training set)", "Data: pixel values")
        self.plot.setLabel("left", "pixels")
        self.plot.setLabel("bottom", "value (0 black, 1 white)")
        self.plot.setLogMode(y=True)
        self.plot.setXRange(0, 1, padding=0.01)
        self._lines: list[pg.PlotDataItem] = []
        self._histogram = np.zeros((1, 0), dtype=np.int64)
        self._summary: DataSummary | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)
        style.on_change(self, lambda _p: self.set_summary(self._summary))

    def set_summary(self, summary: DataSummary | None) -> None:
        self._summary = summary
        for line in self._lines:
            self.plot.removeItem(line)
        self._lines = []
        if summary is None:
            self._histogram = np.zeros((1, 0), dtype=np.int64)
            return
        self._histogram = np.asarray(summary.histogram)
        channels, levels = self._histogram.shape
        merged = self._histogram.reshape(channels, SHOWN_BINS, levels // SHOWN_BINS).sum(axis=2)
        edges = np.linspace(0.0, 1.0, SHOWN_BINS + 1)
        p = style.palette()
        for channel, counts in enumerate(merged):
            colour = channel_colour(p, channel, channels)
            fill = p.faded(colour, 0.6 if channels == 1 else 0.28)
            # Areas rise from 1 (the axis' foot, 10⁰): an empty bin has none.
            line = pg.PlotDataItem(
                edges,
                np.maximum(counts, 1).astype(float),
                stepMode="center",
                fillLevel=0.0,
                brush=fill,
                pen=style.pen(colour, style.WIDTH_THIN),
            )
            self.plot.addItem(line)
            self._lines.append(line)
        # Whole decades from 10⁰: the log axis labels its decades, never crowded minor ticks.
        self.plot.setYRange(0.0, np.ceil(np.log10(max(float(merged.max()), 10.0))), padding=0)

    def histogram(self) -> np.ndarray:
        """The counts drawn, ``(channels, bins)``."""
        return self._histogram.copy()
