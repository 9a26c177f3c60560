"""The window's one threading pattern: a QObject worker on a tracked QThread.

Every background job of the window (training, opening a checkpoint, a sweep) runs
as ``worker.run`` on a thread made by :func:`worker_thread`: finished -> quit ->
deleteLater, and :func:`live_threads` lists those still running, so a test (and
closing the window) can check that none is left behind.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Slot

#: Threads started here that have not finished yet (see :func:`live_threads`).
_THREADS: set[QThread] = set()


def track(thread: QThread) -> None:
    """Count ``thread`` among those :func:`live_threads` watches (it prunes finished ones)."""
    _THREADS.add(thread)


def forget(thread: QThread | None) -> None:
    """Stop watching ``thread`` (its owner has seen it finish)."""
    if thread is not None:
        _THREADS.discard(thread)


def live_threads() -> list[QThread]:
    """The training threads still running: none may be left when a window is gone."""
    alive = []
    for thread in list(_THREADS):
        if shiboken6.isValid(thread) and thread.isRunning():
            alive.append(thread)
        else:
            _THREADS.discard(thread)
    return alive


class _Finish(QObject):
    """Calls ``on_finished`` in the caller's thread once ``thread`` has wholly exited.

    A thread deletes its worker (``deleteLater``) in its very last steps, after
    ``finished``; the caller's ``on_finished`` usually drops its own reference to
    the worker, and the two must not meet in the worker's Python wrapper (a crash
    when jobs come one after another). Waiting for the thread first keeps them apart.
    """

    def __init__(self, thread: QThread, on_finished: Callable[[], None]) -> None:
        super().__init__()
        self._thread = thread
        self._on_finished = on_finished

    @Slot()
    def run(self) -> None:
        _FINISHING.discard(self)
        if shiboken6.isValid(self._thread):
            self._thread.wait()
        self._on_finished()


#: Finishers waiting for their thread's end (kept alive until then).
_FINISHING: set[_Finish] = set()


def worker_thread(worker: QObject, name: str, on_finished: Callable[[], None]) -> QThread:
    """A new, tracked QThread that runs ``worker.run``: the window's one threading pattern.

    ``worker`` moves to it; once the thread has finished, worker and thread are
    deleted later and ``on_finished`` runs (queued: in the caller's thread, once the
    thread has wholly exited). The caller connects the worker's own signals, then
    starts the thread.
    """
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    finish = _Finish(thread, on_finished)
    _FINISHING.add(finish)
    thread.started.connect(worker.run)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(finish.run, Qt.ConnectionType.QueuedConnection)
    thread.finished.connect(thread.deleteLater)
    track(thread)
    return thread


def lower_priority(increment: int) -> None:
    """Make the calling thread nicer by ``increment`` (where the OS allows per-thread nice).

    Linux schedules threads, not processes, so this lowers only the calling thread.
    Elsewhere, or when refused, nothing changes: the window is then only slower to react.
    """
    if increment <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + increment)
    except OSError:
        pass
