"""The runs of this session side by side: a table of their settings and their curves.

Each run has its own colour, a name and a row: "Run 3" for one trained here, the
file's name for an opened checkpoint, what it tried for a sweep's trial ("lr 0.3
· hidden 64 · seed 1"). A row says what the run started with *and* what it has
now where those differ ("0.1 → 0.01" after a live change, "64-32-10 → 64-96-10"
after a resize), and its tooltip lists both in full.

Runs on different datasets are never drawn on the same axes: a choice above the
table picks the dataset whose runs are shown (it follows the current run, or the
sweep just added). The plots are validation loss and accuracy per epoch, one
curve per run in its colour, the current run thicker, named in a legend under
them; hovering a curve names the run, the epoch and the value. Before the first
run the tab says so rather than drawing empty axes.

A run forked from a recorded moment of another (a branch) is named with the run it
left ("Run 2 · fork of Run 1"), its tooltip says from which moment and what changed,
and its curves start at the original's point where it branched.

The view only displays the session's run records (:meth:`RunsView.show_runs`);
"Clear earlier runs" asks the session to forget them.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core import text
from gui.shared import style
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.header import ElidedLabel, ViewHeader
from gui.shared.legend import Legend
from gui.shared.pacing import cache_static_parts
from gui.shared.state import RunRecord
from gui.views.curve_parts import LogAxis, PercentAxis
from gui.views.runs_table import COLUMNS, RunsTable, span

#: How near the mouse a point must be to count as hovered, in pixels.
HOVER_PX = 10


def _key(r: RunRecord) -> tuple[str, int, str]:
    return (r.kind, r.number, r.name)


def _plot(title: str, axis: pg.AxisItem, y_label: str, name: str) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"left": axis})
    p = w.getPlotItem()
    p.getAxis("left").enableAutoSIPrefix(False)
    style.set_title(p, title)
    p.setLabel("bottom", "epoch")
    p.setLabel("left", y_label)
    style.grid(p)
    p.setMenuEnabled(False)
    cache_static_parts(p)
    style.style_view(w, name)
    return w


EMPTY = (
    f"{PRESS_START}. Every run of this session stays here, in its own colour, until "
    "cleared: its settings in a table, its validation curves under it."
)
HOVER_HINT = "Hover a curve to see which run it is."


class RunsView(QWidget):
    """The session's runs: a table and their validation curves, one dataset at a time."""

    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: tuple[RunRecord, ...] = ()
        self._current: int | None = None
        self._dataset: str | None = None
        self._shown: list[RunRecord] = []
        self._items: dict[tuple, tuple[pg.PlotDataItem, pg.PlotDataItem, int]] = {}
        self._hovered: tuple[RunRecord, int] | None = None
        self._stale = False  # runs came while hidden: drawn when shown (or asked about)
        self._applied_current: int | None = None  # the current run when last drawn

        self.dataset_box = QComboBox()
        self.dataset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_box.setToolTip("Runs on different data are not comparable: one at a time")
        self.dataset_box.currentIndexChanged.connect(self._on_dataset_chosen)
        self.table = RunsTable()
        self.clear_button = QPushButton("Clear earlier runs")
        self.clear_button.setToolTip("Forget the earlier runs: their rows and curves")
        self.clear_button.clicked.connect(self.clear_requested)
        self.header = ViewHeader("runs", self.clear_button)
        self._hover = ElidedLabel(HOVER_HINT)
        self._hover.setObjectName("readout")
        self._legend = Legend()

        self._loss_w = _plot(
            "Validation loss", LogAxis("left"), "cross-entropy", "Runs: validation loss"
        )
        self._loss_w.getPlotItem().setLogMode(y=True)
        self._acc_w = _plot(
            "Validation accuracy", PercentAxis("left"), "accuracy (%)", "Runs: validation accuracy"
        )
        self._acc_w.getPlotItem().setXLink(self._loss_w.getPlotItem())
        for w in (self._loss_w, self._acc_w):
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._on_mouse_moved(w, pos))

        top = QHBoxLayout()
        top.addWidget(QLabel("Runs on"))
        top.addWidget(self.dataset_box)
        top.addStretch(1)
        table_box = QWidget()
        box = QVBoxLayout(table_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        plots = QWidget()
        row = QHBoxLayout(plots)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._loss_w)
        row.addWidget(self._acc_w)
        foot = QHBoxLayout()
        foot.addWidget(self._legend, 1)
        foot.addWidget(self._hover, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(table_box)
        split.addWidget(plots)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(split, 1)
        inner.addLayout(foot)
        self._box = EmptyState(body, EMPTY)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self._box, 1)
        style.on_change(self, lambda _p: self._restyle())

    # -- public ---------------------------------------------------------------
    def runs(self) -> list[RunRecord]:
        """The runs in the table (those on the dataset shown), oldest first."""
        self._catch_up()
        return list(self._shown)

    def datasets(self) -> list[str]:
        """The datasets the choice offers."""
        self._catch_up()
        return [self.dataset_box.itemData(i) for i in range(self.dataset_box.count())]

    def dataset(self) -> str | None:
        """The dataset whose runs are shown."""
        self._catch_up()
        return self._dataset

    def show_dataset(self, name: str) -> None:
        """Show the runs on ``name`` (if there are any)."""
        self._catch_up()
        i = self.dataset_box.findData(name)
        if i >= 0:
            self.dataset_box.setCurrentIndex(i)

    def cell_text(self, row: int, column: str) -> str:
        self._catch_up()
        return self.table.item(row, COLUMNS.index(column)).text()

    def row_tooltip(self, row: int) -> str:
        self._catch_up()
        return self.table.item(row, 0).toolTip()

    def curve_colours(self) -> list[str]:
        """The colour of each shown run's curves, in table order (``#rrggbb``)."""
        self._catch_up()
        return [style.palette().run(r.colour).name() for r in self._shown]

    def legend_names(self) -> list[str]:
        self._catch_up()
        return self._legend.entries()

    def empty_message(self) -> str:
        self._catch_up()
        return self._box.message()

    def curve(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The accuracy curve of the run in table row ``row``: epochs and percent."""
        self._catch_up()
        item = self._items[_key(self._shown[row])][1]
        x, y = item.getData()
        return (np.asarray(x), np.asarray(y)) if x is not None else (np.zeros(0), np.zeros(0))

    def scene_pos_of(self, row: int, epoch: int) -> QPointF:
        """Where run ``row``'s accuracy at ``epoch`` (0-based) is drawn, in scene coordinates."""
        self._catch_up()
        r = self._shown[row]
        point = next(p for p in r.history if p.epoch == epoch)
        vb = self._acc_w.getPlotItem().vb
        return vb.mapViewToScene(QPointF(point.epoch + 1.0, 100.0 * point.val_acc))

    def hover_at(self, scene_pos: QPointF) -> None:
        """Move the mouse to ``scene_pos`` over the accuracy plot (what hovering does)."""
        self._on_mouse_moved(self._acc_w, scene_pos)

    def hover_text(self) -> str:
        return self._hover.text()

    # -- from the session -------------------------------------------------------
    def show_runs(self, runs: tuple[RunRecord, ...], current: int | None) -> None:
        """Show the session's runs; ``current`` is the number of the current run's.

        While the tab is hidden they are only kept: a run's every epoch must not cost
        the window a table and two plots nobody sees.
        """
        self._runs, self._current = runs, current
        self._stale = True
        if self.isVisible():
            self._catch_up()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._catch_up()

    def _catch_up(self) -> None:
        if not self._stale:
            return
        self._stale = False
        runs, current = self._runs, self._current
        old_current, self._applied_current = self._applied_current, current
        names = sorted({r.dataset for r in runs})
        counts = {d: sum(r.dataset == d for r in runs) for d in names}
        box = self.dataset_box
        box.blockSignals(True)
        box.clear()
        for d in names:
            box.addItem(f"{d} ({counts[d]})", d)
        box.blockSignals(False)
        now = next((r for r in runs if r.number == current and r.number), None)
        wanted = self._dataset
        if now is not None and (current != old_current or wanted not in counts):
            wanted = now.dataset
        if wanted not in counts:
            wanted = names[0] if names else None
        self._dataset = wanted
        if wanted is not None:
            box.setCurrentIndex(box.findData(wanted))
        self._refresh()

    def _on_dataset_chosen(self, index: int) -> None:
        self._dataset = self.dataset_box.itemData(index)
        self._refresh()

    # -- drawing ----------------------------------------------------------------
    def _refresh(self) -> None:
        shown = [r for r in self._runs if r.dataset == self._dataset]
        self._shown = shown
        self.table.fill(shown, self._current)
        self._draw_curves(shown)
        n, others = len(shown), len(self._runs) - len(shown)
        if not self._runs:
            self.header.set_status("")
            self._box.show_message(EMPTY)
        else:
            self._box.show_content()
            more = f" · {others} on other data (choose it on the left)" if others else ""
            self.header.set_status(f"{n} run(s) · the current one in bold, thicker{more}")
        self._show_legend(shown)

    def _show_legend(self, shown: list[RunRecord]) -> None:
        p = style.palette()
        self._legend.set_entries(
            [(p.run(r.colour), r.name, "line" if self._is_current(r) else "thin") for r in shown]
        )

    def _is_current(self, r: RunRecord) -> bool:
        return r.number == self._current and r.number > 0

    def _restyle(self) -> None:
        for key in list(self._items):
            loss, acc, _n = self._items[key]
            self._items[key] = (loss, acc, -1)  # drawn again, in the new colours
        self._refresh()

    def _draw_curves(self, shown: list[RunRecord]) -> None:
        keys = {_key(r) for r in shown}
        for key in [k for k in self._items if k not in keys]:
            loss, acc, _n = self._items.pop(key)
            self._loss_w.getPlotItem().removeItem(loss)
            self._acc_w.getPlotItem().removeItem(acc)
        for r in shown:
            key = _key(r)
            width = style.WIDTH_LIVE if self._is_current(r) else style.WIDTH_LINE
            pen = style.pen(style.palette().run(r.colour), width)
            if key not in self._items:
                loss = self._loss_w.getPlotItem().plot(pen=pen)
                acc = self._acc_w.getPlotItem().plot(pen=pen)
                self._items[key] = (loss, acc, -1)
            loss, acc, n = self._items[key]
            loss.setPen(pen)
            acc.setPen(pen)
            if n != len(r.history):
                x = np.array([p.epoch + 1.0 for p in r.history])
                vl = np.array([p.val_loss for p in r.history])
                ok = np.isfinite(vl) & (vl > 0)
                loss.setData(x[ok], vl[ok])
                acc.setData(x, np.array([100.0 * p.val_acc for p in r.history]))
                self._items[key] = (loss, acc, len(r.history))

    # -- hover --------------------------------------------------------------------
    def _on_mouse_moved(self, widget: pg.PlotWidget, pos: QPointF) -> None:
        vb = widget.getPlotItem().vb
        found = None
        if vb.sceneBoundingRect().contains(pos):
            p = vb.mapSceneToView(pos)
            pw, ph = vb.viewPixelSize()
            log = widget is self._loss_w
            best = HOVER_PX**2
            for r in self._shown:
                for point in r.history:
                    y = point.val_loss if log else 100.0 * point.val_acc
                    if log:
                        if not (y > 0 and math.isfinite(y)):
                            continue
                        y = math.log10(y)
                    d2 = ((point.epoch + 1.0 - p.x()) / pw) ** 2 + ((y - p.y()) / ph) ** 2
                    if d2 <= best:
                        best, found = d2, (r, point.epoch)
        self._show_hover(found)

    def _show_hover(self, found: tuple[RunRecord, int] | None) -> None:
        self._hovered = found
        if found is None:
            self._hover.setText(HOVER_HINT)
            return
        r, epoch = found
        point = next(p for p in r.history if p.epoch == epoch)
        lr = span(text.value(r.started.learning_rate, 3), text.value(r.ended.learning_rate, 3))
        self._hover.setText(
            f"{r.name} · epoch {epoch + 1}: val acc {point.val_acc:.2%}, "
            f"val loss {point.val_loss:.3f} · {r.ended.network} · {r.started.optimizer} · lr {lr}"
        )
