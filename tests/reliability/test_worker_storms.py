"""The training thread survives the person: slider storms, button mashing, closing at any time.

Each test drives the real window (offscreen) as a restless person would and then
checks what must hold whatever happened: the thread ended, Qt never complained
about a thread, the parameters are finite, and the history is whole (epochs
0, 1, 2, ... with exactly one report each).
"""

from __future__ import annotations

import itertools
import random
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from gui.session import RunState
from tests.reliability.conftest import qt_thread_complaints

LONG = 30_000  # ms: generous, for a busy 2-core machine


def check_trainer(trainer) -> None:
    """Finite parameters; history rows 0..n-1, each with the architecture it trained."""
    assert all(np.isfinite(p).all() for p in trainer.model.params)
    epochs = [row["epoch"] for row in trainer.history]
    assert epochs == list(range(len(epochs)))
    assert trainer.epoch == len(epochs)


def check_reports(reports, first_epoch: int = 0) -> None:
    """One report per epoch, in order, none repeated or skipped."""
    assert [r.epoch for r in reports] == list(range(first_epoch, first_epoch + len(reports)))


def spin(seconds: float, each=None) -> int:
    """Run the GUI thread's event loop for ``seconds`` of wall time, calling ``each()`` between
    bounded turns; returns how many times it was called.

    ``qtbot.wait`` relies on a timer, and a window flooded with training events can
    starve timers for many seconds; this loop cannot overrun.
    """
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    end, calls = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        if each is not None:
            each()
            calls += 1
    return calls


class Ticks:
    """A 10 ms timer in the GUI thread: its longest gap is the longest the window froze."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))
        self.timer.start(10)

    def stop(self) -> float:
        self.timer.stop()
        gaps = [b - a for a, b in itertools.pairwise(self.times)]
        return max(gaps, default=0.0)


def slider_storm(make_window, qtbot, qtlog, seconds: float) -> dict:
    from gui.panels.controls import lr_to_position

    w = make_window()
    reports, changes = [], []
    w.bus.epoch.connect(reports.append)
    w.bus.changed.connect(changes.append)
    with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
        w.start()
    c = w.controls
    rng = random.Random(3)
    # Learning rates up to 0.3 keep the small network from diverging (which would pause it).
    sliders = [
        (c.learning_rate.slider, lr_to_position(1e-3), lr_to_position(0.3)),
        (c.batch_size.slider, c.batch_size.slider.minimum(), c.batch_size.slider.maximum()),
        (c.hidden.slider, c.hidden.slider.minimum(), c.hidden.slider.maximum()),
    ]
    moves, remote = [0], [0]

    def move() -> None:  # a hand on the sliders between every turn of the event loop
        slider, lo, hi = rng.choice(sliders)
        slider.setValue(rng.randint(lo, hi))
        moves[0] += 1

    # The same storm straight into the run's control from another thread (its contract:
    # changes from any thread), at a steady rate whatever the GUI thread is doing.
    control, done = w.run.control, threading.Event()

    def hammer() -> None:
        other = random.Random(4)
        while not done.wait(0.002):
            control.set("learning_rate", 10 ** other.uniform(-3, -0.5))
            control.set("batch_size", 2 ** other.randint(3, 10))
            control.set_hidden_size(other.randint(16, 1024))
            remote[0] += 3

    thread = threading.Thread(target=hammer)
    ticks = Ticks()
    t0 = time.perf_counter()
    thread.start()
    try:
        spin(seconds, move)
    finally:
        done.set()
        thread.join()
    elapsed = time.perf_counter() - t0
    worst_gap = ticks.stop()
    # The storm may have met a rate that diverged (the run then pauses): a sane rate, go on.
    control.set("learning_rate", 0.01)
    control.resume()
    n_reports = len(reports)
    qtbot.waitUntil(lambda: len(reports) >= n_reports + 1, timeout=LONG)  # still training
    with qtbot.waitSignal(w.run.ended, timeout=LONG):
        w.stop()
    assert not w.training and w.session.state is RunState.FINISHED
    check_trainer(w.run.trainer)
    check_reports(reports)
    assert len(reports) == len(w.run.trainer.history)
    assert changes, "no change reached the training loop"
    assert qt_thread_complaints(qtlog) == []
    return {
        "slider_moves_per_s": moves[0] / elapsed,
        "control_changes_per_s": remote[0] / elapsed,
        "changes_applied": len(changes),
        "epochs": len(reports),
        "worst_gap_ms": worst_gap * 1000,
    }


def test_slider_storm_while_training(make_window, qtbot, qtlog):
    figures = slider_storm(make_window, qtbot, qtlog, seconds=5)
    assert figures["changes_applied"] > 0, figures
    print(figures)


@pytest.mark.slow
def test_slider_storm_for_thirty_seconds(make_window, qtbot, qtlog):
    figures = slider_storm(make_window, qtbot, qtlog, seconds=30)
    assert figures["control_changes_per_s"] >= 100, figures
    print(figures)


def button_mashing(make_window, qtbot, qtlog, presses: int, seed: int, seconds: float) -> dict:
    w = make_window()
    segments: list[list] = []
    w.bus.started.connect(lambda ev: segments.append([ev.first_epoch]))
    w.bus.epoch.connect(lambda ev: segments[-1].append(ev) if segments else None)
    runs = []
    c = w.controls
    buttons = {
        "start": c.start_button,
        "pause": c.pause_button,
        "step": c.step_button,
        "stop": c.stop_button,
        "reset": c.reset_button,
    }
    keys = {"space": w.start_pause_action, "S": w.step_action, "R": w.reset_action}
    rng = random.Random(seed)
    pressed = []
    t0 = time.perf_counter()
    while len(pressed) < presses and time.perf_counter() - t0 < seconds:
        name = rng.choice([*buttons, *keys])
        if name in buttons:
            buttons[name].click()  # does nothing while the button is disabled, as for a person
        else:
            keys[name].trigger()
        pressed.append(name)
        if w.run is not None and w.run not in runs:
            runs.append(w.run)
        spin(rng.uniform(0, 0.04))
    w.stop()
    qtbot.waitUntil(lambda: not w.training and all(r.finished for r in runs), timeout=LONG)
    from gui.shared.threads import live_threads

    assert live_threads() == []
    for segment in segments:
        check_reports(segment[1:], first_epoch=segment[0])
    for run in runs:
        if run.trainer is not None:
            check_trainer(run.trainer)
            assert run.epochs_seen == len(run.trainer.history) or run._muted
    assert qt_thread_complaints(qtlog) == []
    return {"presses": len(pressed), "runs": len(runs), "epochs": sum(len(s) - 1 for s in segments)}


def test_buttons_pressed_in_random_order(make_window, qtbot, qtlog):
    figures = button_mashing(make_window, qtbot, qtlog, presses=80, seed=11, seconds=8)
    assert figures["runs"] >= 2, figures  # the sequence did start, stop and start again
    print(figures)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_buttons_pressed_in_random_order_long(make_window, qtbot, qtlog, seed):
    button_mashing(make_window, qtbot, qtlog, presses=400, seed=seed, seconds=60)


@pytest.mark.parametrize(
    "moment", ["loading", "first batches", "mid-epoch", "paused", "stepping", "stopping"]
)
def test_closing_the_window_at_any_moment(make_window, qtbot, qtlog, moment):
    from gui.shared.threads import live_threads

    w = make_window(preload=moment != "loading")
    if moment == "loading":
        w.start()  # the dataset is still to be loaded in the run's own thread
    elif moment == "first batches":
        with qtbot.waitSignal(w.bus.started, timeout=LONG):
            w.start()
    elif moment == "mid-epoch":
        with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
            w.start()
        qtbot.wait(random.Random(moment).randint(0, 150))
    elif moment == "paused":
        with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
            w.start()
        with qtbot.waitSignal(w.bus.paused, timeout=LONG):
            w.toggle_pause()
    elif moment == "stepping":
        w.step()
    else:
        with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
            w.start()
        w.stop()
    run = w.run
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=LONG)
    qtbot.waitUntil(lambda: not w.training and live_threads() == [], timeout=LONG)
    if run is not None and run.trainer is not None:
        check_trainer(run.trainer)
    assert qt_thread_complaints(qtlog) == []


def test_a_storm_of_changes_does_not_pile_up_markers_on_the_curves(qtbot):
    """Each marker is painted every frame; thousands of them froze the window."""
    from core.training.events import HyperparameterChanged
    from gui.shared.bus import EventBus
    from gui.views.curve_marks import MAX_MARKERS
    from gui.views.curves import CurvesView

    bus = EventBus()
    view = CurvesView(bus)
    qtbot.addWidget(view)
    for i in range(500):
        bus.changed.emit(
            HyperparameterChanged(
                epoch=i // 50, batch=i % 50, step=i, name="batch_size", old=32, new=64
            )
        )
    labels = view.marker_labels()
    assert len(labels) == MAX_MARKERS and labels[-1] == "batch 32→64"
    items = view._loss_w.getPlotItem().items
    assert sum(type(it).__name__ == "InfiniteLine" for it in items) == MAX_MARKERS
