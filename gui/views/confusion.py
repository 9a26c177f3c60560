"""The validation confusion matrix: where the network's mistakes go, clickable.

Rows are true classes, columns predicted ones. Cells are coloured by log(1 + count)
so that a handful of mistakes stands out beside a diagonal of hundreds; the colour
bar is labelled in counts. Beside the matrix, each class's accuracy (its diagonal
share of the row); below it, the most confused pairs as shortcuts. Clicking a cell
or a shortcut emits ``cellClicked(true, predicted)``.

Under the matrix one line reads out a cell: the one under the mouse, else the
selected one, else nothing; it never outlives the run it was about. The shortcuts
wrap and the read-out has a fixed place, so neither can widen the window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.training.events import Snapshot
from core.training.metrics import most_confused_pairs, per_class_accuracy
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.shared.pacing import Latest, cache_static_parts

TOP_PAIRS = 5
#: Delay between a snapshot's arrival and its drawing (after the weights, in a turn of its own).
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
DRAW_DELAY_MS = 40
#: Smallest readable count, in pixels; smaller cells show their colour only.
MIN_COUNT_PX = 6
COUNT_TICKS = (0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000)


class _ClickableImage(pg.ImageItem):
    """An image item that reports the pixel it was clicked on."""

    def __init__(self, on_click, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_click = on_click

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self._on_click(ev.pos().x(), ev.pos().y())
            ev.accept()


class _CellCounts(pg.GraphicsObject):
    """Every cell's count, painted in one pass.

    One item for the whole matrix rather than a text item per cell: creating a
    hundred text items costs a visible stall on the first snapshot, painting a
    hundred strings costs almost nothing. The text is as large as the class count
    allows but never wider than a cell: four-digit counts in a small panel shrink,
    and when they would be unreadable the colours and the read-out say it alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.labels = np.zeros((0, 0), dtype=object)
        self.light = np.zeros((0, 0), dtype=bool)  # True: white text on a dark cell
        self.font = QFont()

    def set_counts(self, labels: np.ndarray, light: np.ndarray) -> None:
        self.prepareGeometryChange()
        self.labels, self.light = labels, light
        k = labels.shape[0]
        self.font.setPointSize(9 if k <= 10 else 7 if k <= 20 else 6)
        self.update()

    def boundingRect(self) -> QRectF:
        k = self.labels.shape[0]
        return QRectF(0, 0, k, k)

    def paint(self, p: QPainter, *_args) -> None:
        k = self.labels.shape[0]
        if not k:
            return
        to_screen = p.transform()
        corner, far = to_screen.map(QPointF(0, 0)), to_screen.map(QPointF(1, 1))
        cell_w, cell_h = abs(far.x() - corner.x()), abs(far.y() - corner.y())
        longest = max((len(str(v)) for v in self.labels.flat), default=1)
        font = QFont(self.font)
        size = QFontMetricsF(font).height()
        fit = min(size, 0.7 * cell_h, cell_w / (0.62 * max(longest, 1)))
        if fit < MIN_COUNT_PX:
            return
        font.setPixelSize(round(fit))
        p.save()
        p.resetTransform()  # draw text in pixels so it does not stretch with the cells
        p.setFont(font)
        dark, light = QColor(30, 30, 30), QColor(255, 255, 255)
        for t in range(k):
            for c in range(k):
                if not self.labels[t, c]:
                    continue
                a = to_screen.map(QPointF(c, t))
                b = to_screen.map(QPointF(c + 1, t + 1))
                p.setPen(light if self.light[t, c] else dark)
                p.drawText(
                    QRectF(a, b).normalized(), Qt.AlignmentFlag.AlignCenter, self.labels[t, c]
                )
        p.restore()


class ConfusionView(QWidget):
    """Confusion matrix heatmap with counts, per-class accuracy and shortcuts to mistakes."""

    cellClicked = Signal(int, int)

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = QLabel("Confusion matrix (validation): waiting for the first snapshot")
        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setBackground(None)
        self._plot = self._glw.addPlot(row=0, col=0)
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        self._plot.invertY(True)
        self._plot.setLabel("left", "true")
        self._plot.setLabel("bottom", "predicted")
        self._image = _ClickableImage(self.click_cell_at, axisOrder="row-major")
        self._image.setColorMap(cm.SEQUENTIAL)
        self._plot.addItem(self._image)
        self._frame = QGraphicsRectItem()
        self._frame.setPen(pg.mkPen(cm.HIGHLIGHT, width=3, cosmetic=True))
        self._frame.setZValue(10)
        self._frame.setVisible(False)
        self._plot.addItem(self._frame)
        self._counts = _CellCounts()
        self._counts.setZValue(5)
        self._plot.addItem(self._counts)

        self._acc = self._glw.addPlot(row=0, col=1)
        self._acc.setMenuEnabled(False)
        self._acc.setMouseEnabled(x=False, y=False)
        self._acc.hideButtons()
        self._acc.invertY(True)
        self._acc.setYLink(self._plot)
        self._acc.hideAxis("left")
        self._acc.showAxis("right")  # its tick labels carry each class's percentage
        self._acc.getAxis("right").setStyle(tickLength=0)
        self._acc.setLabel("bottom", "accuracy")
        self._acc.setXRange(0, 1, padding=0.02)
        self._acc.getAxis("bottom").setTicks([[(0.5, "50%")]])
        self._glw.ci.layout.setColumnStretchFactor(0, 5)
        self._glw.ci.layout.setColumnStretchFactor(1, 1)
        for plot in (self._plot, self._acc):
            cache_static_parts(plot)
        self._acc_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7, brush=cm.CORRECT)
        self._acc.addItem(self._acc_bars)

        self._scale = pg.ColorBarItem(
            values=(0, 1),
            colorMap=cm.SEQUENTIAL,
            interactive=False,
            width=12,
            colorMapMenu=False,
            label="count",
        )
        self._scale.setImageItem(self._image)
        self._glw.addItem(self._scale, row=0, col=2)

        self._pairs_label = QLabel("")
        self._pairs_label.setWordWrap(True)
        self._pairs_label.setTextFormat(Qt.TextFormat.RichText)
        self._pairs_label.setToolTip("Click a pair to see those mistakes in the gallery")
        self._pairs_label.linkActivated.connect(self._on_pair_link)
        self._pairs_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._hover = QLabel("")
        self._hover.setObjectName("cellReadout")
        # One line always there: a read-out appearing or growing never moves the layout.
        self._hover.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._hover.setFixedHeight(self._hover.fontMetrics().height() + 4)
        self._glw.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._glw.viewport().installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self._title.setWordWrap(True)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._title)
        layout.addWidget(self._glw, 1)
        layout.addWidget(self._pairs_label)
        layout.addWidget(self._hover)

        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._names: tuple[str, ...] = ()
        self._selected: tuple[int, int] | None = None
        self._pairs: list[tuple[int, int, int]] = []
        self._hovered: tuple[int, int] | None = None
        self._epoch: int | None = None
        self._acc_labels: list[str] = []
        self._latest = Latest(self._draw_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
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

    def confused_pairs(self) -> list[tuple[int, int, int]]:
        """The shortcuts shown: ``(true, predicted, count)``, most mistakes first."""
        self._latest.flush()
        return list(self._pairs)

    def cell_label(self, true: int, pred: int) -> str:
        """The text drawn in cell ``(true, pred)`` (empty for a zero off the diagonal)."""
        self._latest.flush()
        return str(self._counts.labels[true, pred])

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
        acc = np.trace(c) / total if total else 0.0
        self._title.setText(
            f"Confusion matrix (validation) · epoch {snap.epoch + 1} · "
            f"{total - int(np.trace(c))} of {total} wrong · accuracy {acc:.2%}"
        )
        heat = np.log10(1.0 + c)
        top = max(float(heat.max()), np.log10(2.0))
        self._image.setImage(heat, autoLevels=False)
        self._image.setRect(QRectF(0, 0, k, k))
        self._scale.setLevels((0.0, top))
        self._scale.axis.setTicks(
            [[(float(np.log10(1 + v)), str(v)) for v in COUNT_TICKS if np.log10(1 + v) <= top]]
        )
        labels = np.where((c > 0) | np.eye(k, dtype=bool), c.astype(str), "").astype(object)
        self._counts.set_counts(labels, heat > 0.55 * top)
        self._draw_accuracy(per_class_accuracy(c))
        self._draw_pairs(most_confused_pairs(c, TOP_PAIRS))
        if self._selected is not None and max(self._selected) < k:
            t, p = self._selected
            self._frame.setRect(QRectF(p, t, 1, 1))
        else:
            self._selected = None
            self._frame.setVisible(False)
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
        self._plot.setRange(xRange=(0, k), yRange=(0, k), padding=0.02)
        self._names = names

    def _draw_accuracy(self, acc: np.ndarray) -> None:
        k = acc.size
        shown = np.nan_to_num(acc)
        self._acc_bars.setOpts(x0=np.zeros(k), y=np.arange(k) + 0.5, width=shown, height=0.7)
        labels = ["–" if np.isnan(a) else f"{a:.1%}" for a in acc]
        self._acc_labels = labels
        self._acc.getAxis("right").setTicks([[(t + 0.5, labels[t]) for t in range(k)]])

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
        """What the read-out under the matrix says: the cell under the mouse, else the
        selected one ("" when neither)."""
        return self._hover.text()

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
            self._hover.setText("")
            return
        t, p = cell
        n, row = int(self._confusion[t, p]), int(self._confusion[t].sum())
        share = f" ({n / row:.1%} of {self._name(t)})" if row else ""
        self._hover.setText(f"true {self._name(t)} → predicted {self._name(p)}: {n}{share}")

    def _name(self, i: int) -> str:
        return self._names[i] if i < len(self._names) else str(i)

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._confusion = np.zeros((0, 0), dtype=np.int64)
        self._selected = None
        self._frame.setVisible(False)
        self._image.clear()
        self._counts.set_counts(np.zeros((0, 0), dtype=object), np.zeros((0, 0), dtype=bool))
        self._build_cells(0, ())
        self._acc_bars.setOpts(x0=[], y=[], width=[])
        self._acc.getAxis("right").setTicks([[]])
        self._acc_labels = []
        self._draw_pairs([])
        self._hovered = None
        self._epoch = None
        self._show_readout()
        self._title.setText("Confusion matrix (validation): waiting for the first snapshot")
