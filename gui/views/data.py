"""The Data tab: what the network learns from, before it learns anything.

For the dataset the session holds (the one the next Start trains on: the
dataset box's choice, a dropped folder), it shows a few training images of every
class with the class's mean image, how many images of each class the training,
validation and test sets hold, the histogram of pixel values, and a live
preview of the augmentation chosen in the controls: one training image as the
trainer would see it in eleven successive epochs (``augment_batch``, the very
function the training loop calls), drawn again when the augmentation changes or
on "New draw".

The figures (a pass over the training set: per-class sums, a histogram) are
computed by :func:`core.data.summary.summarize` in a :class:`~gui.shared.jobs.Job`,
once per dataset, when the tab is first shown; the preview's eleven images are
cheap and drawn here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.empty import EmptyState
from gui.shared.header import ViewHeader
from gui.shared.jobs import Job, run_job
from gui.shared.state import SessionView, folder_note
from gui.shared.tiles import TileRow
from gui.views.data_pictures import ClassGrid
from gui.views.data_plots import CountsChart, PixelHistogram

#: Samples of each class in the grid.
PER_CLASS = 8
#: Augmented versions shown beside the original (the preview's epochs).
DRAWS = 11
AUGMENT_TEXT = {
    "none": "None: the trainer sees every image as it is. Choose an augmentation in the "
    "controls (Augment) to see what it does.",
    "shift": "Shifts: each epoch the image is moved by up to 2 pixels each way "
    "(scaled with the image size).",
    "affine": "Affine + elastic: each epoch the image is turned, scaled, sheared, moved and "
    "bent a little, as a hand would vary it.",
}

NO_DATASET = (
    "Choose a dataset in the controls (or drop an image folder on the window): samples of "
    "each class, the class counts and the pixel values appear here."
)
SUMMARISING = (
    "Reading the training set: samples of each class, the class counts and the pixel "
    "values appear here in a moment."
)


class DataView(QWidget):
    """The dataset in pictures and figures; follows the session's dataset and augmentation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: Any = None
        self._summary: Any = None
        self._job: Job | None = None
        self._stale = False
        self._augment = "none"
        self._draw = 0
        self._pick = 0
        self._preview = np.zeros((0, 0), dtype=np.float32)

        self._source = QLabel("")
        self._source.setObjectName("readout")
        self._source.setWordWrap(True)
        self._source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._busy = QProgressBar()
        self._busy.setMaximumWidth(260)
        self._busy.setVisible(False)
        self.header = ViewHeader("data", self._busy)

        self.grid = ClassGrid(PER_CLASS)
        grid_scroll = QScrollArea()
        grid_scroll.setWidget(self.grid)
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setFrameShape(QFrame.Shape.NoFrame)
        grid_scroll.setMinimumWidth(self.grid.minimumSizeHint().width())
        self.counts_chart = CountsChart()
        self.histogram = PixelHistogram()
        self._grid_box = EmptyState(grid_scroll, NO_DATASET)

        self._augment_text = QLabel(AUGMENT_TEXT["none"])
        self._augment_text.setWordWrap(True)
        self.preview = TileRow(columns=6, min_side=36, max_side=68)
        self.new_draw = QPushButton("New draw")
        self.new_draw.setToolTip("Draw eleven new random versions of the same image")
        self.new_draw.clicked.connect(self._on_new_draw)
        self.another = QPushButton("Another image")
        self.another.setToolTip("Preview the augmentation on another training image")
        self.another.clicked.connect(self._on_another)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_draw)
        buttons.addWidget(self.another)
        buttons.addStretch(1)
        augment_box = QGroupBox("Augmentation: what the trainer sees, epoch after epoch")
        box = QVBoxLayout(augment_box)
        box.addWidget(self._augment_text)
        box.addWidget(self.preview)
        box.addLayout(buttons)

        charts = QSplitter(Qt.Orientation.Vertical)
        charts.addWidget(self.counts_chart)
        charts.addWidget(self.histogram)
        charts.setChildrenCollapsible(False)
        self._charts_box = EmptyState(charts, NO_DATASET)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(style.SPACE_M)
        right_layout.addWidget(self._charts_box, 1)
        right_layout.addWidget(augment_box)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setHandleWidth(style.SPACE_M)
        split.addWidget(self._grid_box)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self._source)
        # In a short window the tab scrolls rather than making the whole window taller.
        body = QScrollArea()
        body.setWidget(split)
        body.setWidgetResizable(True)
        body.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(body, 1)

    # -- the session ---------------------------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        """Follow the session: a new dataset is summarised, a new augmentation previewed."""
        if view.loading is not None:  # a dataset being read: the next one shown here
            self._show_busy(*view.loading)
        elif self._job is None:
            self._busy.setVisible(False)
        if view.data is not self._data:
            self._data, self._summary, self._pick, self._draw = view.data, None, 0, 0
            self._show_dataset()
            self._stale = view.data is not None
            if self._stale and self.isVisible():
                self.refresh()
        if view.draft.augment != self._augment:
            self._augment = view.draft.augment
            self._augment_text.setText(AUGMENT_TEXT.get(self._augment, self._augment))
            self._draw_preview()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Summarise the dataset now (in a thread), shown or not."""
        self._stale = False
        if self._job is not None:
            self._job.cancel()
        data = self._data
        if data is None:
            return

        def work(progress):
            from core.data import summary

            return summary.summarize(data, PER_CLASS, progress=progress)

        self._show_busy("Summarising the training set", 0, 0)
        self._job = run_job(
            work,
            "data summary",
            self,
            done=lambda result, data=data: self._on_summary(data, result),
            failed=self._on_failed,
            progress=self._show_busy,
            ended=self._on_ended,
        )

    # -- what is shown -------------------------------------------------------------------
    def empty_message(self) -> str:
        """What the tab says in place of its pictures and charts ("" once they show)."""
        return self._charts_box.message()

    def summary(self) -> Any:
        """The :class:`~core.data.summary.DataSummary` shown (None while it is computed)."""
        return self._summary

    def preview_images(self) -> np.ndarray:
        """The preview's pictures ``(1 + DRAWS, d)``: the original first, then as augmented."""
        return self._preview.copy()

    def _show_dataset(self) -> None:
        data = self._data
        if data is None:
            self.header.set_status("")
            self._source.setText("")
        else:
            shape = "x".join(str(s) for s in data.image_shape[:2])
            colour = "RGB" if len(data.image_shape) == 3 else "grey"
            self.header.set_status(
                f"{data.name} · {data.n_classes} classes · {shape} {colour} · "
                f"{len(data.y_train):,} train · {len(data.y_val):,} validation · "
                f"{len(data.y_test):,} test"
            )
            note = folder_note(data)
            self._source.setText(note or data.source)
            self._source.setToolTip(data.source)
        for widget in (self.grid, self.counts_chart, self.histogram):
            widget.set_summary(None)
        message = NO_DATASET if data is None else SUMMARISING
        for box in (self._grid_box, self._charts_box):
            box.show_message(message)
        self._draw_preview()

    def _on_summary(self, data: Any, summary: Any) -> None:
        if data is not self._data:
            return
        self._summary = summary
        for widget in (self.grid, self.counts_chart, self.histogram):
            widget.set_summary(summary)
        for box in (self._grid_box, self._charts_box):
            box.show_content()

    def _on_failed(self, message: str, _details: str) -> None:
        self._source.setText(f"Could not summarise the dataset: {message}")
        for box in (self._grid_box, self._charts_box):
            box.show_message(f"Could not summarise the dataset: {message}")

    def _on_ended(self) -> None:
        if self._job is not None and not self._job.is_running:
            self._job = None
            self._busy.setVisible(False)

    def _show_busy(self, what: str, done: int, total: int) -> None:
        self._busy.setVisible(True)
        self._busy.setRange(0, max(total, 0))
        self._busy.setValue(done if total > 0 else 0)
        self._busy.setFormat(f"{what} %p%" if total > 0 else what)

    # -- the augmentation preview ----------------------------------------------------------
    def _on_new_draw(self) -> None:
        self._draw += 1
        self._draw_preview()

    def _on_another(self) -> None:
        if self._data is not None and len(self._data.y_train):
            rng = np.random.default_rng([self._draw, self._pick])
            self._pick = int(rng.integers(len(self._data.y_train)))
        self._draw_preview()

    def _draw_preview(self) -> None:
        data = self._data
        if data is None or not len(data.y_train):
            self._preview = np.zeros((0, 0), dtype=np.float32)
            self.preview.set_tiles([])
            return
        from core.training.augment import augment_batch

        x = data.X_train[self._pick]
        batch = np.repeat(x[None], DRAWS, axis=0)
        rng = np.random.default_rng([self._draw, self._pick])
        seen = augment_batch(batch, data.image_shape, self._augment, rng)
        self._preview = np.concatenate([x[None], seen])
        shape = data.image_shape
        tiles = [(cm.to_qimage(x.reshape(shape)), "original")]
        tiles += [
            (cm.to_qimage(row.reshape(shape)), f"epoch {i + 1}") for i, row in enumerate(seen)
        ]
        self.preview.set_tiles(tiles)
