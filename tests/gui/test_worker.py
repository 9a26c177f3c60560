"""The training thread: events reach the GUI thread, throttled, and the thread always ends."""

from __future__ import annotations

import itertools
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from core.training.events import BatchProgress, EpochReport, Snapshot
from gui.shared.bus import EventBus
from gui.shared.threads import live_threads
from gui.worker import (
    BATCH_INTERVAL,
    MAX_BACKLOG,
    BatchThrottle,
    TrainingRun,
)
from tests.gui._window import window_config


def progress(epoch: int, batch: int, batches: int) -> BatchProgress:
    return BatchProgress(
        epoch=epoch,
        batch=batch,
        batches=batches,
        step=batch,
        loss=1.0,
        running_loss=1.0,
        learning_rate=0.1,
        batch_size=32,
        architecture=(64, 32, 10),
        samples_per_s=1e4,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_lets_through_one_per_interval_and_every_epoch_end():
    clock = FakeClock()
    throttle = BatchThrottle(0.05, clock)
    sent = []
    for i in range(100):  # 100 batches, 1 ms apart: 0.1 s in all
        clock.now = i * 0.001
        ev = throttle.offer(progress(0, i, 100))
        if ev is not None:
            sent.append(ev.batch)
    assert sent[0] == 0 and sent[-1] == 99  # the first, and always the epoch's last
    assert len(sent) <= 4
    assert all(b - a >= 50 for a, b in itertools.pairwise(sent[:-1]))


def test_epochs_shorter_than_the_interval_still_show_batches_in_between():
    clock = FakeClock()
    throttle = BatchThrottle(0.05, clock)
    mid = []
    for e in range(20):  # 20 epochs of 10 batches, 1 ms apart: 10 ms epochs
        for b in range(10):
            clock.now = (10 * e + b) * 0.001
            ev = throttle.offer(progress(e, b, 10))
            if ev is not None and b < 9:
                mid.append(clock.now)
    assert len(mid) >= 3  # one per interval, as for long epochs
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(mid))


def test_throttle_flush_hands_over_the_newest_held_event():
    clock = FakeClock()
    throttle = BatchThrottle(0.05, clock)
    assert throttle.offer(progress(0, 0, 10)) is not None
    assert throttle.offer(progress(0, 1, 10)) is None
    assert throttle.offer(progress(0, 2, 10)) is None
    assert throttle.flush().batch == 2
    assert throttle.flush() is None


def _collect(bus: EventBus) -> dict[str, list]:
    seen: dict[str, list] = {
        "batch": [],
        "epoch": [],
        "snapshot": [],
        "finished": [],
        "threads": set(),
    }
    app_thread = QApplication.instance().thread()

    def keep(name):
        def slot(ev):
            seen[name].append((time.monotonic(), ev))
            seen["threads"].add(QThread.currentThread() is app_thread)

        return slot

    for name in ("batch", "epoch", "snapshot", "finished"):
        getattr(bus, name).connect(keep(name))
    return seen


def test_run_delivers_events_in_the_gui_thread_throttled(qtbot, digits):
    bus = EventBus()
    seen = _collect(bus)
    run = TrainingRun(bus, window_config(epochs=6, batch_size=8, hidden=(64,)), dataset=digits)
    with qtbot.waitSignal(run.ended, timeout=30_000):
        run.start()
    assert seen["threads"] == {True}  # every slot ran in the GUI thread
    epochs = [ev for _, ev in seen["epoch"]]
    assert [e.epoch for e in epochs] == list(range(6))
    assert seen["finished"][-1][1].reason == "completed"
    batches = [ev for _, ev in seen["batch"]]
    per_epoch = -(-len(digits.y_train) // 8)
    assert len(batches) < 6 * per_epoch / 4  # most batches were held back
    ends = [b.epoch for b in batches if b.batch + 1 == b.batches]
    assert ends == list(range(6))  # the last batch of every epoch got through
    snaps = [ev for _, ev in seen["snapshot"]]
    assert snaps and snaps[-1].epoch == 5  # the final picture always arrives
    assert [s.epoch for s in snaps] == sorted(s.epoch for s in snaps)
    assert run.trainer is not None and run.trainer.epoch == 6
    assert live_threads() == []


@pytest.mark.slow
def test_run_lets_through_at_most_one_mid_epoch_batch_per_interval(qtbot, digits):
    """By the wall clock of the GUI thread, so a slow test: arrivals may bunch when that
    thread is busy (the throttle itself is tested on its own clock above)."""
    bus = EventBus()
    seen = _collect(bus)
    run = TrainingRun(bus, window_config(epochs=6, batch_size=8, hidden=(64,)), dataset=digits)
    with qtbot.waitSignal(run.ended, timeout=30_000):
        run.start()
    mid_epoch = [t for t, ev in seen["batch"] if ev.batch + 1 < ev.batches]
    if mid_epoch:  # at most one per interval (arrivals may bunch; their number may not)
        span = seen["batch"][-1][0] - seen["batch"][0][0]
        assert len(mid_epoch) <= span / BATCH_INTERVAL + 2


def test_the_loop_waits_for_views_that_fall_behind(qtbot, digits):
    bus = EventBus()
    drawn = []

    def slow_view(snap: Snapshot) -> None:
        time.sleep(0.15)  # a view that takes its time drawing
        drawn.append(snap.epoch)

    bus.snapshot.connect(slow_view)
    run = TrainingRun(bus, window_config(epochs=40, hidden=(16,)), dataset=digits)
    epochs, waiting = [], []

    def slow_curve(ev: EpochReport) -> None:
        time.sleep(0.005)
        epochs.append(ev.epoch)
        waiting.append(run.backlog.queued)

    bus.epoch.connect(slow_curve)
    with qtbot.waitSignal(run.ended, timeout=30_000):
        run.start()
    assert epochs == list(range(40))
    assert drawn[-1] == 39
    assert len(drawn) < 40  # held-back snapshots were replaced by newer ones
    assert max(waiting) <= MAX_BACKLOG + 3  # the loop waited for the views


def test_stop_while_paused_ends_the_thread(qtbot, digits):
    bus = EventBus()
    run = TrainingRun(bus, window_config(), dataset=digits)
    with qtbot.waitSignal(bus.epoch, timeout=10_000):
        run.start()
    with qtbot.waitSignal(bus.paused, timeout=10_000):
        run.control.pause()
    with qtbot.waitSignals([bus.finished, run.ended], timeout=10_000):
        assert run.stop(wait_ms=5000)
    assert not run.is_running and live_threads() == []


def test_missing_dataset_is_reported_not_raised(qtbot, tmp_path):
    bus = EventBus()
    run = TrainingRun(bus, window_config(dataset=str(tmp_path)))
    with qtbot.waitSignal(run.failed, timeout=10_000) as failed:
        run.start()
    kind, message, details = failed.args
    assert kind == "DatasetUnavailable" and str(tmp_path) in message and details == ""
    qtbot.waitUntil(lambda: run.finished, timeout=5000)


def test_missing_mnist_falls_back_to_digits(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    bus = EventBus()
    run = TrainingRun(
        bus, window_config(dataset="mnist"), load_only=True, fallback=True, download=False
    )
    why, ready = [], []
    run.fell_back.connect(why.append)
    run.dataset_ready.connect(lambda *args: ready.append(args))
    with qtbot.waitSignal(run.ended, timeout=30_000):
        run.start()
    assert len(why) == 1 and "MNIST" in why[0] and str(tmp_path / "nothing") in why[0]
    ((dataset, key),) = ready
    assert dataset.name == "digits" and key[0] == "digits"


def test_a_bug_in_training_becomes_a_message_with_details(qtbot, digits, monkeypatch):
    from core.training import trainer

    def broken(self):
        yield from ()
        raise ZeroDivisionError("deliberately broken")

    monkeypatch.setattr(trainer.Trainer, "run", broken)
    bus = EventBus()
    run = TrainingRun(bus, window_config(), dataset=digits)
    with qtbot.waitSignal(run.failed, timeout=10_000) as failed:
        run.start()
    kind, message, details = failed.args
    assert kind == "ZeroDivisionError" and "deliberately broken" in message
    assert "Traceback" in details
    qtbot.waitUntil(lambda: run.finished, timeout=5000)


def test_a_run_starts_once(qtbot, digits):
    run = TrainingRun(EventBus(), window_config(epochs=1), dataset=digits)
    with qtbot.waitSignal(run.ended, timeout=10_000):
        run.start()
    with pytest.raises(RuntimeError):
        run.start()
    assert isinstance(run.last_epoch, EpochReport) and run.epochs_seen == 1
