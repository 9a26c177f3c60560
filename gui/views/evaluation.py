"""The Evaluation tab: how the network does on the test set, and how it holds up.

"Evaluate" scores the network of the latest snapshot (a run's, or an opened
checkpoint's) on its dataset's test set with
:func:`core.training.robustness.evaluate_test_set`, in a
:class:`~gui.shared.jobs.Job` with a progress bar and Cancel: the test accuracy
and each class's, the accuracy against Gaussian noise, rotation, shift and stroke
thickness over a range of strengths, and coverage against accuracy with a
threshold slider. The test set is touched only here, when the person asks.

Before there is a network the tab says what to do; once evaluated, a newer
network (training went on) is announced rather than shown as if evaluated.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.training.events import Snapshot
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.header import ViewHeader
from gui.shared.jobs import Job, run_job
from gui.shared.state import SessionView
from gui.views.evaluation_plots import ClassAccuracyChart, CoveragePanel, RobustnessPlots

EMPTY = "Train or open a checkpoint, then Evaluate."


class EvaluationView(QWidget):
    """Test-set accuracy, per class, under perturbations, and by confidence."""

    open_requested = Signal()  # "Open checkpoint…" in the empty state

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._snap: Snapshot | None = None
        self._data: Any = None
        self._job: Job | None = None
        self._evaluation: Any = None
        self._evaluated_epoch: int | None = None

        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip(
            "Score the network on the test set: plainly, per class, under noise, rotation, "
            "shift and thicker or thinner strokes, and by confidence"
        )
        self.evaluate_button.clicked.connect(self.evaluate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the evaluation; nothing is kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setVisible(False)
        self.header = ViewHeader(
            "evaluation", self.progress, self.evaluate_button, self.cancel_button
        )
        self.status = QLabel(EMPTY)
        self.status.setObjectName("readout")
        self.status.setWordWrap(True)

        self._empty_text = QLabel(EMPTY)
        self._empty_text.setObjectName("emptyState")
        self._empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_text.setWordWrap(True)
        open_button = QPushButton("Open checkpoint…")
        open_button.setToolTip("Open a saved run to evaluate it (Ctrl+O)")
        open_button.clicked.connect(self.open_requested)
        self._open_button = open_button
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.setSpacing(style.SPACE_L)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self._empty_text)
        empty_layout.addWidget(open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.headline = QLabel()
        self.headline.setObjectName("viewTitle")
        self.headline.setWordWrap(True)
        self.per_class = ClassAccuracyChart()
        self.robustness = RobustnessPlots()
        self.coverage = CoveragePanel()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.per_class)
        left.addWidget(self.coverage)
        left.setChildrenCollapsible(False)
        left.setHandleWidth(style.SPACE_M)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setHandleWidth(style.SPACE_M)
        split.addWidget(left)
        split.addWidget(self.robustness)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.setSpacing(style.SPACE_S)
        results_layout.addWidget(self.headline)
        results_layout.addWidget(split, 1)

        self._pages = QStackedWidget()
        self._pages.addWidget(empty)
        self._pages.addWidget(results)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self.status)
        layout.addWidget(self._pages, 1)

        bus.snapshot.connect(self._on_snapshot)
        bus.run_reset.connect(self._on_run_reset)
        self._show_state()

    # -- commands ----------------------------------------------------------------------
    def evaluate(self) -> None:
        """Score the latest snapshot's network on the test set, in a thread."""
        snap, data = self._snap, self._data
        if not self._can_evaluate() or snap is None:
            return

        def work(progress):
            from core.nn.model import MLP
            from core.training import robustness

            model = MLP.from_params(snap.params, snap.activation)
            return robustness.evaluate_test_set(model, data, progress=progress)

        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._job = run_job(
            work,
            "evaluation",
            self,
            done=lambda ev, epoch=snap.epoch: self._on_done(ev, epoch),
            failed=self._on_failed,
            progress=self._on_progress,
            ended=self._on_ended,
        )
        self.status.setText(f"Evaluating the network of epoch {snap.epoch + 1} on the test set…")
        self._show_state()

    def cancel(self) -> None:
        """Stop the evaluation at its next chunk; what was shown before stays."""
        if self._job is not None:
            self._job.cancel()
            self._job = None
            self.status.setText("Evaluation cancelled.")
            self._show_state()

    def show_session(self, view: SessionView) -> None:
        """Follow the session: the current run's dataset is what the network is tested on."""
        if view.run_data is not self._data:
            self._data = view.run_data
            self._show_state()

    # -- what is shown -------------------------------------------------------------------
    def evaluation(self) -> Any:
        """The :class:`~core.training.robustness.Evaluation` shown (None before one)."""
        return self._evaluation

    def _can_evaluate(self) -> bool:
        snap = self._snap
        return snap is not None and bool(snap.params) and self._data is not None

    def empty_message(self) -> str:
        """What the page says before there is a result."""
        return self._empty_text.text()

    def _show_state(self) -> None:
        running = self._job is not None
        # The page before any result says what to do now: train first, or press Evaluate.
        ready = self._snap is not None
        self._empty_text.setText(
            f"Press Evaluate to score the network of epoch {self._snap.epoch + 1} on the test "
            "set: its accuracy per class and under noise, rotation, shift and stroke thickness."
            if ready
            else EMPTY
        )
        self._open_button.setVisible(not ready)
        self.evaluate_button.setEnabled(self._can_evaluate() and not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self._pages.setCurrentIndex(1 if self._evaluation is not None else 0)
        if self._snap is None and self._evaluation is None and not running:
            self.status.setText(EMPTY)
        elif self._snap is not None and self._data is None and not running:
            self.status.setText("The network's dataset is still loading…")

    def _on_snapshot(self, snap: Snapshot) -> None:
        self._snap = snap
        if self._job is None:
            if self._evaluation is None:
                self.status.setText(
                    f"The network of epoch {snap.epoch + 1} is ready: Evaluate scores it "
                    "on the test set."
                )
            elif snap.epoch != self._evaluated_epoch:
                self.status.setText(
                    f"Shown: the network of epoch {self._evaluated_epoch + 1}. It has trained "
                    f"on since (epoch {snap.epoch + 1}): Evaluate again to see it now."
                )
        self._show_state()

    def _on_run_reset(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._snap, self._evaluation, self._evaluated_epoch = None, None, None
        self._show_state()

    def _on_progress(self, what: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.progress.setFormat(f"{what} · %p%")

    def _on_done(self, ev: Any, epoch: int) -> None:
        self._evaluation, self._evaluated_epoch = ev, epoch
        self.headline.setText(
            f"Test accuracy <b>{ev.accuracy:.2%}</b> on {ev.n:,} test images "
            f"(loss {ev.loss:.3f}) · the network of epoch {epoch + 1}"
        )
        self.per_class.set_evaluation(ev)
        self.robustness.set_evaluation(ev)
        self.coverage.set_evaluation(ev)
        self.status.setText(
            "Curves start at the plain accuracy (strength 0) and fall as the test images are "
            "perturbed; the dotted line is chance."
        )

    def _on_failed(self, message: str, _details: str) -> None:
        self.status.setText(f"Could not evaluate: {message}")

    def _on_ended(self) -> None:
        if self._job is not None and not self._job.is_running:
            self._job = None
        self._show_state()
