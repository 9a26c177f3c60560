"""Draw later, draw the latest: how a view keeps its slots cheap.

A slot connected to the bus runs in the GUI thread for every event, and
everything the GUI thread does in one go delays input, repaint and timers. So a
view's slot only hands the event to a :class:`Latest`, which keeps the newest
value and draws it from a single-shot timer: events that arrive faster than
they can be drawn are coalesced, and views that draw the same snapshot are
given different delays so that no single turn of the event loop draws them all.
A minimum gap between two drawings keeps a heavy view from repainting dozens of
times a second when tiny epochs produce dozens of snapshots a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

_NOTHING = object()


class Latest(QObject):
    """Holds the newest value offered and passes it to ``draw`` ``delay_ms`` later,
    and no sooner than ``min_gap_ms`` after the previous drawing.

    ``flush()`` draws a waiting value at once; a view's public getters call it so
    that what they report is what the latest event says.
    """

    def __init__(self, draw: Callable[[Any], None], delay_ms: int, min_gap_ms: int = 0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._draw = draw
        self._value: Any = _NOTHING
        self._delay_ms = delay_ms
        self._min_gap_s = min_gap_ms / 1000
        self._drawn_at = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        """A value waits to be drawn."""
        return self._value is not _NOTHING

    def offer(self, value: Any) -> None:
        """Keep ``value`` (replacing any waiting one) and draw it when the timer fires."""
        self._value = value
        if not self._timer.isActive():
            wait_s = self._drawn_at + self._min_gap_s - time.monotonic()
            self._timer.start(max(self._delay_ms, round(max(wait_s, 0.0) * 1000)))

    def flush(self) -> None:
        """Draw the waiting value now, if there is one."""
        self._timer.stop()
        value, self._value = self._value, _NOTHING
        if value is not _NOTHING:
            self._drawn_at = time.monotonic()
            self._draw(value)

    def drop(self) -> None:
        """Forget the waiting value (the run it belonged to is gone)."""
        self._timer.stop()
        self._value = _NOTHING
