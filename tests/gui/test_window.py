"""The studio window, driven as a person would: start, change it while it learns, stop, close."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.training import checkpoint
from core.training.events import Diverged, EpochReport
from core.training.presets import default_config
from gui.panels.controls import hidden_to_position, lr_to_position, position_to_hidden
from gui.session import RunState
from gui.shared.threads import live_threads
from tests.gui._window import window_config

LONG = 20_000  # ms: generous, for a busy 2-core machine


def click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def reports_of(window) -> list[EpochReport]:
    seen: list[EpochReport] = []
    window.bus.epoch.connect(seen.append)
    return seen


def test_sliders_change_the_run_while_it_trains(window, qtbot):
    c, reports = window.controls, reports_of(window)
    click(qtbot, c.start_button)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=LONG)
    assert window.session.state is RunState.TRAINING
    assert reports[0].learning_rate == pytest.approx(0.1)

    c.learning_rate.slider.setValue(lr_to_position(0.01))
    assert c.learning_rate.label.text() == "0.01"
    with qtbot.waitSignal(
        window.bus.epoch,
        timeout=LONG,
        check_params_cb=lambda ev: ev.learning_rate == pytest.approx(0.01),
    ):
        pass
    assert "lr 0.1→0.01" in window.curves.marker_labels()

    qtbot.waitUntil(lambda: window.weights.n_units() == 32, timeout=LONG)
    grid = window.weights.grid_shape()
    wanted = position_to_hidden(hidden_to_position(96))
    c.hidden.slider.setValue(hidden_to_position(96))
    qtbot.waitUntil(lambda: window.weights.n_units() == wanted, timeout=LONG)
    assert window.weights.grid_shape() != grid
    n = len(reports)
    qtbot.waitUntil(lambda: len(reports) >= n + 2, timeout=LONG)  # training goes on
    assert reports[-1].architecture == (64, wanted, 10)
    assert reports[-1].learning_rate == pytest.approx(0.01)


def test_a_confusion_cell_filters_the_gallery(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,), learning_rate=0.05))
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    m = w.confusion.matrix()
    off = m - np.diag(np.diag(m))
    t, p = np.unravel_index(int(off.argmax()), off.shape)
    assert off[t, p] > 0
    w.confusion.click_cell(int(t), int(p))
    assert w.gallery.visible_pairs() == {(t, p)}
    assert w.gallery.tile_count() == m[t, p]  # every mistake of that kind is there
    w.confusion.click_cell(3, 3)  # the diagonal: the least confident correct ones
    assert w.gallery.visible_pairs() <= {(3, 3)} and w.gallery.tile_count() <= m[3, 3]


def test_step_pause_resume_and_stop(window, qtbot):
    c, reports, bus = window.controls, reports_of(window), window.bus
    with qtbot.waitSignal(bus.paused, timeout=LONG, check_params_cb=lambda ev: ev.reason == "step"):
        click(qtbot, c.step_button)  # from idle: a run that trains one epoch, then waits
    assert len(reports) == 1 and window.session.state is RunState.PAUSED
    assert c.pause_button.text() == "Resume"
    with qtbot.waitSignal(bus.paused, timeout=LONG, check_params_cb=lambda ev: ev.reason == "step"):
        click(qtbot, c.step_button)
    assert len(reports) == 2

    with qtbot.waitSignal(bus.resumed, timeout=LONG):
        click(qtbot, c.pause_button)  # "Resume"
    qtbot.waitUntil(lambda: len(reports) >= 4, timeout=LONG)
    with qtbot.waitSignal(bus.paused, timeout=LONG):
        window.start_pause_action.trigger()  # Space
    assert window.session.state is RunState.PAUSED
    held = len(reports)
    qtbot.wait(300)
    assert len(reports) == held  # paused means paused

    with qtbot.waitSignal(
        bus.finished, timeout=LONG, check_params_cb=lambda ev: ev.reason == "stopped"
    ):
        click(qtbot, c.stop_button)
    qtbot.waitUntil(lambda: not window.training, timeout=LONG)
    assert window.session.state is RunState.FINISHED and live_threads() == []


def test_keyboard_shortcuts_reach_the_run(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    with qtbot.waitSignal(window.bus.paused, timeout=LONG):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    with qtbot.waitSignal(
        window.bus.paused, timeout=LONG, check_params_cb=lambda ev: ev.reason == "step"
    ):
        qtbot.keyClick(window, Qt.Key.Key_S)
    with qtbot.waitSignal(window.bus.run_reset, timeout=LONG):
        qtbot.keyClick(window, Qt.Key.Key_R)
    assert window.session.state is RunState.READY


def test_reset_applies_every_setting_to_the_next_run(window, qtbot):
    c = window.controls
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    c.depth.setValue(2)
    assert c.note.isVisibleTo(c) and "layers 2 (now 1)" in c.note.text()
    click(qtbot, c.reset_button)
    assert window.session.state is RunState.READY and not c.note.isVisibleTo(c)
    assert window.curves.faded_runs() == 1
    with qtbot.waitSignal(window.bus.started, timeout=LONG) as started:
        click(qtbot, c.start_button)
    assert started.args[0].architecture == (64, 32, 32, 10)


def test_divergence_offers_a_smaller_rate_and_resumes(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    with qtbot.waitSignal(w.bus.diverged, timeout=LONG) as diverged:
        w.start()
    ev: Diverged = diverged.args[0]
    qtbot.waitUntil(lambda: w.session.state is RunState.DIVERGED, timeout=LONG)
    assert "diverged" in w.banner.text() and w.banner.level == "warning"
    label = f"Set lr to {ev.suggested_lr:g} and resume"
    assert label in w.banner.action_labels()
    with qtbot.waitSignals([w.bus.changed, w.bus.resumed], timeout=LONG):
        w.banner.trigger(label)
    assert w.controls.learning_rate.value() == pytest.approx(ev.suggested_lr)
    assert w.run.trainer is None or w.training


def test_close_mid_epoch_stops_the_thread(make_window, qtbot):
    w = make_window(window_config(batch_size=8, hidden=(256,)))
    with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
        w.start()
    with qtbot.waitSignal(
        w.bus.batch, timeout=LONG, check_params_cb=lambda ev: 0 < ev.batch < ev.batches - 2
    ):
        pass
    w.on_unsaved_close = "cancel"
    w.close()
    assert w.isVisible() and w.training  # the person changed their mind
    w.on_unsaved_close = "discard"
    w.close()
    assert not w.isVisible()
    assert w.run.control.stopped and not w.training and live_threads() == []


def test_a_saved_run_closes_without_asking(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    with qtbot.waitSignal(window.bus.paused, timeout=LONG):
        window.toggle_pause()
    assert window.has_unsaved_run()
    path = tmp_path / "run.npz"
    assert window.save_checkpoint(path)
    saved = checkpoint.load(path)
    assert saved.epoch >= 1 and list(saved.model.sizes) == [64, 32, 10]
    assert not window.has_unsaved_run()
    window.on_unsaved_close = "cancel"  # would keep the window open if it asked
    window.close()
    assert not window.isVisible() and live_threads() == []


def test_first_launch_without_mnist_trains_on_the_digits(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path / "no-data"))
    w = make_window(default_config())
    qtbot.waitUntil(lambda: "MNIST not found" in w.banner.text(), timeout=LONG)
    assert str(tmp_path / "no-data") in w.banner.text()
    assert "Download MNIST" in w.banner.action_labels()
    assert w.config().dataset == "digits"
    with qtbot.waitSignal(w.bus.started, timeout=LONG) as started:
        w.start()
    assert started.args[0].dataset == "digits"
    w.stop()
    qtbot.waitUntil(lambda: not w.training, timeout=LONG)


def test_an_unknown_folder_offers_the_bundled_digits(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=2))
    w.controls.set_dataset(str(tmp_path))
    w.start()
    qtbot.waitUntil(lambda: w.banner.level == "error" and bool(w.banner.text()), timeout=LONG)
    assert str(tmp_path) in w.banner.text()
    with qtbot.waitSignal(w.bus.started, timeout=LONG) as started:
        w.banner.trigger("Use the bundled 8×8 digits")
    assert started.args[0].dataset == "digits"


def test_an_unexpected_error_shows_a_dialog_not_a_traceback(qtbot, monkeypatch, capsys, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from gui import app

    shown = []
    monkeypatch.setattr(
        QMessageBox, "exec", lambda box: shown.append((box.text(), box.detailedText()))
    )
    monkeypatch.setattr(app, "log_path", lambda: tmp_path / "logs" / "errors.log")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app.install_excepthook()
    try:
        raise KeyError("no such thing")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    ((text, details),) = shown
    assert "KeyError" in text and "not lost" in text
    assert "Traceback" in details and "no such thing" in details
    assert str(tmp_path / "logs" / "errors.log") in text
    assert "no such thing" in (tmp_path / "logs" / "errors.log").read_text()
    assert capsys.readouterr().err == ""


def test_a_bad_command_line_value_is_one_line_not_a_traceback(capsys):
    from gui.app import main

    assert main(["--learning-rate", "fast"]) == 2
    err = capsys.readouterr().err
    assert "learning_rate" in err and "Traceback" not in err


def test_the_window_module_does_not_import_scikit_learn():
    code = (
        "import sys, gui.app, gui.main_window; "
        "print(sorted(m for m in ('sklearn', 'pooch', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(Path(__file__).parents[2]),
    )
    assert out.stdout.strip() == "[]"
