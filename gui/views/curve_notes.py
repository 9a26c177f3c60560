"""What a teacher would point out, marked on the curves with its one line of text.

The notes come from :func:`core.training.notes.notable` (the best epoch, where
overfitting starts, a training loss that went up, most of a layer's units dead)
and are recomputed after every epoch, so a note moves or goes when later epochs
change the picture. Each is a star on the curve it is about (in the accent colour,
unlike the dashed lines of setting changes) with its text beside it, on the side
of the plot where there is room. The items are made once and moved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pyqtgraph as pg

from core.training.events import EpochReport
from core.training.notes import Note, notable
from gui.shared import style

#: Per kind: on the loss plot or not, the row's value it sits on, text above (True) or below.
PLACES = {
    "best": (False, "val_acc", False),
    "overfitting": (True, "val_loss", True),
    "lr_too_high": (True, "train_loss", True),
    "dead_units": (False, "val_acc", False),
}


class NoteLayer:
    """Stars and one-line texts on the loss and accuracy plots."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem) -> None:
        self._plots = {True: loss, False: acc}
        self._notes: list[Note] = []
        self._stars: dict[str, pg.PlotDataItem] = {}
        self._texts: dict[str, pg.TextItem] = {}
        for kind, (on_loss, _key, _above) in PLACES.items():
            star = pg.PlotDataItem(pen=None, symbol="star", symbolSize=15)
            star.setZValue(20)
            star.hide()
            text = pg.TextItem("", anchor=(0, 0))
            text.setZValue(21)
            self._plots[on_loss].addItem(star, ignoreBounds=True)
            self._plots[on_loss].addItem(text, ignoreBounds=True)
            text.hide()
            self._stars[kind], self._texts[kind] = star, text
        self.restyle()

    def texts(self) -> list[str]:
        """The notes shown, oldest epoch first."""
        return [n.text for n in self._notes]

    def notes(self) -> list[Note]:
        return list(self._notes)

    def restyle(self) -> None:
        p = style.palette()
        for star in self._stars.values():
            star.setSymbolBrush(p.accent)
            star.setSymbolPen(pg.mkPen(p.surface, width=1))
        for text in self._texts.values():
            text.setColor(p.accent)
            text.fill = pg.mkBrush(p.faded(p.surface, 0.85))
            text.setFont(style.font("small", bold=True))

    def update(
        self,
        rows: Sequence[EpochReport],
        dead: Mapping[int, Sequence[float]],
        x_range: tuple[float, float],
    ) -> None:
        """Find the notes of ``rows`` (and the dead units per epoch) and place them."""
        history = [
            {
                "epoch": r.epoch,
                "train_loss": r.train_loss,
                "val_loss": r.val_loss,
                "val_acc": r.val_acc,
                "train_acc": r.train_acc,
            }
            for r in rows
        ]
        first = rows[0].epoch if rows else 0
        notes = notable(history, {e - first: d for e, d in dead.items() if e >= first})
        self._notes = [Note(epoch=n.epoch + first, kind=n.kind, text=n.text) for n in notes]
        shown = {n.kind: n for n in self._notes}
        by_epoch = {r.epoch: r for r in rows}
        mid = (x_range[0] + x_range[1]) / 2
        for kind, (on_loss, key, above) in PLACES.items():
            note = shown.get(kind)
            row = by_epoch.get(note.epoch) if note is not None else None
            value = float(getattr(row, key)) if row is not None else math.nan
            if key.endswith("acc"):
                value *= 100.0
            if not (math.isfinite(value) and (not on_loss or value > 0)):
                self._stars[kind].hide()  # hidden items cost nothing when the plot repaints
                self._texts[kind].hide()
                continue
            x = note.epoch + 1.0
            self._stars[kind].setData([x], [value])
            self._stars[kind].show()
            text = self._texts[kind]
            text.setText(note.text)
            text.setAnchor((1.0 if x > mid else 0.0, 1.3 if above else -0.6))
            text.setPos(x, math.log10(value) if on_loss else value)
            text.show()

    def clear(self) -> None:
        self._notes = []
        for kind in PLACES:
            self._stars[kind].hide()
            self._texts[kind].hide()
