"""Work a view asks for, done in a thread of its own: a summary, an evaluation, an attack.

A :class:`Job` runs one function on a worker thread made by
:func:`~gui.shared.threads.worker_thread` and hands its result back to the GUI
thread (``done``), or its failure in words (``failed``). The function is given a
``progress(what, done, total)`` callback; the job passes its reports on
(``progress``) and, once :meth:`Job.cancel` was called, raises from it instead,
so the core's functions, which call it between chunks of work, stop there and
leave nothing behind. ``ended`` always comes last, once the thread is over.

A view keeps one job at a time and replaces it freely: a job whose view no longer
wants it is cancelled and its late result never arrives (its signals are
disconnected). :func:`cancel_all` ends every job still running, for closing the
window.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import BackpropError
from gui.shared.threads import worker_thread

Progress = Callable[[str, int, int], None]

#: Jobs whose thread has not finished yet (see :func:`cancel_all`).
_RUNNING: set[Job] = set()


class Cancelled(Exception):
    """Raised from the progress callback of a cancelled job."""


class _Runner(QObject):
    progress = Signal(str, int, int)
    done = Signal(object)
    failed = Signal(str, str)  # a message for a person, details (a bug's traceback) or ""

    def __init__(self, fn: Callable[[Progress], Any], cancelled: threading.Event) -> None:
        super().__init__()
        self._fn = fn
        self._cancelled = cancelled

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._progress)
            if not self._cancelled.is_set():
                self.done.emit(result)
        except Cancelled:
            pass
        except BackpropError as e:
            self.failed.emit(str(e), "")
        except Exception as e:  # a bug: say so in the view, keep the window alive
            self.failed.emit(f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            self.thread().quit()

    def _progress(self, what: str, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise Cancelled
        self.progress.emit(what, int(done), int(total))


class Job(QObject):
    """``fn(progress)`` on a worker thread named ``name``; see the module doc."""

    progress = Signal(str, int, int)
    done = Signal(object)
    failed = Signal(str, str)
    ended = Signal()

    def __init__(
        self, fn: Callable[[Progress], Any], name: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._cancelled = threading.Event()
        self._runner: _Runner | None = _Runner(fn, self._cancelled)
        self._name = name
        self._thread: QThread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        runner = self._runner
        if self._thread is not None or runner is None:
            raise RuntimeError("a Job starts once")
        thread = worker_thread(runner, self._name, self._on_finished)
        queued = Qt.ConnectionType.QueuedConnection
        runner.progress.connect(self._on_progress, queued)
        runner.done.connect(self._on_done, queued)
        runner.failed.connect(self._on_failed, queued)
        self._thread = thread
        _RUNNING.add(self)
        thread.start()

    @property
    def is_running(self) -> bool:
        t = self._thread
        return t is not None and shiboken6.isValid(t) and t.isRunning()

    def cancel(self) -> None:
        """Stop at the function's next progress report; no result is delivered after this."""
        self._cancelled.set()

    def wait(self, ms: int) -> bool:
        """Block up to ``ms`` for the thread to finish (closing the window); True if it has."""
        t = self._thread
        if t is None or not shiboken6.isValid(t):
            return True
        return t.wait(ms)

    @Slot(str, int, int)
    def _on_progress(self, what: str, done: int, total: int) -> None:
        if not self._cancelled.is_set():
            self.progress.emit(what, done, total)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        if not self._cancelled.is_set():
            self.done.emit(result)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        if not self._cancelled.is_set():
            self.failed.emit(message, details)

    @Slot()
    def _on_finished(self) -> None:
        self._thread = None
        self._runner = None
        _RUNNING.discard(self)
        self.ended.emit()


def run_job(
    fn: Callable[[Progress], Any],
    name: str,
    parent: QObject,
    *,
    done: Callable[[Any], None],
    failed: Callable[[str, str], None],
    progress: Callable[[str, int, int], None] | None = None,
    ended: Callable[[], None] | None = None,
) -> Job:
    """Make a :class:`Job`, connect its signals to the given callables, and start it."""
    job = Job(fn, name, parent)
    job.done.connect(done)
    job.failed.connect(failed)
    if progress is not None:
        job.progress.connect(progress)
    if ended is not None:
        job.ended.connect(ended)
    job.start()
    return job


def cancel_all(wait_ms: int) -> bool:
    """Cancel every running job and wait up to ``wait_ms`` for them; True when all are over."""
    jobs = [job for job in _RUNNING if job.is_running]
    for job in jobs:
        job.cancel()
    return all(job.wait(wait_ms) for job in jobs)
