"""The Evaluation tab's plots: per class, under perturbations, and answering only when sure.

- :class:`ClassAccuracyChart`: test accuracy of each class as bars, the overall
  accuracy as a dashed line across them.
- :class:`RobustnessPlots`: accuracy against Gaussian noise, rotation, shift and
  stroke thickness, one small plot each, every curve starting at the plain
  accuracy (strength 0). Thickness is one curve: thinner strokes to the left of 0,
  thicker to the right. Chance (one over the number of classes) is a dotted line.
- :class:`CoveragePanel`: the share of test images answered against the accuracy
  of those answers, over every confidence threshold, and a slider that picks a
  threshold: a dot on the curve and the numbers in words.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from gui.shared import style
from gui.views.data_plots import class_ticks, split_colour


def test_set_colour(p: style.Palette) -> QColor:
    """The test set's colour: the Data tab's test bars are drawn in it too."""
    return split_colour(p, 2)


#: The threshold slider: position p is the threshold 1 - 10^(-p / STEPS_PER_NINE), so
#: 0.9, 0.99 and 0.999 are evenly spaced along it.
STEPS_PER_NINE = 100
MAX_NINES = 4
DEFAULT_THRESHOLD_POSITION = STEPS_PER_NINE  # 0.9
#: What each robustness plot shows: its title and x label, and the curves it joins.
PLOTS = (
    ("Gaussian noise", "σ (pixel values)", ("noise",)),
    ("Rotation", "degrees", ("rotation",)),
    ("Shift", "pixels", ("shift",)),
    ("Stroke thickness", "pixels (− thinner, + thicker)", ("thin", "thicken")),
)


def position_to_threshold(position: int) -> float:
    return 1.0 - 10.0 ** (-position / STEPS_PER_NINE) if position > 0 else 0.0


def threshold_text(t: float) -> str:
    """``0.9``, ``0.99``, ``0.977``: as many decimals as the nines need, and one more."""
    if t <= 0:
        return "0"
    decimals = max(2, math.ceil(-math.log10(max(1.0 - t, 1e-9))) + 1)
    return f"{t:.{decimals}f}".rstrip("0").rstrip(".")


def _plot(title: str, x_label: str = "", y_label: str = "") -> pg.PlotWidget:
    widget = pg.PlotWidget()
    widget.setMinimumSize(180, 100)
    plot = widget.getPlotItem()
    style.set_title(plot, title)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    style.grid(plot)
    if x_label:
        plot.setLabel("bottom", x_label)
    if y_label:
        plot.setLabel("left", y_label)
    style.style_view(widget, f"Evaluation: {title}")
    return widget


class ClassAccuracyChart(QWidget):
    """Each class's test accuracy as a bar; the overall accuracy as a dashed line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = _plot("Test accuracy per class", y_label="accuracy")
        self.plot = self.widget.getPlotItem()
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7, pen=None)
        self.plot.addItem(self._bars)
        self._overall = pg.InfiniteLine(angle=0)
        self.plot.addItem(self._overall)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        self._bars.setOpts(brush=pg.mkBrush(test_set_colour(p)))
        self._overall.setPen(style.pen(p.muted, style.WIDTH_LINE, "dash"))

    def set_evaluation(self, ev) -> None:
        acc = np.nan_to_num(np.asarray(ev.per_class, dtype=float), nan=0.0)
        self._bars.setOpts(x=np.arange(len(acc)), height=acc)
        self._overall.setValue(ev.accuracy)
        self.plot.getAxis("bottom").setTicks([class_ticks(tuple(ev.class_names))])
        self.plot.setXRange(-0.6, len(acc) - 0.4, padding=0)
        low = float(np.min(acc)) if acc.size else 0.0
        self.plot.setYRange(max(0.0, low - 0.1 * (1.0 - low) - 0.02), 1.0, padding=0.02)


class RobustnessPlots(QWidget):
    """Accuracy against each perturbation's strength, one plot per kind (2 x 2)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(style.SPACE_S)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._chance: list[pg.InfiniteLine] = []
        self._plots: dict[str, pg.PlotItem] = {}
        for i, (title, x_label, _kinds) in enumerate(PLOTS):
            widget = _plot(title, x_label, "accuracy" if i % 2 == 0 else "")
            plot = widget.getPlotItem()
            curve = plot.plot([], [], symbol="o", symbolSize=5, symbolPen=None)
            chance = pg.InfiniteLine(angle=0)
            plot.addItem(chance)
            plot.setYRange(0, 1, padding=0.02)
            self._curves[title], self._plots[title] = curve, plot
            self._chance.append(chance)
            grid.addWidget(widget, i // 2, i % 2)
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        colour = test_set_colour(p)
        for curve in self._curves.values():
            curve.setPen(style.pen(colour, style.WIDTH_LINE))
            curve.setSymbolBrush(colour)
        for line in self._chance:
            line.setPen(style.pen(p.muted, style.WIDTH_THIN, "dot"))

    def set_evaluation(self, ev) -> None:
        chance = 1.0 / max(len(ev.class_names), 1)
        for line in self._chance:
            line.setValue(chance)
        for title, _x_label, kinds in PLOTS:
            x, y = _joined(ev, kinds)
            self._curves[title].setData(x, y)
            if x.size:
                self._plots[title].setXRange(float(x.min()), float(x.max()), padding=0.04)

    def curve(self, title: str) -> tuple[np.ndarray, np.ndarray]:
        """The points of the plot titled ``title`` (strengths, accuracies), as drawn."""
        x, y = self._curves[title].getData()
        return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))


def _joined(ev, kinds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One curve of the evaluated ``kinds``: a "thin" curve is mirrored to the left of 0."""
    xs, ys = [], []
    for kind in kinds:
        try:
            c = ev.curve(kind)
        except KeyError:
            continue
        s, a = np.asarray(c.strengths, dtype=float), np.asarray(c.accuracy, dtype=float)
        if kind == "thin":
            s, a = -s[::-1], a[::-1]
        if xs and s[0] == 0.0 and xs[-1][-1] == 0.0:
            s, a = s[1:], a[1:]  # both start at the same plain accuracy: one point
        xs.append(s)
        ys.append(a)
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


class CoveragePanel(QWidget):
    """Answer only when sure: the coverage-accuracy curve, a threshold slider, the numbers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._coverage = None
        self._n = 0
        self.widget = _plot(
            "Answer only when sure", "share of test images answered", "accuracy of the answers"
        )
        plot = self.widget.getPlotItem()
        self._curve = plot.plot([], [])
        self._dot = pg.ScatterPlotItem(size=11)
        plot.addItem(self._dot)
        plot.setXRange(0, 1, padding=0.02)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, MAX_NINES * STEPS_PER_NINE)
        self.slider.setValue(DEFAULT_THRESHOLD_POSITION)
        self.slider.setToolTip(
            "Confidence threshold: the network answers a test image only when its top "
            "probability is at least this; 0.9, 0.99 and 0.999 are evenly spaced"
        )
        self.slider.valueChanged.connect(lambda _v: self._show_threshold())
        self._value = QLabel()
        self._value.setMinimumWidth(self._value.fontMetrics().horizontalAdvance("≥ 0.99999"))
        self.numbers = QLabel()
        self.numbers.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Threshold"))
        row.addWidget(self.slider, 1)
        row.addWidget(self._value)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.widget, 1)
        layout.addLayout(row)
        layout.addWidget(self.numbers)
        self._show_threshold()
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        self._curve.setPen(style.pen(test_set_colour(p), style.WIDTH_LINE))
        self._dot.setBrush(pg.mkBrush(p.accent))
        self._dot.setPen(pg.mkPen(p.surface, width=1.5))

    def set_evaluation(self, ev) -> None:
        self._coverage, self._n = ev.coverage, ev.n
        cov = np.asarray(ev.coverage.coverage, dtype=float)
        acc = np.asarray(ev.coverage.accuracy, dtype=float)
        self._curve.setData(cov, acc)
        low = float(acc.min()) if acc.size else 0.0
        self.widget.getPlotItem().setYRange(max(0.0, low - 0.02), 1.0, padding=0.02)
        self._show_threshold()

    def threshold(self) -> float:
        return position_to_threshold(self.slider.value())

    def at_threshold(self) -> tuple[float, float] | None:
        """(share answered, accuracy of the answers) at the slider's threshold (None: no data)."""
        if self._coverage is None:
            return None
        return self._coverage.at(self.threshold())

    def _show_threshold(self) -> None:
        t = self.threshold()
        self._value.setText(f"≥ {threshold_text(t)}")
        at = self.at_threshold()
        if at is None:
            self._dot.setData([], [])
            self.numbers.setText("")
            return
        share, accuracy = at
        answered = round(share * self._n)
        if answered == 0:
            self._dot.setData([], [])
            self.numbers.setText(
                f"At a confidence of at least {threshold_text(t)} the network answers none of "
                f"the {self._n:,} test images."
            )
            return
        self._dot.setData([share], [accuracy])
        self.numbers.setText(
            f"Answering only when at least {threshold_text(t)} sure: <b>{answered:,}</b> of "
            f"{self._n:,} test images ({share:.1%}), <b>{accuracy:.2%}</b> of them right; "
            f"{self._n - answered:,} left unanswered."
        )
