"""One hidden unit up close: its picture, its weights to each class, the digits it fires for.

Clicking a tile of W1 opens a popover with the unit's incoming weights enlarged,
its outgoing weights (its row of W2: to each class when the next layer is the
output) as bars, and the validation digits that excite it most. Those are
found among the snapshot's fixed sample of validation digits (the ones the Health
tab's map shows) from the snapshot's own parameters: one unit's weighted sums
over a few hundred digits, well under a millisecond, so it is done on the click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.training.events import Snapshot
from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.style import SPACE_M, SPACE_S

#: Digits shown as the unit's strongest inputs.
TOP_DIGITS = 8
TILE_PX, THUMB_PX = 140, 52


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitDetail:
    """What the popover shows about ``unit``; ``top_*`` are the digits it fires for most."""

    unit: int
    tile: np.ndarray  # (h, w) incoming weights
    norm: float
    outgoing: np.ndarray  # (k,) weights to the next layer
    to_classes: bool  # the next layer is the output
    names: tuple[str, ...]
    top_images: np.ndarray  # (TOP_DIGITS, h, w)
    top_labels: np.ndarray  # (TOP_DIGITS,)
    top_values: np.ndarray  # (TOP_DIGITS,) the unit's weighted sums for them


def unit_detail(snap: Snapshot, unit: int, top: int = TOP_DIGITS) -> UnitDetail:
    """Unit ``unit`` of ``snap``'s first layer, from its parameters and validation digits."""
    W1 = np.asarray(snap.weights, dtype=np.float32)
    w = W1[:, unit]
    shape = tuple(snap.image_shape)
    tile = cm.channel_mean(w[None, :], shape)[0]
    params = snap.params
    b = float(np.asarray(params[1])[unit]) if len(params) > 1 else 0.0
    outgoing = np.asarray(params[2])[unit].astype(np.float64) if len(params) > 2 else np.zeros(0)
    if "pca_images" in snap.extras:
        X, y = np.asarray(snap.extras["pca_images"]), np.asarray(snap.extras["pca_labels"])
    else:
        X, y = np.asarray(snap.sample_images), np.asarray(snap.sample_true)
    z = X.reshape(len(X), -1).astype(np.float32) @ w + b
    best = np.argsort(-z, kind="stable")[:top]
    return UnitDetail(
        unit=unit,
        tile=tile,
        norm=float(np.linalg.norm(w)),
        outgoing=outgoing,
        to_classes=len(params) == 4,
        names=tuple(snap.class_names),
        top_images=cm.channel_mean(X[best], shape),
        top_labels=y[best],
        top_values=z[best],
    )


class OutgoingBars(QWidget):
    """Signed bars around a zero line, red up and blue down, a name under each."""

    def __init__(self) -> None:
        super().__init__()
        self._values = np.zeros(0)
        self._names: list[str] = []
        self.setFont(style.font("small"))
        self.setMinimumSize(QSize(220, 110))

    def set_values(self, values: np.ndarray, names: list[str]) -> None:
        self._values, self._names = np.asarray(values, dtype=float), names
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = style.palette()
        n = self._values.size
        label_h = self.fontMetrics().height()
        h = self.height() - label_h - 2
        mid = h / 2
        limit = float(np.abs(self._values).max()) if n else 0.0
        step = self.width() / max(n, 1)
        lut = cm.lut("diverging")
        p.setPen(pal.border)
        p.drawLine(0, round(mid), self.width(), round(mid))
        for i, v in enumerate(self._values):
            t = v / limit if limit > 0 else 0.0
            colour = lut[int(np.clip(t * 0.5 + 0.5, 0, 1) * 255)]
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(*(int(c) for c in colour)))
            top = mid - max(t, 0.0) * (mid - 2)
            p.drawRect(QRectF(i * step + 3, top, step - 6, abs(t) * (mid - 2)))
            p.setPen(pal.muted)
            name = self._names[i] if i < len(self._names) else ""
            p.drawText(QRectF(i * step, h + 2, step, label_h), Qt.AlignmentFlag.AlignCenter, name)
        p.end()


class UnitPopover(QFrame):
    """The popover a click on a unit opens; :attr:`detail` is what it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("popover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.detail: UnitDetail | None = None
        self._title = QLabel()
        self._title.setObjectName("popoverTitle")
        self._tile = QLabel()
        self._tile.setFixedSize(TILE_PX, TILE_PX)
        self._bars = OutgoingBars()
        self._bars_caption = QLabel()
        self._bars_caption.setObjectName("viewSummary")
        self._digits_caption = QLabel()
        self._digits_caption.setObjectName("viewSummary")
        self._thumbs = [QLabel() for _ in range(TOP_DIGITS)]
        self._thumb_labels = [QLabel() for _ in range(TOP_DIGITS)]
        right = QVBoxLayout()
        right.addWidget(self._bars, 1)
        right.addWidget(self._bars_caption)
        top = QHBoxLayout()
        top.addWidget(self._tile)
        top.addLayout(right, 1)
        thumbs = QGridLayout()
        thumbs.setHorizontalSpacing(SPACE_S)
        for i, (pic, label) in enumerate(zip(self._thumbs, self._thumb_labels, strict=True)):
            pic.setFixedSize(THUMB_PX, THUMB_PX)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setObjectName("viewSummary")
            thumbs.addWidget(pic, 0, i)
            thumbs.addWidget(label, 1, i)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE_M + 4, SPACE_M, SPACE_M + 4, SPACE_M + 4)
        layout.setSpacing(SPACE_S + 2)
        layout.addWidget(self._title)
        layout.addLayout(top)
        layout.addWidget(self._digits_caption)
        layout.addLayout(thumbs)

    def show_detail(self, d: UnitDetail, at: QPoint) -> None:
        """Fill in ``d`` and open beside global point ``at`` (kept within the window)."""
        self.detail = d
        self._title.setText(f"Unit {d.unit} · ‖w‖ = {d.norm:.3f}")
        self._tile.setPixmap(_scaled(cm.diverging_qimage(d.tile), TILE_PX))
        names = [d.names[i] if i < len(d.names) else str(i) for i in range(d.outgoing.size)]
        if d.to_classes:
            self._bars_caption.setText(
                "its weights to each class (its row of W2): red raises that class's score"
            )
        else:
            names = [""] * d.outgoing.size
            self._bars_caption.setText(f"its weights to the next layer's {d.outgoing.size} units")
        self._bars.set_values(d.outgoing, names)
        self._digits_caption.setText(
            "Validation digits that excite it most (its weighted sum z for each):"
        )
        for i, (pic, label) in enumerate(zip(self._thumbs, self._thumb_labels, strict=True)):
            shown = i < len(d.top_images)
            pic.setVisible(shown)
            label.setVisible(shown)
            if shown:
                pic.setPixmap(_scaled(cm.to_qimage(d.top_images[i]), THUMB_PX))
                name = d.names[int(d.top_labels[i])] if int(d.top_labels[i]) < len(d.names) else ""
                label.setText(f"{name} · z {d.top_values[i]:.1f}")
        self.adjustSize()
        room = self.parentWidget().window().geometry() if self.parentWidget() else None
        if room is None or room.width() < self.width() or room.height() < self.height():
            room = self.screen().availableGeometry()
        x, y = at.x() + 12, at.y() - self.height() // 2
        x = x if x + self.width() <= room.right() else at.x() - 12 - self.width()
        x = min(max(x, room.left()), room.right() - self.width())
        y = min(max(y, room.top()), room.bottom() - self.height())
        self.move(x, y)
        self.show()


def _scaled(image, side: int) -> QPixmap:
    return QPixmap.fromImage(image).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )
