"""Draw later, draw the latest: how a view keeps its slots cheap.

A slot connected to the bus runs in the GUI thread for every event, and
everything the GUI thread does in one go delays input, repaint and timers. So a
view's slot only hands the event to a :class:`Latest`, which keeps the newest
value and draws it from a single-shot timer: events that arrive faster than
they can be drawn are coalesced, and views that draw the same snapshot are
given different delays so that no single turn of the event loop draws them all.
A minimum gap between two drawings keeps a heavy view from repainting dozens of
times a second when tiny epochs produce dozens of snapshots a second.

Drawing also competes with training for the CPU: on two cores, every millisecond
the GUI thread paints is taken from one of the BLAS threads, and the other waits
for it. :class:`DrawBudget` watches how much of the GUI thread's time goes by and,
when the window is busier than its budget, stretches every view's gap between
drawings (up to ``MAX_STRETCH`` times) until it is back within it. A view that is
hidden (a closed tool window) does not draw at all: the latest value waits until
it is shown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QGraphicsItem, QWidget

if TYPE_CHECKING:
    import pyqtgraph as pg

_NOTHING = object()

#: Shortest time between two showings of the batches' figures (the headline cards,
#: the progress box): a few a second, however fast batches come.
BATCH_REFRESH_MS = 250

#: Share of one core the GUI thread may use before views draw less often.
BUDGET_SHARE = 0.03
#: How often the GUI thread's share is measured.
BUDGET_PERIOD_MS = 250
#: The longest stretch of a view's gap between two drawings.
MAX_STRETCH = 8.0


class DrawBudget(QObject):
    """How much to stretch the views' gaps between drawings: ``stretch`` >= 1.

    Every ``period_ms`` it compares the CPU time of the GUI thread with the wall
    time that passed. Above ``share`` the stretch grows, below it relaxes toward 1
    (by the square root of the ratio, so it settles instead of swinging). Input,
    layout and everything else the thread does count too: when the person drags a
    slider or hovers a plot, the views give way. An idle window is not woken up to
    be measured: the measuring stops when the thread is quiet and starts again the
    next time a view asks for the stretch.
    """

    def __init__(
        self,
        share: float = BUDGET_SHARE,
        period_ms: int = BUDGET_PERIOD_MS,
        max_stretch: float = MAX_STRETCH,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.share = share
        self.max_stretch = max_stretch
        self._stretch = 1.0
        self._cpu, self._wall = time.thread_time(), time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(period_ms)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    @property
    def stretch(self) -> float:
        """The factor now (>= 1); asking for it starts the measuring again if it stopped."""
        if not self._timer.isActive():
            self._cpu, self._wall = time.thread_time(), time.monotonic()
            self._timer.start()
        return self._stretch

    @property
    def measuring(self) -> bool:
        """Whether the GUI thread's share is being measured (not while it is quiet)."""
        return self._timer.isActive()

    def _on_tick(self) -> None:
        cpu, wall = time.thread_time(), time.monotonic()
        used = (cpu - self._cpu) / max(wall - self._wall, 1e-3)
        self._cpu, self._wall = cpu, wall
        ratio = max(used, 1e-6) / self.share
        self._stretch = min(max(self._stretch * ratio**0.5, 1.0), self.max_stretch)
        if self._stretch == 1.0 and used < self.share / 2:
            self._timer.stop()  # quiet: no wake-ups until a view asks again


_BUDGET: DrawBudget | None = None


def draw_budget() -> DrawBudget:
    """The application's one :class:`DrawBudget` (made on first use, in the GUI thread)."""
    global _BUDGET
    if _BUDGET is None:
        _BUDGET = DrawBudget(parent=QCoreApplication.instance())
        _BUDGET.destroyed.connect(_forget_budget)
    return _BUDGET


def _forget_budget() -> None:
    global _BUDGET
    _BUDGET = None


class Latest(QObject):
    """Holds the newest value offered and passes it to ``draw`` ``delay_ms`` later,
    and no sooner than ``min_gap_ms`` after the previous drawing.

    With a gap, drawings fall on a clock shared by every ``Latest`` with that gap
    (multiples of it, each view at its own ``delay_ms`` after the tick): views that
    draw the same snapshots draw them together, so they show the same epoch.

    ``flush()`` draws a waiting value at once; a view's public getters call it so
    that what they report is what the latest event says. The gap is stretched by
    ``budget`` (the application's :func:`draw_budget` unless given); when ``parent``
    is a widget, nothing is drawn while it is hidden, and the waiting value is drawn
    when it is shown.
    """

    def __init__(
        self,
        draw: Callable[[Any], None],
        delay_ms: int,
        min_gap_ms: int = 0,
        parent: QObject | None = None,
        budget: DrawBudget | None = None,
    ) -> None:
        super().__init__(parent)
        self._draw = draw
        self._value: Any = _NOTHING
        self._delay_ms = delay_ms
        self._min_gap_s = min_gap_ms / 1000
        self._tick = -float("inf")  # the clock tick of the last drawing
        self._next_tick = -float("inf")  # the tick the timer waits for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._budget = budget if budget is not None else draw_budget()
        self._widget = parent if isinstance(parent, QWidget) else None
        if self._widget is not None:
            self._widget.installEventFilter(self)

    @property
    def pending(self) -> bool:
        """A value waits to be drawn."""
        return self._value is not _NOTHING

    def offer(self, value: Any) -> None:
        """Keep ``value`` (replacing any waiting one) and draw it when the timer fires."""
        self._value = value
        if not self._timer.isActive():
            self._timer.start(self._wait_ms())

    def _wait_ms(self) -> int:
        """Until the first tick of the shared clock a gap after the last drawing, + delay.

        After a quiet spell (no drawing for a gap) the value is drawn at once; the
        next drawing then waits for the first tick a gap later.
        """
        gap = self._min_gap_s * self._budget.stretch
        if gap <= 0:
            return self._delay_ms
        now = time.monotonic()
        if self._tick + gap <= now:
            self._next_tick = now
            return self._delay_ms
        self._next_tick = math.ceil((self._tick + gap) / gap - 1e-6) * gap
        return round((self._next_tick - now) * 1000) + self._delay_ms

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Draw what waited while the widget was hidden, once it is shown again."""
        if event.type() == QEvent.Type.Show and self.pending and not self._timer.isActive():
            self._timer.start(self._delay_ms)
        return False

    def _on_timeout(self) -> None:
        if self._widget is not None and not self._widget.isVisible():
            return  # kept: drawn when the widget is shown
        self.flush()

    def flush(self) -> None:
        """Draw the waiting value now, if there is one."""
        self._timer.stop()
        value, self._value = self._value, _NOTHING
        if value is not _NOTHING:
            self._tick = min(self._next_tick, time.monotonic())
            self._draw(value)

    def drop(self) -> None:
        """Forget the waiting value (the run it belonged to is gone)."""
        self._timer.stop()
        self._value = _NOTHING


def cache_static_parts(plot: pg.PlotItem) -> None:
    """Draw a plot's axes (tick labels and grid) and legend box from pixmaps, redrawn
    only when they change.

    Replaying an axis's tick labels and grid costs more than drawing the curves;
    cached, an unchanged axis costs one pixmap copy when the plot repaints. An
    export draws them afresh (``gui.export``).
    """
    cached = [
        plot.getAxis(name)
        for name in ("left", "bottom", "right", "top")
        if plot.getAxis(name).isVisible()
    ]
    if plot.legend is not None:
        cached.append(plot.legend)
    for item in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
