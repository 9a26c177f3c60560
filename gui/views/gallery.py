"""The gallery: validation images the network got wrong (or only just right), as tiles.

By default it shows every misclassified sample of the latest snapshot, the most
confident mistakes first: those say most about what the network has learned
wrongly. ``set_filter(true, pred)`` narrows it to one cell of the confusion
matrix; a diagonal cell shows the correct answers it was least sure of.

Tiles are painted on demand (:mod:`gui.views.gallery_tiles`), so a snapshot with
hundreds of samples costs a sort, not hundreds of widgets, and the tiles take the
panel's whole width. Selecting a tile opens the digit up close beside them
(:mod:`gui.views.digit_detail`): its saliency drawn over it, computed here on an
inference copy of the snapshot's parameters (one backward pass of one digit), and
its probabilities. The detail closes with a new run or a new filter.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListView,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.nn.model import MLP
from core.training.events import Snapshot, Started
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.empty import PRESS_START, EmptyState
from gui.shared.header import ViewHeader
from gui.shared.pacing import Latest
from gui.views.digit_detail import DigitDetail
from gui.views.fool import FoolPanel
from gui.views.gallery_tiles import TILE_H, TILE_W, Samples, TileDelegate, TileModel, paint_tile

SHEET_COLUMNS = 10
#: Gap between tiles, in pixels.
TILE_GAP = 6
#: Width of the detail beside the tiles.
DETAIL_W = 250
#: Shortest time between two drawings: a few a second, however fast snapshots come.
MIN_GAP_MS = 250
#: Delay between a snapshot's arrival and its drawing (after the weights and the confusion
#: matrix, in a turn of its own).
DRAW_DELAY_MS = 80
EMPTY = (
    f"{PRESS_START}: after epoch 1 the validation digits the network gets wrong "
    "appear here, the most confident mistakes first."
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
        self._samples = Samples()
        self._model_cache: MLP | None = None
        self._saliency: np.ndarray | None = None

        self._all = QPushButton("Show all mistakes")
        self._all.setToolTip("Clear the filter: every misclassified sample, most confident first")
        self._all.clicked.connect(lambda: self.set_filter(None, None))
        self._all.setEnabled(False)  # always in its place: a filter must not widen the window
        self.header = ViewHeader("gallery", self._all)

        self._tiles = TileModel()
        self._list = QListView()
        self._list.setViewMode(QListView.ViewMode.IconMode)
        self._list.setResizeMode(QListView.ResizeMode.Adjust)
        self._list.setMovement(QListView.Movement.Static)
        self._list.setUniformItemSizes(True)
        self._list.setGridSize(QSize(TILE_W + TILE_GAP, TILE_H + TILE_GAP))
        self._list.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self._list.setFrameShape(QFrame.Shape.NoFrame)
        self._list.setModel(self._tiles)
        self._list.setItemDelegate(TileDelegate(self._tiles))
        self._list.selectionModel().currentChanged.connect(self._on_current)
        self._list.setMinimumWidth(2 * (TILE_W + TILE_GAP) + 24)
        self._box = EmptyState(self._list, EMPTY)

        self.detail = DigitDetail()
        self.detail.closed.connect(self._close_detail)
        self.look_button = QPushButton("Look inside")
        self.look_button.setToolTip("Follow this digit through the network, forward and backward")
        self.look_button.clicked.connect(self._on_look_inside)
        self.look_button.setEnabled(False)
        self.fool = FoolPanel("Select a tile first.", narrow=True)
        self.detail.add_below(self.look_button, self.fool)
        # In a short window the detail scrolls rather than making the window taller.
        self._detail_area = QScrollArea()
        self._detail_area.setWidget(self.detail)
        self._detail_area.setWidgetResizable(True)
        self._detail_area.setFrameShape(QFrame.Shape.NoFrame)
        self._detail_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._detail_area.setFixedWidth(DETAIL_W)
        self._detail_area.hide()
        body = QHBoxLayout()
        body.setSpacing(style.SPACE_S)
        body.addWidget(self._box, 1)
        body.addWidget(self._detail_area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addLayout(body, 1)
        style.on_change(self, lambda _p: self._list.viewport().update())

        self._latest = Latest(self._on_snapshot, DRAW_DELAY_MS, MIN_GAP_MS, self)
        bus.snapshot.connect(self._latest.offer)
        bus.started.connect(self._on_started)
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

    def columns(self) -> int:
        """How many tiles side by side the gallery fits now."""
        width = self._list.viewport().width() if self._list.isVisible() else self._box.width()
        return max(1, width // (TILE_W + TILE_GAP))

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

    def detail_shown(self) -> bool:
        """The selected digit is shown up close beside the tiles."""
        return self._detail_area.isVisibleTo(self)

    def detail_texts(self) -> tuple[str, str]:
        """The detail's title and note, as shown."""
        return self.detail.texts()

    def empty_message(self) -> str:
        self._latest.flush()
        return self._box.message()

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
        sheet.fill(style.palette().window)
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
        self._samples = Samples(snap)
        self._model_cache = None
        self._apply()

    def _on_started(self, _ev: Started) -> None:
        if self._samples.snap is None:
            self._box.show_message("Training: the mistakes appear after epoch 1.")

    def _on_run_reset(self) -> None:
        self._latest.drop()
        self._samples = Samples()
        self._model_cache = None
        self._filter = (None, None)
        self._apply()
        self._box.show_message(EMPTY)

    def _apply(self) -> None:
        """Re-rank under the current filter, keeping the selected sample if it is still shown."""
        was = self._list.currentIndex().data(Qt.ItemDataRole.UserRole)
        old_index = None
        if was is not None and self._tiles.samples.snap is not None:
            old_index = int(self._tiles.samples.snap.sample_index[was])
        s = self._samples
        s.select(*self._filter)
        self._tiles.set_samples(s)
        self.header.set_status(self._describe())
        self._all.setEnabled(self._filter != (None, None))
        if s.snap is not None:
            if s.order.size:
                self._box.show_content()
            else:
                self._box.show_message(self._describe())
        row = None
        if old_index is not None and s.snap is not None:
            hits = np.flatnonzero(np.asarray(s.snap.sample_index)[s.order] == old_index)
            row = int(hits[0]) if hits.size else None
        if row is not None:
            self.select_tile(row)
        else:
            self._show_detail(None)

    def _describe(self) -> str:
        s, (t, p), n = self._samples, self._filter, int(self._samples.order.size)
        if s.snap is None:
            return ""
        epoch = f" · epoch {s.snap.epoch + 1}"
        if t is not None and t == p:
            what = f"correct {s.name(t)}s, least sure first"
        elif t is None and p is None:
            what = "all mistakes"
        elif p is None:
            what = f"true {s.name(t)} read wrong"
        elif t is None:
            what = f"wrongly read as {s.name(p)}"
        else:
            what = f"true {s.name(t)} read as {s.name(p)}"
        if not n:
            return f"{what}: none in this snapshot{epoch}"
        total = self._total(t, p)
        # The snapshot carries a sample of the digits: say so when it shows fewer.
        count = f"{n:,} of {total:,}" if total > n else f"{n:,}"
        return f"{what}: {count}{epoch}"

    def _total(self, true: int | None, pred: int | None) -> int:
        """How many validation digits the filter stands for, from the confusion matrix."""
        m = np.asarray(self._samples.snap.confusion)
        if m.ndim != 2 or m.size == 0:
            return 0
        diagonal = np.diag(m)
        if true is not None and true == pred:
            return int(diagonal[true])
        if true is not None and pred is not None:
            return int(m[true, pred])
        if true is not None:
            return int(m[true].sum() - diagonal[true])
        if pred is not None:
            return int(m[:, pred].sum() - diagonal[pred])
        return int(m.sum() - diagonal.sum())

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        i = current.data(Qt.ItemDataRole.UserRole) if current.isValid() else None
        self._show_detail(i)

    def _close_detail(self) -> None:
        self._list.clearSelection()
        self._list.setCurrentIndex(QModelIndex())

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
            self._detail_area.hide()
            self.detail.clear()
            self.fool.set_subject(self._samples.snap, None)
            return
        s = self._samples
        p = int(s.pred[i])
        self._saliency = self._compute_saliency(i, p)
        names = [s.name(c) for c in range(s.probs.shape[1])]
        self.detail.show_digit(
            s.image(i),
            self._saliency,
            s.probs[i],
            names,
            int(s.true[i]),
            p,
            f"{s.caption(i)} · validation #{int(s.snap.sample_index[i])}",
        )
        self.fool.set_subject(s.snap, np.asarray(s.snap.sample_images[i]), s.probs[i])
        self._detail_area.show()

    def _compute_saliency(self, i: int, target: int) -> np.ndarray | None:
        snap = self._samples.snap
        if not snap.params:
            return None
        if self._model_cache is None:
            self._model_cache = MLP.from_params(snap.params, snap.activation)
        x = np.asarray(snap.sample_images[i], dtype=self._model_cache.dtype).reshape(1, -1)
        grad = self._model_cache.input_gradient(x, target)[0]
        return grad.reshape(snap.image_shape)
