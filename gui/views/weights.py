"""W1 as a grid of receptive fields: what each hidden unit looks for in the input.

Column ``j`` of W1 ``(fan_in, hidden)`` is reshaped to the image shape and drawn as
one tile; all tiles go into a single mosaic image (1-pixel transparent gaps, grid
near-square), so a snapshot costs one ``setImage`` however many units there are.
Colour images (32x32x3) are shown as the mean over their channels.

Each tile is scaled by its own largest magnitude by default ("per unit"): the
pattern of every unit is readable even when their sizes differ a lot, and the
hover label gives the unit's L2 norm for comparing sizes. Unticking "per unit"
puts every tile on one symmetric scale, ±max|w| over the whole layer.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.training.events import Snapshot
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.shared.mosaic import GAP, grid_for, prepare
from gui.shared.pacing import Latest

#: Delay between a snapshot's arrival and its drawing: the first of the snapshot views.
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
DRAW_DELAY_MS = 0
HOVER_HINT = "Hover over a unit to see its number and the L2 norm of its weights."


class WeightsView(QWidget):
    """The first layer's weights, one tile per hidden unit, refreshed per snapshot."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel("W1: waiting for the first snapshot")
        self._per_unit = QCheckBox("per unit")
        self._per_unit.setChecked(True)
        self._per_unit.setToolTip(
            "Scale each unit's tile by its own largest weight (patterns readable), "
            "or all units on one scale (sizes comparable)"
        )
        self._per_unit.toggled.connect(self._redraw)
        self._hover = QLabel(HOVER_HINT)
        for label in (self._title, self._hover):  # long texts wrap, never widen the window
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setBackground(None)
        self._vb = self._glw.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(cm.DIVERGING)
        self._vb.addItem(self._image)
        self._frame = QGraphicsRectItem()
        self._frame.setPen(pg.mkPen(cm.HIGHLIGHT, width=2, cosmetic=True))
        self._frame.setVisible(False)
        self._vb.addItem(self._frame)
        self._bar = pg.ColorBarItem(
            values=(-1, 1),
            colorMap=cm.DIVERGING,
            interactive=False,
            width=12,
            colorMapMenu=False,
        )
        self._bar.setImageItem(self._image)
        self._glw.addItem(self._bar)
        self._glw.scene().sigMouseMoved.connect(self._on_mouse_moved)

        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._per_unit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self._glw, 1)
        layout.addWidget(self._hover)

        self._tile_shape = (0, 1, 1)  # units, tile height, tile width
        self._pictures: dict[str, np.ndarray] = {}
        self._norms = np.zeros(0)
        self._grid = (0, 0)
        self._shown_shape: tuple[int, ...] = ()  # the mosaic's shape the view was fitted to
        self._epoch: int | None = None
        self._latest = Latest(self._draw_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
        bus.run_reset.connect(self._on_run_reset)
        # Where a run stands still, the picture of where it stopped is drawn at once.
        bus.settled.connect(self._latest.flush)

    # -- public ---------------------------------------------------------------
    def draw_now(self) -> None:
        """Draw the latest snapshot now, shown or not (for an export of the plot)."""
        self._latest.flush()

    def shown_epoch(self) -> int | None:
        """The epoch (1-based) of the snapshot drawn now (one waiting is not), None before one."""
        return self._epoch

    def title(self) -> str:
        self._latest.flush()
        return self._title.text()

    def grid_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the tile grid (``(0, 0)`` before the first snapshot)."""
        self._latest.flush()
        return self._grid

    def n_units(self) -> int:
        """How many hidden units the grid shows."""
        self._latest.flush()
        return int(self._tile_shape[0]) if self._grid != (0, 0) else 0

    def unit_norms(self) -> np.ndarray:
        """The L2 norm of each unit's incoming weights, ``(hidden,)``."""
        self._latest.flush()
        return self._norms.copy()

    def image(self) -> np.ndarray:
        """The mosaic as drawn (after scaling), NaN in the gaps; empty before a snapshot."""
        self._latest.flush()
        img = self._image.image
        return np.zeros((0, 0)) if img is None or self._grid == (0, 0) else np.array(img)

    def levels(self) -> tuple[float, float]:
        """The values drawn fully blue and fully red."""
        self._latest.flush()
        lo, hi = self._image.getLevels()
        return float(lo), float(hi)

    def set_per_unit(self, on: bool) -> None:
        """Scale each tile by its own largest weight (True) or all by the layer's (False)."""
        self._per_unit.setChecked(on)

    def unit_at(self, x: float, y: float) -> int | None:
        """The unit under mosaic pixel coordinates ``(x, y)``, or None in a gap or outside."""
        if self._grid == (0, 0) or x < 0 or y < 0:
            return None
        _, h, w = self._tile_shape
        col, cx = divmod(int(x), w + GAP)
        row, cy = divmod(int(y), h + GAP)
        if cx >= w or cy >= h or col >= self._grid[1]:
            return None
        unit = row * self._grid[1] + col
        return unit if unit < self._tile_shape[0] else None

    def hover_text(self) -> str:
        """What the hover label says now."""
        return self._hover.text()

    def show_unit(self, unit: int | None) -> None:
        """Outline ``unit`` and name it with its norm (what hovering does)."""
        if unit is None:
            self._frame.setVisible(False)
            self._hover.setText(HOVER_HINT)
            return
        _, h, w = self._tile_shape
        row, col = divmod(unit, self._grid[1])
        self._frame.setRect(QRectF(col * (w + GAP) - 0.5, row * (h + GAP) - 0.5, w + 1, h + 1))
        self._frame.setVisible(True)
        self._hover.setText(f"unit {unit} · ‖w‖ = {self._norms[unit]:.3f}")

    # -- events ---------------------------------------------------------------
    def _draw_snapshot(self, snap: Snapshot) -> None:
        fan_in, n = snap.weights.shape
        ready = "w1_mosaic" in snap.extras and snap.extras["w1_norms"].shape == (n,)
        self._pictures = dict(snap.extras) if ready else prepare(snap)
        self._norms = self._pictures["w1_norms"]
        h, w = cm.channel_mean(snap.weights[:, :1].T, tuple(snap.image_shape)).shape[1:]
        self._tile_shape = (n, h, w)
        self._grid = grid_for(n)
        self._epoch = snap.epoch + 1
        colour = " (colour channels averaged)" if len(snap.image_shape) == 3 else ""
        self._title.setText(
            f"W1 · {n} units · {fan_in} inputs each{colour} · epoch {snap.epoch + 1}"
        )
        self._redraw()
        self.show_unit(None)

    def _redraw(self) -> None:
        if self._grid == (0, 0):
            return
        if self._per_unit.isChecked():
            image, limit = self._pictures["w1_mosaic_per_unit"], 1.0
        else:
            image, limit = self._pictures["w1_mosaic"], float(self._pictures["w1_limit"])
        self._image.setImage(image, autoLevels=False)
        self._image.setLevels((-limit, limit))
        self._bar.setLevels((-limit, limit))
        label = "weight / unit's max" if self._per_unit.isChecked() else "weight"
        if self._bar.axis.labelText != label:  # a new label text relays the colour bar out
            self._bar.axis.setLabel(label)
        if image.shape != self._shown_shape:  # fitting the view costs a relayout: only on change
            self._shown_shape = image.shape
            self._vb.autoRange(padding=0.01)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self._grid == (0, 0) or not self._vb.sceneBoundingRect().contains(pos):
            self.show_unit(None)
            return
        p = self._image.mapFromScene(pos)
        self.show_unit(self.unit_at(p.x(), p.y()))

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._shown_shape = ()
        self._tile_shape = (0, 1, 1)
        self._pictures = {}
        self._norms = np.zeros(0)
        self._grid = (0, 0)
        self._epoch = None
        self._image.clear()
        self.show_unit(None)
        self._title.setText("W1: waiting for the first snapshot")
