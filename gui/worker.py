"""The training thread: one worker drives the Trainer, the window only listens.

A :class:`TrainingWorker` lives in its own ``QThread``. It loads the dataset (with
progress), builds the core's ``Trainer`` and iterates ``Trainer.run()``, passing
every event on through a queued signal. It never touches a widget. The window's
side is a :class:`TrainingRun`, which lives in the GUI thread: it starts the
thread, re-emits the events on the :class:`~gui.shared.bus.EventBus` and stops the
thread cleanly. Commands (pause, step, stop, live hyperparameters) never go
through Qt at all: they go through the run's :class:`~core.training.control.TrainingControl`,
which the Trainer polls between batches.

Two kinds of traffic are kept from flooding the GUI thread here, where it is
cheapest: mini-batch progress is sent at most ~10 times a second (always the
latest, always the last batch of an epoch), a new snapshot is only sent once
the GUI thread has taken the previous one (the latest one waiting wins), and
when the views fall behind anyway the worker waits for them (:class:`Backlog`).
The training thread also runs at a lower scheduling priority than the GUI
thread, so that on a busy machine the window gets the CPU first when it needs it.

A run given :class:`~gui.run_folders.RunFolders` records its timeline into a new run
folder (made, and older ones cleaned up, in the training thread). A folder that
cannot be written leaves the run training without a timeline; the run says so once
(``unrecorded``). A fork (``fork=``) starts from a recorded moment's exact state.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from core.errors import BackpropError, DataError
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Finished,
    HyperparameterChanged,
    Paused,
    Resumed,
    Snapshot,
    Started,
    frozen,
)
from core.training.recorder import TimelineWriter
from core.training.timeline import RecordedState
from gui.run_folders import RunFolders
from gui.shared.bus import EventBus
from gui.shared.threads import forget, lower_priority, worker_thread

#: Seconds between two progress updates sent to the GUI (~10 per second).
BATCH_INTERVAL = 0.1

#: Events the GUI thread may have waiting before the training loop waits for it.
MAX_BACKLOG = 4
#: Longest rest the GUI thread is given after one event (a slot that opened a dialog
#: must not hold training up for as long as the dialog was open).
MAX_REST_S = 0.25

#: How much lower the training thread's scheduling priority is than the GUI thread's
#: (a nice increment, Linux): on a busy machine the window must get the CPU first
#: when it has something to do; when it is idle, training still gets all of it.
TRAINING_NICE = 5


def dataset_key(config: Config) -> tuple:
    """What decides which dataset (and split) a run trains on: equal keys, same arrays."""
    return (
        config.dataset,
        config.data_path,
        config.val_fraction,
        config.seed,
        config.image_size,
        config.colour,
    )


def settle_garbage() -> None:
    """Collect now, then exempt every object alive from later full collections.

    A full collection walks every tracked object: with the window's hundreds of
    thousands (Qt wrappers, plot items, modules) it takes ~100 ms, and it runs in
    whichever thread happens to allocate, often the GUI thread in the middle of
    training. Frozen, those objects are skipped; collections then only walk what
    training creates. Done when a run starts, the one slow collection falls
    where nothing is being watched yet.
    """
    gc.collect()
    gc.freeze()


def with_pictures(snap: Snapshot) -> Snapshot:
    """``snap`` with the weights view's mosaics in its extras, computed here.

    They are the heaviest NumPy work any view does with a snapshot (tens of
    milliseconds for a thousand units); done in the training thread, the GUI
    thread only shows them.
    """
    from gui.shared.mosaic import prepare

    pictures = {k: frozen(v) for k, v in prepare(snap).items()}
    return dataclasses.replace(snap, extras={**snap.extras, **pictures})


class BatchThrottle:
    """Lets through at most one :class:`BatchProgress` per ``interval`` seconds.

    What is held back is not lost: the newest held event is sent on the next
    chance (:meth:`flush`), and the last batch of an epoch always goes through, so
    a view's running loss ends every epoch on the true value.
    """

    def __init__(
        self, interval: float = BATCH_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._last = -float("inf")
        self._held: BatchProgress | None = None

    def offer(self, ev: BatchProgress) -> BatchProgress | None:
        """The event to send now, or None when it is held back."""
        now = self._clock()
        if now - self._last >= self.interval:
            self._last = now
            self._held = None
            return ev
        if ev.batch + 1 >= ev.batches:
            # An epoch's last batch always goes, off the clock: epochs shorter than
            # the interval must not keep every batch in between from being shown.
            self._held = None
            return ev
        self._held = ev
        return None

    def flush(self) -> BatchProgress | None:
        """The newest held-back event, if any (sent before any other kind of event)."""
        ev, self._held = self._held, None
        if ev is not None:
            self._last = self._clock()
        return ev


class Backlog:
    """Events sent to the GUI thread and not yet handled there; shared by both threads.

    When the views cannot keep up (the 8x8 digits train hundreds of tiny epochs
    a second), the worker waits for them instead of queueing without end. It
    also leaves the GUI thread idle for at least as long as it was just kept
    busy: a thread that always has an event waiting never gets to its timers
    and input, so the window would freeze while looking busy. A command then
    acts on the run as it is now, not on one seconds behind the screen.
    ``snapshot`` is set while the views are still to draw the snapshot last sent.
    """

    def __init__(self, limit: int = MAX_BACKLOG, max_rest_s: float = MAX_REST_S) -> None:
        self.limit = limit
        self.max_rest_s = max_rest_s
        self.snapshot = threading.Event()
        self._cond = threading.Condition()
        self._queued = 0
        self._rest_until = 0.0

    @property
    def queued(self) -> int:
        with self._cond:
            return self._queued

    def sent(self) -> None:
        with self._cond:
            self._queued += 1

    def handled(self, cost_s: float) -> None:
        """One event was handled in the GUI thread, taking ``cost_s`` seconds."""
        with self._cond:
            self._queued -= 1
            rest = min(max(cost_s, 0.0), self.max_rest_s)
            self._rest_until = max(self._rest_until, time.monotonic() + rest)
            self._cond.notify_all()

    def wait_for_room(self, give_up: Callable[[], bool], poll_s: float = 0.05) -> None:
        """Block until few events wait and the GUI thread has rested, or ``give_up()``."""
        with self._cond:
            while not give_up():
                wait = self._rest_until - time.monotonic()
                if self._queued <= self.limit and wait <= 0:
                    return
                self._cond.wait(min(max(wait, 0.001), poll_s))


class _Cancelled(Exception):
    """Raised from the loading progress callback when a stop was asked for."""


class TrainingWorker(QObject):
    """Loads the data and runs one Trainer; lives in its own thread, never touches a widget.

    ``dataset`` skips loading (it must match the config's :func:`dataset_key`).
    ``fallback`` trains on the bundled 8x8 digits when the wanted dataset is not
    available (and says so through ``fell_back``); ``download`` lets the loader
    fetch missing files. ``load_only`` stops after loading, which
    is how the window gets a dataset ready before Start. ``model``, ``optimizer``,
    ``history``, ``changes`` and ``branch`` continue an earlier run. ``fork``
    (a recorded state, the changes to its settings, the folder it was recorded in)
    starts a new run from that moment. ``run_folders`` records the run's timeline
    into a new folder there. After a divergence it also sends a Snapshot of the
    restored weights (labelled with the epoch in progress), so the pictures show
    the network the run goes on from.
    """

    event = Signal(object)  # a core.training.events value
    loading = Signal(str, int, int)  # what, done, total
    dataset_ready = Signal(object, object)  # core.data.Dataset, its dataset_key
    fell_back = Signal(str)  # why the bundled digits are used instead
    failed = Signal(str, str, str)  # error kind, message for a person, details (or "")
    done = Signal(object)  # the Trainer (or None): no longer used by this thread
    recording = Signal(object)  # the RunFolder the timeline goes to
    recorded = Signal()  # new moments are on disk (once until the GUI has looked)
    unrecorded = Signal(str)  # why this run records no timeline (said once)

    def __init__(
        self,
        config: Config,
        control: TrainingControl,
        *,
        dataset: Any = None,
        fallback: bool = False,
        download: bool = True,
        load_only: bool = False,
        model: Any = None,
        optimizer: Any = None,
        history: Any = None,
        changes: Any = None,
        branch: Any = None,
        fork: tuple[RecordedState, dict[str, Any], str] | None = None,
        run_folders: RunFolders | None = None,
        backlog: Backlog | None = None,
        news: threading.Event | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.control = control
        self._dataset = dataset
        self._fallback = fallback
        self._download = download
        self._load_only = load_only
        self._resume = {
            "model": model,
            "optimizer": optimizer,
            "history": history,
            "changes": changes,
            "branch": branch,
        }
        self._fork = fork
        self._run_folders = run_folders
        self._news = news or threading.Event()
        self._writer: TimelineWriter | None = None
        self._backlog = backlog or Backlog()
        self._throttle = BatchThrottle()
        self._held_snapshot: Snapshot | None = None

    @Slot()
    def run(self) -> None:
        """The thread's whole life: load, train, report; then let the thread end."""
        trainer = None
        lower_priority(TRAINING_NICE)
        try:
            dataset = self._dataset if self._dataset is not None else self._load()
            if dataset is not None and not self._load_only and not self.control.stopped:
                trainer, opening = self._trainer(dataset)
                for ev in trainer.run():
                    self._send(ev)
                    if isinstance(ev, Started):
                        for change in opening:  # what a fork changed, marked where it branched
                            self._send(change)
                    elif isinstance(ev, Diverged):
                        # The weights are restored: the pictures show them, not an older
                        # epoch (or nothing, when it diverged in the first one).
                        self._send(trainer.snapshot(ev.epoch))
                    self._check_recording()
                self._send_held()
                self._check_recording()
        except _Cancelled:
            pass
        except BackpropError as e:
            self.failed.emit(type(e).__name__, str(e), "")
        except Exception as e:  # anything else is a bug: show it, keep the window alive
            self.failed.emit(type(e).__name__, f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            self.done.emit(trainer)
            self.thread().quit()

    def _trainer(self, dataset: Any) -> tuple[Any, list[HyperparameterChanged]]:
        """The run's Trainer (a fork's from its moment), recording its timeline when asked,
        and the changes a fork made, to send after its Started."""
        from core.training.trainer import Trainer

        writer = self._writer = self._timeline_writer()
        if self._fork is None:
            return Trainer(self.config, dataset, self.control, timeline=writer, **self._resume), []
        state, changes, source = self._fork
        trainer = Trainer.from_state(
            state, dataset, self.control, changes=changes, source=source, timeline=writer
        )
        fields = [f.name for f in dataclasses.fields(HyperparameterChanged)]
        made = trainer.changes[len(state.changes) :]
        return trainer, [HyperparameterChanged(**{k: c[k] for k in fields}) for c in made]

    def _timeline_writer(self) -> TimelineWriter | None:
        if self._run_folders is None:
            return None
        try:
            folder = self._run_folders.new()
        except OSError as e:
            self.unrecorded.emit(f"{self._run_folders.root}: {e.strerror or e}")
            return None
        self.recording.emit(folder)
        return TimelineWriter(folder.path, on_recorded=self._on_recorded, required=False)

    def _on_recorded(self, _moment: Any) -> None:
        """In the writer's thread: one signal until the GUI thread has looked (``news``)."""
        if not self._news.is_set():
            self._news.set()
            self.recorded.emit()

    def _check_recording(self) -> None:
        writer = self._writer
        if writer is not None and writer.error is not None:
            self._writer = None
            self.unrecorded.emit(writer.error)

    # -- loading --------------------------------------------------------------
    def _load(self) -> Any:
        from core.data import load_dataset

        cfg = self.config
        self.loading.emit(f"Loading {cfg.dataset}…", 0, 0)
        try:
            dataset = load_dataset(
                cfg.dataset,
                cfg.data_path,
                val_fraction=cfg.val_fraction,
                seed=cfg.seed,
                progress=self._progress,
                download=self._download,
                image_size=cfg.image_size,
                colour=cfg.colour,
            )
        except DataError as e:
            if not self._fallback or cfg.dataset == "digits":
                raise
            self.fell_back.emit(str(e))
            self.config = cfg.replace(dataset="digits", data_path=None)
            dataset = load_dataset(
                "digits", val_fraction=cfg.val_fraction, seed=cfg.seed, progress=self._progress
            )
        self.dataset_ready.emit(dataset, dataset_key(self.config))
        return dataset

    def _progress(self, what: str, done: int, total: int) -> None:
        if self.control.stopped:
            raise _Cancelled
        self.loading.emit(what, int(done), int(total))

    # -- events ---------------------------------------------------------------
    def _emit(self, ev: Any) -> None:
        self._backlog.sent()
        self.event.emit(ev)

    def _send(self, ev: Any) -> None:
        if isinstance(ev, BatchProgress):
            ev = self._throttle.offer(ev)
            if ev is not None:
                self._emit(ev)
            self._send_held_if_free()
            return
        held = self._throttle.flush()
        if held is not None:
            self._emit(held)
        if isinstance(ev, Snapshot):
            self._held_snapshot = ev
            self._send_held_if_free()
        else:
            if isinstance(ev, (Paused, Finished, Diverged)):
                self._send_held()  # the picture of where it stopped must be shown
            self._backlog.wait_for_room(lambda: self.control.stopped)
            self._emit(ev)

    def _send_held_if_free(self) -> None:
        if self._held_snapshot is not None and not self._backlog.snapshot.is_set():
            self._send_held()

    def _send_held(self) -> None:
        held = self._throttle.flush()
        if held is not None:
            self._emit(held)
        if self._held_snapshot is not None:
            snap, self._held_snapshot = self._held_snapshot, None
            self._backlog.snapshot.set()
            self._emit(with_pictures(snap))


class TrainingRun(QObject):
    """One run as the GUI thread sees it: its thread, its control, its events on the bus.

    The worker's events arrive here through queued connections, so they are
    re-emitted on the bus in the GUI thread and every view slot runs there.
    ``ended`` fires once the thread has finished, with the Trainer it used (or
    None): from then on nothing else touches that Trainer's arrays.

    ``show_snapshot`` is where the run's snapshots go (``bus.snapshot`` unless given):
    the session routes them through its timeline, which holds them back while a
    recorded moment is being viewed.
    """

    loading = Signal(str, int, int)
    dataset_ready = Signal(object, object)
    fell_back = Signal(str)
    failed = Signal(str, str, str)
    ended = Signal(object)
    recording = Signal(object)  # the RunFolder its timeline is recorded into
    recorded = Signal()  # new moments were recorded (coalesced)
    unrecorded = Signal(str)  # why the run records no timeline

    def __init__(
        self,
        bus: EventBus,
        config: Config,
        parent: QObject | None = None,
        show_snapshot: Callable[[Snapshot], None] | None = None,
        **worker_options: Any,
    ) -> None:
        super().__init__(parent)
        self.bus = bus
        self.config = config
        self.control = TrainingControl()
        self.trainer: Any = None
        self.load_only = bool(worker_options.get("load_only"))
        self.epochs_seen = 0
        self.last_epoch: EpochReport | None = None
        self.started_event: Started | None = None
        self.loop_over = False  # the Trainer sent Finished: no call will be serviced now
        self._muted = False
        self.backlog = Backlog()
        self._news = threading.Event()
        self._worker: TrainingWorker | None = TrainingWorker(
            config, self.control, backlog=self.backlog, news=self._news, **worker_options
        )
        self._thread: QThread | None = None
        self._dispatch: dict[type, Callable[[Any], None]] = {
            Started: bus.started.emit,
            BatchProgress: bus.batch.emit,
            EpochReport: bus.epoch.emit,
            HyperparameterChanged: bus.changed.emit,
            Snapshot: show_snapshot or bus.snapshot.emit,
            Diverged: bus.diverged.emit,
            Paused: bus.paused.emit,
            Resumed: bus.resumed.emit,
            Finished: bus.finished.emit,
        }

    # -- life -----------------------------------------------------------------
    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None or self._worker is None:
            raise RuntimeError("a TrainingRun starts once")
        worker = self._worker
        thread = worker_thread(
            worker, "training" if not self.load_only else "loading", self._on_finished
        )
        queued = Qt.ConnectionType.QueuedConnection
        worker.event.connect(self._deliver, queued)
        worker.loading.connect(self.loading, queued)
        worker.dataset_ready.connect(self.dataset_ready, queued)
        worker.fell_back.connect(self.fell_back, queued)
        worker.failed.connect(self.failed, queued)
        worker.done.connect(self._on_done, queued)
        worker.recording.connect(self.recording, queued)
        worker.recorded.connect(self._on_recorded, queued)
        worker.unrecorded.connect(self.unrecorded, queued)
        self._thread = thread
        settle_garbage()
        thread.start()

    @property
    def is_running(self) -> bool:
        """True until the thread has finished."""
        t = self._thread
        return t is not None and shiboken6.isValid(t) and t.isRunning()

    @property
    def finished(self) -> bool:
        """True once the thread is over (or was never started)."""
        return not self.is_running

    def stop(self, wait_ms: int = 0) -> bool:
        """Ask the run to end at the next batch boundary; wait up to ``wait_ms``.

        Returns True when the thread has finished. Waiting blocks the GUI thread,
        so it is only for closing the window; otherwise ``ended`` says when.
        """
        self.control.stop()
        t = self._thread
        if t is None or not shiboken6.isValid(t):
            return True
        t.quit()
        if wait_ms > 0:
            t.wait(wait_ms)
        return not t.isRunning()

    def mute(self) -> None:
        """Stop passing events to the bus (the window is going away)."""
        self._muted = True

    def submit(self, fn: Callable[[Any], Any], timeout: float = 10.0) -> Any:
        """Run ``fn(trainer)`` where it is safe: in the training thread while it runs,
        here once it is over. Blocks up to ``timeout`` seconds for the result.

        Between the run's ``Finished`` and the thread's end nobody services calls any
        more: it waits for the thread, then takes the Trainer it handed over.
        """
        if self.is_running and not self.control.stopped and not self.loop_over:
            return self.control.submit(fn).result(timeout)
        t = self._thread
        if self.trainer is None and t is not None and shiboken6.isValid(t):
            t.wait(int(timeout * 1000))
            QCoreApplication.sendPostedEvents(self, 0)  # the Trainer, queued to us
        if self.trainer is None:
            raise BackpropError("nothing to save yet: no epoch has been trained")
        return fn(self.trainer)

    # -- from the worker (GUI thread) -------------------------------------------
    @Slot(object)
    def _deliver(self, ev: Any) -> None:
        t0 = time.perf_counter()
        try:
            if isinstance(ev, EpochReport):
                self.epochs_seen += 1
                self.last_epoch = ev
            elif isinstance(ev, Finished):
                self.loop_over = True
            elif isinstance(ev, Started):
                self.started_event = ev
            if not self._muted:
                send = self._dispatch.get(type(ev))
                if send is not None:
                    send(ev)
        finally:
            if isinstance(ev, Snapshot):
                self.backlog.snapshot.clear()  # drawn: the worker may send the next one
            self.backlog.handled(time.perf_counter() - t0)

    @Slot()
    def _on_recorded(self) -> None:
        self._news.clear()  # looked at: the next moment on disk signals again
        if not self._muted:
            self.recorded.emit()

    @Slot(object)
    def _on_done(self, trainer: Any) -> None:
        self.trainer = trainer

    @Slot()
    def _on_finished(self) -> None:
        forget(self._thread)
        self._thread = None
        self._worker = None
        self.ended.emit(self.trainer)
