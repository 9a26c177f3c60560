"""A lesson taken in the window: its runs trained one after another through the session.

Each experiment of a :class:`~core.lessons.Lesson` becomes a run of the session
(named after the lesson and the run's label), so every view shows it as it trains
and the Runs tab keeps it. Its live changes are handed to the run's control before
it starts (``TrainingControl.at_epoch``): the Trainer applies each as its epoch
begins, as if the slider had been moved then. A run that diverges is stopped, as
the headless lessons do (nobody is there to pick a new rate), and counts as
diverged. When the last run has ended, the outcomes (``core.lessons.outcome_of``
on each run's epochs) go to the lesson panel, which fills in what happened.

Lessons name MNIST; where it is not on the machine the session trains on the
bundled digits instead (never a download behind the student's back) and the
panel says so. The run before the lesson gets the session's usual question when
it is unsaved; the lesson's own runs follow one another without asking.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.lessons import Lesson, Outcome, outcome_of
from core.training.events import Diverged, EpochReport, Finished, Started
from gui.panels.lesson_panel import LessonProgress, Stage
from gui.session import Session
from gui.shared.state import RunState, SessionView


class LessonRun(QObject):
    """Runs ``lesson``'s experiments through ``session``; ``progressed`` after each change."""

    progressed = Signal(object)  # LessonProgress

    def __init__(self, session: Session, lesson: Lesson, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.lesson = lesson
        n = len(lesson.experiments)
        self._statuses = ["not run yet"] * n
        self._outcomes: list[Outcome] = []
        self._history: list[dict[str, Any]] = []
        self._index = -1
        self._stage: Stage | None = None
        self._diverged = False
        self._launching = False
        self._run: Any = None
        self._dataset: str | None = None  # what the runs train on, once a fall-back said so
        self._note = ""
        self._message = ""
        bus = session.bus
        bus.started.connect(self._on_started)
        bus.epoch.connect(self._on_epoch)
        bus.diverged.connect(self._on_diverged)
        bus.finished.connect(self._on_finished)
        session.changed.connect(self._on_session)

    @property
    def running(self) -> bool:
        return self._stage == "running"

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        return tuple(self._outcomes)

    def start(self) -> bool:
        """Train the first run; False when the person kept the run before (cancelled)."""
        self._stage = "running"
        if not self._launch(0):
            self._stage = None
            return False
        return True

    def stop(self, message: str = "The lesson was stopped.") -> None:
        """End the lesson: the run training now stops after its batch."""
        if self._stage != "running":
            return
        self._end("stopped", message)
        if self._ours():
            self.session.stop()

    # -- the runs -------------------------------------------------------------------------
    def _launch(self, index: int) -> bool:
        experiment = self.lesson.experiments[index]
        config = experiment.config
        if self._dataset is not None and config.data_path is None:
            config = config.replace(dataset=self._dataset)
        self._index, self._history, self._diverged = index, [], False
        changes = [(c.epoch, c.name, c.value) for c in experiment.changes]
        self._launching = True
        try:
            started = self.session.start_experiment(
                config, f"{self.lesson.title}: {experiment.label}", changes, ask=index == 0
            )
        finally:
            self._launching = False
        if not started:
            return False
        self._run = self.session.run
        self._statuses[index] = "loading the data…"
        self._emit()
        return True

    def _ours(self) -> bool:
        return self._run is not None and self.session.run is self._run

    def _on_started(self, ev: Started) -> None:
        if not self.running or not self._ours():
            return
        wanted = self.lesson.experiments[self._index].config.dataset
        if ev.dataset != wanted and self._dataset is None:
            self._dataset = ev.dataset
            name = "MNIST" if wanted == "mnist" else wanted
            self._note = (
                f"{name} is not on this machine: these runs train on the bundled 8×8 digits "
                "instead, so the figures differ from the lesson's; what it shows still holds."
            )
        self._statuses[self._index] = "training…"
        self._emit()

    def _on_epoch(self, ev: EpochReport) -> None:
        if not self.running or not self._ours():
            return
        self._history.append(
            {
                "epoch": ev.epoch,
                "val_acc": ev.val_acc,
                "train_acc": ev.train_acc,
                "val_loss": ev.val_loss,
                "train_loss": ev.train_loss,
            }
        )
        total = self.lesson.experiments[self._index].config.epochs
        self._statuses[self._index] = (
            f"epoch {ev.epoch + 1} of {total}, validation accuracy {ev.val_acc:.1%}"
        )
        self._emit()

    def _on_diverged(self, _ev: Diverged) -> None:
        if not self.running or not self._ours():
            return
        self._diverged = True
        self._statuses[self._index] = "diverged: stopping it"
        self._emit()
        self.session.stop()

    def _on_finished(self, ev: Finished) -> None:
        if not self.running or not self._ours():
            return
        if ev.reason == "error":
            self._end("failed", f"The run ended with an error: {ev.message}")
            return
        if ev.reason == "stopped" and not self._diverged:
            self._end("stopped", "The run was stopped before the end, so the lesson was too.")
            return
        experiment = self.lesson.experiments[self._index]
        outcome = outcome_of(experiment.label, self._history, self._diverged)
        self._outcomes.append(outcome)
        self._statuses[self._index] = (
            f"diverged after {outcome.epochs} epoch(s)"
            if outcome.diverged
            else f"done: validation accuracy {outcome.val_acc:.1%}, loss {outcome.val_loss:.3f}"
        )
        if self._index + 1 < len(self.lesson.experiments):
            self._emit()
            # The session handles this Finished too; the next run starts once it has.
            QTimer.singleShot(0, lambda: self._next(self._index + 1))
        else:
            self._end("done")

    def _next(self, index: int) -> None:
        if self.running and not self._launch(index):
            self._end("stopped", "The lesson was stopped.")

    def _on_session(self, view: SessionView) -> None:
        if not self.running or self._launching or self._run is None:
            return
        if not self._ours():
            self._end("stopped", "The lesson stopped: its run was reset or replaced.")
        elif view.state is RunState.ERROR:
            why = view.notice.text if view.notice is not None else "the run failed"
            self._end("failed", f"The lesson stopped: {why}")

    def _end(self, stage: Stage, message: str = "") -> None:
        self._stage = stage
        self._message = message
        self._emit()

    def _emit(self) -> None:
        self.progressed.emit(
            LessonProgress(
                stage=self._stage or "stopped",
                statuses=tuple(self._statuses),
                outcomes=tuple(self._outcomes),
                note=self._note,
                message=self._message,
            )
        )
