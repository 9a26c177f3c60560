"""The runs table: one row per run, filled in from the events; curves of earlier runs faded."""

from __future__ import annotations

import pytest

from core.training.events import EpochReport, Finished, Started
from gui.shared.bus import EventBus
from gui.views.runs import CompareView
from tests.gui._events import emit_all, real_run, trainer_events


@pytest.fixture
def two_runs(qtbot, digits):
    bus = EventBus()
    view = CompareView(bus)
    qtbot.addWidget(view)
    first = real_run(digits)
    second = trainer_events(digits, epochs=3, hidden=8)
    emit_all(bus, first)
    bus.run_reset.emit()
    emit_all(bus, second)
    return bus, view, first, second


def reports(events) -> list[EpochReport]:
    return [ev for ev in events if isinstance(ev, EpochReport)]


def test_a_row_per_run_with_its_settings_and_best_accuracy(two_runs):
    _, view, first, second = two_runs
    runs = view.runs()
    assert [r.number for r in runs] == [1, 2] and view.table.rowCount() == 2
    for run, events, row in ((runs[0], first, 0), (runs[1], second, 1)):
        reps = reports(events)
        best = max(reps, key=lambda r: r.val_acc)
        assert run.best_val_acc == best.val_acc and run.best_epoch == best.epoch
        assert run.epochs == len(reps) and run.architecture == reps[-1].architecture
        started = next(ev for ev in events if isinstance(ev, Started))
        assert run.optimizer == started.config["optimizer"]
        assert view.cell_text(row, "Best val acc").startswith(f"{best.val_acc:.2%}")
        finished = next(ev for ev in events if isinstance(ev, Finished))
        assert view.cell_text(row, "Ended") == finished.reason
    # The first run's live changes show as they ended: its rate was cut to a tenth.
    assert runs[0].learning_rate == pytest.approx(reports(first)[-1].learning_rate)
    assert view.cell_text(0, "Network") == "64-25-10"
    assert view.cell_text(1, "Network") == "64-8-10"


def test_curves_keep_the_earlier_run_faded_until_cleared(two_runs):
    _, view, _, second = two_runs
    assert view.curves.faded_runs() == 1
    x, _ = view.curves.series("val_acc")
    assert x.size == len(reports(second))
    view.clear_earlier()
    assert view.curves.faded_runs() == 0
    assert [r.number for r in view.runs()] == [2] and view.table.rowCount() == 1


def test_a_sweep_trial_added_mid_run_does_not_take_the_live_run_s_reports(qtbot, digits):
    bus = EventBus()
    view = CompareView(bus)
    qtbot.addWidget(view)
    events = trainer_events(digits, epochs=3, hidden=8)
    emit_all(bus, events[:3])  # Started and the first reports, no Finished yet
    history = [
        {
            "epoch": e,
            "train_loss": 1.0 / (e + 1),
            "val_loss": 1.2 / (e + 1),
            "train_acc": 0.5 + 0.1 * e,
            "val_acc": 0.45 + 0.1 * e,
        }
        for e in range(4)
    ]
    view.add_sweep_runs(
        [
            {
                "key": "lr=0.3",
                "seed": 1,
                "status": "done",
                "history": history,
                "config": {
                    "dataset": "digits",
                    "hidden": [16],
                    "optimizer": "sgd",
                    "activation": "relu",
                    "learning_rate": 0.3,
                    "batch_size": 32,
                },
            }
        ]
    )
    emit_all(bus, events[3:])
    live, trial = view.runs()
    assert live.epochs == len(reports(events)) and live.ended == "completed"
    assert trial.epochs == 4 and trial.best_epoch == 3 and trial.best_val_acc == 0.75
    assert view.cell_text(1, "Run") == "sweep lr=0.3 (seed 1)"
    assert view.cell_text(1, "Ended") == "sweep: done"
    assert view.curves.faded_runs() == 1
    view.add_sweep_runs(
        [{"key": "lr=0.3", "seed": 1, "status": "done", "history": history, "config": {}}]
    )  # compared again: not added twice
    assert len(view.runs()) == 2 and view.curves.faded_runs() == 1
    view.clear_earlier()
    assert view.runs() == [live]


def test_the_window_menu_clears_earlier_runs_in_both_tabs(make_window, qtbot):
    from tests.gui._window import window_config

    w = make_window(window_config(epochs=1, hidden=(8,)))
    for _ in range(2):
        with qtbot.waitSignal(w.bus.finished, timeout=20_000):
            w.start()
        qtbot.waitUntil(lambda: w.controls.state == "idle", timeout=20_000)
    compare = w.tools.compare
    assert len(compare.runs()) == 2 and compare.curves.faded_runs() == 1
    clear = next(
        a
        for m in w.menuBar().actions()
        for a in m.menu().actions()
        if a.text().replace("&", "") == "Clear earlier runs"
    )
    clear.trigger()
    assert w.curves.faded_runs() == 0 and compare.curves.faded_runs() == 0
    assert [r.number for r in compare.runs()] == [2]
