"""TrainingControl: commands from any thread, seen by the Trainer between batches."""

from __future__ import annotations

import threading

import pytest

from core.errors import ConfigError
from core.training.control import TrainingControl


def test_live_changes_are_validated_where_typed_and_coalesced():
    c = TrainingControl()
    with pytest.raises(ConfigError, match="learning_rate"):
        c.set_learning_rate(-1)
    with pytest.raises(ConfigError, match="optimizer: cannot change while training"):
        c.set("optimizer", "adam")
    c.set_learning_rate(0.3)
    c.set_learning_rate(0.05)
    c.set_batch_size(64)
    c.set_hidden_size(200, layer=1)
    assert c.take_changes() == {"learning_rate": 0.05, "batch_size": 64, "hidden": (None, 200)}
    assert c.take_changes() == {}


def test_hidden_changes_of_two_layers_merge():
    c = TrainingControl()
    c.set_hidden_size(100, layer=0)
    c.set_hidden_size(50, layer=1)
    assert c.take_changes()["hidden"] == (100, 50)


def test_wait_while_paused_wakes_on_resume_stop_call_and_timeout():
    c = TrainingControl()
    c.pause()
    assert c.wait_while_paused(0.05) is True  # timeout: still paused, not stopped
    assert c.paused

    threading.Timer(0.05, c.resume).start()
    assert c.wait_while_paused(5) is True and not c.paused

    c.pause()
    fut = c.submit(lambda trainer: trainer * 2)
    assert c.wait_while_paused(5) is True  # returns at once: a call is waiting
    calls = c.take_calls()
    assert len(calls) == 1 and calls[0][1] is fut

    threading.Timer(0.05, c.set_batch_size, (32,)).start()
    assert c.wait_while_paused(5) is True and c.paused  # a live change wakes it too
    assert c.take_changes() == {"batch_size": 32}

    threading.Timer(0.05, c.stop).start()
    assert c.wait_while_paused(5) is False and c.stopped


def test_step_epoch_runs_until_the_next_boundary_then_pauses():
    c = TrainingControl()
    c.pause()
    c.step_epoch()
    assert not c.paused
    assert c.epoch_boundary() is True
    assert c.paused
    assert c.epoch_boundary() is False


def test_step_batch_lets_one_batch_through_then_holds():
    c = TrainingControl()
    c.pause()
    c.step_batch()
    assert not c.paused and c.needs_attention
    c.acknowledge()
    assert c.take_batch_step() is True  # this batch runs...
    assert c.paused and c.needs_attention  # ...and the loop holds before the next
    assert c.take_batch_step() is False
    c.step_batch()
    c.resume()  # a resume forgets a Step not yet taken
    assert c.take_batch_step() is False and not c.paused
    c.step_batch()
    c.step_epoch()  # the later Step wins
    assert c.take_batch_step() is False and c.epoch_boundary() is True


def test_every_command_raises_the_flag_the_loop_polls():
    c = TrainingControl()
    assert not c.needs_attention
    commands = [
        c.pause,
        c.resume,
        c.step_epoch,
        c.step_batch,
        lambda: c.set_learning_rate(0.2),
        lambda: c.set_hidden_size(20),
        lambda: c.submit(lambda trainer: None),
        c.stop,
    ]
    for command in commands:
        c.acknowledge()
        assert not c.needs_attention
        command()
        assert c.needs_attention
    c.acknowledge()
    c.step_epoch()
    c.acknowledge()
    assert c.epoch_boundary() and c.paused and c.needs_attention  # the Step's own pause


def test_a_change_asked_for_an_epoch_waits_for_it_then_is_pending():
    c = TrainingControl()
    c.at_epoch(2, "learning_rate", 0.05)
    c.at_epoch(2, "batch_size", 16)
    assert not c.needs_attention  # nothing to do before epoch 2 begins
    c.begin_epoch(1)
    assert not c.needs_attention and c.take_changes() == {}
    c.begin_epoch(2)
    assert c.needs_attention
    assert c.take_changes() == {"learning_rate": 0.05, "batch_size": 16}
    c.begin_epoch(2)  # once only
    assert c.take_changes() == {}


@pytest.mark.parametrize(
    ("epoch", "name", "value"),
    [
        (-1, "learning_rate", 0.1),
        (True, "learning_rate", 0.1),
        (1, "epochs", 3),
        (1, "learning_rate", -1.0),
    ],
)
def test_a_bad_scheduled_change_is_refused_where_asked(epoch, name, value):
    with pytest.raises(ConfigError):
        TrainingControl().at_epoch(epoch, name, value)
