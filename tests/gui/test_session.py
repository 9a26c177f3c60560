"""The session's state machine, driven through the window's public actions.

Every transition goes through the session and is announced on ``changed`` with a
new picture of it; commands that make no sense in a state are refused (with a
message when a person would wonder) or ignored.
"""

from __future__ import annotations

import pytest

from gui.session import RunState, Session
from gui.shared.state import SessionView
from tests.gui._window import window_config

LONG = 20_000  # ms: generous, for a busy 2-core machine


class States:
    """Every state the session announced, in order (repeats collapsed)."""

    def __init__(self, session: Session) -> None:
        self.seen: list[RunState] = [session.state]
        session.changed.connect(self._on_changed)

    def _on_changed(self, view: SessionView) -> None:
        if view.state is not self.seen[-1]:
            self.seen.append(view.state)

    def since(self, n: int) -> list[RunState]:
        return self.seen[n:]


def ready(qtbot, w) -> Session:
    qtbot.waitUntil(lambda: w.session.state is RunState.READY, timeout=LONG)
    return w.session


def test_the_dataset_loads_ahead_then_the_session_is_ready(make_window, qtbot):
    w = make_window(preload=False)
    s = w.session
    states = States(s)
    assert s.state is RunState.IDLE and not w.controls.pause_button.isEnabled()
    s.preload()
    ready(qtbot, w)
    assert states.seen == [RunState.IDLE, RunState.LOADING, RunState.READY]
    assert s.view.dataset is not None and s.view.dataset.name == "digits"


def test_start_trains_and_finishes(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(8,)))
    s = ready(qtbot, w)
    states = States(s)
    w.start()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert states.seen == [RunState.READY, RunState.TRAINING, RunState.FINISHED]
    v = s.view
    assert v.epochs_done == 2 and v.settings is not None and v.settings.hidden == (8,)
    assert v.can_save and not v.saved and s.unsaved


def test_start_before_the_data_is_loaded_waits_for_it(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(8,)), preload=False)
    s = w.session
    s.preload()
    w.start()  # still loading: Start is kept for when the data is there
    assert s.state is RunState.LOADING
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)


def test_pause_and_resume(window, qtbot):
    s = ready(qtbot, window)
    states = States(s)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    with qtbot.waitSignal(window.bus.paused, timeout=LONG):
        window.toggle_pause()
    assert s.state is RunState.PAUSED and window.controls.pause_button.text() == "Resume"
    assert s.view.message.startswith("Paused")
    with qtbot.waitSignal(window.bus.resumed, timeout=LONG):
        window.toggle_pause()
    assert s.state is RunState.TRAINING and window.controls.pause_button.text() == "Pause"
    assert states.seen == [RunState.READY, RunState.TRAINING, RunState.PAUSED, RunState.TRAINING]


def test_step_one_epoch_from_ready_and_from_paused(window, qtbot):
    s = ready(qtbot, window)
    reports = []
    window.bus.epoch.connect(reports.append)
    states = States(s)
    window.step()
    assert s.state is RunState.STEPPING and s.view.step == "epoch"
    qtbot.waitUntil(lambda: s.state is RunState.PAUSED, timeout=LONG)
    assert len(reports) == 1 and s.view.epochs_done == 1
    window.step()
    qtbot.waitUntil(lambda: s.state is RunState.PAUSED and len(reports) == 2, timeout=LONG)
    assert states.seen == [
        RunState.READY,
        RunState.STEPPING,
        RunState.PAUSED,
        RunState.STEPPING,
        RunState.PAUSED,
    ]
    assert "Paused after epoch 2" in s.view.message


def test_step_one_batch(window, qtbot):
    s = ready(qtbot, window)
    batches = []
    window.bus.batch.connect(batches.append)
    window.step_batch()
    qtbot.waitUntil(lambda: s.state is RunState.PAUSED, timeout=LONG)
    assert [b.step for b in batches] == [1]
    with qtbot.waitSignal(window.bus.paused, timeout=LONG):
        window.controls.step_batch_button.click()
    assert batches[-1].step == 2 and s.state is RunState.PAUSED
    assert s.view.message.startswith("Paused after batch 2 of epoch 1")
    assert f"Epoch 1/10000 · batch 2/{batches[-1].batches}" in window.progress.text()


def test_stop_keeps_the_network_for_saving(window, qtbot, tmp_path):
    s = ready(qtbot, window)
    states = States(s)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    window.stop()
    assert s.state is RunState.STOPPING
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED and not window.training, timeout=LONG)
    assert states.seen[-3:] == [RunState.TRAINING, RunState.STOPPING, RunState.FINISHED]
    assert window.progress.bar.text().startswith("Stopped")
    assert window.save_checkpoint(tmp_path / "stopped.npz") and s.view.saved


def test_reset_from_training_and_from_finished(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(8,)))
    s = ready(qtbot, w)
    with qtbot.waitSignal(w.bus.batch, timeout=LONG):
        w.start()
    w.reset()
    assert s.state is RunState.READY and s.view.settings is None and not w.training
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    w.reset()
    assert s.state is RunState.READY and s.view.epochs_done == 0 and s.view.val_acc is None


def test_divergence_then_recovery(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    s = ready(qtbot, w)
    states = States(s)
    with qtbot.waitSignal(w.bus.diverged, timeout=LONG) as diverged:
        w.start()
    qtbot.waitUntil(lambda: s.state is RunState.DIVERGED, timeout=LONG)
    ev = diverged.args[0]
    s.recover(ev.suggested_lr)
    qtbot.waitUntil(lambda: s.state is RunState.TRAINING, timeout=LONG)
    assert states.seen == [RunState.READY, RunState.TRAINING, RunState.DIVERGED, RunState.TRAINING]
    assert s.view.notice is None and s.view.settings.learning_rate == ev.suggested_lr
    w.stop()


def test_open_a_checkpoint_then_go_on_training_it(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=2, hidden=(8,)))
    s = ready(qtbot, w)
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert w.save_checkpoint(tmp_path / "run.npz")
    w.reset()
    states = States(s)
    assert w.open_checkpoint(tmp_path / "run.npz")
    qtbot.waitUntil(lambda: s.state is RunState.LOADED, timeout=LONG)
    assert states.seen == [RunState.READY, RunState.LOADING, RunState.LOADED]
    assert s.view.opened == "run.npz" and s.view.epochs_done == 2 and s.view.can_save
    assert w.controls.start_button.text() == "Continue"
    with qtbot.waitSignal(w.bus.started, timeout=LONG) as started:
        w.start()
    assert started.args[0].first_epoch == 2
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert s.view.epochs_done == 12  # a finished run opened goes on for ten more epochs


def test_a_new_seed_loads_a_new_split_ahead(window, qtbot):
    s = ready(qtbot, window)
    states = States(s)
    window.controls.seed.setValue(5)  # the seed decides the validation split
    qtbot.waitUntil(lambda: s.state is RunState.READY and len(states.seen) >= 3, timeout=LONG)
    assert states.seen == [RunState.READY, RunState.LOADING, RunState.READY]
    assert s.draft.seed == 5


def test_a_missing_folder_is_an_error_state_with_a_way_out(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=1), preload=False)
    s = w.session
    w.controls.set_dataset(str(tmp_path / "nothing here"))
    qtbot.waitUntil(lambda: s.state is RunState.ERROR, timeout=LONG)
    assert w.banner.level == "error"
    assert "Use the bundled 8×8 digits" in w.banner.action_labels()
    with qtbot.waitSignal(w.bus.started, timeout=LONG):
        w.banner.trigger("Use the bundled 8×8 digits")
    assert s.state is RunState.TRAINING and s.view.notice is None


def test_live_changes_move_the_run_s_settings(window, qtbot):
    s = ready(qtbot, window)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    for name, value in (("learning_rate", 0.02), ("batch_size", 16), ("hidden", 48)):
        with qtbot.waitSignal(
            window.bus.changed, timeout=LONG, check_params_cb=lambda ev, n=name: ev.name == n
        ):
            s.edit(name, value)
    v = s.view
    assert v.settings.learning_rate == 0.02 and v.settings.batch_size == 16
    assert v.settings.hidden == (48,) and v.architecture == (64, 48, 10)
    assert v.draft.hidden == (48,) and v.waiting == ()


@pytest.mark.parametrize("moment", ["ready", "training", "finished"])
def test_commands_that_make_no_sense_are_refused_or_ignored(make_window, qtbot, moment):
    w = make_window(window_config(epochs=1 if moment == "finished" else 10_000, hidden=(8,)))
    s = ready(qtbot, w)
    if moment == "training":
        with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
            w.start()
    elif moment == "finished":
        with qtbot.waitSignal(w.bus.finished, timeout=LONG):
            w.start()
        qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    before = s.state
    run = s.run
    if moment == "training":
        s.resume()  # nothing is held
        w.start()  # already training: not a second run
        assert s.run is run and s.state is before
        assert not w.open_checkpoint("whatever.npz")  # refused, and said so
        assert "Stop or reset the run first" in w.banner.text()
        s.edit("learning_rate", -1.0)  # a bad value: refused where it was typed
        assert "learning_rate" in w.banner.text() and w.banner.level == "error"
        assert s.draft.learning_rate == 0.1
        w.stop()
        w.stop()  # twice: still one stop
        qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    else:
        s.pause()
        s.resume()
        w.stop()
        assert s.state is before and s.run is run
        if moment == "ready":
            assert not w.save_checkpoint("nowhere.npz")
            assert "Nothing to save yet" in w.banner.text()
            assert not w.controls.pause_button.isEnabled()
            assert not w.controls.stop_button.isEnabled()
