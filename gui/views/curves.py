"""Loss and accuracy curves: per epoch, a running per-batch loss, and change markers.

The x axis counts epochs completed: epoch ``e``'s report sits at ``e + 1``, the
running loss after batch ``b`` (0-based) of ``n`` at ``e + (b + 1) / n``, and a change
that took effect before batch ``b`` at ``e + b / n``, so it is marked where it
happened. The running loss is an exponential moving average of the batch losses the
view receives (bias-corrected, carried across epochs, so it shows no jump where an
epoch's own mean would restart). Events can arrive hundreds of times a second (tiny
datasets train hundreds of epochs a second), so every slot only appends to NumPy
buffers or lists; a single-shot timer redraws what changed at most ~10 times a second
(less often when the window is over its drawing budget, see ``gui.shared.pacing``; not at
all while hidden), and change markers are created there too. Past ``SYMBOL_LIMIT``
epochs the per-epoch curves drop their symbols: painting thousands of them costs more
than they show.
When a new run starts, the finished one stays on the plots, faded, for comparison.
A run forked from a recorded moment (a branch) starts where it left the original, at
the moment's epoch, marked there in the branch's own colour. While the timeline shows a
recorded moment, a cursor stands at it.

Painting the axes (their tick labels and the grid) costs more than the curves, so
the axes and the legend box are drawn into cached pixmaps, and the view does not
let pyqtgraph re-fit the ranges to every new point: the ranges grow in 1-2-5
steps (x to 10, 20, 50 epochs; the loss axis down by 1-2-5 steps; accuracy down
by tens of percent) only when a curve leaves them, so the axes are redrawn a few
times a run instead of ten times a second. Once the person zooms or pans, the
view stops steering the ranges until the next run or the plot's "A" button.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core import text
from core.training.events import BatchProgress, Diverged, EpochReport, HyperparameterChanged
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.shared.pacing import cache_static_parts, draw_budget
from gui.shared.state import Branch

REDRAW_MS = 100
SMOOTHING = 0.95  # weight of the past in the running loss's moving average
SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "hidden": "hidden"}
SERIES = ("running_loss", "train_loss", "val_loss", "train_acc", "val_acc")
#: Change and divergence markers kept on the plots (the newest; older ones are removed).
MAX_MARKERS = 40
#: Per-epoch curves show a symbol at every point up to this many epochs.
SYMBOL_LIMIT = 60
#: Width of the left axes (tick labels and title) in pixels.
LEFT_AXIS_PX = 58


class _Buffer:
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


def format_value(v: object) -> str:
    """A hyperparameter value as a short label: ``0.01``, ``128``, ``784-128-10``."""
    return text.value(v, digits=3)


def change_label(ev: HyperparameterChanged) -> str:
    """``"lr 0.1→0.01"``: what changed, from what, to what."""
    name = SHORT_NAMES.get(ev.name, ev.name)
    return f"{name} {format_value(ev.old)}→{format_value(ev.new)}"


class LogAxis(pg.AxisItem):
    """A log-scale axis labelled at 1-2-5 steps (0.1, 0.2, 0.5, 1, 2, ...).

    pyqtgraph's own log axis labels every minor tick it can, which piles up
    unreadable numbers on a short plot; 1-2-5 stays legible at any height.
    """

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


def _epoch_line(plot: pg.PlotItem, colour: QColor, symbol: str, name: str) -> pg.PlotDataItem:
    """A per-epoch curve: a line with a marker at every epoch."""
    return plot.plot(
        pen=pg.mkPen(colour, width=2),
        symbol=symbol,
        symbolSize=5,
        symbolBrush=colour,
        symbolPen=None,
        name=name,
    )


def _plot(title: str, y_label: str, log_y: bool = False) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"left": LogAxis("left")} if log_y else None)
    w.setBackground(None)
    p = w.getPlotItem()
    p.setTitle(title)
    p.setLabel("bottom", "epoch")
    p.setLabel("left", y_label)
    p.showGrid(x=True, y=True, alpha=0.2)
    p.setMenuEnabled(True)
    p.setLogMode(y=log_y)
    return w


class CurvesView(QWidget):
    """Loss (top) and accuracy (bottom) against epochs, for the current and earlier runs."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loss_w = _plot("Loss", "cross-entropy (log scale)", log_y=True)
        self._acc_w = _plot("Accuracy", "accuracy (%)")
        # One legend serves both plots: they share colours, and the accuracy plot is short.
        self._loss_w.getPlotItem().addLegend(
            offset=(-10, 10),
            labelTextSize="8pt",
            verSpacing=-6,
            brush=pg.mkBrush(128, 128, 128, 40),
        )
        self._acc_w.getPlotItem().setXLink(self._loss_w.getPlotItem())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._loss_w, 3)
        layout.addWidget(self._acc_w, 2)

        self._buffers = {name: _Buffer() for name in SERIES}
        lp, ap = self._loss_w.getPlotItem(), self._acc_w.getPlotItem()
        self._items: dict[str, pg.PlotDataItem] = {
            "running_loss": lp.plot(pen=pg.mkPen(cm.RUNNING, width=1), name="running (batch avg)"),
            "train_loss": _epoch_line(lp, cm.TRAIN, "o", "train"),
            "val_loss": _epoch_line(lp, cm.VAL, "s", "validation"),
            "train_acc": _epoch_line(ap, cm.TRAIN, "o", "train"),
            "val_acc": _epoch_line(ap, cm.VAL, "s", "validation"),
        }
        self._items["running_loss"].setDownsampling(auto=True, method="peak")
        self._items["running_loss"].setClipToView(True)
        self._rows: list[EpochReport] = []
        # label, position, colour, and the two lines once drawn (None until the next redraw)
        self._markers: list[tuple[str, float, QColor, list[pg.InfiniteLine] | None]] = []
        self._marked = 0  # markers made in this run, for staggering their labels
        self._dirty: set[str] = set()
        self._plot_of = {name: lp if name.endswith("loss") else ap for name in SERIES}
        self._faded: list[tuple[pg.PlotItem, pg.PlotDataItem]] = []
        self._faded_runs = 0
        self._batches = 0  # batches per epoch, from the latest BatchProgress
        self._ema, self._ema_weight = 0.0, 0.0  # moving average and its bias correction
        # Ranges the view has set: "x" (epochs), "loss" (log10 units), "acc" (percent).
        self._ranges: dict[str, tuple[float, float]] = {}
        self._faded_bounds: list[tuple[str, float, float, float]] = []  # name, x max, y min/max
        self._steering = True  # False once the person zooms or pans, until the next run
        self._cursor: list[pg.InfiniteLine] = []  # the timeline's moment, on both plots
        self._branch: int | None = None  # the run whose branch start is drawn
        for plot in (lp, ap):
            plot.disableAutoRange()
            # A fixed width: new tick labels must not re-lay out (and repaint) the plots,
            # and the two x axes stay aligned.
            plot.getAxis("left").setWidth(LEFT_AXIS_PX)
            cache_static_parts(plot)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_range_changed_manually)
            # pyqtgraph's "A" button: fit everything again, the view's way (1-2-5 steps).
            plot.autoBtn.clicked.connect(self._on_auto_range_clicked)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_redraw_due)
        self._budget = draw_budget()

        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.changed.connect(self._on_changed)
        bus.diverged.connect(self._on_diverged)
        bus.run_reset.connect(self._on_run_reset)

    # -- public ---------------------------------------------------------------
    def plot_widgets(self) -> list[pg.PlotWidget]:
        """The loss and accuracy plots, for export as images."""
        return [self._loss_w, self._acc_w]

    def history_rows(self) -> list[dict]:
        """One dict per epoch of the current run (EpochReport's fields; architecture as text)."""
        rows = []
        for r in self._rows:
            row = dataclasses.asdict(r)
            row["architecture"] = format_value(r.architecture)
            rows.append(row)
        return rows

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the ``(x, y)`` points of one current curve (a name from ``SERIES``)."""
        self._redraw()
        x, y = self._buffers[name].data()
        return x.copy(), y.copy()

    def marker_labels(self) -> list[str]:
        """The labels of the current run's markers (changes, divergences), oldest first."""
        self._redraw()
        return [m[0] for m in self._markers]

    def cursor(self) -> float | None:
        """Where the timeline's cursor stands (epochs done), None when live."""
        return self._cursor[0].value() if self._cursor and self._cursor[0].isVisible() else None

    def show_moment(self, x: float | None, label: str = "") -> None:
        """Stand the cursor at ``x`` epochs done (a recorded moment viewed); None hides it."""
        if x is None:
            for line in self._cursor:
                line.hide()
            return
        if not self._cursor:
            pen = pg.mkPen(cm.HIGHLIGHT, width=2)
            opts = {"position": 0.92, "color": cm.HIGHLIGHT, "fill": pg.mkBrush(128, 128, 128, 60)}
            self._cursor = [
                pg.InfiniteLine(angle=90, pen=pen, label="", labelOpts=opts),
                pg.InfiniteLine(angle=90, pen=pen),
            ]
            self._loss_w.getPlotItem().addItem(self._cursor[0], ignoreBounds=True)
            self._acc_w.getPlotItem().addItem(self._cursor[1], ignoreBounds=True)
        for line in self._cursor:
            line.setValue(x)
            line.show()
        self._cursor[0].label.setFormat(label)

    def show_branch(self, key: int, branch: Branch | None, colour: QColor) -> None:
        """The current run (``key``) is a fork: its curves start where it left the original,
        marked in its ``colour``. Once per run; nothing for a run that is not a branch."""
        if branch is None or key == self._branch:
            return
        self._branch = key
        figures = (
            ("train_loss", branch.train_loss, 1.0),
            ("val_loss", branch.val_loss, 1.0),
            ("train_acc", branch.train_acc, 100.0),
            ("val_acc", branch.val_acc, 100.0),
        )
        for name, value, scale in figures:
            if value is not None and np.isfinite(value) and self._buffers[name].n == 0:
                self._buffers[name].append(branch.x, value * scale)
                self._dirty.add(name)
        self._markers.append((f"fork of {branch.parent_name}", branch.x, colour, None))
        self._schedule()

    def faded_runs(self) -> int:
        """How many earlier runs are shown faded."""
        return self._faded_runs

    def draw_now(self) -> None:
        """Draw what is waiting now, shown or not (for an export of the plots)."""
        self._redraw()

    def clear_history(self) -> None:
        """Remove the faded earlier runs; the current run stays."""
        for plot, item in self._faded:
            plot.removeItem(item)
        self._faded.clear()
        self._faded_bounds.clear()
        self._faded_runs = 0
        if self._steering:  # the ranges no longer need room for them
            self._ranges.clear()
            self._fit_ranges()

    # -- events ---------------------------------------------------------------
    def _on_batch(self, ev: BatchProgress) -> None:
        self._batches = max(int(ev.batches), 1)
        if np.isfinite(ev.loss) and ev.loss > 0:
            self._ema = SMOOTHING * self._ema + (1.0 - SMOOTHING) * ev.loss
            self._ema_weight = SMOOTHING * self._ema_weight + (1.0 - SMOOTHING)
            x = ev.epoch + (ev.batch + 1) / self._batches
            self._buffers["running_loss"].append(x, self._ema / self._ema_weight)
            self._schedule("running_loss")

    def _schedule(self, name: str | None = None) -> None:
        if name is not None:
            self._dirty.add(name)
        if not self._timer.isActive():
            self._timer.start(round(REDRAW_MS * self._budget.stretch))

    def _on_redraw_due(self) -> None:
        if self.isVisible():
            self._redraw()
        # hidden (a closed tool window): what changed is drawn by showEvent

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty or any(m[3] is None for m in self._markers):
            self._schedule()

    def _redraw(self) -> None:
        """Pass the changed buffers to their plot items and draw new markers."""
        self._timer.stop()
        for name in self._dirty:
            item = self._items[name]
            x, y = self._buffers[name].data()
            if name != "running_loss":
                symbol = None if x.size > SYMBOL_LIMIT else ("o" if "train" in name else "s")
                if item.opts["symbol"] != symbol:
                    item.setSymbol(symbol)
            item.setData(x, y)
        self._dirty.clear()
        self._fit_ranges()
        self._draw_markers()

    def _bounds(self) -> dict[str, tuple[float, float]]:
        """(min, max) of every kind of curve on the plots, faded ones included."""
        spans: dict[str, list[float]] = {"x": [], "loss": [], "acc": []}
        for name in SERIES:
            x, y = self._buffers[name].data()
            if x.size:
                spans["x"].append(float(x[-1]))
                spans["loss" if name.endswith("loss") else "acc"] += [
                    float(y.min()),
                    float(y.max()),
                ]
        for name, x_max, y_min, y_max in self._faded_bounds:
            spans["x"].append(x_max)
            spans["loss" if name.endswith("loss") else "acc"] += [y_min, y_max]
        return {k: (min(v), max(v)) for k, v in spans.items() if v}

    def _fit_ranges(self) -> None:
        """Grow each range in 1-2-5 steps until it holds every curve (see the module doc)."""
        if not self._steering:
            return
        bounds = self._bounds()
        wanted: dict[str, tuple[float, float]] = {}
        if "x" in bounds:
            wanted["x"] = (0.0, step_up(max(bounds["x"][1], 1.0)))
        if "loss" in bounds and bounds["loss"][0] > 0:
            lo, hi = bounds["loss"]
            wanted["loss"] = (math.log10(step_down(lo)), math.log10(step_up(hi)))
        if "acc" in bounds:
            wanted["acc"] = (min(10.0 * math.floor(bounds["acc"][0] / 10.0), 90.0), 100.0)
        lp, ap = self._loss_w.getPlotItem(), self._acc_w.getPlotItem()
        for key, (lo, hi) in wanted.items():
            old = self._ranges.get(key)
            if old is not None:
                lo, hi = min(lo, old[0]), max(hi, old[1])
                if (lo, hi) == old:
                    continue
            self._ranges[key] = (lo, hi)
            if key == "x":
                lp.setXRange(lo, hi, padding=0.03)  # the accuracy plot follows (linked)
            elif key == "loss":
                lp.setYRange(lo, hi, padding=0.03)
            else:  # room for the label at 100%
                ap.setYRange(lo, hi, padding=0.08)

    def _on_range_changed_manually(self, *_args: object) -> None:
        self._steering = False

    def _on_auto_range_clicked(self, *_args: object) -> None:
        for plot in (self._loss_w.getPlotItem(), self._acc_w.getPlotItem()):
            plot.disableAutoRange()
        self._steering = True
        self._ranges.clear()
        self._fit_ranges()

    def _on_epoch(self, ev: EpochReport) -> None:
        self._rows.append(ev)
        x = ev.epoch + 1.0
        for name, value, scale in (
            ("train_loss", ev.train_loss, 1.0),
            ("val_loss", ev.val_loss, 1.0),
            ("train_acc", ev.train_acc, 100.0),
            ("val_acc", ev.val_acc, 100.0),
        ):
            # A diverged loss (inf, nan) has no place on a log axis; the marker says enough.
            if np.isfinite(value) and (scale != 1.0 or value > 0):
                self._buffers[name].append(x, value * scale)
                self._dirty.add(name)
        self._schedule()

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        self._mark(ev.epoch, ev.batch, change_label(ev), cm.MARKER)

    def _on_diverged(self, ev: Diverged) -> None:
        self._mark(ev.epoch, ev.batch, f"diverged at lr {format_value(ev.learning_rate)}", cm.WRONG)

    def _mark(self, epoch: int, batch: int, label: str, colour: QColor) -> None:
        """A labelled vertical line on both plots, before batch ``batch`` of ``epoch``."""
        x = epoch + (batch / self._batches if self._batches else 0.0)
        self._markers.append((label, x, colour, None))
        # Every marker is painted on every frame: a storm of changes must not pile up
        # thousands of them and freeze the window, so only the newest are kept.
        while len(self._markers) > MAX_MARKERS:
            self._remove_lines(self._markers.pop(0)[3])
        self._schedule()

    def _remove_lines(self, lines: list[pg.InfiniteLine] | None) -> None:
        if lines is not None:
            self._loss_w.getPlotItem().removeItem(lines[0])
            self._acc_w.getPlotItem().removeItem(lines[1])

    def _draw_markers(self) -> None:
        for i, (label, x, colour, lines) in enumerate(self._markers):
            if lines is None:
                self._markers[i] = (label, x, colour, self._marker_lines(label, x, colour))

    def _marker_lines(self, label: str, x: float, colour: QColor) -> list[pg.InfiniteLine]:
        pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
        # Labels sit low (falling loss curves leave the bottom free) and are staggered
        # so that changes close together do not print over each other.
        height = 0.06 + 0.12 * (self._marked % 5)
        self._marked += 1
        lines = [
            pg.InfiniteLine(
                pos=x,
                angle=90,
                pen=pen,
                label=label,
                labelOpts={
                    "position": height,
                    "color": colour,
                    "anchors": [(0, 0.5), (0, 0.5)],
                    "fill": pg.mkBrush(128, 128, 128, 40),
                },
            ),
            pg.InfiniteLine(pos=x, angle=90, pen=pen),
        ]
        self._loss_w.getPlotItem().addItem(lines[0], ignoreBounds=True)
        self._acc_w.getPlotItem().addItem(lines[1], ignoreBounds=True)
        return lines

    def add_faded_run(self, rows: list[dict]) -> None:
        """Draw a run from its history rows (epoch, train/val loss and accuracy), faded."""
        x = np.array([r["epoch"] + 1.0 for r in rows])
        drawn = False
        for name, scale in (
            ("train_loss", 1.0),
            ("val_loss", 1.0),
            ("train_acc", 100.0),
            ("val_acc", 100.0),
        ):
            y = np.array([float(r[name]) * scale for r in rows])
            ok = np.isfinite(y) & ((y > 0) if scale == 1.0 else True)
            if ok.any():
                self._add_faded(name, x[ok], y[ok])
                drawn = True
        self._faded_runs += drawn
        self._fit_ranges()

    def _add_faded(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        # Added through the PlotItem so the copy follows the log axis too.
        # The first faded curve names them all in the legend.
        first = name == "train_loss" and all(b[0] != name for b in self._faded_bounds)
        copy = pg.PlotDataItem(
            x, y, pen=pg.mkPen(cm.FADED, width=1.5), name="earlier runs" if first else None
        )
        copy.setZValue(-10)
        self._plot_of[name].addItem(copy)
        self._faded.append((self._plot_of[name], copy))
        self._faded_bounds.append((name, float(x[-1]), float(y.min()), float(y.max())))

    def _on_run_reset(self) -> None:
        """Keep what was drawn as a faded copy, then start empty."""
        self._redraw()
        kept = False
        for name in SERIES:
            x, y = self._buffers[name].data()
            if x.size:
                self._add_faded(name, x.copy(), y.copy())
                kept = True
            self._buffers[name].clear()
            self._items[name].setData([], [])
        self._faded_runs += kept
        self._ema, self._ema_weight = 0.0, 0.0
        for marker in self._markers:
            self._remove_lines(marker[3])
        self._markers.clear()
        self._marked = 0
        self._branch = None
        self._rows.clear()
        self._steering = True
        self._ranges.clear()
        self._fit_ranges()
