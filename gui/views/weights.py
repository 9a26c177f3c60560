"""W1 as a grid of receptive fields: what each hidden unit looks for in the input.

Column ``j`` of W1 ``(fan_in, hidden)`` is reshaped to the image shape and drawn as
one tile; all tiles go into a single mosaic image (1-pixel transparent gaps), so a
snapshot costs one ``setImage`` however many units there are. The grid's columns
depend on the number of units (16 for 128, see :func:`gui.shared.mosaic.grid_for`)
and the tiles grow to fill the panel. Colour images (32x32x3) are shown as the
mean over their channels.

Each tile is scaled by its own largest magnitude by default ("per unit"): the
pattern of every unit is readable even when their sizes differ a lot, and the
hover line gives the unit's L2 norm for comparing sizes. Unticking "per unit"
puts every tile on one symmetric scale, ±max|w| over the whole layer. A short
colour key under the grid says what red and blue mean. Clicking a unit opens
it up close (:mod:`gui.views.unit_detail`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QCheckBox, QGraphicsRectItem, QHBoxLayout, QVBoxLayout, QWidget

from core.training.events import Snapshot, Started
from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.colour_key import ColourKey, gradient
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.header import ElidedLabel, ViewHeader
from gui.shared.mosaic import GAP, grid_for, prepare
from gui.shared.pacing import Latest
from gui.views.unit_detail import UnitPopover, unit_detail

#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
#: Delay between a snapshot's arrival and its drawing: the first of the snapshot views.
DRAW_DELAY_MS = 0
HOVER_HINT = "Hover a unit for its norm; click it to open it."
EMPTY = f"{PRESS_START}: each hidden unit's weights appear here as a picture after epoch 1."


class WeightsView(QWidget):
    """The first layer's weights, one tile per hidden unit, refreshed per snapshot."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._per_unit = QCheckBox("per unit")
        self._per_unit.setChecked(True)
        self._per_unit.setToolTip(
            "Scale each unit's tile by its own largest weight (patterns readable), "
            "or all units on one scale (sizes comparable)"
        )
        self._per_unit.toggled.connect(self._redraw)
        self.header = ViewHeader("weights", self._per_unit)
        self._hover = ElidedLabel(HOVER_HINT)
        self._hover.setObjectName("readout")
        self.key = ColourKey(gradient("diverging"), "−max", "+max")
        self.key.setToolTip("Blue: a bright pixel there switches the unit off; red: on")

        self._glw = pg.GraphicsLayoutWidget()
        self._vb = self._glw.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self._vb.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._image)
        # The gaps between tiles drawn again as one-pixel lines of the panel's colour: the
        # mosaic's own gaps vanish where the panel shows it smaller than its pixels.
        self._gaps = pg.PlotCurveItem(connect="pairs")
        self._gaps.setZValue(1)
        self._vb.addItem(self._gaps)
        self._frame = QGraphicsRectItem()
        self._frame.setVisible(False)
        self._frame.setZValue(2)
        self._vb.addItem(self._frame)
        style.style_view(self._glw, "First-layer weights (W1)")
        self._glw.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._glw.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._box = EmptyState(self._glw, EMPTY)
        self._popover: UnitPopover | None = None

        foot = QHBoxLayout()
        foot.addWidget(self._hover, 1)
        foot.addWidget(self.key)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self._box, 1)
        layout.addLayout(foot)

        self._snap: Snapshot | None = None
        self._tile_shape = (0, 1, 1)  # units, tile height, tile width
        self._pictures: dict[str, np.ndarray] = {}
        self._norms = np.zeros(0)
        self._grid = (0, 0)
        self._shown_shape: tuple[int, ...] = ()  # the mosaic's shape the view was fitted to
        self._epoch: int | None = None
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        self._show_foot(False)
        self._latest = Latest(self._draw_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
        bus.started.connect(self._on_started)
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
        """The header's status: units, inputs and epoch."""
        self._latest.flush()
        return self.header.status()

    def empty_message(self) -> str:
        self._latest.flush()
        return self._box.message()

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

    def scene_pos_of(self, unit: int) -> QPointF:
        """The middle of ``unit``'s tile in scene coordinates."""
        self._latest.flush()
        _, h, w = self._tile_shape
        row, col = divmod(unit, self._grid[1])
        return self._image.mapToScene(QPointF(col * (w + GAP) + w / 2, row * (h + GAP) + h / 2))

    def hover_text(self) -> str:
        """What the hover line says now."""
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
        self._hover.setText(f"unit {unit} · ‖w‖ = {self._norms[unit]:.3f} · click to open it")

    def click_unit(self, unit: int) -> UnitPopover | None:
        """Open ``unit`` up close (what a click on its tile does); None without a snapshot."""
        self._latest.flush()
        if self._snap is None or not 0 <= unit < self._tile_shape[0]:
            return None
        if self._popover is None:
            self._popover = UnitPopover(self)
        view_point = self._glw.mapFromScene(self.scene_pos_of(unit))
        where = self._glw.viewport().mapToGlobal(view_point)
        self._popover.show_detail(unit_detail(self._snap, unit), where)
        return self._popover

    # -- events ---------------------------------------------------------------
    def _draw_snapshot(self, snap: Snapshot) -> None:
        n = snap.weights.shape[1]
        ready = "w1_mosaic" in snap.extras and snap.extras["w1_norms"].shape == (n,)
        self._pictures = dict(snap.extras) if ready else prepare(snap)
        self._snap = snap
        self._norms = self._pictures["w1_norms"]
        h, w = cm.channel_mean(snap.weights[:, :1].T, tuple(snap.image_shape)).shape[1:]
        self._tile_shape = (n, h, w)
        self._grid = grid_for(n)
        self._epoch = snap.epoch + 1
        colour = " (colour channels averaged)" if len(snap.image_shape) == 3 else ""
        self.header.set_status(f"{n} units{colour} · epoch {self._epoch}")
        self._box.show_content()
        self._show_foot(True)
        self._redraw()
        self.show_unit(None)

    def _redraw(self) -> None:
        if self._grid == (0, 0):
            return
        per_unit = self._per_unit.isChecked()
        if per_unit:
            image, limit = self._pictures["w1_mosaic_per_unit"], 1.0
        else:
            image, limit = self._pictures["w1_mosaic"], float(self._pictures["w1_limit"])
        self._image.setImage(image, autoLevels=False)
        self._image.setLevels((-limit, limit))
        low, high = ("−max", "+max") if per_unit else (f"−{limit:.2g}", f"+{limit:.2g}")
        self.key.set_labels(low, high)
        if image.shape != self._shown_shape:  # fitting the view costs a relayout: only on change
            self._shown_shape = image.shape
            self._draw_gaps(image.shape)
            self._vb.autoRange(padding=0.01)

    def _draw_gaps(self, shape: tuple[int, ...]) -> None:
        """A line down the middle of every gap between tiles, as pairs of points."""
        _, h, w = self._tile_shape
        rows, cols = self._grid
        height, width = shape[:2]
        xs = [c * (w + GAP) - GAP / 2 for c in range(1, cols)]
        ys = [r * (h + GAP) - GAP / 2 for r in range(1, rows)]
        px = [v for x in xs for v in (x, x)] + [v for _y in ys for v in (0.0, float(width))]
        py = [v for _x in xs for v in (0.0, float(height))] + [v for y in ys for v in (y, y)]
        self._gaps.setData(np.asarray(px, dtype=float), np.asarray(py, dtype=float))

    def _restyle(self, p: style.Palette) -> None:
        self._image.setColorMap(cm.diverging())
        self._frame.setPen(pg.mkPen(p.accent, width=2, cosmetic=True))
        self._gaps.setPen(pg.mkPen(p.surface, width=1, cosmetic=True))

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self._grid == (0, 0) or not self._vb.sceneBoundingRect().contains(pos):
            self.show_unit(None)
            return
        p = self._image.mapFromScene(pos)
        self.show_unit(self.unit_at(p.x(), p.y()))

    def _on_mouse_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self._grid == (0, 0):
            return
        p = self._image.mapFromScene(ev.scenePos())
        unit = self.unit_at(p.x(), p.y())
        if unit is not None:
            self.click_unit(unit)

    def _on_started(self, _ev: Started) -> None:
        if self._grid == (0, 0):
            self._box.show_message("Training: the pictures of the units appear after epoch 1.")

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._snap = None
        self._shown_shape = ()
        self._gaps.setData([], [])
        self._tile_shape = (0, 1, 1)
        self._pictures = {}
        self._norms = np.zeros(0)
        self._grid = (0, 0)
        self._epoch = None
        self._image.clear()
        self.show_unit(None)
        if self._popover is not None:
            self._popover.hide()
        self.header.set_status("")
        self._box.show_message(EMPTY)
        self._show_foot(False)

    def _show_foot(self, shown: bool) -> None:
        """The hover line and the colour key, only beside a picture they are about."""
        self._hover.setVisible(shown)
        self.key.setVisible(shown)
