"""What changed between two moments of a run: the validation digits it learned, and those
it unlearned.

Pick two recorded moments (by default the one the timeline shows, or the run's start,
against the newest): *Compare* loads both states and asks each network about every
validation digit (:func:`core.training.timeline.compare`), in a worker thread. Two
galleries follow: the digits wrong at the first moment and right at the second
(*learned*), and the other way round (*unlearned*), each captioned with its label and
the two answers ("7: 1→7"). A network that improves overall still unlearns some
digits; these are often the ambiguous ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.data.dataset import displayable
from core.training.timeline import Comparison, Moment, Timeline, compare
from gui.shared import colormaps as cm
from gui.shared import jobs, style
from gui.shared.empty import EmptyState
from gui.shared.header import ViewHeader
from gui.shared.state import SessionView, TimelineView, moment_text
from gui.shared.tiles import TileRow

#: Most digits each gallery shows (the count says how many there are).
MAX_TILES = 60
COLUMNS = 10
EMPTY = (
    "Compare two recorded moments: the validation digits the network learned between them, "
    "and those it unlearned, appear here."
)


class WhatChangedView(QWidget):
    """Two moment choices, Compare, and the two galleries; see the module doc."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timeline = TimelineView()
        self._dataset: Any = None
        self._job: jobs.Job | None = None
        self._result: tuple[Moment, Moment, Comparison] | None = None
        self._picked: list[int | None] = [None, None]  # moment ids chosen by the person
        self._stale = False  # moments came while hidden

        self.header = ViewHeader("what_changed")
        self.first = QComboBox()
        self.second = QComboBox()
        for box, i in ((self.first, 0), (self.second, 1)):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.activated.connect(lambda _index, i=i, box=box: self._on_picked(i, box))
        self.first.setToolTip("The earlier moment")
        self.second.setToolTip("The later moment")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip(
            "Ask both networks about every validation digit (in the background)"
        )
        self.compare_button.clicked.connect(self.compare)
        self.status = QLabel()
        self.status.setObjectName("readout")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.learned_title = QLabel()
        self.unlearned_title = QLabel()
        self.learned = TileRow(columns=COLUMNS, min_side=28, max_side=44)
        self.unlearned = TileRow(columns=COLUMNS, min_side=28, max_side=44)

        pick = QGridLayout()
        pick.setHorizontalSpacing(style.SPACE_M)
        pick.addWidget(QLabel("From"), 0, 0)
        pick.addWidget(self.first, 0, 1)
        pick.addWidget(QLabel("to"), 0, 2)
        pick.addWidget(self.second, 0, 3)
        pick.addWidget(self.compare_button, 0, 4)
        pick.setColumnStretch(5, 1)
        galleries = QWidget()
        box = QVBoxLayout(galleries)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(style.SPACE_S)
        for title, tiles in (
            (self.learned_title, self.learned),
            (self.unlearned_title, self.unlearned),
        ):
            title.setWordWrap(True)
            box.addWidget(title)
            box.addWidget(tiles)
            box.addSpacing(style.SPACE_M)
        box.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(galleries)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._box = EmptyState(scroll, EMPTY)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addLayout(pick)
        layout.addWidget(self.status)
        layout.addWidget(self._box, 1)
        self._show_empty()

    # -- reading -------------------------------------------------------------------
    def result(self) -> tuple[Moment, Moment, Comparison] | None:
        """The moments compared last and what changed between them (None before)."""
        return self._result

    def moments(self) -> tuple[Moment | None, Moment | None]:
        """The two moments chosen now."""
        if self._stale:
            self._stale = False
            self._fill_choices()
        return self._chosen(self.first), self._chosen(self.second)

    def busy(self) -> bool:
        return self._job is not None

    # -- from the session ---------------------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        timeline = view.timeline
        if view.run_data is not self._dataset or timeline.folder != self._timeline.folder:
            self._cancel()
            self._result = None
            self._picked = [None, None]
            self._dataset = view.run_data
            self._show_empty()
        old = self._timeline
        self._timeline = timeline
        if not self.isVisible():  # another tab is shown: the choices wait until this one is
            self._stale = self._stale or timeline.moments != old.moments
        elif timeline.moments != old.moments or self._stale:
            self._stale = False
            self._fill_choices()
        elif timeline.viewing != old.viewing:
            self._fill_choices(rebuild=False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._stale = False
        self._fill_choices()

    def pick(self, first: int, second: int) -> None:
        """Choose moments ``first`` and ``second`` (indices into the timeline's moments)."""
        moments = self._timeline.moments
        self._picked = [moments[first].id, moments[second].id]
        self._fill_choices()

    def _on_picked(self, which: int, box: QComboBox) -> None:
        self._picked[which] = box.currentData()

    def _fill_choices(self, rebuild: bool = True) -> None:
        """The choices: every moment (``rebuild``), each box on the person's pick or, by
        default, the moment viewed (else the start) against the newest."""
        moments = self._timeline.moments
        ids = [m.id for m in moments]
        viewing = self._timeline.moment
        first = ids[0] if ids else None
        if viewing is not None and viewing.id != ids[-1]:
            first = viewing.id  # the moment shown, against the newest
        defaults = [first, ids[-1] if ids else None]
        for which, box in enumerate((self.first, self.second)):
            wanted = self._picked[which] if self._picked[which] in ids else defaults[which]
            box.blockSignals(True)
            if rebuild:
                box.clear()
                for m in moments:
                    box.addItem(moment_text(m, self._timeline.total_epochs), m.id)
            if wanted is not None:
                box.setCurrentIndex(ids.index(wanted))
            box.blockSignals(False)
        ready = len(moments) >= 2 and self._dataset is not None
        self.compare_button.setEnabled(ready and self._job is None)
        if self._result is None and self._job is None:
            self.status.setText(
                "Pick two moments and press Compare: the validation digits the network learned "
                "between them, and those it unlearned."
                if ready
                else "Two recorded moments are needed: train a little first."
            )

    def _chosen(self, box: QComboBox) -> Moment | None:
        mid = box.currentData()
        return next((m for m in self._timeline.moments if m.id == mid), None)

    # -- comparing -------------------------------------------------------------------
    def compare(self) -> None:
        """Compare the two moments chosen, in a worker thread."""
        a, b = self.moments()
        folder, dataset = self._timeline.folder, self._dataset
        if a is None or b is None or folder is None or dataset is None or self._job is not None:
            return
        X, y = dataset.X_val, dataset.y_val

        def work(_progress: jobs.Progress) -> tuple[Moment, Moment, Comparison]:
            timeline = Timeline(folder)
            return a, b, compare(timeline.load(a), timeline.load(b), X, y)

        self.status.setText("Comparing…")
        self.compare_button.setEnabled(False)
        self._job = jobs.run_job(
            work,
            "what changed",
            self,
            done=self._on_done,
            failed=lambda message, _details: self.status.setText(f"Could not compare: {message}"),
            ended=self._on_ended,
        )

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _on_ended(self) -> None:
        self._job = None
        self.compare_button.setEnabled(len(self._timeline.moments) >= 2)

    def _on_done(self, result: tuple[Moment, Moment, Comparison]) -> None:
        self._result = result
        a, b, c = result
        total = self._timeline.total_epochs
        ta, tb = moment_text(a, total), moment_text(b, total)
        n = len(c.pred_a)
        right_a = n - int(np.count_nonzero(c.pred_a != self._dataset.y_val))
        right_b = n - int(np.count_nonzero(c.pred_b != self._dataset.y_val))
        self.status.setText(
            f"{ta}: {right_a:,} of {n:,} validation digits right; {tb}: {right_b:,} "
            f"({right_b - right_a:+,}: {len(c.fixed):,} learned, {len(c.broken):,} unlearned)."
        )
        for title, tiles, rows, what in (
            (self.learned_title, self.learned, c.fixed, f"wrong at {ta}, right at {tb}"),
            (self.unlearned_title, self.unlearned, c.broken, f"right at {ta}, wrong at {tb}"),
        ):
            shown = "" if len(rows) <= MAX_TILES else f" (the first {MAX_TILES} shown)"
            word = "Learned" if tiles is self.learned else "Unlearned"
            title.setText(f"<b>{word}</b>: {len(rows):,} digits {what}{shown}")
            tiles.set_tiles(self._tiles(rows[:MAX_TILES], c))
        self._box.show_content()

    def _tiles(self, rows: np.ndarray, c: Comparison) -> list:
        ds = self._dataset
        if not len(rows):
            return []
        images, _note = displayable(np.asarray(ds.X_val[rows]).reshape(-1, *ds.image_shape))
        names = ds.class_names
        return [
            (
                cm.to_qimage(image),
                f"{names[ds.y_val[r]]}: {names[c.pred_a[r]]}→{names[c.pred_b[r]]}",
            )
            for image, r in zip(images, rows, strict=True)
        ]

    def _show_empty(self) -> None:
        self.learned_title.setText("")
        self.unlearned_title.setText("")
        self.learned.set_tiles([])
        self.unlearned.set_tiles([])
        self._box.show_message(EMPTY)
        self.status.setText("Two recorded moments are needed: train a little first.")
