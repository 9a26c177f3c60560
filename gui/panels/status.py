"""Where the run is: epoch, throughput and time left, for the progress bar and status bar.

:class:`RunProgress` is plain arithmetic over the core's events (no widgets), so
the estimate can be checked without a window. :class:`ProgressBox` shows it
under the controls; :class:`StatusLine` fills the window's status bar. Both take
the run's state from the session's :class:`~gui.shared.state.SessionView`, so a
Reset, a divergence or an opened checkpoint reads the same everywhere; the
per-batch figures come straight from the events.

Epochs read the same in every view: "Epoch 3/40 done" at the end of the third,
"Epoch 4/40 · batch 12/150" inside the fourth, like the pictures' "epoch 3".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QVBoxLayout, QWidget

from core.text import sizes
from core.training.events import BatchProgress, EpochReport, Started
from gui.shared.bus import EventBus
from gui.shared.formats import format_duration, format_rate
from gui.shared.pacing import BATCH_REFRESH_MS
from gui.shared.state import RunState, SessionView


class RunProgress:
    """Fraction done, throughput and ETA of a run, from its events.

    The estimate is wall time per unit of progress, counting only time spent
    running (pauses excluded), so it includes the validation pass and snapshot
    at each epoch's end, which a samples/s figure alone would miss.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.first_epoch = 0
        self.last_epoch = 0
        self.epoch = 0
        self.batch = 0
        self.batches = 0
        self.samples_per_s = 0.0
        self.done_fraction = 0.0
        self.active_s = 0.0
        self._since: float | None = None
        self._start_fraction = 0.0
        self.finished = False

    def started(self, ev: Started) -> None:
        self.reset()
        self.first_epoch = self.epoch = ev.first_epoch
        self.last_epoch = int(ev.config.get("epochs", ev.first_epoch + 1))
        self._since = self._clock()

    def batch_done(self, ev: BatchProgress) -> None:
        self._tick()
        self.epoch, self.batch, self.batches = ev.epoch, ev.batch + 1, ev.batches
        self.samples_per_s = ev.samples_per_s
        self.done_fraction = self._fraction(ev.epoch, (ev.batch + 1) / max(ev.batches, 1))

    def epoch_done(self, ev: EpochReport) -> None:
        self._tick()
        self.finished = False
        self.epoch, self.batch = ev.epoch + 1, 0
        self.samples_per_s = ev.samples_per_s
        self.done_fraction = self._fraction(ev.epoch + 1, 0.0)

    def paused(self) -> None:
        self._tick()
        self._since = None

    def resumed(self) -> None:
        self._since = self._clock()

    def _tick(self) -> None:
        now = self._clock()
        if self._since is not None:
            self.active_s += now - self._since
            self._since = now

    def _fraction(self, epoch: int, within: float) -> float:
        span = max(self.last_epoch - self.first_epoch, 1)
        return min(max((epoch - self.first_epoch + within) / span, 0.0), 1.0)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far (None until there is a pace)."""
        f = self.done_fraction
        if f <= 0.0 or self.active_s <= 0.0:
            return None
        return self.active_s * (1.0 - f) / f

    def text(self) -> str:
        """Where the run is, then its pace: ``Epoch 3/20 · batch 12/150`` and
        ``41,230 samples/s · ETA 0:42`` on a second line.

        Between two epochs: ``Epoch 3/20 done`` (three finished).
        """
        if self.batch == 0 and self.epoch > 0:
            where = f"Epoch {min(self.epoch, self.last_epoch)}/{self.last_epoch} done"
        elif self.batch == 0:
            where = f"Epoch 1/{self.last_epoch}"
        else:
            where = f"Epoch {self.epoch + 1}/{self.last_epoch} · batch {self.batch}/{self.batches}"
        pace = []
        if self.samples_per_s > 0:
            pace.append(format_rate(self.samples_per_s))
        if not self.finished:
            pace.append(f"ETA {format_duration(self.eta_s)}")
        return "\n".join([where, " · ".join(pace)]) if pace else where


class ProgressBox(QWidget):
    """A progress bar over the whole run and two lines: epoch and batch, samples/s and ETA.

    The bar's label says the session's state (Ready, Loading, Paused, Diverged,
    Done, Stopped, Opened); the fraction and the line follow the run's events.
    """

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = RunProgress()
        self._state = RunState.IDLE
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setToolTip("Progress of the whole run: all epochs")
        self.line = QLabel("")
        self.line.setObjectName("progressLine")
        self.line.setToolTip("Epoch, batch, training throughput and estimated time left")
        self.line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # Two lines always: the panel does not jump as the text comes and goes.
        self.line.setFixedHeight(2 * self.line.fontMetrics().lineSpacing() + 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.line)
        # The batches' figures are shown a few times a second, not at every batch event:
        # each new value is a repaint of the bar and the line.
        self._due = QTimer(self)
        self._due.setSingleShot(True)
        self._due.setInterval(BATCH_REFRESH_MS)
        self._due.timeout.connect(self._show)
        bus.started.connect(self._on_started)
        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.resumed.connect(lambda _ev: self.progress.resumed())
        bus.run_reset.connect(self.progress.reset)
        self._idle("", "Press Start to train")

    def text(self) -> str:
        """The bar's label and the line under it, as shown: ``"Done | Epoch 3/3 done"``."""
        return f"{self.bar.text()} | {self.line.text()}"

    def show_session(self, view: SessionView) -> None:
        """Follow the session's state: the label, and the figures when nothing runs."""
        self._due.stop()  # every state below shows what it has now
        st, old = view.state, self._state
        self._state = st
        if st is RunState.LOADING and view.loading is not None:
            what, done, total = view.loading
            if total > 0:
                self.bar.setRange(0, 1000)
                self.bar.setValue(int(1000 * done / total))
                self.bar.setFormat(f"{what} %p%")
            else:
                self.bar.setRange(0, 0)
            self.line.setText(what)
        elif st is RunState.LOADING:
            self._idle("Loading…", "Reading the data…")
        elif st in (RunState.IDLE, RunState.READY) and view.settings is None:
            self._idle("Ready" if st is RunState.READY else "", "Press Start to train")
        elif st is RunState.ERROR and view.epochs_done == 0:
            self._idle("Error", "Nothing trained: see the message above")
        else:
            if st in (RunState.PAUSED, RunState.DIVERGED, RunState.FINISHED, RunState.ERROR):
                if old not in (RunState.PAUSED, RunState.DIVERGED, RunState.FINISHED):
                    self.progress.paused()
                self.progress.finished = st in (RunState.FINISHED, RunState.ERROR)
            if st is RunState.LOADED:
                self.progress.reset()
                self.progress.first_epoch = 0
                self.progress.last_epoch = view.total_epochs
                self.progress.epoch = view.epochs_done
                self.progress.done_fraction = view.epochs_done / max(view.total_epochs, 1)
                self.progress.finished = True  # nothing runs: no time left to guess
            self._show()

    def _idle(self, label: str, line: str) -> None:
        self._due.stop()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.bar.setFormat(label)
        self.line.setText(line)

    def _label(self) -> str:
        return {
            RunState.PAUSED: "Paused · %p%",
            RunState.DIVERGED: "Diverged · %p%",
            RunState.STOPPING: "Stopping · %p%",
            RunState.LOADED: "Opened · %p%",
            RunState.ERROR: "Error",
        }.get(self._state, "%p%")

    def _show(self) -> None:
        self._due.stop()
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * self.progress.done_fraction))
        if self._state is RunState.FINISHED:
            done = self.progress.done_fraction >= 1.0
            self.bar.setFormat("Done" if done else "Stopped · %p%")
        else:
            self.bar.setFormat(self._label())
        self.line.setText(self.progress.text())

    def _on_started(self, ev: Started) -> None:
        self.progress.started(ev)
        self._show()

    def _on_batch(self, ev: BatchProgress) -> None:
        self.progress.batch_done(ev)
        if not self._due.isActive():
            self._due.start()

    def _on_epoch(self, ev: EpochReport) -> None:
        self.progress.epoch_done(ev)
        self._show()


class StatusLine:
    """The status bar: the session's message on the left; dataset, network and accuracy on
    the right (the network as it is now: a live resize shows at once)."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.dataset = QLabel()
        self.network = QLabel()
        self.best = QLabel()
        self.dataset.setToolTip("The dataset of the run, and its split sizes")
        self.network.setToolTip("Layer sizes of the network now: inputs, hidden units, classes")
        self.best.setToolTip("Validation accuracy: latest epoch and best so far")
        for w in (self.dataset, self.network, self.best):
            bar.addPermanentWidget(w)
        self._message = ""

    def message(self) -> str:
        """The message on the left."""
        return self.bar.currentMessage()

    def show_session(self, view: SessionView) -> None:
        if view.message != self._message:
            self._message = view.message
            self.bar.showMessage(view.message)
        ds = view.dataset
        self.dataset.setText(
            f"{ds.name}: {ds.n_train:,} train · {ds.n_val:,} val · {ds.n_test:,} test"
            if ds is not None
            else ""
        )
        self.network.setText(sizes(view.architecture) if view.architecture else "")
        if view.val_acc is None or view.best_val_acc is None:
            self.best.setText("")
        else:
            self.best.setText(
                f"epoch {view.epochs_done} · val acc {view.val_acc:.2%} "
                f"(best {view.best_val_acc:.2%})"
            )
