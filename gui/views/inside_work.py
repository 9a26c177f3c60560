"""Tracing off the GUI thread: one job at a time, and of those waiting only the latest.

The Inside tab asks for a trace whenever the digit or the network changes (every
snapshot of a live run) and for a step on a copy when "Learn from this digit" is
pressed. A trace of a wide network with its pictures takes tens of milliseconds and
scoring the validation set before and after a step more, so both run here, in a
worker on a thread of :func:`~gui.shared.threads.worker_thread`, and come back as
frozen values (:class:`Traced`, :class:`Learned`). The :class:`Tracer` runs one job
at a time on one thread that lives as long as the tab; a job asked for while one runs
waits, and a newer one of the same kind replaces it, so a run that sends snapshots
faster than they can be traced costs one trace per job finished, of the latest
snapshot.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import BackpropError
from core.nn.model import MLP
from core.training.trace import StepEffect, Trace, trace
from gui.shared.mosaic import mosaic
from gui.shared.threads import forget, lower_priority, worker_thread
from gui.views.inside_cells import Picture, colour
from gui.views.inside_pictures import StepPictures, steps_pictures

#: Units shown before and after a step on one digit: the ones it changes most.
CHANGED_UNITS = 8
#: How much lower the tracing thread's scheduling priority is than the GUI thread's
#: (a nice increment, as the training thread's): the window reacts first.
TRACING_NICE = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Digit:
    """One example to trace: ``x`` ``(n_in,)`` read-only, its label and where it came from."""

    x: np.ndarray
    label: int
    source: str
    index: int | None = None  # its row in the validation set, when it is one


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    """A snapshot's network as the tab keeps it: the parameters, not the snapshot's pictures.

    ``learning_rate`` and ``batch_size`` are the run's at that epoch (None when unknown).
    """

    epoch: int
    params: tuple[np.ndarray, ...]
    activation: str
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    learning_rate: float | None = None
    batch_size: int | None = None

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.params[0].shape[0], *(W.shape[1] for W in self.params[0::2]))

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.params)


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A trace of ``digit`` through ``network``, or (``kind`` "learn") one step on ``before``."""

    number: int
    kind: Literal["trace", "learn"]
    digit: Digit
    network: Network
    before: Trace | None = None
    learning_rate: float = 0.0
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Traced:
    job: Job
    trace: Trace
    pictures: tuple[StepPictures, ...]
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Learned:
    """A step on a copy: its effect and the templates it changes most, before and after."""

    job: Job
    effect: StepEffect
    templates: Picture | None
    units: tuple[int, ...]
    seconds: float


def run_trace(job: Job) -> Traced:
    t0 = time.perf_counter()
    net = job.network
    t = trace(MLP.from_params(net.params, net.activation), job.digit.x, job.digit.label)
    pictures = steps_pictures(t, net.image_shape, net.class_names)
    return Traced(job=job, trace=t, pictures=pictures, seconds=time.perf_counter() - t0)


def run_learn(job: Job) -> Learned:
    t0 = time.perf_counter()
    before = job.before
    if before is None:
        raise BackpropError("nothing to learn from: trace a digit first")
    effect = before.learn(job.learning_rate, job.X_val, job.y_val)
    templates, units = changed_templates(effect, job.network.image_shape)
    return Learned(
        job=job,
        effect=effect,
        templates=templates,
        units=units,
        seconds=time.perf_counter() - t0,
    )


def changed_templates(
    effect: StepEffect, image_shape: tuple[int, ...]
) -> tuple[Picture | None, tuple[int, ...]]:
    """The W1 templates the step changed most: before, after and the change, a row each.

    Before and after share each unit's scale, so the change shows as it is; the
    change's own row is scaled to its peak (its caption says by how much).
    """
    W0 = np.asarray(effect.before.weights[0], np.float32)
    W1 = np.asarray(effect.after.weights[0], np.float32)
    if int(np.prod(image_shape)) != W0.shape[0]:
        return None, ()
    delta = W1 - W0
    moved = np.linalg.norm(delta, axis=0)
    units = tuple(int(u) for u in np.argsort(-moved, kind="stable")[:CHANGED_UNITS])
    tile = lambda W: np.asarray(W[:, list(units)]).T.reshape(len(units), *image_shape)  # noqa: E731
    b, a, d = (t.mean(axis=3) if t.ndim == 4 else t for t in (tile(W0), tile(W1), tile(delta)))
    scale = np.maximum(np.abs(b).max(axis=(1, 2)), np.abs(a).max(axis=(1, 2)))[:, None, None]
    dpeak = np.abs(d).max(axis=(1, 2))[:, None, None]
    values = mosaic(np.concatenate([b, a, d]), 3, len(units))
    ok = np.where(scale > 0, scale, 1.0)
    dscale = np.where(dpeak > 0, dpeak, 1.0)
    shown = mosaic(np.concatenate([b / ok, a / ok, d / dscale]), 3, len(units))
    rgba = colour(shown)
    ratio = float(np.median(scale / np.where(dpeak > 0, dpeak, np.inf)))
    caption = (
        f"rows: before, after, change (magnified ~{ratio:,.0f}x)"
        if np.isfinite(ratio) and ratio > 1
        else "rows: before, after, change"
    )
    names = tuple(f"unit {u} {row}" for row in ("before", "after", "change") for u in units)
    return (
        Picture(
            name="W1",
            caption=caption,
            kind="image",
            array=delta,
            values=values,
            rgba=rgba,
            layout="tiles",
            cols=len(units),
            tile=b.shape[1:],
            tile_names=names,
        ),
        units,
    )


class _Jobs:
    """The latest job of each kind waiting, shared by the GUI thread and the worker."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: dict[str, Job] = {}
        self._running = False
        self._closed = False

    def put(self, job: Job) -> None:
        with self._cond:
            self._waiting[job.kind] = job
            self._cond.notify_all()

    def take(self) -> Job | None:
        """The next job (a step before a trace), waiting for one; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._waiting) or self._closed)
            if self._closed:
                return None
            job = self._waiting.pop("learn", None) or self._waiting.pop("trace")
            self._running = True
            return job

    def finished(self) -> None:
        with self._cond:
            self._running = False

    def drop(self) -> None:
        with self._cond:
            self._waiting.clear()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._waiting.clear()
            self._cond.notify_all()

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running or bool(self._waiting)


class _Worker(QObject):
    """Takes jobs until the tracer closes; lives on its own thread for as long as the tab."""

    done = Signal(object)  # Traced | Learned
    failed = Signal(object, str)  # the Job, a message for a person

    def __init__(self, jobs: _Jobs) -> None:
        super().__init__()
        self._jobs = jobs

    @Slot()
    def run(self) -> None:
        lower_priority(TRACING_NICE)
        try:
            while (job := self._jobs.take()) is not None:
                try:
                    result = run_trace(job) if job.kind == "trace" else run_learn(job)
                except BackpropError as e:
                    self.failed.emit(job, str(e))
                except Exception as e:  # a bug: say so in the tab rather than lose the thread
                    self.failed.emit(job, f"{type(e).__name__}: {e}")
                else:
                    self.done.emit(result)
                finally:
                    self._jobs.finished()
        finally:
            self.thread().quit()


class Tracer(QObject):
    """Runs :class:`Job` values one at a time in a worker; the latest waiting one of each kind.

    The worker's thread starts with the first job and lives until :meth:`shut_down`:
    one thread for the tab's life, not one per trace.
    """

    traced = Signal(object)  # Traced
    learned = Signal(object)  # Learned
    failed = Signal(object, str)  # Job, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = _Jobs()
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        """A job runs or waits."""
        return self._jobs.busy

    def submit(self, job: Job) -> None:
        """Run ``job`` now, or after the one running (replacing any of its kind waiting)."""
        if self._closed:
            return
        if self._thread is None:
            self._start()
        self._jobs.put(job)

    def drop(self) -> None:
        """Forget the jobs waiting (the one running still reports; its number says if stale)."""
        self._jobs.drop()

    def shut_down(self, wait_ms: int) -> bool:
        """No more jobs; wait up to ``wait_ms`` for the worker's thread. True when it has ended."""
        self._closed = True
        self._jobs.close()
        thread = self._thread
        if thread is None or not shiboken6.isValid(thread):
            return True
        thread.wait(wait_ms)
        return not thread.isRunning()

    def _start(self) -> None:
        worker = _Worker(self._jobs)
        queued = Qt.ConnectionType.QueuedConnection
        worker.done.connect(self._on_done, queued)
        worker.failed.connect(self.failed, queued)
        self._worker = worker
        self._thread = worker_thread(worker, "inside-trace", self._on_finished)
        self._thread.start()

    def _on_done(self, result: Any) -> None:
        (self.traced if isinstance(result, Traced) else self.learned).emit(result)

    def _on_finished(self) -> None:
        forget(self._thread)
