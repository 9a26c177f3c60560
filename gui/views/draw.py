"""Draw a digit and see what the network makes of it, live.

The pen paints white ink on a black square (how MNIST stores its digits) with a
thick, round, anti-aliased stroke. What the network sees is the drawing framed
the way its dataset was (``core.data.preprocess.to_shape``: crop to the ink, fit the
box, centre by mass for MNIST, by box for the 8x8 digits); that image is shown
beside the canvas, and the ten probabilities beside it, the predicted class in
colour. Predictions follow the pen at most ~30 times a second.

The model asked is an inference copy rebuilt from the latest Snapshot's
parameters (``MLP.from_params``), never the one being trained, so drawing while
training runs is safe. "Saliency" colours each pixel of the framed image by the
gradient of the predicted class's score with respect to it: red pixels, if
brighter, would make the network surer; blue ones less sure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.data.preprocess import is_empty, to_shape
from core.nn.model import MLP
from core.training.events import Snapshot, Started
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.views.fool import FoolPanel

SIDE = 280  # canvas pixels: ten per pixel of an MNIST digit
PEN_WIDTH = 22  # about two MNIST pixels, MNIST's own stroke width
PREDICT_MS = 33  # ~30 predictions a second while drawing
NO_MODEL = "Train at least one epoch (or open a checkpoint) to ask the network."


class DrawingArea(QWidget):
    """A square of ink: mouse strokes paint on a grayscale QImage; ``changed`` after each."""

    changed = Signal()
    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage(SIDE, SIDE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._last: QPointF | None = None
        self.setFixedSize(SIDE, SIDE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; the prediction follows the pen")

    def sizeHint(self) -> QSize:
        return QSize(SIDE, SIDE)

    def ink(self) -> np.ndarray:
        """The drawing as ``(SIDE, SIDE)`` float32 in [0, 1], ink high."""
        bpl = self._image.bytesPerLine()
        raw = np.frombuffer(self._image.constBits(), dtype=np.uint8, count=bpl * SIDE)
        return raw.reshape(SIDE, bpl)[:, :SIDE].astype(np.float32) / 255.0

    def clear(self) -> None:
        self._image.fill(0)
        self._last = None
        self.update()
        self.changed.emit()

    def draw_line(self, a: QPointF, b: QPointF) -> None:
        """Paint one segment of a stroke (a dot when ``a == b``)."""
        p = QPainter(self._image)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(QColor(255, 255, 255), PEN_WIDTH)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            p.setPen(pen)
            p.drawLine(a, b)
        finally:
            p.end()
        self.update()
        self.changed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.drawImage(0, 0, self._image)
        p.end()

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self._last = ev.position()
            self.draw_line(self._last, self._last)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._last is not None and ev.buttons() & Qt.MouseButton.LeftButton:
            point = ev.position()
            self.draw_line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if self._last is not None:
            self._last = None
            self.stroke_finished.emit()


def _image_box(title: str) -> tuple[pg.GraphicsLayoutWidget, pg.ImageItem]:
    """A square, axis-free picture with a title, for the framed image and its saliency."""
    w = pg.GraphicsLayoutWidget()
    w.setBackground(None)
    w.setFixedSize(170, 190)
    w.addLabel(title, row=0, col=0)
    vb = w.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
    vb.setMouseEnabled(False, False)
    item = pg.ImageItem(axisOrder="row-major")
    vb.addItem(item)
    return w, item


class CanvasView(QWidget):
    """The drawing canvas, the framed image the network sees, and its ten probabilities."""

    predicted = Signal(object)  # the probabilities (k,) of the latest prediction
    look_inside = Signal()  # follow the drawing through the network (the Inside tab)

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shape: tuple[int, ...] = (28, 28)
        self._names: tuple[str, ...] = tuple(str(i) for i in range(10))
        self._snap: Snapshot | None = None
        self._model: MLP | None = None
        self._probs: np.ndarray | None = None
        self._framed = np.zeros(self._shape, dtype=np.float32)
        self._saliency: np.ndarray | None = None
        self._stale = False

        self.area = DrawingArea()
        self.area.changed.connect(self._schedule)
        self.area.stroke_finished.connect(self.predict_now)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the canvas and draw again (Delete)")
        self.clear_button.setShortcut("Delete")
        self.clear_button.clicked.connect(self.area.clear)
        self.saliency_button = QPushButton("Saliency")
        self.saliency_button.setCheckable(True)
        self.saliency_button.setToolTip(
            "Colour each pixel by how much it pushes the predicted class up (red) or down "
            "(blue): what the network looks at"
        )
        self.saliency_button.toggled.connect(lambda _on: self.predict_now())
        self.look_button = QPushButton("Look inside")
        self.look_button.setToolTip("Follow this drawing through the network, forward and backward")
        self.look_button.clicked.connect(self.look_inside)

        self._framed_w, self._framed_item = _image_box("what the network sees")
        self._framed_item.setLevels((0.0, 1.0))
        self._framed_w.setToolTip(
            "Your drawing framed like the training images: cropped, scaled and centred"
        )
        self._sal_w, self._sal_item = _image_box("saliency")
        self._sal_item.setColorMap(cm.DIVERGING)
        self._sal_w.setToolTip("Gradient of the predicted class's score for each pixel")
        self._sal_w.setVisible(False)

        self._bars_w = pg.PlotWidget()
        self._bars_w.setBackground(None)
        self._bars_w.setMinimumSize(260, 160)
        plot = self._bars_w.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setYRange(0, 1, padding=0.02)
        plot.setLabel("left", "probability")
        plot.showGrid(y=True, alpha=0.2)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=cm.NEUTRAL)
        plot.addItem(self._bars)
        self._answer = QLabel(NO_MODEL)
        self._answer.setWordWrap(True)
        self._answer.setMinimumWidth(260)
        font = self._answer.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self._answer.setFont(font)

        hint = QLabel("Draw with the left mouse button; Delete clears.")
        hint.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.area)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.saliency_button)
        buttons.addWidget(self.look_button)
        left.addLayout(buttons)
        left.addWidget(hint)
        left.addStretch(1)
        middle = QVBoxLayout()
        middle.addWidget(self._framed_w)
        middle.addWidget(self._sal_w)
        middle.addStretch(1)
        self._bars_w.setMaximumHeight(420)
        self.fool = FoolPanel("Draw a digit first.")
        right = QVBoxLayout()
        right.addWidget(self._answer)
        right.addWidget(self._bars_w, 1)
        right.addWidget(self.fool)
        right.addStretch(0)
        layout = QGridLayout(self)
        layout.addLayout(left, 0, 0)
        layout.addLayout(middle, 0, 1)
        layout.addLayout(right, 0, 2)
        layout.setColumnStretch(2, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREDICT_MS)
        self._timer.timeout.connect(self.predict_now)
        self._set_classes(self._names)

        bus.started.connect(self._on_started)
        bus.snapshot.connect(self._on_snapshot)
        bus.run_reset.connect(self._on_run_reset)

    # -- public ---------------------------------------------------------------
    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw a stroke through canvas points ``(x, y)`` (0..SIDE) and predict at once."""
        pts = [QPointF(float(x), float(y)) for x, y in points]
        for a, b in zip(pts, pts[1:] or pts, strict=False):
            self.area.draw_line(a, b)
        self.predict_now()

    def clear(self) -> None:
        self.area.clear()
        self.predict_now()

    def probabilities(self) -> np.ndarray | None:
        """The latest probabilities ``(k,)``, or None (no model yet, or an empty canvas)."""
        return None if self._probs is None else self._probs.copy()

    def predicted_class(self) -> int | None:
        return None if self._probs is None else int(np.argmax(self._probs))

    def processed_image(self) -> np.ndarray:
        """The framed image the network is shown, shaped like the dataset's images."""
        return self._framed.copy()

    def saliency(self) -> np.ndarray | None:
        """The saliency map shown (None when it is off or there is nothing to explain)."""
        return None if self._saliency is None else self._saliency.copy()

    def has_model(self) -> bool:
        return self._snap is not None and len(self._snap.params) > 0

    # -- predicting -----------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def predict_now(self) -> None:
        """Frame the drawing, ask the snapshot's model, show the answer."""
        self._timer.stop()
        ink = self.area.ink()
        grey = len(self._shape) == 2
        self._framed = (
            to_shape(ink, self._shape) if grey else np.zeros(self._shape[:2], dtype=np.float32)
        )
        self._framed_item.setImage(self._framed, autoLevels=False)
        self._probs, self._saliency = None, None
        model = self._inference_model()
        if not grey:
            self._show_answer("Drawing needs a grayscale dataset (this one is in colour).")
        elif model is None:
            self._show_answer(NO_MODEL)
        elif is_empty(ink):
            self._show_answer("Draw a digit…")
        else:
            x = self._framed.reshape(1, -1).astype(model.dtype)
            self._probs = model.predict_proba(x)[0].astype(np.float64)
            best = int(np.argmax(self._probs))
            if self.saliency_button.isChecked():
                grad = model.input_gradient(x, best)[0]
                self._saliency = grad.reshape(self._framed.shape)
            self._show_answer(f"It reads <b>{self._names[best]}</b> ({self._probs[best]:.0%} sure)")
        self._draw_bars()
        self._draw_saliency()
        answered = self._probs is not None
        self.fool.set_subject(
            self._snap if model is not None else None,
            self._framed if answered else None,
            self._probs,
        )
        if answered:
            self.predicted.emit(self._probs.copy())

    def _inference_model(self) -> MLP | None:
        if self._model is None and self.has_model():
            self._model = MLP.from_params(self._snap.params, self._snap.activation)
        return self._model

    def _show_answer(self, text: str) -> None:
        self._answer.setText(text)

    def _draw_bars(self) -> None:
        k = len(self._names)
        probs = np.zeros(k) if self._probs is None else self._probs
        best = int(np.argmax(probs)) if self._probs is not None else -1
        brushes = [pg.mkBrush(cm.CORRECT if c == best else cm.NEUTRAL) for c in range(k)]
        self._bars.setOpts(x=np.arange(k), height=probs, brushes=brushes)

    def _draw_saliency(self) -> None:
        shown = self.saliency_button.isChecked()
        self._sal_w.setVisible(shown)
        if not shown:
            return
        if self._saliency is None:
            self._sal_item.clear()
            return
        limit = float(np.abs(self._saliency).max()) or 1.0
        self._sal_item.setImage(self._saliency, autoLevels=False)
        self._sal_item.setLevels((-limit, limit))

    def _set_classes(self, names: tuple[str, ...]) -> None:
        self._names = names
        axis = self._bars_w.getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, n if len(n) <= 3 else str(i)) for i, n in enumerate(names)]])
        self._bars_w.getPlotItem().setXRange(-0.6, len(names) - 0.4, padding=0)

    # -- events ---------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        self._shape = tuple(ev.image_shape)
        if tuple(ev.class_names) != self._names:
            self._set_classes(tuple(ev.class_names))

    def _on_snapshot(self, snap: Snapshot) -> None:
        self._snap, self._model = snap, None
        self._shape = tuple(snap.image_shape)
        if tuple(snap.class_names) != self._names:
            self._set_classes(tuple(snap.class_names))
        if self.isVisible():
            self.predict_now()
        else:  # hidden (another tab): answer when shown, not at every snapshot
            self._stale = True

    def _on_run_reset(self) -> None:
        self._snap, self._model = None, None
        self.predict_now()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.draw_now()

    def draw_now(self) -> None:
        """Answer for the latest snapshot now, shown or not (for an export of the plot)."""
        if self._stale:
            self._stale = False
            self.predict_now()
