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
they happened, so a jump of a norm has its reason beside it. The x axes span the
epochs shown, with whole-epoch ticks; a run opened from a checkpoint starts at
the epoch it was saved at (a checkpoint keeps no earlier norms), and a snapshot
of the same epoch (the weights restored after a divergence, then the epoch's
end) replaces the point rather than adding one. A moment of the timeline looked back
at (a snapshot marked ``extras["moment"]``) shows its histogram and map and leaves the
time series as they are.

Plot items are made once per run and updated with ``setData``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core import text
from core.training.events import BatchProgress, HyperparameterChanged, Snapshot
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.shared.pacing import Latest, cache_static_parts

#: One colour per class (and per layer): ten well-separated hues.
PALETTE = [
    QColor(c)
    for c in (
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    )
]
HOVER_PX = 8  # how near the mouse a point must be to count as hovered, in pixels
INSET = 84  # side of the hovered digit's picture
#: Delay between a snapshot's arrival and its drawing (the last of the snapshot views).
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
DRAW_DELAY_MS = 120
#: Change markers kept on the time series (the newest).
MAX_MARKERS = 20
#: Most tick labels on an epoch axis.
MAX_TICKS = 8
SHORT_NAMES = {"learning_rate": "lr", "batch_size": "batch", "hidden": "hidden"}
NORMS_TITLE = "Weight ‖W‖ (solid) and gradient (dashed) norms"


def epoch_ticks(lo: float, hi: float) -> float:
    """Spacing of whole-epoch ticks (1, 2, 5, 10, ...) so that at most ``MAX_TICKS`` show."""
    span = max(hi - lo, 1.0)
    step = 1.0
    while span / step > MAX_TICKS:
        for m in (2.0, 2.5, 2.0):
            step *= m
            if span / step <= MAX_TICKS:
                break
    return step


def density(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """A histogram's counts as a density: area 1 whatever the layer's size."""
    counts = np.asarray(counts, dtype=float)
    widths = np.diff(np.asarray(edges, dtype=float))
    total = counts.sum()
    return counts / (total * widths) if total > 0 else counts


def _plot(title: str, left: str, log_y: bool = False) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setBackground(None)
    p = w.getPlotItem()
    p.setTitle(title, size="10pt")
    p.setLabel("left", left)
    p.showGrid(x=True, y=True, alpha=0.2)
    p.setLogMode(y=log_y)
    p.getViewBox().setDefaultPadding(0.1)  # a lone point sits inside the frame, not on it
    cache_static_parts(p)
    return w


def colour_key(names: list[str]) -> str:
    """HTML: a coloured square before each name, in the palette's order."""
    return " ".join(
        f"<span style='color:{PALETTE[i % len(PALETTE)].name()}'>■</span>&nbsp;{n}"
        for i, n in enumerate(names)
    )


class HealthView(QWidget):
    """Norms, dead units, weight histograms and a PCA map of the hidden layer."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._norms_w = _plot(NORMS_TITLE, "L2 norm", log_y=True)
        self._norms_w.setLabel("bottom", "epoch")
        self._dead_w = _plot("Dead units per hidden layer (constant output)", "dead (%)")
        self._dead_w.setLabel("bottom", "epoch")
        self._dead_w.setYRange(0, 100, padding=0.02)
        self._hist_w = _plot("Weights now vs first snapshot", "density")
        self._hist_w.setLabel("bottom", "weight value")
        self._hist_w.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        self._pca_w = _plot("Last hidden layer, PCA of validation digits", "PC 2")
        self._pca_w.setLabel("bottom", "PC 1")
        self._hist_w.getPlotItem().addLegend(
            offset=(-5, 5), labelTextSize="8pt", verSpacing=-8, brush=pg.mkBrush(128, 128, 128, 40)
        )
        self._layer_key = QLabel("")
        self._layer_key.setToolTip(
            "Colour of each layer in the norm and dead-unit plots "
            "(hidden layer n is the output of layer n)"
        )
        self._class_key = QLabel(colour_key([str(c) for c in range(len(PALETTE))]))
        self._class_key.setToolTip("Colour of each class in the PCA map")
        self._norms_w.setToolTip(
            "A layer whose gradient norm is far below the others' "
            "learns slowly (vanishing gradients)"
        )
        self._dead_w.setToolTip(
            "Units whose output is the same for every validation image "
            "pass nothing on and get no gradient back"
        )
        self._hist_w.setToolTip("How far the weights have moved from where they started")
        self._pca_w.setToolTip(
            "Each dot is a validation digit, placed by what the last hidden "
            "layer makes of it. Hover a dot to see the digit."
        )

        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which layer's weights the histogram shows")
        self.layer_box.currentIndexChanged.connect(lambda _i: self._draw_histogram())
        self._title = QLabel("Network health: waiting for the first snapshot")

        self._scatter = pg.ScatterPlotItem(size=6, pen=None)
        self._pca_w.getPlotItem().addItem(self._scatter)
        self._brushes = [pg.mkBrush(c) for c in PALETTE]
        self._inset = QFrame(self._pca_w)
        self._inset.setFrameShape(QFrame.Shape.Box)
        self._inset.setAutoFillBackground(True)
        self._inset_picture = QLabel()
        self._inset_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._inset_text = QLabel()
        self._inset_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        inset = QVBoxLayout(self._inset)
        inset.setContentsMargins(3, 3, 3, 3)
        inset.setSpacing(1)
        inset.addWidget(self._inset_picture)
        inset.addWidget(self._inset_text)
        self._inset.hide()
        self._pca_w.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self._hist_now = self._hist_w.plot(
            stepMode="center",
            fillLevel=0,
            name="now",
            pen=pg.mkPen(cm.TRAIN, width=1.5),
            brush=pg.mkBrush(31, 119, 180, 70),
        )
        self._hist_first = self._hist_w.plot(
            stepMode="center",
            name="first snapshot",
            pen=pg.mkPen(cm.VAL, width=1.5, style=Qt.PenStyle.DashLine),
        )

        hist_box = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("Histogram of"))
        row.addWidget(self.layer_box)
        row.addStretch(1)
        hist_box.addLayout(row)
        hist_box.addWidget(self._hist_w, 1)
        pca_box = QVBoxLayout()
        pca_box.addWidget(self._pca_w, 1)
        pca_box.addWidget(self._class_key, 0, Qt.AlignmentFlag.AlignHCenter)
        grid = QGridLayout()
        grid.addWidget(self._norms_w, 0, 0)
        grid.addWidget(self._dead_w, 0, 1)
        grid.addLayout(hist_box, 1, 0)
        grid.addLayout(pca_box, 1, 1)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._layer_key)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(grid, 1)

        self._marker_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._reset_state()
        # Drawn in a turn of its own, after the other snapshot views have drawn theirs.
        self._latest = Latest(lambda _snap: self._redraw(), DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._on_snapshot)
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
        return np.asarray(self._x, dtype=float)

    def norm_series(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Weight and gradient norms of ``layer`` (0-based) per snapshot (NaN when unknown)."""
        return np.array(self._weight[layer]), np.array(self._grad[layer])

    def dead_series(self, layer: int) -> np.ndarray:
        """Dead-unit share (0..1) of hidden ``layer`` per snapshot."""
        return np.array(self._dead[layer])

    def histograms(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Counts of ``layer``'s weight histogram: ``(now, first snapshot)``."""
        return (np.asarray(self._hists_now[layer][0]), np.asarray(self._hists_first[layer][0]))

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
        legend = self._hist_w.getPlotItem().legend
        return [label.text for _sample, label in legend.items]

    def marker_labels(self) -> list[str]:
        """The change markers on the time series, oldest first."""
        return [label for _x, label in self._changes]

    def marker_positions(self) -> list[float]:
        """Where the change markers sit on the epoch axis."""
        return [x for x, _label in self._changes]

    def x_range(self) -> tuple[float, float]:
        """The epoch axis's range as drawn."""
        self.draw_now()
        lo, hi = self._norms_w.getPlotItem().vb.viewRange()[0]
        return float(lo), float(hi)

    def shown_epoch(self) -> int | None:
        """The epoch (1-based) of the latest snapshot, None before one."""
        return self._shown_epoch

    def norms_title(self) -> str:
        return self._norms_w.getPlotItem().titleLabel.text

    def pca_points(self) -> np.ndarray:
        """The PCA map's points ``(n, 2)`` as drawn."""
        return self._points.copy()

    def dots_drawn(self) -> int:
        """How many dots the PCA map draws now (it lags behind while the panel is hidden)."""
        self._latest.flush()
        return len(self._scatter.data)

    def point_at(self, scene_pos: QPointF) -> int | None:
        """The sample under ``scene_pos`` (within a few pixels), or None."""
        self._latest.flush()
        vb = self._pca_w.getPlotItem().vb
        if not len(self._points) or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        d2 = ((self._points[:, 0] - p.x()) / pw) ** 2 + ((self._points[:, 1] - p.y()) / ph) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= HOVER_PX**2 else None

    def scene_pos_of(self, i: int) -> QPointF:
        """Where sample ``i`` is drawn, in scene coordinates."""
        self._latest.flush()
        x, y = self._points[i]
        return self._pca_w.getPlotItem().vb.mapViewToScene(QPointF(float(x), float(y)))

    def hovered(self) -> int | None:
        """The sample whose digit the inset shows, if any."""
        return self._hovered

    def show_sample(self, i: int | None) -> None:
        """Show sample ``i``'s digit and label in the inset (None hides it)."""
        self._hovered = i
        if i is None or self._images is None:
            self._inset.hide()
            return
        image = np.asarray(self._images[i]).reshape(self._shape)
        pix = QPixmap.fromImage(cm.to_qimage(image)).scaled(
            INSET,
            INSET,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        self._inset_picture.setPixmap(pix)
        self._inset_text.setText(f"label {self._name(int(self._labels[i]))}")
        self._inset.adjustSize()
        self._inset.move(self._pca_w.width() - self._inset.width() - 12, 30)
        self._inset.show()
        self._inset.raise_()

    def inset_text(self) -> str:
        """What the inset says about the hovered digit ("" when hidden)."""
        return self._inset_text.text() if self._inset.isVisibleTo(self) else ""

    # -- events ---------------------------------------------------------------
    def _on_snapshot(self, snap: Snapshot) -> None:
        n_layers = len(snap.weight_norms)
        if n_layers != len(self._weight):
            self._build_layers(n_layers, len(snap.dead_fraction))
        self._shown_epoch = snap.epoch + 1
        if "moment" not in snap.extras:  # a recorded moment looked back at adds no point
            self._add_point(snap, n_layers)
        ex = snap.extras
        now = [
            (ex[f"hist_counts_{l}"], ex[f"hist_edges_{l}"])
            for l in range(1, n_layers + 1)
            if f"hist_counts_{l}" in ex
        ]
        shapes = [tuple(W.shape) for W in snap.params[0::2]]
        if len(now) == n_layers:
            self._hists_now, self._shapes_now = now, shapes
            self._now_epoch = snap.epoch + 1
            if len(self._hists_first) != n_layers:
                self._hists_first, self._shapes_first = now, shapes
                self._first_epoch = snap.epoch + 1
        if "pca" in ex:
            self._points = np.asarray(ex["pca"], dtype=float)
            self._labels = np.asarray(ex["pca_labels"])
            self._images = ex["pca_images"]
            self._share = np.asarray(ex.get("pca_variance", (0.0, 0.0)))
            self._shape = tuple(snap.image_shape)
            self._names = tuple(snap.class_names)
        self._title.setText(
            f"Network health · epoch {snap.epoch + 1} · "
            f"{'-'.join(str(W.shape[1]) for W in snap.params[0::2][:-1]) or 'no'} hidden units"
        )
        if self.isVisible():
            self._latest.offer(snap)
        else:  # another tab is shown: draw once it is looked at, not at every snapshot
            self._stale = True

    def _add_point(self, snap: Snapshot, n_layers: int) -> None:
        x = snap.epoch + 1.0
        if self._x and self._x[-1] == x:  # the same epoch again: the newer picture wins
            for series in (self._x, *self._weight, *self._grad, *self._dead):
                series.pop()
        self._x.append(x)
        for l in range(n_layers):
            self._weight[l].append(snap.weight_norms[l])
            grad = snap.grad_norms[l] if l < len(snap.grad_norms) else np.nan
            self._grad[l].append(grad if grad > 0 else np.nan)
        for l in range(len(self._dead)):
            self._dead[l].append(snap.dead_fraction[l] if l < len(snap.dead_fraction) else np.nan)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._redraw()

    def _redraw(self) -> None:
        self._stale = False
        x = np.asarray(self._x)
        dots = 8 if len(x) <= 2 else 4  # a lone snapshot (an opened checkpoint) shows plainly
        for item in (*self._weight_items, *self._dead_items):
            item.setSymbolSize(dots)
        for l in range(len(self._weight_items)):
            self._weight_items[l].setData(x, np.asarray(self._weight[l]))
            self._grad_items[l].setData(x, np.asarray(self._grad[l]), connect="finite")
        for l, item in enumerate(self._dead_items):
            item.setData(x, 100.0 * np.asarray(self._dead[l]))
        self._fit_epochs()
        self._draw_markers()
        self._draw_histogram()
        self._draw_pca()

    def _fit_epochs(self) -> None:
        """The epoch axes span the snapshots and markers shown, ticked at whole epochs."""
        xs = [*self._x, *(x for x, _label in self._changes)]
        if not xs:
            return
        lo, hi = min(xs) - 0.5, max(xs) + 0.5
        if hi - lo < 2.0:
            mid = (lo + hi) / 2
            lo, hi = mid - 1.0, mid + 1.0
        step = epoch_ticks(lo, hi)
        for w in (self._norms_w, self._dead_w):
            p = w.getPlotItem()
            p.enableAutoRange(x=False)
            p.setXRange(lo, hi, padding=0)
            p.getAxis("bottom").setTickSpacing(step, step)
        first = int(self._x[0]) if self._x else 1
        title = NORMS_TITLE + (f" · from epoch {first}" if first > 1 else "")
        self._norms_w.getPlotItem().setTitle(title, size="10pt")

    def _on_batch(self, ev: BatchProgress) -> None:
        self._batches = max(int(ev.batches), 1)

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        x = ev.epoch + (ev.batch / self._batches if self._batches else 0.0)
        name = SHORT_NAMES.get(ev.name, ev.name)
        self._changes.append((x, f"{name} {text.value(ev.old, 3)}→{text.value(ev.new, 3)}"))
        del self._changes[:-MAX_MARKERS]
        self._stale = True
        if self.isVisible():
            self._latest.offer(None)

    def _draw_markers(self) -> None:
        for plot, line in self._marker_lines:
            plot.removeItem(line)
        self._marker_lines = []
        pen = pg.mkPen(cm.MARKER, width=1.2, style=Qt.PenStyle.DashLine)
        for x, label in self._changes:
            for i, w in enumerate((self._norms_w, self._dead_w)):
                line = pg.InfiniteLine(
                    pos=x,
                    angle=90,
                    pen=pen,
                    label=label if i == 0 else None,
                    # Left of the line: the newest change sits at the axis's right end.
                    labelOpts={
                        "position": 0.5,
                        "color": cm.MARKER,
                        "fill": pg.mkBrush(128, 128, 128, 40),
                        "anchors": [(1, 0.5), (1, 0.5)],
                    },
                )
                w.getPlotItem().addItem(line, ignoreBounds=True)
                self._marker_lines.append((w.getPlotItem(), line))

    def _build_layers(self, n_layers: int, n_hidden: int) -> None:
        for w in (self._norms_w, self._dead_w):
            for item in list(w.getPlotItem().listDataItems()):
                w.getPlotItem().removeItem(item)
        self._reset_series(n_layers, n_hidden)
        norms, dead = self._norms_w.getPlotItem(), self._dead_w.getPlotItem()
        for l in range(n_layers):
            c = PALETTE[l % len(PALETTE)]
            self._weight_items.append(
                norms.plot(
                    pen=pg.mkPen(c, width=2),
                    symbol="o",
                    symbolSize=4,
                    symbolBrush=c,
                    symbolPen=None,
                )
            )
            self._grad_items.append(
                norms.plot(pen=pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine))
            )
        for l in range(n_hidden):
            c = PALETTE[l % len(PALETTE)]
            self._dead_items.append(
                dead.plot(
                    pen=pg.mkPen(c, width=2),
                    symbol="o",
                    symbolSize=4,
                    symbolBrush=c,
                    symbolPen=None,
                )
            )
        self._layer_key.setText(colour_key([f"layer {l + 1}" for l in range(n_layers)]))
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for l in range(n_layers):
            self.layer_box.addItem(f"W{l + 1}", l)
        self.layer_box.blockSignals(False)

    def _draw_histogram(self) -> None:
        l = self.layer_box.currentIndex()
        if l < 0 or l >= len(self._hists_now):
            self._hist_now.setData([], [])
            self._hist_first.setData([], [])
            legend = self._hist_w.getPlotItem().legend
            legend.removeItem(self._hist_now)
            legend.removeItem(self._hist_first)
            return
        counts, edges = self._hists_now[l]
        self._hist_now.setData(np.asarray(edges), density(counts, edges))
        legend = self._hist_w.getPlotItem().legend
        legend.removeItem(self._hist_now)
        legend.removeItem(self._hist_first)
        shape = "×".join(map(str, self._shapes_now[l])) if l < len(self._shapes_now) else ""
        legend.addItem(self._hist_now, f"now · epoch {self._now_epoch} · {shape}")
        plot = self._hist_w.getPlotItem()
        if self._first_epoch == self._now_epoch:  # one snapshot: nothing to compare with yet
            self._hist_first.setData([], [])
            plot.setTitle(f"Weights at epoch {self._now_epoch}", size="10pt")
            return
        counts, edges = self._hists_first[l]
        self._hist_first.setData(np.asarray(edges), density(counts, edges))
        first = "×".join(map(str, self._shapes_first[l])) if l < len(self._shapes_first) else ""
        legend.addItem(self._hist_first, f"epoch {self._first_epoch} · {first}")
        plot.setTitle(f"Weights now vs epoch {self._first_epoch} (densities)", size="10pt")

    def _draw_pca(self) -> None:
        brushes = [self._brushes[int(c) % len(self._brushes)] for c in self._labels]
        self._scatter.setData(pos=self._points, brush=brushes)
        p = self._pca_w.getPlotItem()
        if len(self._points):
            p.setLabel("bottom", f"PC 1 ({self._share[0]:.0%} of variance)")
            p.setLabel("left", f"PC 2 ({self._share[1]:.0%})")
        if self._hovered is not None and self._hovered < len(self._points):
            self.show_sample(self._hovered)

    def _on_mouse_moved(self, pos: QPointF) -> None:
        i = self.point_at(pos)
        if i != self._hovered:
            self.show_sample(i)

    def _name(self, c: int) -> str:
        return self._names[c] if c < len(self._names) else str(c)

    # -- state ------------------------------------------------------------------
    def _reset_series(self, n_layers: int, n_hidden: int) -> None:
        self._x: list[float] = []
        self._weight: list[list[float]] = [[] for _ in range(n_layers)]
        self._grad: list[list[float]] = [[] for _ in range(n_layers)]
        self._dead: list[list[float]] = [[] for _ in range(n_hidden)]
        self._weight_items: list[pg.PlotDataItem] = []
        self._grad_items: list[pg.PlotDataItem] = []
        self._dead_items: list[pg.PlotDataItem] = []

    def _reset_state(self) -> None:
        self._reset_series(0, 0)
        self._hists_now: list[tuple[np.ndarray, np.ndarray]] = []
        self._hists_first: list[tuple[np.ndarray, np.ndarray]] = []
        self._shapes_now: list[tuple[int, ...]] = []
        self._shapes_first: list[tuple[int, ...]] = []
        self._first_epoch = 0
        self._now_epoch = 0
        self._shown_epoch: int | None = None
        self._batches = 0
        self._changes: list[tuple[float, str]] = []
        self._points = np.zeros((0, 2))
        self._share = np.zeros(2)
        self._stale = False
        self._labels = np.zeros(0, dtype=np.int64)
        self._images: np.ndarray | None = None
        self._shape: tuple[int, ...] = (-1,)
        self._names: tuple[str, ...] = ()
        self._hovered: int | None = None

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._build_layers(0, 0)
        self._reset_state()
        self._redraw()
        self._norms_w.getPlotItem().setTitle(NORMS_TITLE, size="10pt")
        self._hist_w.getPlotItem().setTitle("Weights now vs first snapshot", size="10pt")
        self.show_sample(None)
        self._title.setText("Network health: waiting for the first snapshot")
