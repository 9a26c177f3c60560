"""Ctrl-C and SIGTERM: the first asks the command to stop, the second aborts it.

A command that can stop cleanly (training: after the current batch, with the
checkpoint saved) sets :attr:`Stop.on_first`; any other time, or at the second
signal, :class:`KeyboardInterrupt` is raised where the program is, which unwinds
it (a save in progress removes its temporary file and leaves the previous
checkpoint). Either way the exit code is 128 plus the signal's number, as shells
report it: 130 for Ctrl-C (SIGINT), 143 for SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Stop:
    """What the signals asked: ``signum`` of the first one (None while none came)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        #: Called at the first signal instead of aborting, while a clean stop is possible.
        self.on_first: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return NAMES.get(signal.Signals(self.signum or signal.SIGINT), "a signal")

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum or signal.SIGINT)

    def _handle(self, signum: int, frame: Any) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if first and self.on_first is not None:
            self.on_first()
            return
        raise KeyboardInterrupt


@contextlib.contextmanager
def stop_signals() -> Iterator[Stop]:
    """Handle SIGINT and SIGTERM for the duration of a command (main thread only)."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, stop._handle) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
