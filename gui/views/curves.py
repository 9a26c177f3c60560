"""Loss and accuracy curves: every run in its colour, changes marked, notes pointed out.

The x axis counts epochs completed (:mod:`gui.views.curve_live` keeps the live run's
points), and a change that took effect before batch ``b`` of ``n`` in epoch ``e`` is
marked at ``e + b / n``, where it happened. A run forked from a recorded moment (a
branch) starts where it left the original, marked there; while the timeline shows a
recorded moment, a cursor stands at it (:mod:`gui.views.curve_moment`). Each run has the
colour the session gave it (the Runs tab shows the same): validation solid, training
dashed, the running loss thin; the live run is drawn thicker, earlier ones faded, and
the legend under the plots names them. Hovering a point names its run, epoch and value.

Events can arrive hundreds of times a second, so every slot only appends to NumPy
buffers; a single-shot timer redraws what changed at most ~10 times a second (less
when the window is over its drawing budget, see ``gui.shared.pacing``; not at all
while hidden). The axes and legend box are cached pixmaps, and the ranges grow in
1-2-5 steps only when a curve leaves them (:mod:`gui.views.curve_ranges`). Change
markers' labels are stacked in rows so that changes close together never print over
one another, and the notes of :mod:`core.training.notes` are marked as the run goes on.
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
from gui.views.curve_live import SERIES, LiveRun
from gui.views.curve_marks import MarkerLayer
from gui.views.curve_moment import MomentCursor
from gui.views.curve_notes import NoteLayer
from gui.views.curve_parts import LogAxis, PercentAxis, change_label
from gui.views.curve_ranges import CurveRanges

REDRAW_MS = 100
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
        self._acc_w = _plot(PercentAxis("left"), "accuracy (%)", "Accuracy curves")
        lp, ap = self._loss_w.getPlotItem(), self._acc_w.getPlotItem()
        lp.setLogMode(y=True)
        lp.setLabel("bottom", None)  # the plots share their epochs: one "epoch", at the bottom
        ap.setXLink(lp)
        self.loss_header = ViewHeader("loss")
        self.acc_header = ViewHeader("accuracy")
        self._loss_box = EmptyState(self._loss_w, EMPTY_LOSS)
        self._acc_box = EmptyState(self._acc_w, EMPTY_ACC)
        self.legend = Legend()
        self._readout = ElidedLabel(HOVER_HINT)
        self._readout.setObjectName("readout")
        self._foot = QWidget()
        foot = QHBoxLayout(self._foot)
        foot.setContentsMargins(0, 0, 0, 0)
        foot.addWidget(self.legend, 3)
        foot.addWidget(self._readout, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.loss_header)
        layout.addWidget(self._loss_box, 5)
        layout.addWidget(self.acc_header)
        layout.addWidget(self._acc_box, 4)
        layout.addWidget(self._foot)

        self.live = LiveRun(lp, ap)
        self._notes_due = False
        self._run: RunRecord | None = None  # the current run's record, from the session
        self._runs: tuple[RunRecord, ...] = ()
        self.earlier = EarlierRuns(lp, ap)
        self.markers = MarkerLayer(lp, ap)
        self.notes = NoteLayer(lp, ap)
        self.ranges = CurveRanges(lp, ap)
        self.moment = MomentCursor(lp, ap)
        self._branch: int | None = None  # the run whose branch start is drawn
        for plot in (lp, ap):
            plot.disableAutoRange()
            cache_static_parts(plot)
            plot.getViewBox().sigRangeChangedManually.connect(self._on_range_changed_manually)
            plot.autoBtn.clicked.connect(self._on_auto_range_clicked)
        for w in (self._loss_w, self._acc_w):
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._on_mouse_moved(w, pos))
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        self._show_empty()

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
        for r in self.live.rows:
            row = dataclasses.asdict(r)
            row["architecture"] = format_setting("architecture", r.architecture)
            rows.append(row)
        return rows

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the ``(x, y)`` points of one current curve (a name from ``SERIES``)."""
        self._redraw()
        x, y = self.live.buffers[name].data()
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
        if self.ranges.steering:  # the ranges no longer need room for them
            self.ranges.restart()
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
        self._show_branch(run)

    def cursor(self) -> float | None:
        """Where the timeline's cursor stands (epochs done), None when live."""
        return self.moment.position()

    def show_moment(self, x: float | None, label: str = "") -> None:
        """Stand the cursor at ``x`` epochs done (a recorded moment viewed); None hides it."""
        self.moment.show(x, label)

    def _show_branch(self, run: RunRecord | None) -> None:
        """A run forked from a recorded moment: its curves start where it left the
        original, marked there. Once per run; nothing for a run that is not a branch."""
        if run is None or run.branch is None or run.number == self._branch:
            return
        self._branch = run.number
        self.live.start_at(run.branch)
        self.markers.add(run.branch.x, f"fork of {run.branch.parent_name}", "fork")
        self._schedule()

    # -- events ---------------------------------------------------------------
    def _on_started(self, _ev: Started) -> None:
        self._show_empty(started=True)

    def _on_batch(self, ev: BatchProgress) -> None:
        if self.live.add_batch(ev):
            self._schedule()

    def _on_epoch(self, ev: EpochReport) -> None:
        self.live.add_epoch(ev)
        self._notes_due = True
        self._schedule()

    def _on_snapshot(self, snap: Snapshot) -> None:
        dead = self.live.dead
        if snap.dead_fraction and dead.get(snap.epoch) != tuple(snap.dead_fraction):
            dead[snap.epoch] = tuple(snap.dead_fraction)
            self._notes_due = True
            self._schedule()

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        self.markers.add(self.live.x_of(ev.epoch, ev.batch), change_label(ev), "change")
        self._schedule()

    def _on_diverged(self, ev: Diverged) -> None:
        label = f"diverged at lr {format_lr(ev.learning_rate)}"
        self.markers.add(self.live.x_of(ev.epoch, ev.batch), label, "diverged")
        self._schedule()

    def _on_run_reset(self) -> None:
        """Keep what was drawn as a faded copy in the run's colour, then start empty."""
        self._redraw()
        run = self._run
        kept = {n: self.live.buffers[n].data() for n in SERIES if n != "running_loss"}
        self.earlier.add(
            {n: (x.copy(), y.copy()) for n, (x, y) in kept.items()},
            run.name if run is not None else "earlier run",
            run.colour if run is not None else len(self.earlier),
        )
        self.live.clear()
        self.markers.clear()
        self.notes.clear()
        self._run = None
        self._branch = None
        self._colour_live()
        self._show_legend()
        self.ranges.restart()
        self._fit_ranges()
        self._show_empty()

    # -- drawing ----------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(round(REDRAW_MS * self._budget.stretch))

    def _on_redraw_due(self) -> None:
        if self.isVisible():
            self._redraw()
        # hidden (another tab): what changed is drawn by showEvent

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.live.dirty or self._notes_due or self.markers.waiting:
            self._schedule()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.markers.arrange()  # label widths in data units depend on the plot's width
        self.ranges.space_ticks()  # and the accuracy labels that fit on its height

    def _redraw(self) -> None:
        """Pass the changed buffers to their plot items; draw new markers and notes."""
        self._timer.stop()
        if self.live.draw():
            self._show_empty()
        self._fit_ranges()
        self.markers.draw()
        if self._notes_due:
            self._notes_due = False
            self.notes.update(self.live.rows, self.live.dead, self.ranges.x())

    def _show_empty(self, started: bool = False) -> None:
        loss_data = self.live.has("running_loss", "val_loss", "train_loss")
        acc_data = self.live.has("val_acc", "train_acc")
        earlier = len(self.earlier) > 0
        self._foot.setVisible(bool(loss_data or earlier))  # a legend of nothing says nothing
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
        self.live.colour(p.run(self._run.colour if self._run else len(self.earlier)))

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
        self.moment.restyle()
        self._show_legend()

    # -- ranges -----------------------------------------------------------------
    def _bounds(self) -> dict[str, tuple[float, float]]:
        """(min, max) of every kind of curve on the plots, faded ones included."""
        spans: dict[str, list[float]] = {"x": [], "loss": [], "acc": []}
        for kind, lo, hi in (*self.live.spans(), *self.earlier.bounds()):
            spans[kind] += [lo, hi]
        return {k: (min(v), max(v)) for k, v in spans.items() if v}

    def _fit_ranges(self) -> None:
        """Grow the ranges in 1-2-5 steps until they hold every curve (see CurveRanges)."""
        if self.ranges.fit(self._bounds()):
            self.markers.arrange()
            self._notes_due = True

    def _on_range_changed_manually(self, *_args: object) -> None:
        self.ranges.steering = False

    def _on_auto_range_clicked(self, *_args: object) -> None:
        for plot in (self._loss_w.getPlotItem(), self._acc_w.getPlotItem()):
            plot.disableAutoRange()
        self.ranges.restart()
        self._fit_ranges()

    # -- hover ------------------------------------------------------------------
    def _on_mouse_moved(self, widget: pg.PlotWidget, pos: pg.Point) -> None:
        loss = widget is self._loss_w
        keys = ("train_loss", "val_loss") if loss else ("train_acc", "val_acc")
        name = self._run.name if self._run is not None else "this run"
        curves = [(name, key, *self.live.buffers[key].data()) for key in keys]
        curves += self.earlier.curves(keys)
        found = nearest_point(widget.getPlotItem().vb, pos, curves, log_y=loss)
        if found is None:
            self._readout.setText(HOVER_HINT)
            return
        run, key, x, y = found
        what = "validation" if key.startswith("val") else "training"
        value = f"loss {y:.4f}" if loss else f"accuracy {y:.2f}%"
        self._readout.setText(f"{run} · epoch {round(x)}: {what} {value}")
