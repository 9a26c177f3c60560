"""The one threading pattern (gui.shared.threads): where a worker ends its life."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot

from gui.shared.threads import live_threads, worker_thread


class _Worker(QObject):
    ran = Signal(object)  # the thread ``run`` ran in

    @Slot()
    def run(self) -> None:
        self.ran.emit(threading.get_ident())
        self.thread().quit()


def test_a_worker_runs_in_its_thread_and_is_destroyed_in_the_caller_s(qtbot):
    """Destroying a worker in its own thread can deadlock with the GUI thread (each
    holding one of Qt's connection lock and the interpreter's lock): it must come home."""
    gui = threading.get_ident()
    seen: dict[str, int] = {}
    finished = []
    worker = _Worker()
    worker.ran.connect(lambda ident: seen.setdefault("run", ident))
    # Direct: the slot runs in whichever thread destroys the worker.
    worker.destroyed.connect(
        lambda: seen.setdefault("destroyed", threading.get_ident()),
        Qt.ConnectionType.DirectConnection,
    )
    thread = worker_thread(worker, "test worker", lambda: finished.append(True))
    del worker
    thread.start()
    qtbot.waitUntil(lambda: "destroyed" in seen and bool(finished), timeout=10_000)
    assert seen["run"] != gui
    assert seen["destroyed"] == gui
    assert not live_threads()
