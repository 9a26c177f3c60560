"""Where the run is: epoch, throughput and time left, for the progress bar and status bar.

:class:`RunProgress` is plain arithmetic over the core's events (no widgets), so
the estimate can be checked without a window. :class:`ProgressBox` shows it
under the controls; :class:`StatusLine` fills the window's status bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QVBoxLayout, QWidget

from core.text import sizes
from core.training.events import BatchProgress, EpochReport, Finished, Paused, Resumed, Started
from gui.shared.bus import EventBus


def format_duration(seconds: float | None) -> str:
    """``42 s``, ``3:07``, ``1:02:03``; an em dash when unknown."""
    if seconds is None or seconds != seconds or seconds < 0 or seconds > 360_000:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_rate(samples_per_s: float) -> str:
    """Throughput for people: ``12,300 samples/s``."""
    return f"{samples_per_s:,.0f} samples/s"


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
        self.epoch, self.batch = ev.epoch + 1, 0
        self.samples_per_s = ev.samples_per_s
        self.done_fraction = self._fraction(ev.epoch + 1, 0.0)

    def paused(self) -> None:
        self._tick()
        self._since = None

    def resumed(self) -> None:
        self._since = self._clock()

    def ended(self) -> None:
        self._tick()
        self._since = None
        self.finished = True

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
        """One line: ``Epoch 3/20 · 41,230 samples/s · ETA 0:42``."""
        shown = min(self.epoch + (0 if self.finished else 1), self.last_epoch)
        parts = [f"Epoch {max(shown, 1)}/{self.last_epoch}"]
        if self.samples_per_s > 0:
            parts.append(format_rate(self.samples_per_s))
        if not self.finished:
            parts.append(f"ETA {format_duration(self.eta_s)}")
        return " · ".join(parts)


class ProgressBox(QWidget):
    """A progress bar over the whole run and a line with epoch, samples/s and ETA."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = RunProgress()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("Ready")
        self.bar.setToolTip("Progress of the whole run: all epochs")
        self.line = QLabel("Press Start to train")
        self.line.setObjectName("progressLine")
        self.line.setToolTip("Current epoch, training throughput and estimated time left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.line)
        bus.started.connect(self._on_started)
        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.paused.connect(self._on_paused)
        bus.resumed.connect(self._on_resumed)
        bus.finished.connect(self._on_finished)

    def show_loading(self, what: str, done: int, total: int) -> None:
        """Dataset loading (download or parsing) as a fraction or a busy bar."""
        if total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * done / total))
            self.bar.setFormat(f"{what} %p%")
        else:
            self.bar.setRange(0, 0)
        self.line.setText(what)

    def _show(self) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(1000 * self.progress.done_fraction))
        self.bar.setFormat("%p%")
        self.line.setText(self.progress.text())

    def _on_started(self, ev: Started) -> None:
        self.progress.started(ev)
        self._show()

    def _on_batch(self, ev: BatchProgress) -> None:
        self.progress.batch_done(ev)
        self._show()

    def _on_epoch(self, ev: EpochReport) -> None:
        self.progress.epoch_done(ev)
        self._show()

    def _on_paused(self, ev: Paused) -> None:
        self.progress.paused()
        self._show()
        self.bar.setFormat("Paused · %p%")

    def _on_resumed(self, ev: Resumed) -> None:
        self.progress.resumed()

    def _on_finished(self, ev: Finished) -> None:
        self.progress.ended()
        self._show()
        self.bar.setFormat({"completed": "Done", "stopped": "Stopped"}.get(ev.reason, "Error"))


class StatusLine:
    """The status bar: a message on the left; dataset, network and best accuracy on the right."""

    def __init__(self, bar: QStatusBar, bus: EventBus) -> None:
        self.bar = bar
        self.dataset = QLabel()
        self.network = QLabel()
        self.best = QLabel()
        self.dataset.setToolTip("The dataset being trained on, and its split sizes")
        self.network.setToolTip("Layer sizes of the network: inputs, hidden units, classes")
        self.best.setToolTip("Validation accuracy: latest epoch and best so far")
        for w in (self.dataset, self.network, self.best):
            bar.addPermanentWidget(w)
        self._best = 0.0
        bus.started.connect(self._on_started)
        bus.epoch.connect(self._on_epoch)
        bus.batch.connect(self._on_batch)

    def message(self, text: str, timeout_ms: int = 0) -> None:
        self.bar.showMessage(text, timeout_ms)

    def show_dataset(self, name: str, n_train: int, n_val: int, n_test: int) -> None:
        self.dataset.setText(f"{name}: {n_train:,} train · {n_val:,} val · {n_test:,} test")

    def _on_started(self, ev: Started) -> None:
        self._best = 0.0
        self.show_dataset(ev.dataset, ev.n_train, ev.n_val, ev.n_test)
        self.network.setText(sizes(ev.architecture))
        self.best.setText("")

    def _on_batch(self, ev: BatchProgress) -> None:
        self.network.setText(sizes(ev.architecture))

    def _on_epoch(self, ev: EpochReport) -> None:
        self._best = max(self._best, ev.val_acc)
        self.network.setText(sizes(ev.architecture))
        self.best.setText(f"val acc {ev.val_acc:.2%} (best {self._best:.2%})")
