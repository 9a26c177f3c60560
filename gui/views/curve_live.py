"""The live run on the curves: its points, kept in buffers, and the plot items that draw them.

The x axis counts epochs completed: epoch ``e``'s report sits at ``e + 1`` and the
running loss after batch ``b`` (0-based) of ``n`` at ``e + (b + 1) / n``. The running
loss is an exponential moving average of the batch losses received (bias-corrected,
carried across epochs, so it shows no jump where an epoch's own mean would restart).
Slots only append; :meth:`LiveRun.draw` hands what changed to the plot items. Past
:data:`SYMBOL_LIMIT` epochs the curves drop their symbols: painting thousands of them
costs more than they show.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from core.training.events import BatchProgress, EpochReport
from gui.shared import style
from gui.shared.state import Branch
from gui.views.curve_parts import Buffer

SMOOTHING = 0.95  # weight of the past in the running loss's moving average
SERIES = ("running_loss", "train_loss", "val_loss", "train_acc", "val_acc")
#: Per-epoch curves show a symbol at every point up to this many epochs.
SYMBOL_LIMIT = 60


class LiveRun:
    """Buffers and items of the current run's five curves (running, train and val loss and
    accuracy), its epoch reports and the dead-unit shares its snapshots measured."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem) -> None:
        self.buffers = {name: Buffer() for name in SERIES}
        self.items: dict[str, pg.PlotDataItem] = {
            name: (loss if name.endswith("loss") else acc).plot() for name in SERIES
        }
        self.items["running_loss"].setDownsampling(auto=True, method="peak")
        self.items["running_loss"].setClipToView(True)
        for item in self.items.values():
            item.setZValue(5)
        self.rows: list[EpochReport] = []
        self.dead: dict[int, tuple[float, ...]] = {}
        self.dirty: set[str] = set()
        self.batches = 0  # batches per epoch, from the latest BatchProgress
        self._ema, self._ema_weight = 0.0, 0.0  # moving average and its bias correction

    def add_batch(self, ev: BatchProgress) -> bool:
        """Take a batch's loss into the running loss; False when there was nothing to draw."""
        self.batches = max(int(ev.batches), 1)
        if not (np.isfinite(ev.loss) and ev.loss > 0):
            return False
        self._ema = SMOOTHING * self._ema + (1.0 - SMOOTHING) * ev.loss
        self._ema_weight = SMOOTHING * self._ema_weight + (1.0 - SMOOTHING)
        x = ev.epoch + (ev.batch + 1) / self.batches
        self.buffers["running_loss"].append(x, self._ema / self._ema_weight)
        self.dirty.add("running_loss")
        return True

    def add_epoch(self, ev: EpochReport) -> None:
        self.rows.append(ev)
        x = ev.epoch + 1.0
        for name, value, scale in (
            ("train_loss", ev.train_loss, 1.0),
            ("val_loss", ev.val_loss, 1.0),
            ("train_acc", ev.train_acc, 100.0),
            ("val_acc", ev.val_acc, 100.0),
        ):
            # A diverged loss (inf, nan) has no place on a log axis; the marker says enough.
            if np.isfinite(value) and (scale != 1.0 or value > 0):
                self.buffers[name].append(x, value * scale)
                self.dirty.add(name)

    def start_at(self, branch: Branch) -> None:
        """A fork's curves leave the original's at the moment it was forked from."""
        for name, value, scale in (
            ("train_loss", branch.train_loss, 1.0),
            ("val_loss", branch.val_loss, 1.0),
            ("train_acc", branch.train_acc, 100.0),
            ("val_acc", branch.val_acc, 100.0),
        ):
            if value is not None and np.isfinite(value) and self.buffers[name].n == 0:
                self.buffers[name].append(branch.x, value * scale)
                self.dirty.add(name)

    def x_of(self, epoch: int, batch: int) -> float:
        """Where a change before batch ``batch`` of ``epoch`` happened on the x axis."""
        return epoch + (batch / self.batches if self.batches else 0.0)

    def draw(self) -> bool:
        """Pass the changed buffers to their items; True when something was drawn."""
        for name in self.dirty:
            item = self.items[name]
            x, y = self.buffers[name].data()
            if name != "running_loss":
                symbol = None if x.size > SYMBOL_LIMIT else ("o" if "train" in name else "s")
                if item.opts["symbol"] != symbol:
                    item.setSymbol(symbol)
            item.setData(x, y)
        drawn = bool(self.dirty)
        self.dirty.clear()
        return drawn

    def has(self, *names: str) -> bool:
        """Any of the curves ``names`` has a point."""
        return any(self.buffers[n].n for n in names)

    def spans(self) -> list[tuple[str, float, float]]:
        """``(kind, lo, hi)`` of the points: the epochs ("x"), "loss" and "acc" values."""
        out = []
        for name in SERIES:
            x, y = self.buffers[name].data()
            if x.size:
                out.append(("x", float(x[-1]), float(x[-1])))
                kind = "loss" if name.endswith("loss") else "acc"
                out.append((kind, float(y.min()), float(y.max())))
        return out

    def colour(self, colour: QColor) -> None:
        """Validation solid, training dashed, the running loss thin: all in the run's colour."""
        p = style.palette()
        for name, item in self.items.items():
            if name == "running_loss":
                item.setPen(style.pen(p.faded(colour, 0.6), style.WIDTH_THIN))
                continue
            dashed = name.startswith("train")
            width = style.WIDTH_LIVE - 0.8 * dashed
            item.setPen(style.pen(colour, width, "dash" if dashed else "solid"))
            item.setSymbolBrush(colour)
            item.setSymbolPen(None)
            item.setSymbolSize(5)

    def clear(self) -> None:
        for name in SERIES:
            self.buffers[name].clear()
            self.items[name].setData([], [])
        self._ema, self._ema_weight = 0.0, 0.0
        self.rows.clear()
        self.dead.clear()
        self.dirty.clear()
