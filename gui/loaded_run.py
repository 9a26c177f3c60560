"""A saved run opened for a look: its dataset loaded and one Snapshot taken, off the GUI thread.

Opening a checkpoint shows it the way a live run is shown: the views receive a
``Started``, the run's history as ``EpochReport`` values (so the curves and the
runs table fill in), its recorded changes, and a ``Snapshot`` of the model on
the validation set. The Snapshot is the Trainer's own (``Trainer.snapshot``),
taken in a thread of its own, since it needs the dataset and a pass over the
validation set; the GUI thread only draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import BackpropError
from core.training.checkpoint import Checkpoint
from core.training.events import EpochReport, HyperparameterChanged, Snapshot, Started
from gui.shared.threads import worker_thread
from gui.worker import dataset_key


class _Cancelled(Exception):
    """Raised from the loading progress callback when the window closes."""


def history_events(checkpoint: Checkpoint) -> list[EpochReport | HyperparameterChanged]:
    """The checkpoint's recorded epochs and changes as the events a live run sent, in order."""
    fields = {f.name for f in dataclasses.fields(EpochReport)}
    reports = []
    for row in checkpoint.history:
        values = {k: row[k] for k in fields if k in row}
        values["architecture"] = tuple(row.get("architecture", ()))
        values.setdefault("step", 0)
        for k in fields - set(values):
            values[k] = 0.0
        reports.append(EpochReport(**values))
    changes = []
    for c in checkpoint.changes:
        try:
            changes.append(
                HyperparameterChanged(
                    **{f.name: c[f.name] for f in dataclasses.fields(HyperparameterChanged)}
                )
            )
        except KeyError:
            continue  # a record without its position cannot be marked
    # Each change before the report of its epoch.
    out: list[EpochReport | HyperparameterChanged] = []
    pending = sorted(changes, key=lambda c: c.step)
    for rep in reports:
        while pending and pending[0].epoch <= rep.epoch:
            out.append(pending.pop(0))
        out.append(rep)
    return out + pending


class _Worker(QObject):
    ready = Signal(object, object, object, object)  # dataset, key, Started, Snapshot
    failed = Signal(str)

    def __init__(self, checkpoint: Checkpoint, dataset: Any) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.dataset = dataset
        self.cancelled = False

    @Slot()
    def run(self) -> None:
        try:
            from core.training.trainer import Trainer

            ck, cfg = self.checkpoint, self.checkpoint.config
            ds = self.dataset
            if ds is None:
                from core.data import load_dataset

                ds = load_dataset(
                    cfg.dataset,
                    cfg.data_path,
                    val_fraction=cfg.val_fraction,
                    seed=cfg.seed,
                    progress=self._progress,
                    download=False,
                    image_size=cfg.image_size,
                    colour=cfg.colour,
                )
            trainer = Trainer(
                cfg,
                ds,
                model=ck.model,
                optimizer=ck.optimizer,
                history=ck.history,
                changes=ck.changes,
                branch=ck.meta.get("branch"),  # a fork saved and opened stays a fork
            )
            started = trainer.started(first_epoch=0)
            self.ready.emit(ds, dataset_key(cfg), started, trainer.snapshot(ck.epoch - 1))
        except _Cancelled:
            pass
        except BackpropError as e:
            self.failed.emit(str(e))
        except Exception as e:  # a bug: say so rather than leave the person waiting
            self.failed.emit(f"{type(e).__name__}: {e}")
        finally:
            self.thread().quit()

    def _progress(self, _what: str, _done: int, _total: int) -> None:
        if self.cancelled:
            raise _Cancelled


class LoadedRun(QObject):
    """Prepares one opened checkpoint for the views; ``ready`` carries what they need.

    ``ready(dataset, key, started, snapshot)`` arrives in the GUI thread; ``failed``
    with a message when the dataset cannot be had. ``dataset`` skips loading when
    the window already holds the right one.
    """

    ready = Signal(object, object, object, object)
    failed = Signal(str)
    ended = Signal()

    def __init__(
        self, checkpoint: Checkpoint, dataset: Any = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.checkpoint = checkpoint
        self._worker: _Worker | None = _Worker(checkpoint, dataset)
        self._thread: QThread | None = None

    def start(self) -> None:
        worker = self._worker
        thread = worker_thread(worker, "opening checkpoint", self._on_finished)
        queued = Qt.ConnectionType.QueuedConnection
        worker.ready.connect(self.ready, queued)
        worker.failed.connect(self.failed, queued)
        self._thread = thread
        thread.start()

    @property
    def is_running(self) -> bool:
        t = self._thread
        return t is not None and shiboken6.isValid(t) and t.isRunning()

    def stop(self, wait_ms: int = 0) -> bool:
        """Give up (at the next progress report of the loading); True once the thread is over."""
        if self._worker is not None and shiboken6.isValid(self._worker):
            self._worker.cancelled = True
        t = self._thread
        if t is None or not shiboken6.isValid(t):
            return True
        if wait_ms > 0:
            t.wait(wait_ms)
        return not t.isRunning()

    @Slot()
    def _on_finished(self) -> None:
        self._thread = None
        self._worker = None
        self.ended.emit()


def replay(
    bus: Any,
    started: Started,
    checkpoint: Checkpoint,
    snapshot: Snapshot,
    show_snapshot: Callable[[Snapshot], None] | None = None,
) -> None:
    """Send an opened run to the views as if it had just been trained (its snapshot to
    ``show_snapshot``, ``bus.snapshot`` unless given)."""
    bus.started.emit(started)
    for ev in history_events(checkpoint):
        (bus.epoch if isinstance(ev, EpochReport) else bus.changed).emit(ev)
    (show_snapshot or bus.snapshot.emit)(snapshot)
