"""The gallery: validation images the network got wrong (or only just right), as tiles.

By default it shows every misclassified sample of the latest snapshot, the most
confident mistakes first: those say most about what the network has learned
wrongly. ``set_filter(true, pred)`` narrows it to one cell of the confusion
matrix; a diagonal cell shows the correct answers it was least sure of.

Tiles are painted on demand by a delegate (only the visible ones, from a QImage
made once per sample), so a snapshot with hundreds of samples costs a sort, not
hundreds of widgets. Selecting a tile shows it larger beside its saliency map:
the gradient of the predicted class's score with respect to each pixel, computed
here in the GUI thread on an inference copy of the snapshot's parameters. With no
tile selected (a new run, a new filter) the detail says so and nothing older.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from core.nn.model import MLP
from core.training.events import Snapshot
from gui.shared import colormaps as cm
from gui.shared.bus import EventBus
from gui.shared.pacing import Latest
from gui.views.fool import FoolPanel

TILE_W, TILE_H, IMG = 108, 136, 84
DETAIL_MIN, DETAIL_MAX = 72, 200  # side of the enlarged image and saliency map, in pixels
SHEET_COLUMNS = 10
#: Delay between a snapshot's arrival and its drawing (after the weights and the confusion
#: matrix, in a turn of its own).
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
DRAW_DELAY_MS = 80


class _Samples:
    """One snapshot's samples and the ranked selection of them currently shown."""

    def __init__(self, snap: Snapshot | None = None) -> None:
        self.snap = snap
        n = 0 if snap is None else len(snap.sample_true)
        self.true = np.zeros(0, np.int64) if snap is None else np.asarray(snap.sample_true)
        self.pred = np.zeros(0, np.int64) if snap is None else np.asarray(snap.sample_pred)
        self.probs = np.zeros((0, 0)) if snap is None else np.asarray(snap.sample_probs)
        self.conf = self.probs[np.arange(n), self.pred] if n else np.zeros(0)
        self.names: tuple[str, ...] = () if snap is None else tuple(snap.class_names)
        self.order = np.zeros(0, dtype=np.int64)
        self._images: dict[int, QImage] = {}

    def name(self, c: int) -> str:
        return self.names[c] if c < len(self.names) else str(c)

    def select(self, true: int | None, pred: int | None) -> None:
        """Rank what the filter keeps: mistakes most confident first, a diagonal least first."""
        keep = np.ones(self.true.shape, dtype=bool)
        if true is not None:
            keep &= self.true == true
        if pred is not None:
            keep &= self.pred == pred
        diagonal = true is not None and true == pred
        if not diagonal:
            keep &= self.true != self.pred
        idx = np.flatnonzero(keep)
        key = self.conf[idx] if diagonal else -self.conf[idx]
        self.order = idx[np.argsort(key, kind="stable")]

    def image(self, i: int) -> np.ndarray:
        """Sample ``i`` as ``(h, w)`` or ``(h, w, 3)`` in [0, 1]."""
        return np.asarray(self.snap.sample_images[i]).reshape(self.snap.image_shape)

    def qimage(self, i: int) -> QImage:
        if i not in self._images:
            self._images[i] = cm.to_qimage(self.image(i))
        return self._images[i]

    def caption(self, i: int) -> str:
        return f"true {self.name(int(self.true[i]))} → pred {self.name(int(self.pred[i]))}"


def paint_tile(
    p: QPainter, rect: QRect, s: _Samples, i: int, pal: QPalette, selected: bool
) -> None:
    """Draw sample ``i`` into ``rect``: image, caption, one bar per class probability."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    border = cm.HIGHLIGHT if selected else pal.color(QPalette.ColorRole.Mid)
    p.setPen(border)
    p.setBrush(pal.color(QPalette.ColorRole.Base))
    p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 4, 4)
    if selected:
        p.setPen(cm.HIGHLIGHT)
        p.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 4, 4)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    target = QRect(rect.x() + (rect.width() - IMG) // 2, rect.y() + 5, IMG, IMG)
    p.drawImage(target, s.qimage(i))

    font = QFont(p.font())
    font.setPointSizeF(8.0)
    p.setFont(font)
    p.setPen(pal.color(QPalette.ColorRole.Text))
    text_rect = QRect(rect.x() + 3, target.bottom() + 3, rect.width() - 6, 15)
    fm = p.fontMetrics()
    caption = s.caption(i)
    if fm.horizontalAdvance(caption) > text_rect.width():  # long class names: drop the words
        caption = f"{s.name(int(s.true[i]))} → {s.name(int(s.pred[i]))}"
    caption = fm.elidedText(caption, Qt.TextElideMode.ElideRight, text_rect.width())
    p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, caption)

    probs = s.probs[i]
    k = probs.size
    bars = QRect(rect.x() + 8, text_rect.bottom() + 3, rect.width() - 16, 22)
    step = bars.width() / max(k, 1)
    t, pr = int(s.true[i]), int(s.pred[i])
    p.setPen(Qt.PenStyle.NoPen)
    for c in range(k):
        colour = cm.CORRECT if c == t else cm.WRONG if c == pr else cm.NEUTRAL
        h = max(1, round(float(probs[c]) * bars.height()))
        p.setBrush(colour)
        p.drawRect(
            round(bars.x() + c * step + 1), bars.bottom() - h + 1, max(1, round(step) - 2), h
        )
    p.setPen(pal.color(QPalette.ColorRole.Mid))
    p.drawLine(bars.x(), bars.bottom() + 1, bars.right(), bars.bottom() + 1)
    # Underline the true and predicted classes' slots: visible even at probability ~0.
    p.setPen(Qt.PenStyle.NoPen)
    for c, colour in ((t, cm.CORRECT), (pr, cm.CORRECT if pr == t else cm.WRONG)):
        p.setBrush(colour)
        p.drawRect(round(bars.x() + c * step + 1), bars.bottom() + 2, max(1, round(step) - 2), 2)
    p.restore()


class _TileModel(QAbstractListModel):
    """The shown samples as list rows; the row's data is the sample number."""

    def __init__(self) -> None:
        super().__init__()
        self.samples = _Samples()

    def set_samples(self, samples: _Samples) -> None:
        self.beginResetModel()
        self.samples = samples
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else int(self.samples.order.size)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        i = int(self.samples.order[index.row()])
        if role == Qt.ItemDataRole.UserRole:
            return i
        if role == Qt.ItemDataRole.ToolTipRole:
            s = self.samples
            return (
                f"validation #{int(s.snap.sample_index[i])}\n{s.caption(i)}\n"
                f"{s.conf[i]:.1%} sure of {s.name(int(s.pred[i]))}"
            )
        return None


class _TileDelegate(QStyledItemDelegate):
    def __init__(self, model: _TileModel) -> None:
        super().__init__()
        self._model = model

    def sizeHint(self, option, index) -> QSize:
        return QSize(TILE_W, TILE_H)

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        paint_tile(
            painter,
            option.rect,
            self._model.samples,
            index.data(Qt.ItemDataRole.UserRole),
            option.palette,
            selected,
        )


class _Picture(QLabel):
    """One image shown square, pixel for pixel enlarged (no smoothing), as large as its room."""

    def __init__(self) -> None:
        super().__init__()
        self._image: QImage | None = None
        self.setMinimumSize(DETAIL_MIN, DETAIL_MIN)
        self.setMaximumSize(DETAIL_MAX, DETAIL_MAX)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # stay square: as tall as the column is wide
        self.setSizePolicy(policy)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    # Fixed hints: the pixmap shown must not feed back into the layout's sizes.
    def sizeHint(self) -> QSize:
        return QSize(DETAIL_MIN, DETAIL_MIN)

    def minimumSizeHint(self) -> QSize:
        return QSize(DETAIL_MIN, DETAIL_MIN)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(DETAIL_MIN, min(width, DETAIL_MAX))

    def set_image(self, image: QImage | None, text: str = "") -> None:
        self._image = image
        if image is None:
            self.clear()
            self.setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image is None:
            return
        side = max(1, min(self.width(), self.height()))
        self.setPixmap(
            QPixmap.fromImage(self._image).scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )


class GalleryView(QWidget):
    """Tiles of the snapshot's interesting validation samples, filterable by confusion cell.

    ``look_inside`` carries the selected sample (its image row, true label, a
    description and its row in the validation set) when the person asks to follow it
    through the network.
    """

    look_inside = Signal(object, int, str, int)

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter: tuple[int | None, int | None] = (None, None)
        self._samples = _Samples()
        self._model_cache: MLP | None = None
        self._saliency: np.ndarray | None = None

        self._title = QLabel("Gallery: waiting for the first snapshot")
        self._title.setWordWrap(True)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._all = QPushButton("Show all mistakes")
        self._all.setToolTip("Clear the filter: every misclassified sample, most confident first")
        self._all.clicked.connect(lambda: self.set_filter(None, None))
        self._all.setEnabled(False)  # always in its place: a filter must not widen the window

        self._tiles = _TileModel()
        self._list = QListView()
        self._list.setViewMode(QListView.ViewMode.IconMode)
        self._list.setResizeMode(QListView.ResizeMode.Adjust)
        self._list.setMovement(QListView.Movement.Static)
        self._list.setUniformItemSizes(True)
        self._list.setGridSize(QSize(TILE_W + 6, TILE_H + 6))
        self._list.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self._list.setModel(self._tiles)
        self._list.setItemDelegate(_TileDelegate(self._tiles))
        self._list.selectionModel().currentChanged.connect(self._on_current)

        self._detail_title = QLabel("Select a tile to see what the network looked at.")
        self._detail_title.setWordWrap(True)
        self._big = _Picture()
        self._sal = _Picture()
        self._detail_text = QLabel()
        self._detail_text.setWordWrap(True)
        detail = QWidget()
        grid = QGridLayout(detail)
        grid.addWidget(self._detail_title, 0, 0, 1, 2)
        grid.addWidget(self._big, 1, 0)
        grid.addWidget(self._sal, 1, 1)
        grid.addWidget(QLabel("image"), 2, 0, Qt.AlignmentFlag.AlignHCenter)
        self._sal_caption = QLabel("saliency")
        self._sal_caption.setWordWrap(True)
        self._sal_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self._sal_caption, 2, 1, Qt.AlignmentFlag.AlignHCenter)
        grid.addWidget(self._detail_text, 3, 0, 1, 2)
        self.look_button = QPushButton("Look inside")
        self.look_button.setToolTip("Follow this digit through the network, forward and backward")
        self.look_button.clicked.connect(self._on_look_inside)
        self.look_button.setEnabled(False)
        grid.addWidget(self.look_button, 4, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        self.fool = FoolPanel("Select a tile first.", narrow=True)
        grid.addWidget(self.fool, 5, 0, 1, 2)
        grid.setRowStretch(5, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        # In a short window the detail scrolls rather than squeezing its pictures together.
        detail_scroll = QScrollArea()
        detail_scroll.setWidget(detail)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail_scroll.setMinimumWidth(2 * DETAIL_MIN + 40)
        # Room for two columns of tiles; the pictures beside them shrink first.
        self._list.setMinimumWidth(2 * (TILE_W + 6) + 24)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._list)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self._latest = Latest(self._on_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
        bus.run_reset.connect(self._on_run_reset)
        # Where a run stands still, the picture of where it stopped is drawn at once.
        bus.settled.connect(self._latest.flush)

    # -- public ---------------------------------------------------------------
    def set_filter(self, true: int | None, pred: int | None) -> None:
        """Show only samples of class ``true`` predicted as ``pred`` (None: any).

        With both None: all mistakes. With ``true == pred``: the correct answers of
        that class, least confident first.
        """
        self._latest.flush()
        self._filter = (true, pred)
        self._apply()

    def visible_pairs(self) -> set[tuple[int, int]]:
        """The ``(true, predicted)`` pairs among the tiles shown."""
        self._latest.flush()
        s = self._samples
        return set(zip(s.true[s.order].tolist(), s.pred[s.order].tolist(), strict=True))

    def tile_count(self) -> int:
        """How many tiles the gallery holds under the current filter."""
        self._latest.flush()
        return int(self._samples.order.size)

    def shown_confidences(self) -> np.ndarray:
        """The predicted class's probability of each tile, in display order."""
        self._latest.flush()
        return self._samples.conf[self._samples.order].copy()

    def select_tile(self, row: int) -> None:
        """Select the tile at ``row`` (display order), as a click does."""
        self._latest.flush()
        self._list.setCurrentIndex(self._tiles.index(row))

    def shown_epoch(self) -> int | None:
        """The epoch (1-based) of the snapshot shown now (one waiting is not), None before one."""
        snap = self._samples.snap
        return None if snap is None else snap.epoch + 1

    def detail_texts(self) -> tuple[str, str, str]:
        """The detail pane's title, saliency caption and text, as shown."""
        return self._detail_title.text(), self._sal_caption.text(), self._detail_text.text()

    def filter_button_enabled(self) -> bool:
        """Whether "Show all mistakes" can be pressed (a filter is on)."""
        return self._all.isEnabled()

    def selected_saliency(self) -> np.ndarray | None:
        """The saliency of the selected tile, shaped like its image (None if none)."""
        return None if self._saliency is None else self._saliency.copy()

    def grab_sheet(self) -> QImage:
        """All current tiles painted onto one image, ``SHEET_COLUMNS`` to a row."""
        self._latest.flush()
        n = self.tile_count()
        cols = max(1, min(n, SHEET_COLUMNS))
        rows = max(1, math.ceil(n / cols))
        sheet = QImage(cols * TILE_W, rows * TILE_H, QImage.Format.Format_ARGB32)
        pal = self.palette()
        sheet.fill(pal.color(QPalette.ColorRole.Window))
        p = QPainter(sheet)
        try:
            for k, i in enumerate(self._samples.order.tolist()):
                r, c = divmod(k, cols)
                paint_tile(
                    p, QRect(c * TILE_W, r * TILE_H, TILE_W, TILE_H), self._samples, i, pal, False
                )
            if n == 0:
                p.setPen(pal.color(QPalette.ColorRole.Text))
                p.drawText(sheet.rect(), Qt.AlignmentFlag.AlignCenter, "no tiles")
        finally:
            p.end()
        return sheet

    # -- internals ------------------------------------------------------------
    def _on_snapshot(self, snap: Snapshot) -> None:
        self._samples = _Samples(snap)
        self._model_cache = None
        self._apply()

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._samples = _Samples()
        self._model_cache = None
        self._filter = (None, None)
        self._apply()
        self._title.setText("Gallery: waiting for the first snapshot")

    def _apply(self) -> None:
        """Re-rank under the current filter, keeping the selected sample if it is still shown."""
        was = self._list.currentIndex().data(Qt.ItemDataRole.UserRole)
        old_index = None
        if was is not None and self._tiles.samples.snap is not None:
            old_index = int(self._tiles.samples.snap.sample_index[was])
        s = self._samples
        s.select(*self._filter)
        self._tiles.set_samples(s)
        self._title.setText(self._describe())
        self._all.setEnabled(self._filter != (None, None))
        row = None
        if old_index is not None and s.snap is not None:
            hits = np.flatnonzero(np.asarray(s.snap.sample_index)[s.order] == old_index)
            row = int(hits[0]) if hits.size else None
        if row is not None:
            self.select_tile(row)
        else:
            self._show_detail(None)

    def _describe(self) -> str:
        s, (t, p), n = self._samples, self._filter, self.tile_count()
        if s.snap is None:
            return "Gallery: waiting for the first snapshot"
        epoch = f" · epoch {s.snap.epoch + 1}"
        if t is not None and t == p:
            return f"Correctly classified {s.name(t)}, least confident first · {n} shown{epoch}"
        if t is None and p is None:
            what = "All mistakes, most confident first"
        elif p is None:
            what = f"True {s.name(t)} predicted as something else"
        elif t is None:
            what = f"Wrongly predicted as {s.name(p)}"
        else:
            what = f"True {s.name(t)} predicted as {s.name(p)}"
        return f"{what} · {n} shown{epoch}" if n else f"{what}: none in this snapshot{epoch}"

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        i = current.data(Qt.ItemDataRole.UserRole) if current.isValid() else None
        self._show_detail(i)

    def _on_look_inside(self) -> None:
        i = self._list.currentIndex().data(Qt.ItemDataRole.UserRole)
        s = self._samples
        if i is None or s.snap is None:
            return
        self.look_inside.emit(
            np.asarray(s.snap.sample_images[i]),
            int(s.true[i]),
            f"gallery: validation #{int(s.snap.sample_index[i])}, read as {s.name(int(s.pred[i]))}",
            int(s.snap.sample_index[i]),
        )

    def _show_detail(self, i: int | None) -> None:
        self.look_button.setEnabled(i is not None)
        if i is None:
            self._saliency = None
            self._big.set_image(None)
            self._sal.set_image(None)
            self._detail_text.clear()
            self._sal_caption.setText("saliency")
            self._detail_title.setText("Select a tile to see what the network looked at.")
            self.fool.set_subject(self._samples.snap, None)
            return
        s = self._samples
        p = int(s.pred[i])
        self._detail_title.setText(
            f"<b>{s.caption(i)}</b> · validation #{int(s.snap.sample_index[i])}"
        )
        self._big.set_image(s.qimage(i))
        top = np.argsort(-s.probs[i])[:3]
        self._detail_text.setText(
            "probabilities: "
            + " · ".join(f"{s.name(int(c))} {s.probs[i][c]:.1%}" for c in top)
            + f"<br>saliency: how each pixel moves the score of “{s.name(p)}”: red pixels "
            "raise it, blue ones lower it."
        )
        self.fool.set_subject(s.snap, np.asarray(s.snap.sample_images[i]), s.probs[i])
        self._saliency = self._compute_saliency(i, p)
        if self._saliency is None:
            self._sal.set_image(None, "no parameters\nin this snapshot")
            return
        flat = self._saliency.mean(axis=2) if self._saliency.ndim == 3 else self._saliency
        self._sal.set_image(cm.diverging_qimage(flat))
        self._sal_caption.setText(
            f"saliency for “{s.name(p)}”" if np.any(flat) else "saliency: zero everywhere"
        )

    def _compute_saliency(self, i: int, target: int) -> np.ndarray | None:
        snap = self._samples.snap
        if not snap.params:
            return None
        if self._model_cache is None:
            self._model_cache = MLP.from_params(snap.params, snap.activation)
        x = np.asarray(snap.sample_images[i], dtype=self._model_cache.dtype).reshape(1, -1)
        grad = self._model_cache.input_gradient(x, target)[0]
        return grad.reshape(snap.image_shape)
