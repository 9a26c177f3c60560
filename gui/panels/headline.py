"""The headline numbers above the plots: how the run is doing, at a glance.

Seven cards: validation accuracy (large), the best so far and its epoch, the
loss, the epoch of epochs, the learning rate, the training speed and the time
left. The session's picture (:class:`~gui.shared.state.SessionView`) says which
run there is and where it stands (its latest and best accuracy, the epochs done,
its settings and its history); the bus's events add what changes between
pictures (the running loss, the rate a schedule set for this batch, samples per
second, the time a finished run took). Every card says "—" rather than a number
that belongs to no run, and a small line under each value says what the number
is now: "press Space to train", "epoch 4", "paused", "finished in 42 s".
"""

from __future__ import annotations

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.training.events import BatchProgress, EpochReport, Finished, Started
from gui.panels.status import RunProgress
from gui.shared.bus import EventBus
from gui.shared.formats import format_duration, format_lr, format_percent
from gui.shared.pacing import BATCH_REFRESH_MS
from gui.shared.state import RunRecord, RunState, SessionView
from gui.shared.style import SPACE_M, SPACE_S

CARDS = (
    ("accuracy", "Validation accuracy"),
    ("best", "Best so far"),
    ("loss", "Validation loss"),
    ("epoch", "Epoch"),
    ("lr", "Learning rate"),
    ("speed", "Samples/s"),
    ("left", "Time left"),
)
NONE = "—"
SCHEDULES = {"cosine": "cosine decay", "step": "steps ÷10"}


class SteadyLabel(QLabel):
    """A line of text whose size hints do not depend on the text: a card's value changes
    ten times a second, and a label that asked for a new size each time would lay the
    window out again each time."""

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 6, self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height())


class Card(QFrame):
    """A label, a value and a note, stacked."""

    def __init__(self, label: str, headline: bool = False) -> None:
        super().__init__()
        self.setObjectName("card")
        self._label = QLabel(label)
        self._label.setObjectName("cardLabel")
        self._value = SteadyLabel(NONE)
        self._value.setObjectName("cardValue")
        self._value.setProperty("headline", headline)
        self._note = SteadyLabel("")
        self._note.setObjectName("cardNote")
        for w in (self._label, self._value, self._note):
            w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE_M + 2, SPACE_S + 1, SPACE_M, SPACE_S + 1)
        layout.setSpacing(0)
        layout.addWidget(self._label)
        layout.addWidget(self._value)
        layout.addWidget(self._note)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_value(self, value: str, note: str = "") -> None:
        if value != self._value.text():
            self._value.setText(value)
        if note != self._note.text():
            self._note.setText(note)
            self._note.setToolTip(note)

    def texts(self) -> tuple[str, str]:
        return self._value.text(), self._note.text()


class HeadlineCards(QWidget):
    """The row of cards; ``show_session`` and the bus's events keep them right."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards = {key: Card(label, headline=key == "accuracy") for key, label in CARDS}
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACE_M)
        for key, card in self.cards.items():
            row.addWidget(card, 2 if key == "accuracy" else 1)
        self._view: SessionView | None = None
        self.progress = RunProgress()
        self._batch: BatchProgress | None = None
        self._speed = 0.0
        self._finished: Finished | None = None
        self._held = False
        # The batches' figures (speed, time left, running loss) are shown a few times a
        # second, not at every batch event: each new text is a repaint.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        bus.started.connect(self._on_started)
        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.resumed.connect(lambda _ev: self.progress.resumed())
        bus.finished.connect(self._on_finished)
        bus.run_reset.connect(self._on_run_reset)

    # -- reading ------------------------------------------------------------------------
    def texts(self) -> dict[str, tuple[str, str]]:
        """Each card's value and note as shown, by key (``accuracy``, ``best``, ...)."""
        return {key: card.texts() for key, card in self.cards.items()}

    # -- the session and its events -------------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        held = view.state in (RunState.PAUSED, RunState.DIVERGED, RunState.FINISHED)
        if held and not self._held:
            self.progress.paused()  # time held is not time training: the estimate waits
        self._held = held
        self._view = view
        self._refresh()

    def _on_started(self, ev: Started) -> None:
        self.progress.started(ev)
        self._batch, self._finished, self._speed = None, None, 0.0
        self._refresh()

    def _on_batch(self, ev: BatchProgress) -> None:
        self.progress.batch_done(ev)
        self._batch = ev
        self._speed = ev.samples_per_s
        if not self._timer.isActive():
            self._timer.start()

    def _on_epoch(self, ev: EpochReport) -> None:
        self.progress.epoch_done(ev)
        self._speed = ev.samples_per_s
        self._refresh()

    def _on_finished(self, ev: Finished) -> None:
        self._finished = ev
        self._refresh()

    def _on_run_reset(self) -> None:
        self.progress.reset()
        self._batch, self._finished, self._speed = None, None, 0.0
        self._refresh()

    # -- the cards ----------------------------------------------------------------------
    def _record(self) -> RunRecord | None:
        v = self._view
        if v is None or v.current is None or v.settings is None:
            return None
        return next((r for r in v.runs if r.number == v.current), None)

    def _refresh(self) -> None:
        self._timer.stop()
        v = self._view
        if v is None:
            return
        st = v.state
        record = self._record()
        has_run = v.settings is not None
        live = st.live or st is RunState.STOPPING
        c = self.cards

        waiting = {
            RunState.LOADING: "loading the data…",
            RunState.ERROR: "see the message above",
        }.get(st, "press Space to train")
        if v.val_acc is None:
            first = "after the first epoch" if has_run and st is not RunState.ERROR else waiting
            c["accuracy"].set_value(NONE, first)
        else:
            c["accuracy"].set_value(format_percent(v.val_acc), self._state_note(st, v.epochs_done))

        best = record.best if record is not None else None
        if v.best_val_acc is None:
            c["best"].set_value(NONE, "")
        else:
            c["best"].set_value(
                format_percent(v.best_val_acc), f"epoch {best.epoch + 1}" if best else ""
            )

        last = record.history[-1] if record is not None and record.history else None
        running = self._batch.running_loss if self._batch is not None and live else None
        if last is not None and last.val_loss == last.val_loss:
            note = f"training {running:.3f}" if running is not None else "last epoch"
            if st is RunState.DIVERGED:
                note = "then it diverged"
            c["loss"].set_value(f"{last.val_loss:.3f}", note)
        elif running is not None:
            c["loss"].set_value(NONE, f"training {running:.3f}")
        else:
            c["loss"].set_value(NONE, "")

        if has_run and v.total_epochs:
            note = ""
            b = self._batch
            if live and b is not None and b.epoch >= v.epochs_done:
                # The card counts epochs done; the note is the one under way, its batches.
                note = f"epoch {b.epoch + 1}, {b.batch + 1}/{b.batches}"
            elif st is RunState.FINISHED:
                note = "finished" if v.epochs_done >= v.total_epochs else "stopped"
            elif st is RunState.LOADED:
                note = "opened from a file"
            c["epoch"].set_value(f"{v.epochs_done} of {v.total_epochs}", note)
        else:
            c["epoch"].set_value(NONE, f"{v.draft.epochs} to train" if not has_run else "")

        config = v.settings or v.draft
        lr = self._batch.learning_rate if self._batch is not None and live else config.learning_rate
        lr_note = SCHEDULES.get(config.schedule, "")
        if not has_run:
            lr_note = "for the next run"
        c["lr"].set_value(format_lr(lr), lr_note)

        if self._speed > 0 and has_run and st is not RunState.LOADED:
            running = st in (RunState.TRAINING, RunState.STEPPING)
            c["speed"].set_value(f"{self._speed:,.0f}", "now" if running else "when it last ran")
        else:
            c["speed"].set_value(NONE, "")

        c["left"].set_value(*self._time_left(st, v))

    def _state_note(self, st: RunState, epochs: int) -> str:
        return {
            RunState.PAUSED: f"epoch {epochs} · paused",
            RunState.DIVERGED: f"epoch {epochs} · then diverged",
            RunState.FINISHED: f"epoch {epochs} · run over",
            RunState.LOADED: f"epoch {epochs} · opened",
            RunState.ERROR: f"epoch {epochs} · stopped by an error",
        }.get(st, f"epoch {epochs}")

    def _time_left(self, st: RunState, v: SessionView) -> tuple[str, str]:
        if st is RunState.FINISHED and self._finished is not None:
            took = format_duration(self._finished.seconds)
            return (
                ("done", f"took {took}")
                if self._finished.reason == "completed"
                else (
                    "stopped",
                    f"after {took}",
                )
            )
        if st in (RunState.PAUSED, RunState.DIVERGED):
            eta = self.progress.eta_s
            return format_duration(eta), "paused" if eta is not None else ""
        if st.live or st is RunState.STOPPING:
            eta = self.progress.eta_s
            return format_duration(eta), "at this pace" if eta is not None else "measuring…"
        return NONE, ""
