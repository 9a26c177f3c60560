"""Loss and accuracy curves: every run in its colour, changes marked, notes pointed out.

The x axis counts epochs completed: epoch ``e``'s report sits at ``e + 1``, the
running loss after batch ``b`` (0-based) of ``n`` at ``e + (b + 1) / n``, and a change
that took effect before batch ``b`` at ``e + b / n``, so it is marked where it
happened. The running loss is an exponential moving average of the batch losses the
view receives (bias-corrected, carried across epochs). Each run has the colour the
session gave it (the Runs tab shows the same): validation solid, training dashed,
the running loss thin; the live run is drawn thicker, earlier ones faded, and the
legend under the plots names them. Hovering a point names its run, epoch and value.

Events can arrive hundreds of times a second, so every slot only appends to NumPy
buffers; a single-shot timer redraws what changed at most ~10 times a second (less
when the window is over its drawing budget, see ``gui.shared.pacing``; not at all
while hidden). Past ``SYMBOL_LIMIT`` epochs the curves drop their symbols. The axes
and legend box are cached pixmaps, and the ranges grow in 1-2-5 steps (x to 10, 20,
50 epochs; the loss down by 1-2-5 steps; accuracy down by tens of percent) only
when a curve leaves them; once the person zooms or pans, the view stops steering
them until the next run or the plot's "A" button. Change markers' labels are
stacked in rows so that changes close together never print over one another, and
the notes of :mod:`core.training.notes` are marked as the run goes on.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    HyperparameterChanged,
    Snapshot,
    Started,
)
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.formats import format_lr, format_setting
from gui.shared.header import ElidedLabel, ViewHeader
from gui.shared.legend import Legend
from gui.shared.pacing import cache_static_parts, draw_budget
from gui.shared.state import RunRecord
from gui.views.curve_history import EarlierRuns, nearest_point
from gui.views.curve_marks import MarkerLayer
from gui.views.curve_notes import NoteLayer
from gui.views.curve_parts import Buffer, LogAxis, PercentAxis, change_label, step_down, step_up

REDRAW_MS = 100
SMOOTHING = 0.95  # weight of the past in the running loss's moving average
SERIES = ("running_loss", "train_loss", "val_loss", "train_acc", "val_acc")
#: Per-epoch curves show a symbol at every point up to this many epochs.
SYMBOL_LIMIT = 60
#: Width of the left axes (tick labels and title) in pixels.
LEFT_AXIS_PX = 58
EMPTY_LOSS = f"{PRESS_START}: the loss appears after the first batches."
EMPTY_ACC = "The accuracy appears after the first epoch."
HOVER_HINT = "Hover a point for its run and value."


def _plot(axis: pg.AxisItem, y_label: str, name: str) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"left": axis})
    p = w.getPlotItem()
    p.setLabel("bottom", "epoch")
    p.setLabel("left", y_label)
    style.grid(p)
    p.getAxis("left").setWidth(LEFT_AXIS_PX)
    style.style_view(w, name)
    return w


class CurvesView(QWidget):
    """Loss (top) and accuracy (bottom) against epochs, for the current and earlier runs."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loss_w = _plot(LogAxis("left"), "cross-entropy", "Loss curves")
        self._acc_w = _plot(PercentAxis("left"), "accuracy", "Accuracy curves")
        lp, ap = self._loss_w.getPlotItem(), self._acc_w.getPlotItem()
        lp.setLogMode(y=True)
        ap.setXLink(lp)
        self.loss_header = ViewHeader("loss")
        self.acc_header = ViewHeader("accuracy")
        self._loss_box = EmptyState(self._loss_w, EMPTY_LOSS)
        self._acc_box = EmptyState(self._acc_w, EMPTY_ACC)
        self.legend = Legend()
        self._readout = ElidedLabel(HOVER_HINT)
        self._readout.setObjectName("readout")
        foot = QHBoxLayout()
        foot.addWidget(self.legend, 3)
        foot.addWidget(self._readout, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.loss_header)
        layout.addWidget(self._loss_box, 3)
        layout.addWidget(self.acc_header)
        layout.addWidget(self._acc_box, 2)
        layout.addLayout(foot)

        self._buffers = {name: Buffer() for name in SERIES}
        self._items: dict[str, pg.PlotDataItem] = {
            name: (lp if name.endswith("loss") else ap).plot(name=None) for name in SERIES
        }
        self._items["running_loss"].setDownsampling(auto=True, method="peak")
        self._items["running_loss"].setClipToView(True)
        for name in SERIES:
            self._items[name].setZValue(5)
        self._rows: list[EpochReport] = []
        self._dead: dict[int, tuple[float, ...]] = {}
        self._dirty: set[str] = set()
        self._notes_due = False
        self._batches = 0  # batches per epoch, from the latest BatchProgress
        self._ema, self._ema_weight = 0.0, 0.0  # moving average and its bias correction
        self._run: RunRecord | None = None  # the current run's record, from the session
        self._runs: tuple[RunRecord, ...] = ()
        self.earlier = EarlierRuns(lp, ap)
        self.markers = MarkerLayer(lp, ap)
        self.notes = NoteLayer(lp, ap)
        # Ranges the view has set: "x" (epochs), "loss" (log10 units), "acc" (percent).
        self._ranges: dict[str, tuple[float, float]] = {}
        self._steering = True  # False once the person zooms or pans, until the next run
        for plot in (lp, ap):
            plot.disableAutoRange()
            cache_static_parts(plot)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_range_changed_manually)
            plot.autoBtn.clicked.connect(self._on_auto_range_clicked)
        for w in (self._loss_w, self._acc_w):
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._on_mouse_moved(w, pos))
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_redraw_due)
        self._budget = draw_budget()

        bus.started.connect(self._on_started)
        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.changed.connect(self._on_changed)
        bus.diverged.connect(self._on_diverged)
        bus.snapshot.connect(self._on_snapshot)
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
            row["architecture"] = format_setting("architecture", r.architecture)
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
        return self.markers.labels()

    def note_texts(self) -> list[str]:
        """The notes shown on the curves, oldest epoch first."""
        self._redraw()
        return self.notes.texts()

    def faded_runs(self) -> int:
        """How many earlier runs are shown faded."""
        return len(self.earlier)

    def empty_messages(self) -> tuple[str, str]:
        """What the loss and accuracy plots say in their place ("" where a plot is shown)."""
        self._redraw()
        return self._loss_box.message(), self._acc_box.message()

    def hover_text(self) -> str:
        return self._readout.text()

    def scene_pos_of(self, plot: int, x: float, y: float) -> pg.Point:
        """Where data point ``(x, y)`` of plot 0 (loss) or 1 (accuracy) is drawn."""
        self._redraw()
        w = self.plot_widgets()[plot]
        y = float(np.log10(y)) if plot == 0 else y
        return w.getPlotItem().vb.mapViewToScene(pg.Point(x, y))

    def hover_at(self, plot: int, scene_pos: pg.Point) -> None:
        """Move the mouse to ``scene_pos`` over plot 0 (loss) or 1 (accuracy)."""
        self._on_mouse_moved(self.plot_widgets()[plot], scene_pos)

    def draw_now(self) -> None:
        """Draw what is waiting now, shown or not (for an export of the plots)."""
        self._redraw()

    def clear_history(self) -> None:
        """Remove the faded earlier runs; the current run stays."""
        self.earlier.clear()
        self._show_legend()
        if self._steering:  # the ranges no longer need room for them
            self._ranges.clear()
            self._fit_ranges()
        self._show_empty()

    def add_faded_run(self, rows: list[dict], name: str = "earlier run", colour: int = 0) -> None:
        """Draw a run from its history rows (epoch, train/val loss and accuracy), faded."""
        self.earlier.add_rows(rows, name, colour)
        self._show_legend()
        self._fit_ranges()
        self._show_empty()

    def show_runs(self, runs: tuple[RunRecord, ...], current: int | None) -> None:
        """The session's runs: the current one gives the live curves their name and colour."""
        self._runs = runs
        run = next((r for r in runs if r.number == current and r.number), None)
        recoloured = run is None or self._run is None or run.colour != self._run.colour
        renamed = (run.name if run else None) != (self._run.name if self._run else None)
        self._run = run
        if recoloured:
            self._colour_live()
        if recoloured or renamed:
            self._show_legend()

    # -- events ---------------------------------------------------------------
    def _on_started(self, _ev: Started) -> None:
        self._show_empty(started=True)

    def _on_batch(self, ev: BatchProgress) -> None:
        self._batches = max(int(ev.batches), 1)
        if np.isfinite(ev.loss) and ev.loss > 0:
            self._ema = SMOOTHING * self._ema + (1.0 - SMOOTHING) * ev.loss
            self._ema_weight = SMOOTHING * self._ema_weight + (1.0 - SMOOTHING)
            x = ev.epoch + (ev.batch + 1) / self._batches
            self._buffers["running_loss"].append(x, self._ema / self._ema_weight)
            self._schedule("running_loss")

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
        self._notes_due = True
        self._schedule()

    def _on_snapshot(self, snap: Snapshot) -> None:
        if snap.dead_fraction and self._dead.get(snap.epoch) != tuple(snap.dead_fraction):
            self._dead[snap.epoch] = tuple(snap.dead_fraction)
            self._notes_due = True
            self._schedule()

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        self.markers.add(self._x_of(ev.epoch, ev.batch), change_label(ev), "change")
        self._schedule()

    def _on_diverged(self, ev: Diverged) -> None:
        label = f"diverged at lr {format_lr(ev.learning_rate)}"
        self.markers.add(self._x_of(ev.epoch, ev.batch), label, "diverged")
        self._schedule()

    def _x_of(self, epoch: int, batch: int) -> float:
        return epoch + (batch / self._batches if self._batches else 0.0)

    def _on_run_reset(self) -> None:
        """Keep what was drawn as a faded copy in the run's colour, then start empty."""
        self._redraw()
        run = self._run
        kept = {n: self._buffers[n].data() for n in SERIES if n != "running_loss"}
        self.earlier.add(
            {n: (x.copy(), y.copy()) for n, (x, y) in kept.items()},
            run.name if run is not None else "earlier run",
            run.colour if run is not None else len(self.earlier),
        )
        for name in SERIES:
            self._buffers[name].clear()
            self._items[name].setData([], [])
        self._ema, self._ema_weight = 0.0, 0.0
        self.markers.clear()
        self.notes.clear()
        self._rows.clear()
        self._dead.clear()
        self._run = None
        self._colour_live()
        self._show_legend()
        self._steering = True
        self._ranges.clear()
        self._fit_ranges()
        self._show_empty()

    # -- drawing ----------------------------------------------------------------
    def _schedule(self, name: str | None = None) -> None:
        if name is not None:
            self._dirty.add(name)
        if not self._timer.isActive():
            self._timer.start(round(REDRAW_MS * self._budget.stretch))

    def _on_redraw_due(self) -> None:
        if self.isVisible():
            self._redraw()
        # hidden (another tab): what changed is drawn by showEvent

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty or self._notes_due or self.markers.waiting:
            self._schedule()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.markers.arrange()  # label widths in data units depend on the plot's width

    def _redraw(self) -> None:
        """Pass the changed buffers to their plot items; draw new markers and notes."""
        self._timer.stop()
        for name in self._dirty:
            item = self._items[name]
            x, y = self._buffers[name].data()
            if name != "running_loss":
                symbol = None if x.size > SYMBOL_LIMIT else ("o" if "train" in name else "s")
                if item.opts["symbol"] != symbol:
                    item.setSymbol(symbol)
            item.setData(x, y)
        if self._dirty:
            self._dirty.clear()
            self._show_empty()
        self._fit_ranges()
        self.markers.draw()
        if self._notes_due:
            self._notes_due = False
            self.notes.update(self._rows, self._dead, self._ranges.get("x", (0.0, 1.0)))

    def _show_empty(self, started: bool = False) -> None:
        loss_data = self._buffers["running_loss"].n or self._buffers["val_loss"].n
        acc_data = self._buffers["val_acc"].n or self._buffers["train_acc"].n
        earlier = len(self.earlier) > 0
        if loss_data or earlier:
            self._loss_box.show_content()
        else:
            self._loss_box.show_message(
                "Training: the loss appears after the first batches." if started else EMPTY_LOSS
            )
        if acc_data or earlier:
            self._acc_box.show_content()
        else:
            self._acc_box.show_message(EMPTY_ACC)

    def _colour_live(self) -> None:
        p = style.palette()
        colour = p.run(self._run.colour) if self._run is not None else p.run(len(self.earlier))
        for name, item in self._items.items():
            if name == "running_loss":
                item.setPen(style.pen(p.faded(colour, 0.6), style.WIDTH_THIN))
                continue
            dashed = name.startswith("train")
            item.setPen(
                style.pen(colour, style.WIDTH_LIVE - dashed * 0.8, "dash" if dashed else "solid")
            )
            item.setSymbolBrush(colour)
            item.setSymbolPen(None)
            item.setSymbolSize(5)

    def _show_legend(self) -> None:
        p = style.palette()
        live = p.run(self._run.colour) if self._run is not None else p.run(len(self.earlier))
        entries = []
        if self._run is not None:
            entries.append((live, f"{self._run.name} (live)", "line"))
        entries += [(p.run(c), name, "thin") for name, c in reversed(self.earlier.names())]
        entries += [(p.muted, "validation", "line"), (p.muted, "training", "dash")]
        self.legend.set_entries(entries)

    def _restyle(self, _palette: style.Palette) -> None:
        self._colour_live()
        self.earlier.restyle()
        self.markers.restyle()
        self.notes.restyle()
        self._show_legend()

    # -- ranges -----------------------------------------------------------------
    def _bounds(self) -> dict[str, tuple[float, float]]:
        """(min, max) of every kind of curve on the plots, faded ones included."""
        spans: dict[str, list[float]] = {"x": [], "loss": [], "acc": []}
        for name in SERIES:
            x, y = self._buffers[name].data()
            if x.size:
                spans["x"].append(float(x[-1]))
                kind = "loss" if name.endswith("loss") else "acc"
                spans[kind] += [float(y.min()), float(y.max())]
        for kind, lo, hi in self.earlier.bounds():
            spans[kind] += [lo, hi]
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
            wanted["loss"] = (float(np.log10(step_down(lo))), float(np.log10(step_up(hi))))
        if "acc" in bounds:
            wanted["acc"] = (min(10.0 * np.floor(bounds["acc"][0] / 10.0), 90.0), 100.0)
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
                self.markers.arrange()
                self._notes_due = True
            elif key == "loss":
                lp.setYRange(lo, hi, padding=0.03)
            else:  # room for the notes' text at 100%
                ap.setYRange(lo, hi, padding=0.08)
                major = 10.0 if hi - lo > 20 else 5.0
                ap.getAxis("left").setTickSpacing(major, major / 2)

    def _on_range_changed_manually(self, *_args: object) -> None:
        self._steering = False

    def _on_auto_range_clicked(self, *_args: object) -> None:
        for plot in (self._loss_w.getPlotItem(), self._acc_w.getPlotItem()):
            plot.disableAutoRange()
        self._steering = True
        self._ranges.clear()
        self._fit_ranges()

    # -- hover ------------------------------------------------------------------
    def _on_mouse_moved(self, widget: pg.PlotWidget, pos: pg.Point) -> None:
        loss = widget is self._loss_w
        keys = ("train_loss", "val_loss") if loss else ("train_acc", "val_acc")
        name = self._run.name if self._run is not None else "this run"
        curves = [(name, key, *self._buffers[key].data()) for key in keys]
        curves += self.earlier.curves(keys)
        found = nearest_point(widget.getPlotItem().vb, pos, curves, log_y=loss)
        if found is None:
            self._readout.setText(HOVER_HINT)
            return
        run, key, x, y = found
        what = "validation" if key.startswith("val") else "training"
        value = f"loss {y:.4f}" if loss else f"accuracy {y:.2f}%"
        self._readout.setText(f"{run} · epoch {round(x)}: {what} {value}")
