"""Earlier runs on the curves, each in its own colour, and finding the point under the mouse.

When a new run starts, the one before stays on the plots, faded, in the colour
the session gave it (validation solid, training dashed), so a change reads
against what came before. :func:`nearest_point` finds the point of any run
nearest the mouse, within a few pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg

from gui.shared import style

#: How near the mouse a point must be to count as hovered, in pixels.
HOVER_PX = 10
KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")

Curve = tuple[str, str, np.ndarray, np.ndarray]  # run name, series key, x, y


class EarlierRuns:
    """The faded curves of earlier runs: name, colour index and one item per series."""

    def __init__(self, loss: pg.PlotItem, acc: pg.PlotItem) -> None:
        self._loss, self._acc = loss, acc
        self._runs: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self._runs)

    def names(self) -> list[tuple[str, int]]:
        """``(name, colour index)`` of each earlier run, oldest first."""
        return [(r["name"], r["colour"]) for r in self._runs]

    def add(self, data: dict[str, tuple[np.ndarray, np.ndarray]], name: str, colour: int) -> bool:
        """Keep a run's per-epoch curves ``{key: (x, y)}``; False when there is nothing to draw."""
        kept = {k: (x, y) for k, (x, y) in data.items() if k in KEYS and len(x)}
        if not kept:
            return False
        items = {}
        for key, (x, y) in kept.items():
            item = pg.PlotDataItem(x, y)
            item.setZValue(-10)
            (self._loss if key.endswith("loss") else self._acc).addItem(item)
            items[key] = item
        self._runs.append({"name": name, "colour": colour, "data": kept, "items": items})
        self.restyle()
        return True

    def add_rows(self, rows: Sequence[dict], name: str, colour: int) -> bool:
        """Keep a run given as history rows (epoch, train/val loss and accuracy)."""
        x = np.array([r["epoch"] + 1.0 for r in rows])
        data = {}
        for key in KEYS:
            scale = 100.0 if key.endswith("acc") else 1.0
            y = np.array([float(r[key]) * scale for r in rows])
            ok = np.isfinite(y) & ((y > 0) if scale == 1.0 else True)
            data[key] = (x[ok], y[ok])
        return self.add(data, name, colour)

    def bounds(self) -> list[tuple[str, float, float]]:
        """``(kind, lo, hi)``: the epochs ("x") and values ("loss", "acc") the runs span."""
        out = []
        for r in self._runs:
            for key, (x, y) in r["data"].items():
                out.append(("x", float(x[-1]), float(x[-1])))
                out.append(
                    ("loss" if key.endswith("loss") else "acc", float(y.min()), float(y.max()))
                )
        return out

    def curves(self, keys: Sequence[str]) -> list[Curve]:
        return [(r["name"], k, *r["data"][k]) for r in self._runs for k in keys if k in r["data"]]

    def restyle(self) -> None:
        p = style.palette()
        for r in self._runs:
            colour = p.faded(p.run(r["colour"]))
            for key, item in r["items"].items():
                dashed = key.startswith("train")
                item.setPen(style.pen(colour, style.WIDTH_LINE, "dash" if dashed else "solid"))

    def clear(self) -> None:
        for r in self._runs:
            for key, item in r["items"].items():
                (self._loss if key.endswith("loss") else self._acc).removeItem(item)
        self._runs.clear()


def nearest_point(
    vb: pg.ViewBox, scene_pos: Any, curves: Sequence[Curve], log_y: bool = False
) -> tuple[str, str, float, float] | None:
    """The point of ``curves`` nearest ``scene_pos``, within :data:`HOVER_PX` pixels."""
    if not vb.sceneBoundingRect().contains(scene_pos):
        return None
    p = vb.mapSceneToView(scene_pos)
    pw, ph = vb.viewPixelSize()
    best, found = HOVER_PX**2, None
    for name, key, x, y in curves:
        if not len(x):
            continue
        ys = np.log10(np.where(y > 0, y, np.nan)) if log_y else y
        d2 = ((x - p.x()) / pw) ** 2 + ((ys - p.y()) / ph) ** 2
        i = int(np.nanargmin(d2)) if np.isfinite(d2).any() else -1
        if i >= 0 and d2[i] <= best:
            best, found = float(d2[i]), (name, key, float(x[i]), float(y[i]))
    return found if found is None or math.isfinite(found[3]) else None
