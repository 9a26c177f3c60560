"""Views draw the latest value later, in turns of their own, and not too often."""

from __future__ import annotations

import time

import pytest

from gui.shared.pacing import DrawBudget, Latest


@pytest.fixture
def fixed_budget(qtbot):
    """A budget that never stretches: these tests time the gaps themselves."""
    return DrawBudget(max_stretch=1.0)


@pytest.fixture
def make_latest(fixed_budget):
    """``Latest`` with that budget."""
    return lambda *args, **kwargs: Latest(*args, budget=fixed_budget, **kwargs)


def test_values_offered_in_one_turn_are_drawn_once_the_latest(qtbot, make_latest):
    drawn = []
    latest = make_latest(drawn.append, delay_ms=10)
    for v in range(5):
        latest.offer(v)
    assert drawn == [] and latest.pending  # nothing drawn inside the slots
    qtbot.waitUntil(lambda: drawn == [4], timeout=2000)
    assert not latest.pending


def test_flush_draws_at_once_and_drop_forgets(qtbot, make_latest):
    drawn = []
    latest = make_latest(drawn.append, delay_ms=1000)
    latest.offer("a")
    latest.flush()
    assert drawn == ["a"]
    latest.flush()  # nothing waits: nothing more is drawn
    latest.offer("b")
    latest.drop()
    qtbot.wait(50)
    latest.flush()
    assert drawn == ["a"]


def test_a_value_offered_right_after_a_drawing_waits_for_the_gap(qtbot, make_latest):
    drawn = []
    latest = make_latest(drawn.append, delay_ms=0, min_gap_ms=60_000)
    latest.offer(1)
    qtbot.waitUntil(lambda: drawn == [1], timeout=2000)  # after a quiet spell: at once
    latest.offer(2)
    latest.offer(3)
    qtbot.wait(20)
    assert drawn == [1] and latest.pending  # held back until the gap has passed
    latest.flush()
    assert drawn == [1, 3]


@pytest.mark.slow
def test_budget_stretches_gaps_while_the_gui_thread_is_busy_and_relaxes_after(qtbot):
    from PySide6.QtCore import QTimer

    # A share far above what leftovers of earlier tests keep the thread busy with (a few
    # percent), far below the burner (~80%).
    budget = DrawBudget(share=0.2, period_ms=50, max_stretch=8.0)

    def burn() -> None:  # ~80% of the GUI thread's time
        t0 = time.thread_time()
        while time.thread_time() - t0 < 0.008:
            pass

    burner = QTimer()
    burner.timeout.connect(burn)
    burner.start(10)
    qtbot.waitUntil(lambda: budget.stretch == 8.0, timeout=3000)
    burner.stop()
    qtbot.waitUntil(lambda: budget.stretch == 1.0, timeout=3000)
    qtbot.waitUntil(lambda: not budget.measuring, timeout=3000)  # quiet: no more wake-ups
    assert budget.stretch == 1.0 and budget.measuring  # a view asks: measuring again


def test_a_hidden_widget_draws_its_latest_value_once_shown(qtbot, make_latest):
    from PySide6.QtWidgets import QWidget

    drawn = []
    widget = QWidget()
    qtbot.addWidget(widget)
    latest = make_latest(drawn.append, delay_ms=0, parent=widget)
    latest.offer("a")
    latest.offer("b")
    qtbot.wait(100)
    assert drawn == [] and latest.pending
    widget.show()
    qtbot.waitUntil(lambda: drawn == ["b"], timeout=2000)


@pytest.mark.slow
def test_views_with_the_same_gap_draw_on_the_same_clock_tick(qtbot, make_latest):
    first, second = [], []
    a = make_latest(lambda _v: first.append(time.monotonic()), delay_ms=0, min_gap_ms=300)
    b = make_latest(lambda _v: second.append(time.monotonic()), delay_ms=40, min_gap_ms=300)
    qtbot.waitUntil(lambda: time.monotonic() % 0.3 < 0.03, timeout=2000)  # just after a tick
    a.offer(1)
    b.offer(1)  # after a quiet spell: drawn at once
    qtbot.waitUntil(lambda: bool(first and second), timeout=2000)
    assert second[0] - first[0] < 0.1
    a.offer(2)
    qtbot.wait(100)
    b.offer(2)  # offered later, drawn on the same next tick (its own 40 ms after it)
    qtbot.waitUntil(lambda: len(first) == len(second) == 2, timeout=2000)
    assert abs((second[1] - first[1]) - 0.040) < 0.030
    assert 0.3 <= first[1] - first[0] < 0.65
