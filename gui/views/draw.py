"""Draw a digit and see what the network makes of it, live.

The pen paints white ink on a black square (how MNIST stores its digits) with a
thick, round, anti-aliased stroke; the canvas is as large as the tab is tall. What
the network sees is the drawing framed the way its dataset was
(``core.data.preprocess.to_shape``: crop to the ink, fit the box, centre by mass
for MNIST, by box for the 8x8 digits); that image is shown beside the canvas, and
the probabilities beside it, the predicted class in colour. Predictions follow the
pen at most ~30 times a second.

The model asked is an inference copy rebuilt from the latest Snapshot's
parameters (``MLP.from_params``), never the one being trained, so drawing while
training runs is safe. "Saliency" lays over the framed image the gradient of the
predicted class's score with respect to each pixel, with a colour key: red
pixels, if brighter, would make the network surer; blue ones less sure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.data.preprocess import is_empty, to_shape
from core.nn.model import MLP
from core.training.events import Snapshot, Started
from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.colour_key import ColourKey
from gui.shared.empty import EmptyState
from gui.shared.header import ViewHeader
from gui.shared.picture import Picture
from gui.views.drawing_area import SIDE, SMALLEST, DrawingArea
from gui.views.fool import FoolPanel

PREDICT_MS = 33  # ~30 predictions a second while drawing
NO_MODEL = "Train at least one epoch (or open a checkpoint) to ask the network."
__all__ = ["SIDE", "CanvasView"]


class CanvasView(QWidget):
    """The drawing canvas, the framed image the network sees, and its probabilities."""

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
        self.saliency_button = QCheckBox("saliency")
        self.saliency_button.setToolTip(
            "Lay over what the network sees how much each pixel pushes the predicted class "
            "up (red) or down (blue): what the network looks at"
        )
        self.saliency_button.toggled.connect(lambda _on: self.predict_now())
        self.look_button = QPushButton("Look inside")
        self.look_button.setToolTip("Follow this drawing through the network, forward and backward")
        self.look_button.clicked.connect(self.look_inside)
        self.header = ViewHeader("draw", self.saliency_button, self.look_button, self.clear_button)

        self.framed = Picture(112, 320)
        self.framed.setToolTip(
            "Your drawing framed like the training images: cropped, scaled, centred"
        )
        self.key = ColourKey(cm.saliency_key, "lowers", "raises", "score")
        self.key.setVisible(False)
        seen = QLabel("what the network sees")
        seen.setObjectName("viewSummary")
        seen.setAlignment(Qt.AlignmentFlag.AlignHCenter)

        self._bars_w = pg.PlotWidget()
        plot = self._bars_w.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setYRange(0, 1, padding=0.02)
        plot.setLabel("left", "probability")
        style.grid(plot, x=False)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        plot.addItem(self._bars)
        style.style_view(self._bars_w, "Draw: the network's probabilities")
        self._bars_box = EmptyState(self._bars_w, NO_MODEL)
        self._answer = QLabel("")
        self._answer.setObjectName("viewTitle")
        self._answer.setWordWrap(True)

        middle = QVBoxLayout()
        middle.addWidget(seen)
        middle.addWidget(self.framed, 0, Qt.AlignmentFlag.AlignHCenter)
        middle.addWidget(self.key, 0, Qt.AlignmentFlag.AlignHCenter)
        middle.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._answer)
        right.addWidget(self._bars_box, 1)
        self.fool = FoolPanel("Draw a digit first.")
        right.addWidget(self.fool)
        body = QHBoxLayout()
        body.setSpacing(style.SPACE_L)
        body.addWidget(self.area, 4)
        body.addLayout(middle, 1)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_M)
        layout.setSpacing(style.SPACE_M)
        layout.addWidget(self.header)
        layout.addLayout(body, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREDICT_MS)
        self._timer.timeout.connect(self.predict_now)
        self._set_classes(self._names)
        style.on_change(self, lambda _p: self.predict_now())

        bus.started.connect(self._on_started)
        bus.snapshot.connect(self._on_snapshot)
        bus.run_reset.connect(self._on_run_reset)

    # -- public ---------------------------------------------------------------
    def draw_stroke(self, points: Sequence[tuple[float, float]]) -> None:
        """Draw a stroke through canvas points ``(x, y)`` (0..SIDE) and predict at once."""
        self.area.stroke(points)
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

    def answer(self) -> str:
        """What the line over the probabilities says."""
        return self._answer.text()

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
        self._probs, self._saliency = None, None
        model = self._inference_model()
        if not grey:
            self._answer.setText("Drawing needs a grayscale dataset (this one is in colour).")
        elif model is None:
            self._answer.setText("")
        elif is_empty(ink):
            self._answer.setText("Draw a digit on the black square…")
        else:
            x = self._framed.reshape(1, -1).astype(model.dtype)
            self._probs = model.predict_proba(x)[0].astype(np.float64)
            best = int(np.argmax(self._probs))
            if self.saliency_button.isChecked():
                grad = model.input_gradient(x, best)[0]
                self._saliency = grad.reshape(self._framed.shape)
            self._answer.setText(
                f"It reads <b>{self._names[best]}</b> ({self._probs[best]:.0%} sure)"
            )
        if model is None:
            self._bars_box.show_message(NO_MODEL)
        else:
            self._bars_box.show_content()
        self._draw_bars()
        self._draw_framed()
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

    def _draw_bars(self) -> None:
        p = style.palette()
        k = len(self._names)
        probs = np.zeros(k) if self._probs is None else self._probs
        best = int(np.argmax(probs)) if self._probs is not None else -1
        brushes = [pg.mkBrush(p.accent if c == best else p.neutral) for c in range(k)]
        self._bars.setOpts(x=np.arange(k), height=probs, brushes=brushes, pen=pg.mkPen(None))

    def _draw_framed(self) -> None:
        overlay = self._saliency is not None
        self.key.setVisible(overlay)
        if overlay:
            self.framed.set_image(cm.rgb_qimage(cm.saliency_overlay(self._framed, self._saliency)))
        else:
            self.framed.set_image(cm.to_qimage(self._framed))
        if self._probs is not None:
            self.key.set_labels(
                "lowers", "raises", f"score of “{self._names[int(np.argmax(self._probs))]}”:"
            )

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

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The canvas: a square as tall as the tab leaves it, at most half its width."""
        super().resizeEvent(event)
        m = self.layout().contentsMargins()
        room = self.height() - m.top() - m.bottom() - self.header.height() - style.SPACE_M
        side = max(SMALLEST, min(room, (self.width() - m.left() - m.right()) // 2))
        # A largest size, not a fixed one: the window may still be made smaller.
        if self.area.maximumWidth() != side:
            self.area.setMaximumSize(side, side)

    def draw_now(self) -> None:
        """Answer for the latest snapshot now, shown or not (for an export of the plot)."""
        if self._stale:
            self._stale = False
            self.predict_now()
