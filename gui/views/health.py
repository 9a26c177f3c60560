"""The network's health: is every layer learning, are units dying, do classes separate?

Four pictures, all from the Snapshots (computed in the training thread):

- per layer, the L2 norm of the weights (solid) and of the last batch's gradient
  (dashed) per epoch, log scale: a layer whose gradient is orders of magnitude
  below the others barely learns;
- per hidden layer, the share of dead units (constant output over validation
  images: a ReLU that never fires);
- one layer's weight histogram now against the run's first snapshot, as densities
  (a layer resized from 128 to 416 units compares by shape, not by count);
- the last hidden layer's activations for a fixed sample of validation digits,
  projected on their two principal components and coloured by label. Hovering
  a point shows that digit.

Live changes (a resize, a new learning rate) are marked on the time series where
they happened, their labels stacked so they never overlap. The x axes span the
epochs shown, with whole-epoch ticks; a run opened from a checkpoint starts at
the epoch it was saved at (a checkpoint keeps no earlier norms), and a snapshot
of the same epoch (the weights restored after a divergence, then the epoch's
end) replaces the point rather than adding one. A moment of the timeline looked
back at (a snapshot marked ``extras["moment"]``) shows its histogram and map and
leaves the time series as they are. Until the first snapshot the panel says what
will appear instead of drawing empty axes.

Plot items are made once per run and updated with ``setData``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.events import BatchProgress, HyperparameterChanged, Snapshot, Started
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.header import ViewHeader
from gui.shared.legend import Legend
from gui.shared.pacing import Latest
from gui.views.curve_parts import change_label
from gui.views.health_norms import NormPlots
from gui.views.health_parts import DigitInset, colour_key, density, health_plot
from gui.views.health_series import HealthSeries

HOVER_PX = 8  # how near the mouse a point must be to count as hovered, in pixels
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
#: Delay between a snapshot's arrival and its drawing (the last of the snapshot views).
DRAW_DELAY_MS = 120
EMPTY = (
    f"{PRESS_START}: after epoch 1 this tab shows each layer's weight and gradient "
    "norms, its dead units, its weight histogram and a map of the last hidden layer."
)


class HealthView(QWidget):
    """Norms, dead units, weight histograms and a PCA map of the hidden layer."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.norms = NormPlots()
        self._hist_w = health_plot(
            "Weights now vs first snapshot", "density", "Health: weight histogram"
        )
        self._hist_w.setLabel("bottom", "weight value")
        self._hist_w.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        self._pca_w = health_plot(
            "Last hidden layer, PCA of validation digits",
            "PC 2",
            "Health: map of the last hidden layer",
        )
        self._pca_w.setLabel("bottom", "PC 1")
        self._layer_key = QLabel("")
        self._layer_key.setToolTip(
            "Colour of each layer in the norm and dead-unit plots "
            "(hidden layer n is the output of layer n)"
        )
        self._class_key = QLabel("")
        self._class_key.setToolTip("Colour of each class in the PCA map")
        self._hist_legend = Legend(wrap=False)
        self.header = ViewHeader("health", self._layer_key)

        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which layer's weights the histogram shows")
        self.layer_box.currentIndexChanged.connect(lambda _i: self._draw_histogram())
        self._scatter = pg.ScatterPlotItem(size=6, pen=None)
        self._pca_w.getPlotItem().addItem(self._scatter)
        self._inset = DigitInset(self._pca_w)
        self._pca_w.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._hist_now = self._hist_w.plot(stepMode="center", fillLevel=0)
        self._hist_first = self._hist_w.plot(stepMode="center")

        hist_box = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("Histogram of"))
        row.addWidget(self.layer_box)
        row.addWidget(self._hist_legend, 1)
        hist_box.addLayout(row)
        hist_box.addWidget(self._hist_w, 1)
        pca_box = QVBoxLayout()
        pca_box.addWidget(self._pca_w, 1)
        pca_box.addWidget(self._class_key)
        grid = QGridLayout()
        grid.addWidget(self.norms.norms_w, 0, 0)
        grid.addWidget(self.norms.dead_w, 0, 1)
        grid.addLayout(hist_box, 1, 0)
        grid.addLayout(pca_box, 1, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        plots = QWidget()
        plots.setLayout(grid)
        self._box = EmptyState(plots, EMPTY)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self._box, 1)

        self.series = HealthSeries()
        self._batches = 0
        self._hovered: int | None = None
        self._stale = False
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        # Drawn in a turn of its own, after the other snapshot views have drawn theirs.
        self._latest = Latest(lambda _snap: self._redraw(), DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._on_snapshot)
        bus.started.connect(self._on_started)
        bus.run_reset.connect(self._on_run_reset)
        bus.batch.connect(self._on_batch)
        bus.changed.connect(self._on_changed)
        # Where a run stands still, the picture of where it stopped is drawn at once.
        bus.settled.connect(self._latest.flush)

    # -- public ---------------------------------------------------------------
    def draw_now(self) -> None:
        """Draw the latest snapshot now, shown or not (for an export of the plots)."""
        self._latest.flush()
        if self._stale:
            self._redraw()

    def epochs(self) -> np.ndarray:
        """The x values of the time series: epochs completed at each snapshot."""
        return np.asarray(self.series.x, dtype=float)

    def norm_series(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Weight and gradient norms of ``layer`` (0-based) per snapshot (NaN when unknown)."""
        return np.array(self.series.weight[layer]), np.array(self.series.grad[layer])

    def dead_series(self, layer: int) -> np.ndarray:
        """Dead-unit share (0..1) of hidden ``layer`` per snapshot."""
        return np.array(self.series.dead[layer])

    def histograms(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Counts of ``layer``'s weight histogram: ``(now, first snapshot)``."""
        s = self.series
        return np.asarray(s.hists_now[layer][0]), np.asarray(s.hists_first[layer][0])

    def drawn_histograms(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The chosen layer's histograms as drawn: ``(edges, density)`` for now and, unless
        the first snapshot is now's (nothing to compare with), for the first."""
        self.draw_now()
        drawn = []
        for item in (self._hist_now, self._hist_first):
            x, y = item.xData, item.yData
            if x is not None and len(x):
                drawn.append((np.asarray(x), np.asarray(y)))
        return drawn

    def histogram_legend(self) -> list[str]:
        """The histogram's legend entries, as they read."""
        self.draw_now()
        return self._hist_legend.entries()

    def marker_labels(self) -> list[str]:
        """The change markers on the time series, oldest first."""
        return self.norms.markers.labels()

    def marker_positions(self) -> list[float]:
        """Where the change markers sit on the epoch axis."""
        return self.norms.markers.positions()

    def x_range(self) -> tuple[float, float]:
        """The epoch axis's range as drawn."""
        self.draw_now()
        lo, hi = self.norms.norms_w.getPlotItem().vb.viewRange()[0]
        return float(lo), float(hi)

    def shown_epoch(self) -> int | None:
        """The epoch (1-based) of the latest snapshot, None before one."""
        return self.series.shown_epoch

    def norms_title(self) -> str:
        return self.norms.norms_w.getPlotItem().titleLabel.text

    def empty_message(self) -> str:
        return self._box.message()

    def pca_points(self) -> np.ndarray:
        """The PCA map's points ``(n, 2)`` as drawn."""
        return self.series.points.copy()

    def dots_drawn(self) -> int:
        """How many dots the PCA map draws now (it lags behind while the panel is hidden)."""
        self._latest.flush()
        return len(self._scatter.data)

    def point_at(self, scene_pos: QPointF) -> int | None:
        """The sample under ``scene_pos`` (within a few pixels), or None."""
        self._latest.flush()
        vb = self._pca_w.getPlotItem().vb
        points = self.series.points
        if not len(points) or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        d2 = ((points[:, 0] - p.x()) / pw) ** 2 + ((points[:, 1] - p.y()) / ph) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= HOVER_PX**2 else None

    def scene_pos_of(self, i: int) -> QPointF:
        """Where sample ``i`` is drawn, in scene coordinates."""
        self._latest.flush()
        x, y = self.series.points[i]
        return self._pca_w.getPlotItem().vb.mapViewToScene(QPointF(float(x), float(y)))

    def hovered(self) -> int | None:
        """The sample whose digit the inset shows, if any."""
        return self._hovered

    def show_sample(self, i: int | None) -> None:
        """Show sample ``i``'s digit and label in the inset (None hides it)."""
        self._hovered = i
        s = self.series
        if i is None or s.images is None:
            self._inset.hide()
            return
        image = np.asarray(s.images[i]).reshape(s.shape)
        self._inset.show_digit(image, f"label {s.name(int(s.labels[i]))}")

    def inset_text(self) -> str:
        """What the inset says about the hovered digit ("" when hidden)."""
        return self._inset.text()

    # -- events ---------------------------------------------------------------
    def _on_snapshot(self, snap: Snapshot) -> None:
        s = self.series
        if len(snap.weight_norms) != len(s.weight):
            self._build_layers(len(snap.weight_norms), len(snap.dead_fraction))
        s.add(snap)
        hidden = "-".join(str(W.shape[1]) for W in snap.params[0::2][:-1]) or "no"
        self.header.set_status(f"epoch {snap.epoch + 1} · {hidden} hidden units")
        self._box.show_content()
        if self.isVisible():
            self._latest.offer(snap)
        else:  # another tab is shown: draw once it is looked at, not at every snapshot
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._redraw()

    def _redraw(self) -> None:
        self._stale = False
        self.norms.draw(self.series)
        self._draw_histogram()
        self._draw_pca()

    def _on_batch(self, ev: BatchProgress) -> None:
        self._batches = max(int(ev.batches), 1)

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        x = ev.epoch + (ev.batch / self._batches if self._batches else 0.0)
        self.norms.markers.add(x, change_label(ev), "change")
        self._stale = True
        if self.isVisible():
            self._latest.offer(None)

    def _build_layers(self, n_layers: int, n_hidden: int) -> None:
        self.series.reset(n_layers, n_hidden)
        self.norms.build(n_layers, n_hidden)
        self._layer_key.setText(self.norms.key())
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for l in range(n_layers):
            self.layer_box.addItem(f"W{l + 1}", l)
        self.layer_box.blockSignals(False)

    def _restyle(self, p: style.Palette) -> None:
        self.norms.colour()
        self._layer_key.setText(self.norms.key())
        self._hist_now.setPen(style.pen(p.run(0), 1.5))
        self._hist_now.setBrush(pg.mkBrush(p.faded(p.run(0), 0.3)))
        self._hist_first.setPen(style.pen(p.accent, 1.5, "dash"))
        self._brushes = [pg.mkBrush(p.category(c)) for c in range(10)]
        self._class_key.setText(colour_key([str(c) for c in range(10)]))
        self._draw_histogram()
        self._draw_pca()

    def _draw_histogram(self) -> None:
        s, p = self.series, style.palette()
        l = self.layer_box.currentIndex()
        plot = self._hist_w.getPlotItem()
        if l < 0 or l >= len(s.hists_now):
            self._hist_now.setData([], [])
            self._hist_first.setData([], [])
            self._hist_legend.set_entries([])
            return
        counts, edges = s.hists_now[l]
        self._hist_now.setData(np.asarray(edges), density(counts, edges))
        shape = "×".join(map(str, s.shapes_now[l])) if l < len(s.shapes_now) else ""
        entries = [(p.run(0), f"now · epoch {s.now_epoch} · {shape}", "box")]
        if s.first_epoch == s.now_epoch:  # one snapshot: nothing to compare with yet
            self._hist_first.setData([], [])
            self._hist_legend.set_entries(entries)
            style.set_title(plot, f"Weights at epoch {s.now_epoch}")
            return
        counts, edges = s.hists_first[l]
        self._hist_first.setData(np.asarray(edges), density(counts, edges))
        first = "×".join(map(str, s.shapes_first[l])) if l < len(s.shapes_first) else ""
        entries.append((p.accent, f"epoch {s.first_epoch} · {first}", "dash"))
        self._hist_legend.set_entries(entries)
        style.set_title(plot, f"Weights now vs epoch {s.first_epoch} (densities)")

    def _draw_pca(self) -> None:
        s = self.series
        brushes = [self._brushes[int(c) % len(self._brushes)] for c in s.labels]
        self._scatter.setData(pos=s.points, brush=brushes)
        p = self._pca_w.getPlotItem()
        if len(s.points):
            p.setLabel("bottom", f"PC 1 ({s.share[0]:.0%} of variance)")
            p.setLabel("left", f"PC 2 ({s.share[1]:.0%})")
        if self._hovered is not None and self._hovered < len(s.points):
            self.show_sample(self._hovered)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        i = self.point_at(pos)
        if i != self._hovered:
            self.show_sample(i)

    def _on_started(self, _ev: Started) -> None:
        if not self.series.x:
            self._box.show_message("Training: the health of each layer appears after epoch 1.")

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._build_layers(0, 0)
        self.series.clear()
        self.norms.markers.clear()
        self._batches = 0
        self._redraw()
        style.set_title(self._hist_w.getPlotItem(), "Weights now vs first snapshot")
        self.show_sample(None)
        self.header.set_status("")
        self._box.show_message(EMPTY)
