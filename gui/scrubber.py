"""What the snapshot views draw: the live run, or a moment of its recorded timeline.

Every view that draws snapshots (W1, confusion, gallery, health, Draw, Evaluation,
and any later one) listens to ``bus.snapshot`` and nothing else, so this is the one
place that decides what they see. The run's snapshots come here first
(:meth:`Scrubber.offer_live`): while the person looks at the live run they go straight
on; while a recorded moment is viewed they are held back (the newest kept) and the
moment's own snapshot is sent instead; *Back to live* sends the newest live one again.
A view needs no code of its own to follow the timeline. A recorded moment's snapshot
carries ``extras["moment"]`` (its epochs done, step and id), for a view that keeps a
history of snapshots and must not take a look back for a new point.

A moment is loaded in a worker thread (:mod:`gui.shared.jobs`): its state read from
the run folder and its Snapshot computed on the validation set, the pictures
prepared, as the training thread prepares live ones. The thread is as nice as the
training thread, so the window's own thread comes first. One load runs at a time, and
a new one starts no sooner than ``LOAD_GAP_MS`` after the last began (the views draw a
few pictures a second at most): while the slider is dragged the newest request waits
and the ones in between are skipped (latest wins). The snapshots loaded are kept up to
``CACHE_BYTES``, so Play and a drag back over the same moments cost nothing the second
time.

The moments come from the run's journal: the training run says when new ones are on
disk (at most a few times a second are they read, in the GUI thread: a few lines of
JSON). Nothing here touches the live run: it reads files its recorder finished.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core.errors import TimelineError
from core.training.events import Snapshot, frozen
from core.training.timeline import Moment, RecordedState, Timeline
from gui.shared import jobs
from gui.shared.bus import EventBus
from gui.shared.state import TimelineView
from gui.worker import TRAINING_NICE, lower_priority, with_pictures

#: How often, at most, the journal is read for new moments while the run records.
REFRESH_MS = 250
#: Memory the recorded snapshots kept may take (about 5 MB each at 784-128-10 on MNIST).
CACHE_BYTES = 128 * 2**20
#: Least time between the starts of two loads: the views draw a few pictures a second.
LOAD_GAP_MS = 100


class _Reader:
    """The job threads' own reading of the timeline (one job at a time uses it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._timeline: Timeline | None = None

    def load(self, moment: Moment) -> RecordedState:
        if self._timeline is None:
            self._timeline = Timeline(self.folder)
        else:
            self._timeline.refresh()
        return self._timeline.load(moment)


def snapshot_bytes(snap: Snapshot) -> int:
    """The memory a snapshot's arrays take (each counted once)."""
    fields = [getattr(snap, f.name) for f in dataclasses.fields(snap)]
    arrays = {
        id(v): v.nbytes
        for v in (*fields, *snap.params, *snap.extras.values())
        if isinstance(v, np.ndarray)
    }
    return sum(arrays.values())


def moment_snapshot(state: RecordedState, dataset: Any) -> Snapshot:
    """The Snapshot the views draw for a recorded moment, pictures included, marked as one."""
    m = state.moment
    snap = with_pictures(state.snapshot(dataset))
    mark = frozen(np.array([m.progress, float(m.step), float(m.id)]))
    return dataclasses.replace(snap, extras={**snap.extras, "moment": mark})


class Scrubber(QObject):
    """The current run's timeline and the router of the snapshots the views draw.

    ``changed`` says the picture (:meth:`view`) changed; ``failed`` carries a
    message for the person (a moment that could not be loaded).
    """

    changed = Signal()
    failed = Signal(str)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._folder: Path | None = None
        self._dataset: Any = None
        self._timeline: Timeline | None = None
        self._reader: _Reader | None = None
        self._note = ""
        self._broken = False  # the journal could not be read: not tried again for this run
        self._live: Snapshot | None = None
        self._viewing: Moment | None = None
        self._shown: Moment | None = None
        self._job: jobs.Job | None = None
        self._loading: Moment | None = None
        self._cache: OrderedDict[tuple[str, int], tuple[Snapshot, int]] = OrderedDict()
        self._cached_bytes = 0
        self._last_load = -float("inf")  # when the last load began (monotonic seconds)
        self._speed = 0.0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.refresh)
        self._play_timer = QTimer(self)
        self._play_timer.setSingleShot(True)
        self._play_timer.timeout.connect(self._play_next)
        self._gap_timer = QTimer(self)
        self._gap_timer.setSingleShot(True)
        self._gap_timer.timeout.connect(self._load_next)
        bus.run_reset.connect(self.reset)

    # -- the run ------------------------------------------------------------------
    def attach(self, folder: str | Path, dataset: Any) -> None:
        """The current run records its timeline into ``folder``; ``dataset`` is its data."""
        self._forget_moments()
        self._folder = Path(folder)
        self._dataset = dataset
        self._reader = _Reader(self._folder)
        self._note = ""
        self._broken = False
        self.refresh()

    def detach(self, note: str = "") -> None:
        """The current run records no timeline (``note`` says why, for the bar)."""
        self._forget_moments()
        self._folder = None
        self._note = note
        self.changed.emit()

    def set_dataset(self, dataset: Any) -> None:
        """The current run's dataset, once its thread has loaded it."""
        self._dataset = dataset

    @property
    def folder(self) -> Path | None:
        return self._folder

    def _forget_moments(self) -> None:
        self._stop_playing()
        self._viewing = self._shown = self._loading = None
        self._timeline = None
        self._reader = None
        self._cache.clear()
        self._cached_bytes = 0
        self._gap_timer.stop()
        if self._job is not None:
            self._job.cancel()

    def reset(self) -> None:
        """A new run begins: the views start afresh, and live."""
        self._live = None
        self._forget_moments()
        self._folder = None
        self._note = ""

    # -- the moments --------------------------------------------------------------
    def recorded(self) -> None:
        """The run has new moments on disk: read them soon (at most every REFRESH_MS)."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start(REFRESH_MS)

    def refresh(self) -> None:
        """Read the moments recorded since the last look."""
        self._refresh_timer.stop()
        if self._folder is None or self._broken:
            return
        try:
            if self._timeline is None:
                if not Timeline.exists(self._folder):
                    return
                self._timeline = Timeline(self._folder)
                new = True
            else:
                new = self._timeline.refresh()
        except TimelineError as exc:
            self._broken = True
            self._note = f"The run's timeline cannot be read: {exc}"
            self.changed.emit()
            return
        if new:
            self.changed.emit()

    @property
    def moments(self) -> list[Moment]:
        return self._timeline.moments if self._timeline is not None else []

    @staticmethod
    def _index(moment: Moment | None, moments: list[Moment]) -> int | None:
        """Where ``moment`` is in ``moments``; if the size cap has thinned it away since, the
        last one before it."""
        if moment is None or not moments:
            return None
        exact = next((i for i, m in enumerate(moments) if m.id == moment.id), None)
        if exact is not None:
            return exact
        return max(sum(m.step <= moment.step for m in moments) - 1, 0)

    def view(self, total_epochs: int = 0) -> TimelineView:
        """The picture of the timeline for the session's view."""
        moments = self.moments
        viewing = self._index(self._viewing, moments)
        return TimelineView(
            folder=str(self._folder) if self._folder is not None else None,
            moments=tuple(moments),
            viewing=viewing,
            shown=self._index(self._shown, moments),
            playing=self._speed if viewing is not None else 0.0,
            total_epochs=total_epochs,
            note=self._note,
        )

    def moment(self, index: int | None = None) -> Moment | None:
        """Moment ``index``, or the one viewed, or the newest."""
        moments = self.moments
        if index is not None:
            return moments[index] if 0 <= index < len(moments) else None
        return self._viewing or (moments[-1] if moments else None)

    # -- what the views draw ---------------------------------------------------------
    def offer_live(self, snap: Snapshot) -> None:
        """A live snapshot: drawn now when live, kept for *Back to live* when not."""
        self._live = snap
        if self._viewing is None:
            self._bus.snapshot.emit(snap)

    def view_moment(self, index: int) -> None:
        """Set every view to moment ``index`` (loaded in a worker; the newest request wins)."""
        moment = self.moment(index)
        if moment is None or (self._viewing is not None and moment.id == self._viewing.id):
            return
        self._viewing = moment
        self._play_timer.stop()
        cached = self._cache.get(self._key(moment))
        if cached is not None:
            self._cache.move_to_end(self._key(moment))
            self._show(moment, cached[0])
        else:
            self._load_next()
        self.changed.emit()

    def back_to_live(self) -> None:
        """Every view shows the live run again (its newest snapshot, held back meanwhile)."""
        if self._viewing is None:
            return
        self._stop_playing()
        self._viewing = self._shown = None
        if self._live is not None:
            self._bus.snapshot.emit(self._live)
        self.changed.emit()

    def _key(self, moment: Moment) -> tuple[str, int]:
        return (str(self._folder), moment.id)

    def _show(self, moment: Moment, snap: Snapshot) -> None:
        self._shown = moment
        self._bus.snapshot.emit(snap)
        if self._speed:
            self._play_timer.start(round(1000 / self._speed))

    def _load_next(self) -> None:
        """Start loading the moment wanted, unless a load runs (it starts when that ends)."""
        wanted = self._viewing
        if wanted is None or self._job is not None or self._reader is None:
            return
        wait = self._last_load + LOAD_GAP_MS / 1000 - time.monotonic()
        if wait > 0:
            if not self._gap_timer.isActive():
                self._gap_timer.start(max(1, round(wait * 1000)))
            return
        if self._dataset is None:
            self.failed.emit("The run's data is not loaded yet: try again in a moment.")
            return
        reader, dataset, key = self._reader, self._dataset, self._key(wanted)
        self._loading = wanted
        self._last_load = time.monotonic()

        def load(_progress: jobs.Progress) -> tuple[tuple[str, int], Moment, Snapshot]:
            lower_priority(TRAINING_NICE)  # the window's own thread first
            return key, wanted, moment_snapshot(reader.load(wanted), dataset)

        self._job = jobs.run_job(
            load,
            "timeline moment",
            self,
            done=self._on_loaded,
            failed=self._on_load_failed,
            ended=self._on_load_ended,
        )

    def _on_loaded(self, result: tuple[tuple[str, int], Moment, Snapshot]) -> None:
        key, moment, snap = result
        if self._folder is None or key[0] != str(self._folder):
            return  # a moment of a run that is gone
        size = snapshot_bytes(snap)
        if key in self._cache:
            self._cached_bytes -= self._cache.pop(key)[1]
        self._cache[key] = (snap, size)
        self._cached_bytes += size
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _key, (_snap, dropped) = self._cache.popitem(last=False)
            self._cached_bytes -= dropped
        if self._viewing is not None:  # on the way to the one wanted (dragging): shown too
            self._show(moment, snap)
            self.changed.emit()

    def _on_load_failed(self, message: str, _details: str) -> None:
        if self._viewing is not None and self._loading == self._viewing:
            self._viewing = self._shown
            self._stop_playing()
            self.refresh()
            self.failed.emit(f"Could not show that moment: {message}")
            self.changed.emit()

    def _on_load_ended(self) -> None:
        if self._job is not None:
            self._job.deleteLater()  # one job per moment loaded: none is kept
        self._job = None
        self._loading = None
        if self._viewing is not None and self._viewing != self._shown:
            self._load_next()

    # -- Play -------------------------------------------------------------------------
    def play(self, speed: float) -> None:
        """Replay the run from the moment viewed (from the start when live or at the end),
        ``speed`` moments a second, every view following."""
        moments = self.moments
        if not moments or speed <= 0:
            return
        self._speed = float(speed)
        index = self._index(self._viewing, moments)
        if index is None or index >= len(moments) - 1:
            self._viewing = None
            self.view_moment(0)
        elif self._shown is not None and self._shown == self._viewing:
            self._play_timer.start(round(1000 / self._speed))
        self.changed.emit()

    def set_speed(self, speed: float) -> None:
        """Play's speed from now on (moments a second)."""
        if self._speed and speed > 0:
            self._speed = float(speed)
            self.changed.emit()

    def stop_playing(self) -> None:
        """Stay on the moment shown."""
        if self._speed:
            self._stop_playing()
            self.changed.emit()

    def _stop_playing(self) -> None:
        self._speed = 0.0
        self._play_timer.stop()

    def _play_next(self) -> None:
        moments = self.moments
        index = self._index(self._shown, moments)
        if not self._speed or index is None:
            return
        if index + 1 >= len(moments):
            self._stop_playing()  # the end of what is recorded: it stays there
            self.changed.emit()
            return
        self.view_moment(index + 1)
