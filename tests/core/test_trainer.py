"""The Trainer as its consumers use it: a generator in another thread, steered by a control."""

from __future__ import annotations

import queue
import threading

import numpy as np
import pytest

from core.errors import TrainingError
from core.nn.model import MLP
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Finished,
    HyperparameterChanged,
    Paused,
    Resumed,
    Snapshot,
    Started,
)
from core.training.trainer import Trainer, suggest_learning_rate

TIMEOUT = 20


def start(trainer: Trainer, maxsize: int = 0) -> tuple[queue.Queue, threading.Thread]:
    """Run ``trainer`` in a plain thread, its events into a queue (bounded: lock-step-ish)."""
    q: queue.Queue = queue.Queue(maxsize)

    def work() -> None:
        try:
            for ev in trainer.run():
                q.put(ev)
        except BaseException as exc:
            q.put(exc)
            raise

    t = threading.Thread(target=work, daemon=True)
    t.start()
    return q, t


def take(q: queue.Queue, timeout: float = TIMEOUT):
    ev = q.get(timeout=timeout)
    if isinstance(ev, BaseException):
        raise ev
    return ev


def drain(q: queue.Queue, t: threading.Thread) -> list:
    events = []
    while True:
        ev = take(q)
        events.append(ev)
        if isinstance(ev, Finished):
            t.join(TIMEOUT)
            assert not t.is_alive()
            return events


def following(events: list, i: int, kind: type):
    return next(ev for ev in events[i + 1 :] if isinstance(ev, kind))


def check_stream(events: list, epochs: int) -> None:
    """No event lost or duplicated: contiguous batches and steps, one report per epoch."""
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    progress = [ev for ev in events if isinstance(ev, BatchProgress)]
    assert [ev.step for ev in progress] == list(range(1, len(progress) + 1))
    reports = [ev for ev in events if isinstance(ev, EpochReport)]
    assert [r.epoch for r in reports] == list(range(epochs))
    assert [s.epoch for s in events if isinstance(s, Snapshot)] == list(range(epochs))
    for r in reports:
        batches = [ev for ev in progress if ev.epoch == r.epoch]
        assert [b.batch for b in batches] == list(range(len(batches)))
        assert batches[-1].batches == len(batches)
        assert r.step == batches[-1].step


def test_live_changes_from_another_thread_show_in_the_very_next_events(digits):
    cfg = Config(hidden=(32,), epochs=6, batch_size=32, learning_rate=0.05, optimizer="momentum")
    control = TrainingControl()
    trainer = Trainer(cfg, digits, control)
    q, t = start(trainer, maxsize=1)
    plan = {
        (1, 3): lambda: control.set_learning_rate(0.1),
        (2, 5): lambda: control.set_batch_size(16),
        (3, 2): lambda: control.set_hidden_size(48),
    }
    events = []
    while not events or not isinstance(events[-1], Finished):
        events.append(take(q))
        ev = events[-1]
        if isinstance(ev, BatchProgress) and (ev.epoch, ev.batch) in plan:
            plan.pop((ev.epoch, ev.batch))()
    t.join(TIMEOUT)
    check_stream(events, 6)

    changes = [(i, ev) for i, ev in enumerate(events) if isinstance(ev, HyperparameterChanged)]
    assert [ev.name for _, ev in changes] == ["learning_rate", "batch_size", "hidden"]
    for (i, ev), trigger in zip(changes, [(1, 3), (2, 5), (3, 2)], strict=True):
        assert ev.epoch == trigger[0] and ev.batch > trigger[1]  # mid-epoch, after the ask
        nxt, report = following(events, i, BatchProgress), following(events, i, EpochReport)
        assert (nxt.epoch, nxt.batch) == (ev.epoch, ev.batch)
        if ev.name == "learning_rate":
            assert (ev.old, ev.new) == (0.05, 0.1)
            assert nxt.learning_rate == report.learning_rate == 0.1
        elif ev.name == "batch_size":
            assert (ev.old, ev.new) == (32, 16)
            assert nxt.batch_size == report.batch_size == 16
        else:
            assert (ev.old, ev.new) == ((32,), (48,))
            assert nxt.architecture == report.architecture == (64, 48, 10)
    assert [c["name"] for c in trainer.changes] == ["learning_rate", "batch_size", "hidden"]
    assert trainer.changes[2]["new"] == [48]
    assert (trainer.config.learning_rate, trainer.config.batch_size, trainer.config.hidden) == (
        0.1,
        16,
        (48,),
    )

    reports = [ev for ev in events if isinstance(ev, EpochReport)]
    assert reports[-1].train_acc > reports[2].train_acc > reports[0].train_acc
    assert reports[-1].val_acc > reports[0].val_acc and reports[-1].val_acc >= 0.85
    assert [r["epoch"] for r in trainer.history] == list(range(6))
    assert trainer.history[-1]["architecture"] == [64, 48, 10]


def test_a_change_asked_for_an_epoch_applies_before_its_first_batch(digits):
    control = TrainingControl()
    control.at_epoch(2, "learning_rate", 0.02)
    control.at_epoch(3, "hidden", (24,))
    trainer = Trainer(Config(hidden=(16,), epochs=4, batch_size=64), digits, control)
    events = list(trainer.run())
    changes = [e for e in events if isinstance(e, HyperparameterChanged)]
    assert [(c.epoch, c.batch, c.name, c.new) for c in changes] == [
        (2, 0, "learning_rate", 0.02),
        (3, 0, "hidden", (24,)),
    ]
    reports = [e for e in events if isinstance(e, EpochReport)]
    assert [r.learning_rate for r in reports] == pytest.approx([0.1, 0.1, 0.02, 0.02])
    assert reports[-1].architecture == (64, 24, 10)


def test_pause_holds_step_runs_one_epoch_stop_ends_within_a_batch(digits, monkeypatch):
    # Polling so slow that anything prompt below must come from the control waking the loop.
    monkeypatch.setattr("core.training.trainer.PAUSE_POLL_S", 60.0)
    cfg = Config(hidden=(32,), epochs=50, batch_size=32)
    control = TrainingControl()
    trainer = Trainer(cfg, digits, control)
    control.pause()
    q, t = start(trainer)
    assert isinstance(take(q), Started)
    paused = take(q)
    assert isinstance(paused, Paused) and (paused.epoch, paused.batch) == (0, 0)
    # A call runs in the training thread only between batches: answered means holding.
    assert control.submit(lambda tr: tr.step).result(5) == 0
    assert q.empty() and trainer.step == 0  # no batch while paused
    # Calls submitted while paused run in the training thread.
    assert control.submit(lambda tr: (tr.step, threading.current_thread() is t)).result(5) == (
        0,
        True,
    )

    # A change asked for while paused is applied at once, still paused.
    control.set_learning_rate(0.2)
    changed = take(q)
    assert isinstance(changed, HyperparameterChanged) and changed.new == 0.2
    assert trainer.step == 0 and q.empty()

    control.step_epoch()
    events = []
    while not (events and isinstance(events[-1], Paused)):
        events.append(take(q))
    assert isinstance(events[0], Resumed)
    assert [type(ev) for ev in events[-3:]] == [EpochReport, Snapshot, Paused]
    assert events[-1].reason == "step" and (events[-1].epoch, events[-1].batch) == (1, 0)
    assert sum(isinstance(ev, EpochReport) for ev in events) == 1
    n_batches = sum(isinstance(ev, BatchProgress) for ev in events)
    assert n_batches == -(-len(digits.y_train) // 32) == trainer.step
    assert control.submit(lambda tr: tr.step).result(5) == n_batches
    assert q.empty() and trainer.step == n_batches  # holding again after one epoch

    control.resume()
    assert isinstance(take(q), Resumed)
    while take(q).__class__ is not BatchProgress:
        pass
    control.stop()
    at_stop = trainer.step
    rest = drain(q, t)
    assert trainer.step <= at_stop + 1
    assert rest[-1].reason == "stopped" and rest[-1].epochs_run == trainer.epoch
    assert sum(isinstance(ev, EpochReport) for ev in rest) <= 1


def test_step_batch_runs_exactly_one_batch_then_pauses(digits, monkeypatch):
    monkeypatch.setattr("core.training.trainer.PAUSE_POLL_S", 60.0)
    control = TrainingControl()
    trainer = Trainer(Config(hidden=(16,), epochs=5, batch_size=32), digits, control)
    control.pause()
    q, t = start(trainer)
    assert isinstance(take(q), Started) and isinstance(take(q), Paused)
    for step in (1, 2):
        control.step_batch()
        events = [take(q)]
        while not isinstance(events[-1], Paused):
            events.append(take(q))
        assert [type(ev) for ev in events] == [Resumed, BatchProgress, Paused]
        assert events[1].step == step and events[-1].reason == "step"
        assert (events[-1].epoch, events[-1].batch) == (0, step)
        assert control.submit(lambda tr: tr.step).result(5) == step  # holding
    control.stop()
    assert drain(q, t)[-1].reason == "stopped" and trainer.step == 2


def test_stop_while_paused_ends_the_run(digits):
    control = TrainingControl()
    trainer = Trainer(Config(hidden=(8,), epochs=3), digits, control)
    control.pause()
    q, t = start(trainer)
    take(q), take(q)
    control.stop()
    events = drain(q, t)
    assert [type(ev) for ev in events] == [Finished] and events[0].reason == "stopped"
    assert trainer.step == 0


def _record(params: list[np.ndarray]) -> list[np.ndarray]:
    return [p.copy() for p in params]


def test_divergence_restores_parameters_and_optimiser_state_then_pauses(digits):
    cfg = Config(hidden=(32,), epochs=3, batch_size=32, optimizer="momentum", learning_rate=60)
    control = TrainingControl()
    trainer = Trainer(cfg, digits, control)
    saved: dict[int, tuple[list, list]] = {}
    diverged = []
    for ev in trainer.run():
        if isinstance(ev, (Started, BatchProgress)):
            step = 0 if isinstance(ev, Started) else ev.step
            saved[step] = (
                _record(trainer.model.params),
                _record(trainer.optimizer.state["velocity"]),
            )
        elif isinstance(ev, Diverged):
            diverged.append(ev)
            params, velocity = saved[ev.restored_step]
            for a, b in zip(trainer.model.params, params, strict=True):
                assert np.array_equal(a, b)
            for a, b in zip(trainer.optimizer.state["velocity"], velocity, strict=True):
                assert np.array_equal(a, b)
            assert control.paused
            assert ev.suggested_lr == suggest_learning_rate(60, "momentum") == 0.05
            assert (
                f"learning rate {ev.learning_rate:g} diverged at epoch {ev.epoch}, batch {ev.batch}"
                in ev.message
                and "try <=" in ev.message
            )
            control.set_learning_rate(0.05)  # the person picks a sane rate
            control.resume()
    assert len(diverged) == 1
    assert trainer.history[-1]["val_acc"] >= 0.8  # training went on at a sane rate


def test_divergence_without_a_control_stops_instead_of_waiting_forever(digits):
    trainer = Trainer(
        Config(hidden=(32,), epochs=3, optimizer="momentum", learning_rate=60), digits
    )
    events = list(trainer.run())
    diverged = [ev for ev in events if isinstance(ev, Diverged)]
    assert len(diverged) == 1 and not any(isinstance(ev, Paused) for ev in events)
    assert events[-1].reason == "stopped" and "diverged" in events[-1].message
    assert all(np.isfinite(p).all() for p in trainer.model.params)


def test_divergence_on_mnist_recovers_the_last_good_parameters(mnist):
    cfg = Config(dataset="mnist", hidden=(128,), epochs=1, batch_size=128, learning_rate=50)
    control = TrainingControl()
    trainer = Trainer(cfg, mnist, control)
    saved: dict[int, list[np.ndarray]] = {}
    diverged = []
    for ev in trainer.run():
        if isinstance(ev, Started):
            saved[0] = _record(trainer.model.params)
        elif isinstance(ev, BatchProgress) and not diverged:
            saved[ev.step] = _record(trainer.model.params)
        elif isinstance(ev, BatchProgress) and ev.step >= diverged[-1].restored_step + 150:
            control.stop()  # enough to see it learn again
        elif isinstance(ev, Diverged):
            diverged.append(ev)
            if len(diverged) == 1:
                assert ev.learning_rate == 50 and ev.suggested_lr == 0.1
                assert "learning rate 50 diverged at epoch 0" in ev.message
                for a, b in zip(trainer.model.params, saved[ev.restored_step], strict=True):
                    assert np.array_equal(a, b)
            assert control.paused
            control.set_learning_rate(ev.suggested_lr)
            control.resume()
    assert 1 <= len(diverged) <= 3
    assert all(np.isfinite(p).all() for p in trainer.model.params)
    assert trainer.learning_rate <= 5
    loss, acc = trainer.model.evaluate(mnist.X_val, mnist.y_val)
    assert acc >= 0.85 and loss < 0.6  # learning again at the suggested rate


def test_a_bad_live_change_ends_the_run_with_an_error_event(digits):
    control = TrainingControl()
    trainer = Trainer(Config(hidden=(16,), epochs=2), digits, control)
    control.set_hidden_size(8, layer=1)  # the network has one hidden layer
    events = list(trainer.run())
    assert events[-1].reason == "error" and "hidden" in events[-1].message
    assert not any(isinstance(ev, BatchProgress) for ev in events)


def test_a_bug_is_reported_then_raised_not_swallowed(digits, monkeypatch):
    trainer = Trainer(Config(hidden=(16,), epochs=2), digits)

    def broken(dZ):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(trainer.model, "backward", broken)
    events = []
    with pytest.raises(ZeroDivisionError):
        for ev in trainer.run():
            events.append(ev)
    assert events[-1].reason == "error" and "ZeroDivisionError: boom" in events[-1].message


def test_missing_augmentation_module_is_a_clear_error(digits, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "core.training.augment", None)
    trainer = Trainer(Config(hidden=(16,), epochs=1, augment="shift"), digits)
    events = list(trainer.run())
    assert events[-1].reason == "error" and "augment" in events[-1].message


def test_snapshot_is_a_read_only_picture_of_the_model(digits):
    trainer = Trainer(Config(hidden=(16,), epochs=1, learning_rate=0.05), digits)
    snap = next(ev for ev in trainer.run() if isinstance(ev, Snapshot))
    n_val = len(digits.y_val)
    assert snap.weights.shape == (64, 16) and not snap.weights.flags.writeable
    assert snap.confusion.sum() == n_val and snap.confusion.shape == (10, 10)
    probs = trainer.model.predict_proba(digits.X_val)
    pred = probs.argmax(axis=1)
    assert np.trace(snap.confusion) == int((pred == digits.y_val).sum())
    wrong = snap.sample_true != snap.sample_pred
    n_wrong = int(wrong.sum())
    assert n_wrong == min(300, int((pred != digits.y_val).sum()))
    assert wrong[:n_wrong].all() and not wrong[n_wrong:].any()  # mistakes first
    conf = snap.sample_probs[np.arange(n_wrong), snap.sample_pred[:n_wrong]]
    assert np.all(np.diff(conf) <= 0)  # most confident mistake first
    assert np.bincount(snap.sample_true[~wrong], minlength=10).max() <= 10
    assert np.array_equal(snap.sample_images, digits.X_val[snap.sample_index])
    for arr in (snap.sample_images, snap.sample_probs, snap.sample_index, *snap.params):
        assert not arr.flags.writeable
    rebuilt = MLP.from_params(snap.params, snap.activation)
    assert np.array_equal(rebuilt.predict(digits.X_val), pred)
    assert len(snap.grad_norms) == len(snap.weight_norms) == len(snap.dead_fraction) + 1 == 2
    assert all(g > 0 for g in snap.grad_norms)


def test_snapshots_can_be_left_out(digits):
    events = list(Trainer(Config(hidden=(8,), epochs=2), digits, snapshots=False).run())
    assert sum(isinstance(ev, EpochReport) for ev in events) == 2
    assert not any(isinstance(ev, Snapshot) for ev in events)


def test_suggested_rates_are_round_and_a_tenth_or_less():
    assert [suggest_learning_rate(x) for x in (50, 8, 1, 0.3, 0.07)] == [5, 0.5, 0.1, 0.02, 0.005]


def test_a_suggested_rate_suits_the_optimiser(digits):
    assert suggest_learning_rate(1.0, "adam") == 0.001  # a tenth, 0.1, diverges again
    assert suggest_learning_rate(0.3, "sgd") == 0.02
    assert suggest_learning_rate(50, "sgd") == 0.1
    assert suggest_learning_rate(0.005, "rmsprop") == 0.0005
    cfg = Config(hidden=(32,), epochs=2, batch_size=32, optimizer="adam", learning_rate=50)
    for ev in Trainer(cfg, digits, TrainingControl()).run():
        if isinstance(ev, Diverged):
            assert ev.suggested_lr == 0.001 and "try <= 0.001" in ev.message
            break
    else:
        pytest.fail("Adam at 50 did not diverge")
    with pytest.raises(TrainingError):
        raise TrainingError("typed errors derive from BackpropError")
