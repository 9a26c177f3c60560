"""The window's one threading pattern: a QObject worker on a tracked QThread.

Every background job of the window (training, opening a checkpoint, a sweep) runs
as ``worker.run`` on a thread made by :func:`worker_thread`: finished -> quit ->
deleteLater (the worker deleted in the caller's thread, never in its own), and
:func:`live_threads` lists those still running, so a test (and closing the window)
can check that none is left behind.
"""

from __future__ import annotations

import functools
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
    """Once ``thread`` has wholly exited: deletes the worker, then calls ``on_finished``,
    both in the caller's thread.

    The worker is never destroyed in its own thread. Destroying a QObject takes Qt's
    lock on its connections and then asks Python (so needs the interpreter's lock)
    whether a method is overridden; the GUI thread, holding the interpreter's lock,
    may at that moment want the same connection lock (``QLabel.setText`` makes a
    connection): each would wait for the other for ever. So the worker comes home at
    the end of its ``run`` (:func:`_come_home`) and is deleted here, where the
    interpreter's lock is already held, after the caller's ``on_finished`` has had its
    last look at it.
    """

    def __init__(self, thread: QThread, worker: QObject, on_finished: Callable[[], None]) -> None:
        super().__init__()
        self._thread = thread
        self._worker = worker
        self._on_finished = on_finished

    @Slot()
    def run(self) -> None:
        _FINISHING.discard(self)
        if shiboken6.isValid(self._thread):
            self._thread.wait()
        worker, self._worker = self._worker, None
        self._on_finished()
        if worker is not None and shiboken6.isValid(worker):
            worker.deleteLater()


def _come_home(worker: QObject, home: QThread) -> None:
    """In the worker's thread, once its ``run`` has returned: back to ``home``'s thread."""
    if shiboken6.isValid(worker) and shiboken6.isValid(home):
        worker.moveToThread(home)


#: Finishers waiting for their thread's end (kept alive until then).
_FINISHING: set[_Finish] = set()


def worker_thread(worker: QObject, name: str, on_finished: Callable[[], None]) -> QThread:
    """A new, tracked QThread that runs ``worker.run``: the window's one threading pattern.

    ``worker`` moves to it and, once its ``run`` has returned, back to the caller's
    thread; once the thread has finished, ``on_finished`` runs and worker and thread
    are deleted later (queued: in the caller's thread, once the thread has wholly
    exited). The caller connects the worker's own signals, then starts the thread.
    """
    thread = QThread()
    thread.setObjectName(name)
    home = QThread.currentThread()
    worker.moveToThread(thread)
    finish = _Finish(thread, worker, on_finished)
    _FINISHING.add(finish)
    thread.started.connect(worker.run)
    # Called after ``run`` (slots of one signal run in the order they were connected),
    # in the worker's thread (direct), as only that thread may move the worker.
    thread.started.connect(
        functools.partial(_come_home, worker, home), Qt.ConnectionType.DirectConnection
    )
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
