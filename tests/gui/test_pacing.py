"""Views draw the latest value later, in turns of their own, and not too often."""

from __future__ import annotations

import time

from gui.pacing import Latest


def test_values_offered_in_one_turn_are_drawn_once_the_latest(qtbot):
    drawn = []
    latest = Latest(drawn.append, delay_ms=10)
    for v in range(5):
        latest.offer(v)
    assert drawn == [] and latest.pending  # nothing drawn inside the slots
    qtbot.waitUntil(lambda: drawn == [4], timeout=2000)
    assert not latest.pending


def test_flush_draws_at_once_and_drop_forgets(qtbot):
    drawn = []
    latest = Latest(drawn.append, delay_ms=1000)
    latest.offer("a")
    latest.flush()
    assert drawn == ["a"]
    latest.flush()  # nothing waits: nothing more is drawn
    latest.offer("b")
    latest.drop()
    qtbot.wait(50)
    latest.flush()
    assert drawn == ["a"]


def test_drawings_are_at_least_the_minimum_gap_apart(qtbot):
    times = []
    latest = Latest(lambda _v: times.append(time.monotonic()), delay_ms=0, min_gap_ms=150)
    latest.offer(1)
    qtbot.waitUntil(lambda: len(times) == 1, timeout=2000)
    latest.offer(2)
    qtbot.waitUntil(lambda: len(times) == 2, timeout=2000)
    assert times[1] - times[0] >= 0.14
