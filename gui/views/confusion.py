"""The validation confusion matrix: where the network's mistakes go, clickable.

Rows are true classes, columns predicted ones; every cell says its count (or, with
"row %", its share of the row) in a size that fits it, and the cells get all the
panel's height (no axis titles: the header says what rows and columns are). Beside the matrix, each
class's accuracy as a bar on a scale that starts where the worst class is (so
95% and 99% look different), the percentage written at its end; below it, the
most confused pairs as shortcuts. Clicking a cell or a shortcut emits
``cellClicked(true, predicted)``. The header reads out a cell: the one under the
mouse, else the selected one, else how many digits were wrong; it never outlives
its run.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.training.events import Snapshot, Started
from core.training.metrics import most_confused_pairs, per_class_accuracy
from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.header import ViewHeader
from gui.shared.pacing import Latest, cache_static_parts
from gui.views.confusion_cells import CellText, ClickableImage, accuracy_floor, cell_values

TOP_PAIRS = 5
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
#: Delay between a snapshot's arrival and its drawing (after the weights, in a turn of its own).
DRAW_DELAY_MS = 40
EMPTY = (
    f"{PRESS_START}: after epoch 1 every validation digit is counted here, "
    "by its true class (row) and the network's answer (column)."
)


class ConfusionView(QWidget):
    """Confusion matrix with counts or row percentages, per-class accuracy and shortcuts."""

    cellClicked = Signal(int, int)

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row_percent = QCheckBox("row %")
        self._row_percent.setToolTip(
            "Each cell as a share of its row: how often a true class ends there"
        )
        self._row_percent.toggled.connect(lambda _on: self._draw_cells())
        self.header = ViewHeader("confusion", self._row_percent)
        self._glw = pg.GraphicsLayoutWidget()
        self._plot = self._glw.addPlot(row=0, col=0)
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        self._plot.invertY(True)
        self._image = ClickableImage(self.click_cell_at, axisOrder="row-major")
        self._plot.addItem(self._image)
        self._frame = QGraphicsRectItem()
        self._frame.setZValue(10)
        self._frame.setVisible(False)
        self._plot.addItem(self._frame)
        self._cells = CellText()
        self._cells.setZValue(5)
        self._plot.addItem(self._cells)

        self._acc = self._glw.addPlot(row=0, col=1)
        self._acc.setMenuEnabled(False)
        self._acc.setMouseEnabled(x=False, y=False)
        self._acc.hideButtons()
        self._acc.invertY(True)
        self._acc.setYLink(self._plot)
        self._acc.hideAxis("left")
        self._acc.showAxis("right")  # its tick labels carry each class's percentage
        self._acc.getAxis("right").setStyle(tickLength=0)
        self._glw.ci.layout.setColumnStretchFactor(0, 4)
        self._glw.ci.layout.setColumnStretchFactor(1, 1)
        for plot in (self._plot, self._acc):
            cache_static_parts(plot)
        self._acc_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.64)
        self._acc.addItem(self._acc_bars)
        style.style_view(self._glw, "Confusion matrix")
        self._box = EmptyState(self._glw, EMPTY)

        self._pairs_label = QLabel("")
        self._pairs_label.setWordWrap(True)
        self._pairs_label.setTextFormat(Qt.TextFormat.RichText)
        self._pairs_label.setToolTip("Click a pair to see those mistakes in the gallery")
        self._pairs_label.linkActivated.connect(self._on_pair_link)
        self._pairs_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._readout = ""
        self._summary = ""
        self._glw.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._glw.viewport().installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self._box, 1)
        layout.addWidget(self._pairs_label)

        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._names: tuple[str, ...] = ()
        self._selected: tuple[int, int] | None = None
        self._pairs: list[tuple[int, int, int]] = []
        self._hovered: tuple[int, int] | None = None
        self._epoch: int | None = None
        self._acc_labels: list[str] = []
        self._acc_floor = 90.0
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        self._latest = Latest(self._draw_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
        bus.started.connect(self._on_started)
        bus.run_reset.connect(self._on_run_reset)
        # Where a run stands still, the picture of where it stopped is drawn at once.
        bus.settled.connect(self._latest.flush)

    # -- public ---------------------------------------------------------------
    def draw_now(self) -> None:
        """Draw the latest snapshot now, shown or not (for an export of the plots)."""
        self._latest.flush()

    def matrix(self) -> np.ndarray:
        """A copy of the confusion matrix shown, ``(k, k)`` int (rows true, columns predicted)."""
        self._latest.flush()
        return self._confusion.copy()

    def class_accuracy(self) -> np.ndarray:
        """Each class's accuracy ``(k,)`` as shown beside the matrix."""
        self._latest.flush()
        return per_class_accuracy(self._confusion)

    def accuracy_range(self) -> tuple[float, float]:
        """The per-class accuracy scale, in percent: ``(floor, 100)``."""
        self._latest.flush()
        return self._acc_floor, 100.0

    def confused_pairs(self) -> list[tuple[int, int, int]]:
        """The shortcuts shown: ``(true, predicted, count)``, most mistakes first."""
        self._latest.flush()
        return list(self._pairs)

    def cell_label(self, true: int, pred: int) -> str:
        """The text drawn in cell ``(true, pred)`` (empty for a zero off the diagonal)."""
        self._latest.flush()
        return str(self._cells.labels[true, pred])

    def number_px(self) -> int:
        """How tall the cells' numbers were painted last, in pixels (0: too small to show)."""
        return self._cells.drawn_px

    def set_row_percent(self, on: bool) -> None:
        """Show each cell as its share of the row (True) or as a count (False)."""
        self._row_percent.setChecked(on)

    def empty_message(self) -> str:
        self._latest.flush()
        return self._box.message()

    def selected_cell(self) -> tuple[int, int] | None:
        """The highlighted ``(true, predicted)`` cell, if any."""
        return self._selected

    def shown_epoch(self) -> int | None:
        """The epoch (1-based) of the snapshot drawn now (one waiting is not), None before one."""
        return self._epoch

    def class_names(self) -> tuple[str, ...]:
        """The class names of the matrix shown."""
        self._latest.flush()
        return self._names

    def pair_links(self) -> list[str]:
        """The shortcuts under the matrix as they read: ``"3 → 5 (12)"``."""
        self._latest.flush()
        return [self._pair_text(t, p, n) for t, p, n in self._pairs]

    def follow_pair(self, i: int) -> None:
        """Click shortcut ``i`` (0 is the most confused pair)."""
        self._latest.flush()
        t, p, _n = self._pairs[i]
        self.click_cell(t, p)

    def accuracy_labels(self) -> list[str]:
        """Each class's accuracy as written beside the matrix ("–" for an empty row)."""
        self._latest.flush()
        return list(self._acc_labels)

    def click_cell(self, true: int, pred: int) -> None:
        """Select cell ``(true, pred)`` and emit ``cellClicked`` (what a click does)."""
        self._latest.flush()
        k = self._confusion.shape[0]
        if not (0 <= true < k and 0 <= pred < k):
            return
        self._selected = (int(true), int(pred))
        self._frame.setRect(QRectF(pred, true, 1, 1))
        self._frame.setVisible(True)
        self._show_readout()
        self.cellClicked.emit(int(true), int(pred))

    def click_cell_at(self, x: float, y: float) -> None:
        """Click at image coordinates ``(x, y)``: column ``x`` is predicted, row ``y`` true."""
        if x >= 0 and y >= 0:
            self.click_cell(int(y), int(x))

    # -- drawing --------------------------------------------------------------
    def _draw_snapshot(self, snap: Snapshot) -> None:
        c = np.asarray(snap.confusion, dtype=np.int64)
        k = c.shape[0]
        names = tuple(snap.class_names)[:k]
        if c.shape != self._confusion.shape or names != self._names:
            self._build_cells(k, names)
        self._confusion = c
        self._epoch = snap.epoch + 1
        total = int(c.sum())
        wrong = total - int(np.trace(c))
        acc = np.trace(c) / total if total else 0.0
        self._summary = f"epoch {snap.epoch + 1} · {wrong:,} of {total:,} wrong ({1 - acc:.1%})"
        self._box.show_content()
        self._draw_cells()
        self._draw_accuracy(per_class_accuracy(c))
        self._draw_pairs(most_confused_pairs(c, TOP_PAIRS))
        if self._selected is not None and max(self._selected) < k:
            t, p = self._selected
            self._frame.setRect(QRectF(p, t, 1, 1))
        else:
            self._selected = None
            self._frame.setVisible(False)
        self._show_readout()

    def _draw_cells(self) -> None:
        k = self._confusion.shape[0]
        if not k:
            return
        heat, labels = cell_values(self._confusion, self._row_percent.isChecked())
        self._image.setImage(heat, autoLevels=False)
        self._image.setLevels((0.0, 1.0))
        self._image.setRect(QRectF(0, 0, k, k))
        lut = cm.lut("sequential")
        self._cells.set_cells(labels, lut[np.clip((heat * 255).round().astype(int), 0, 255)])
        self._show_readout()

    def _build_cells(self, k: int, names: tuple[str, ...]) -> None:
        """Class-name ticks and the view's range for a new set of classes."""
        full = [names[i] if i < len(names) else str(i) for i in range(k)]
        if max((len(n) for n in full), default=0) <= 3:
            left = bottom = full
        else:
            # Long names (Fashion-MNIST, CIFAR-10) would collide under the columns: number
            # the classes there and give number and name on the rows.
            bottom = [str(i) for i in range(k)]
            left = [f"{n} {i}" for i, n in enumerate(full)]
        self._plot.getAxis("left").setTicks([[(i + 0.5, t) for i, t in enumerate(left)]])
        self._plot.getAxis("bottom").setTicks([[(i + 0.5, t) for i, t in enumerate(bottom)]])
        self._plot.setRange(xRange=(0, k), yRange=(0, k), padding=0.01)
        self._names = names

    def _draw_accuracy(self, acc: np.ndarray) -> None:
        k = acc.size
        floor = accuracy_floor(acc)
        self._acc_floor = floor
        shown = np.nan_to_num(100.0 * acc, nan=floor)
        self._acc.setXRange(floor, 100.0, padding=0.02)
        # The scale's ends as the axis's title: labels at the very ends would not fit.
        self._acc.getAxis("bottom").setTicks([[(floor, ""), (100.0, "")]])
        self._acc.setLabel("bottom", f"{floor:.0f}–100%")
        self._acc_bars.setOpts(
            x0=np.full(k, floor), y=np.arange(k) + 0.5, width=np.maximum(shown - floor, 0.0)
        )
        labels = ["–" if np.isnan(a) else f"{a:.1%}" for a in acc]
        self._acc_labels = labels
        self._acc.getAxis("right").setTicks([[(t + 0.5, labels[t]) for t in range(k)]])

    def _restyle(self, p: style.Palette) -> None:
        self._image.setColorMap(cm.sequential())
        self._frame.setPen(pg.mkPen(p.accent, width=3, cosmetic=True))
        self._acc_bars.setOpts(brush=pg.mkBrush(p.good), pen=pg.mkPen(None))
        self._draw_cells()

    def _pair_text(self, t: int, p: int, n: int) -> str:
        return f"{self._name(t)} → {self._name(p)} ({n})"

    def _draw_pairs(self, pairs: list[tuple[int, int, int]]) -> None:
        self._pairs = pairs
        if not pairs:
            self._pairs_label.setText("")
            return
        links = " · ".join(f"<a href='{t},{p}'>{self._pair_text(t, p, n)}</a>" for t, p, n in pairs)
        self._pairs_label.setText(f"Most confused: {links}")

    def _on_pair_link(self, href: str) -> None:
        t, p = (int(v) for v in href.split(","))
        self.click_cell(t, p)

    def scene_pos_of(self, true: int, pred: int) -> QPointF:
        """The middle of cell ``(true, pred)`` in scene coordinates."""
        self._latest.flush()
        return self._image.mapToScene(QPointF(pred + 0.5, true + 0.5))

    def hover_at(self, scene_pos: QPointF) -> None:
        """The mouse moved to ``scene_pos`` (what the scene reports as it moves)."""
        self._glw.scene().sigMouseMoved.emit(scene_pos)

    def leave(self) -> None:
        """The mouse left the matrix (what the view is told when it does)."""
        QCoreApplication.sendEvent(self._glw.viewport(), QEvent(QEvent.Type.Leave))

    def hover_text(self) -> str:
        """What the header reads out: the cell under the mouse, else the selected one
        ("" when neither)."""
        return self._readout

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:  # the mouse left the matrix
            self._hovered = None
            self._show_readout()
        return False

    def _on_mouse_moved(self, pos: QPointF) -> None:
        k = self._confusion.shape[0]
        q = self._image.mapFromScene(pos)
        inside = k and self._plot.vb.sceneBoundingRect().contains(pos)
        if inside and 0 <= q.x() < k and 0 <= q.y() < k:
            self._hovered = (int(q.y()), int(q.x()))
        else:
            self._hovered = None
        self._show_readout()

    def _show_readout(self) -> None:
        cell = self._hovered or self._selected
        k = self._confusion.shape[0]
        if cell is None or max(cell) >= k:
            self._readout = ""
        else:
            t, p = cell
            n, row = int(self._confusion[t, p]), int(self._confusion[t].sum())
            share = f" ({n / row:.1%} of {self._name(t)})" if row else ""
            self._readout = f"true {self._name(t)} → predicted {self._name(p)}: {n}{share}"
        self.header.set_status(self._readout or self._summary)

    def _name(self, i: int) -> str:
        return self._names[i] if i < len(self._names) else str(i)

    def _on_started(self, _ev: Started) -> None:
        if not self._confusion.size:
            self._box.show_message("Training: the matrix fills in after epoch 1.")

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._selected = None
        self._frame.setVisible(False)
        self._image.clear()
        self._cells.set_cells(np.zeros((0, 0), dtype=object), np.zeros((0, 0, 3)))
        self._build_cells(0, ())
        self._acc_bars.setOpts(x0=[], y=[], width=[])
        self._acc.getAxis("right").setTicks([[]])
        self._acc_labels = []
        self._draw_pairs([])
        self._hovered = None
        self._epoch = None
        self._summary = ""
        self._show_readout()
        self._box.show_message(EMPTY)
