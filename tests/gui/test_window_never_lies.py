"""Each way the window used to drift out of step with its own run, kept fixed.

Every test drives the real window through its public actions (buttons, menu
actions, banner buttons, the mouse) on the bundled 8x8 digits and reads what
every view shows afterwards.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow, fitted_size
from gui.session import RunState
from tests.gui._window import window_config

LONG = 20_000  # ms: generous, for a busy 2-core machine


# -- helpers -------------------------------------------------------------------------------
def ready(qtbot, w) -> None:
    qtbot.waitUntil(lambda: w.session.state is RunState.READY, timeout=LONG)


def finish(qtbot, w) -> None:
    """Start a run and wait until it is over (its thread too)."""
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED and not w.training, timeout=LONG)


def diverge(qtbot, w):
    """Start a run that diverges; returns the Diverged event once the run holds."""
    diverged = []
    w.bus.diverged.connect(diverged.append)
    with qtbot.waitSignal(w.bus.paused, timeout=LONG):  # after the restored weights' picture
        w.start()
    assert w.session.state is RunState.DIVERGED
    return diverged[0]


def epochs_shown(w) -> dict[str, int | None]:
    """The epoch each view says it shows (1-based: "epoch 3" is after the third)."""
    m = re.search(r"Epoch (\d+)/\d+( done)?", w.progress.text())
    progress = None if m is None else int(m.group(1)) - (0 if m.group(2) else 1)
    m = re.search(r"epoch (\d+) · val acc", w.status.best.text())
    x, _ = w.curves.series("val_acc")
    current = [r for r in w.session.view.runs if r.number == w.session.view.current]
    return {
        "progress": progress,
        "status": None if m is None else int(m.group(1)),
        "curves": int(x[-1]) if x.size else None,
        "W1": w.weights.shown_epoch(),
        "confusion": w.confusion.shown_epoch(),
        "gallery": w.gallery.shown_epoch(),
        "health": w.health.shown_epoch(),
        "runs": current[0].epochs if current else None,
    }


def hover_cell(w, true: int, pred: int) -> None:
    w.confusion.hover_at(w.confusion.scene_pos_of(true, pred))


def questions(w) -> list[str]:
    """What the window asks before a trained network would be lost (answered as the
    window's ``on_unsaved_close`` says)."""
    asked: list[str] = []
    ask = w.session.ask_unsaved
    w.session.ask_unsaved = lambda text: asked.append(text) or ask(text)
    return asked


def most_confused(w) -> tuple[int, int]:
    m = w.confusion.matrix()
    off = m - np.diag(np.diag(m))
    t, p = np.unravel_index(int(off.argmax()), off.shape)
    return int(t), int(p)


# -- stale labels, captions and read-outs ------------------------------------------------
def test_reset_leaves_no_label_caption_or_readout_of_the_old_run(make_window, qtbot):
    w = make_window(window_config(epochs=3, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    t, p = most_confused(w)
    w.confusion.click_cell(t, p)
    w.gallery.select_tile(0)
    hover_cell(w, t, t)
    assert w.confusion.accuracy_labels() and w.confusion.hover_text()
    assert w.gallery.detail_shown() and w.gallery.detail_texts()[1].startswith("Saliency")
    assert w.progress.text().startswith("Done") and w.status.best.text()

    w.reset()  # the fixture's window answers "discard"
    assert w.confusion.matrix().size == 0 and w.confusion.accuracy_labels() == []
    assert w.confusion.hover_text() == "" and w.confusion.selected_cell() is None
    assert not w.gallery.detail_shown() and w.gallery.detail_texts() == ("", "")
    assert all(card[0] == "—" for card in w.headline.texts().values() if card[0] != "0.1")
    assert w.progress.text() == "Ready | Press Start to train"
    assert w.status.best.text() == "" and w.status.network.text() == ""
    assert w.status.message().startswith("Reset")


def test_a_new_run_starts_with_no_label_of_the_last_one(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    w.confusion.click_cell(*most_confused(w))
    w.gallery.select_tile(0)
    w.start()  # the views are cleared at once, before the new run's first snapshot
    assert w.confusion.accuracy_labels() == [] and w.confusion.hover_text() == ""
    assert not w.gallery.detail_shown() and w.gallery.detail_texts() == ("", "")
    assert w.weights.shown_epoch() is None and w.status.best.text() == ""
    w.stop()


def test_the_cell_readout_leaves_with_the_mouse_and_shows_the_selection(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    w.confusion.grab()  # laid out and painted, so the mouse finds the cells
    t, p = most_confused(w)
    hover_cell(w, t, t)
    assert w.confusion.hover_text().startswith(f"true {t} → predicted {t}")
    w.confusion.leave()
    assert w.confusion.hover_text() == ""  # nothing selected: nothing to say
    w.confusion.click_cell(t, p)
    hover_cell(w, p, p)
    assert w.confusion.hover_text().startswith(f"true {p} → predicted {p}")
    w.confusion.leave()
    assert w.confusion.hover_text().startswith(f"true {t} → predicted {p}")  # the selection


def test_a_divergence_keeps_the_matrix_and_its_labels_together(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    ready(qtbot, w)
    diverge(qtbot, w)
    m = w.confusion.matrix()
    acc = np.diag(m) / m.sum(axis=1)
    assert m.sum() > 0 and w.confusion.accuracy_labels() == [f"{a:.1%}" for a in acc]


# -- the status bar, the controls and the note --------------------------------------------
def test_the_status_bar_shows_a_live_resize_at_once(window, qtbot):
    ready(qtbot, window)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    with qtbot.waitSignal(window.bus.paused, timeout=LONG):
        window.toggle_pause()
    assert window.status.network.text() == "64-32-10"
    with qtbot.waitSignal(window.bus.changed, timeout=LONG):
        window.controls.set_hidden(96)  # applied at once while paused: no batch to wait for
    assert window.status.network.text() == "64-96-10"
    assert window.session.view.settings.hidden == (96,)


def test_the_status_bar_says_training_once_a_divergence_is_recovered(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    ready(qtbot, w)
    ev = diverge(qtbot, w)
    assert w.status.message().startswith("Paused: the loss diverged")
    assert w.progress.bar.text().startswith("Diverged")
    with qtbot.waitSignal(w.bus.resumed, timeout=LONG):
        w.banner.trigger(f"Set lr to {ev.suggested_lr:g} and resume")
    assert w.session.state is RunState.TRAINING
    assert "Paused" not in w.status.message() and "diverged" not in w.status.message()
    assert not w.progress.bar.text().startswith("Diverged") and w.banner.text() == ""
    w.stop()


def test_the_controls_show_the_optimiser_of_the_run_after_a_divergence(make_window, qtbot):
    w = make_window(window_config(optimizer="adam", learning_rate=1.0, hidden=(64,)))
    ready(qtbot, w)
    ev = diverge(qtbot, w)
    c = w.controls
    assert c.optimizer.currentData() == "adam" and not c.note.isVisibleTo(c)
    with qtbot.waitSignal(w.bus.resumed, timeout=LONG):
        w.banner.trigger(f"Set lr to {ev.suggested_lr:g} and resume")
    assert c.optimizer.currentData() == "adam" and not c.note.isVisibleTo(c)
    assert c.learning_rate.value() == ev.suggested_lr
    assert w.session.view.settings.optimizer == "adam"
    w.stop()


def test_no_next_run_note_for_settings_the_run_already_uses(window, qtbot):
    ready(qtbot, window)
    c = window.controls
    c.optimizer.setCurrentIndex(c.optimizer.findData("adam"))  # chosen before Start
    with qtbot.waitSignal(window.bus.started, timeout=LONG) as started:
        window.start()
    assert started.args[0].config["optimizer"] == "adam"
    assert not c.note.isVisibleTo(c) and c.note.text() == ""
    c.optimizer.setCurrentIndex(c.optimizer.findData("sgd"))  # for the next run
    assert c.note.isVisibleTo(c) and "optimiser sgd (now adam)" in c.note.text()
    window.stop()


# -- divergence ------------------------------------------------------------------------------
def test_the_pictures_show_the_restored_weights_after_a_divergence(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    ready(qtbot, w)
    diverge(qtbot, w)  # in the first epoch: no epoch has ended yet
    assert w.weights.n_units() == 64 and w.weights.shown_epoch() == 1
    assert w.confusion.matrix().sum() == w.session.view.dataset.n_val
    assert w.gallery.shown_epoch() == 1
    assert "waiting" not in w.weights.title()
    w.stop()


def test_the_banner_and_the_status_bar_agree_on_where_it_diverged(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,)))
    ready(qtbot, w)
    ev = diverge(qtbot, w)
    where = f"epoch {ev.epoch + 1}, batch {ev.batch + 1}"
    assert f"diverged at {where}" in w.banner.text()
    assert w.status.message() == f"Paused: the loss diverged at {where}"
    w.stop()


def test_the_suggested_rate_suits_the_optimiser(make_window, qtbot):
    w = make_window(window_config(optimizer="adam", learning_rate=1.0, hidden=(64,)))
    ready(qtbot, w)
    ev = diverge(qtbot, w)
    assert ev.suggested_lr == 0.001
    assert "Set lr to 0.001 and resume" in w.banner.action_labels()
    again = []
    w.bus.diverged.connect(again.append)
    w.banner.trigger("Set lr to 0.001 and resume")
    reports = []
    w.bus.epoch.connect(reports.append)
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=LONG)
    assert again == [] and w.session.state is RunState.TRAINING
    w.stop()


# -- the end of a run --------------------------------------------------------------------------
def test_the_last_snapshot_is_drawn_when_the_run_ends(make_window, qtbot):
    w = make_window(window_config(epochs=4, hidden=(16,)))
    ready(qtbot, w)
    at_finish = []
    w.bus.finished.connect(
        lambda _ev: at_finish.append(
            (w.weights.shown_epoch(), w.confusion.shown_epoch(), w.gallery.shown_epoch())
        )
    )
    finish(qtbot, w)
    assert at_finish == [(4, 4, 4)]
    assert w.progress.text().startswith("Done | Epoch 4/4 done")


def test_every_view_at_the_same_epoch_after_finished(make_window, qtbot):
    w = make_window(window_config(epochs=3, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    assert set(epochs_shown(w).values()) == {3}, epochs_shown(w)


def test_every_view_at_the_same_epoch_after_a_recovered_divergence(make_window, qtbot):
    w = make_window(window_config(learning_rate=50.0, hidden=(64,), epochs=2))
    ready(qtbot, w)
    ev = diverge(qtbot, w)
    w.banner.trigger(f"Set lr to {ev.suggested_lr:g} and resume")
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED, timeout=LONG)
    assert set(epochs_shown(w).values()) == {2}, epochs_shown(w)


def test_every_view_at_the_same_epoch_after_opening_a_checkpoint(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=3, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    assert w.save_checkpoint(tmp_path / "three.npz")
    w.reset()
    assert w.open_checkpoint(tmp_path / "three.npz")
    qtbot.waitUntil(lambda: w.session.state is RunState.LOADED, timeout=LONG)
    assert set(epochs_shown(w).values()) == {3}, epochs_shown(w)
    assert w.progress.bar.text().startswith("Opened")


# -- health ------------------------------------------------------------------------------------
def test_health_after_opening_a_checkpoint(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=12, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    assert w.save_checkpoint(tmp_path / "twelve.npz")
    w.reset()
    assert w.open_checkpoint(tmp_path / "twelve.npz")
    qtbot.waitUntil(lambda: w.session.state is RunState.LOADED, timeout=LONG)
    w.tabs.setCurrentWidget(w.health)
    h = w.health
    lo, hi = h.x_range()
    assert 10 <= lo < 12 < hi <= 14  # around the checkpoint's epoch, not -10..30
    assert "from epoch 12" in h.norms_title()  # a checkpoint keeps no earlier norms
    assert len(h.drawn_histograms()) == 1  # nothing to compare "now" with: not itself
    assert h.histogram_legend() == ["now · epoch 12 · 64×16"]


def test_health_compares_densities_and_marks_a_resize(window, qtbot):
    ready(qtbot, window)
    snaps = []
    window.bus.snapshot.connect(snaps.append)
    with qtbot.waitSignal(window.bus.snapshot, timeout=LONG):
        window.start()
    with qtbot.waitSignal(window.bus.changed, timeout=LONG):
        window.controls.set_hidden(416)
    qtbot.waitUntil(lambda: snaps and snaps[-1].weights.shape[1] == 416, timeout=LONG)
    window.toggle_pause()
    qtbot.waitUntil(lambda: window.session.state is RunState.PAUSED, timeout=LONG)
    window.tabs.setCurrentWidget(window.health)
    h = window.health
    legend = h.histogram_legend()
    assert legend[0].endswith("64×416") and legend[1] == "epoch 1 · 64×32"
    drawn = h.drawn_histograms()
    assert len(drawn) == 2
    for edges, density in drawn:  # densities, comparable whatever the layer's size
        assert np.sum(density * np.diff(edges)) == pytest.approx(1.0)
    assert "hidden 32→416" in h.marker_labels()
    (x,) = [
        x for x, lab in zip(h.marker_positions(), h.marker_labels(), strict=True) if "416" in lab
    ]
    assert 1.0 <= x < len(h.epochs()) + 1


# -- the Runs tab ---------------------------------------------------------------------------
def test_each_run_has_a_colour_a_name_and_a_hover(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    w.controls.set_learning_rate(0.02)  # a run of its own, not the same curve twice
    finish(qtbot, w)
    w.tabs.setCurrentWidget(w.runs)
    runs = w.runs
    assert [runs.cell_text(r, "Run") for r in range(2)] == ["Run 1", "Run 2"]
    assert len(set(runs.curve_colours())) == 2 and runs.legend_names() == ["Run 1", "Run 2"]
    runs.grab()
    runs.hover_at(runs.scene_pos_of(0, 1))
    assert runs.hover_text().startswith("Run 1 · epoch 2: val acc")


def test_sweep_trials_on_other_data_are_kept_apart_and_named(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    history = [{"epoch": e, "val_loss": 1.0 / (e + 1), "val_acc": 0.9 + 0.01 * e} for e in range(3)]
    trials = [
        {
            "key": f"k{i}",
            "seed": 0,
            "status": "done",
            "setting": {"learning_rate": lr, "hidden": [128]},
            "config": {"dataset": "mnist", "hidden": [128], "learning_rate": lr},
            "history": history,
        }
        for i, lr in enumerate((0.03, 0.3))
    ]
    w.session.add_sweep_trials(trials)
    runs = w.runs
    assert runs.datasets() == ["digits", "mnist"] and runs.dataset() == "digits"
    assert [r.name for r in runs.runs()] == ["Run 1"]  # not drawn on the digits' axes
    runs.show_dataset("mnist")
    assert [r.name for r in runs.runs()] == ["lr 0.03 · seed 0", "lr 0.3 · seed 0"]
    w.session.add_sweep_trials(trials)  # compared again: not added twice
    assert len(w.session.view.runs) == 3


def test_opening_a_checkpoint_adds_no_duplicate_row(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    assert w.save_checkpoint(tmp_path / "run.npz")
    for _ in range(2):  # opened twice: still the one run it was saved from
        w.reset()
        assert w.open_checkpoint(tmp_path / "run.npz")
        qtbot.waitUntil(lambda: w.session.state is RunState.LOADED, timeout=LONG)
    assert [r.name for r in w.runs.runs()] == ["Run 1"]
    with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
        w.start()  # Continue: the same run goes on
    assert [r.name for r in w.runs.runs()] == ["Run 1"]
    w.stop()


def test_a_run_s_row_shows_what_it_started_with_and_ended_with(window, qtbot):
    ready(qtbot, window)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    for set_value, value in (
        (window.controls.set_learning_rate, 0.02),
        (window.controls.set_hidden, 48),
    ):
        with qtbot.waitSignal(window.bus.changed, timeout=LONG):
            set_value(value)
    n = window.session.view.epochs_done
    qtbot.waitUntil(lambda: window.session.view.epochs_done >= n + 1, timeout=LONG)
    window.stop()
    qtbot.waitUntil(lambda: window.session.state is RunState.FINISHED, timeout=LONG)
    runs = window.runs
    assert runs.cell_text(0, "Learn rate") == "0.1 → 0.02"
    assert runs.cell_text(0, "Network") == "64-32-10 → 64-48-10"
    assert "started: 64-32-10" in runs.row_tooltip(0) and "now: 64-48-10" in runs.row_tooltip(0)


# -- nothing trained is lost without a question ------------------------------------------
def test_reset_asks_before_throwing_away_a_finished_unsaved_run(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    asked = questions(w)
    w.on_unsaved_close = "cancel"
    w.reset()
    assert len(asked) == 1 and "not saved" in asked[0]
    assert w.session.state is RunState.FINISHED and w.weights.shown_epoch() == 2  # kept
    w.on_unsaved_close = "save"
    w.session.choose_save_path = lambda _suggested: str(tmp_path / "kept.npz")
    w.reset()
    assert (tmp_path / "kept.npz").is_file() and w.session.state is RunState.READY
    w.reset()  # nothing left to lose: no question
    assert len(asked) == 2


def test_quitting_during_the_first_epoch_of_the_next_run_asks(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    asked = questions(w)
    w.session.set_draft(w.config().replace(epochs=50))
    w.step_batch()  # a new run: the finished one is not thrown away without a question
    assert len(asked) == 1
    qtbot.waitUntil(lambda: w.session.state is RunState.PAUSED, timeout=LONG)
    assert w.session.view.epochs_done == 0 and w.has_unsaved_run()  # one batch in
    w.on_unsaved_close = "cancel"
    w.close()
    assert len(asked) == 2 and "part of its first epoch" in asked[1]
    assert w.isVisible() and w.training  # the person changed their mind
    w.on_unsaved_close = "discard"
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible() and not w.training, timeout=LONG)


# -- the window's size -------------------------------------------------------------------
def test_clicking_a_confusion_cell_keeps_the_window_width(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    ready(qtbot, w)
    finish(qtbot, w)
    QApplication.processEvents()
    width, minimum = w.width(), w.minimumSizeHint().width()
    t, p = most_confused(w)
    w.confusion.click_cell(t, p)
    w.gallery.select_tile(0)
    w.confusion.grab()
    hover_cell(w, t, p)
    QApplication.processEvents()
    assert w.confusion.hover_text() and w.gallery.filter_button_enabled()
    assert w.width() == width and w.minimumSizeHint().width() == minimum


def test_the_window_fits_the_screen(qtbot):
    assert fitted_size((1280, 800)) == (1280, 800)
    assert fitted_size((1920, 1080)) == (1728, 972)
    assert fitted_size((3840, 2160))[0] <= 3840
    w = MainWindow(window_config(), preload=False)
    qtbot.addWidget(w)
    room = w.screen().availableGeometry()
    hint = w.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 800  # nothing cut off at 1280x800
    assert w.width() <= max(room.width(), hint.width())
    assert w.height() <= max(room.height(), hint.height())
    w.close()


# -- what the command line has ------------------------------------------------------------
def test_the_controls_offer_momentum_l2_dropout_and_a_schedule(window, qtbot):
    ready(qtbot, window)
    c = window.controls
    c.optimizer.setCurrentIndex(c.optimizer.findData("momentum"))
    assert c.momentum.isEnabled()
    c.momentum.setValue(0.8)
    c.l2.setValue(0.0005)
    c.dropout.setValue(0.2)
    c.schedule.setCurrentIndex(c.schedule.findData("cosine"))
    for w in (c.momentum, c.l2, c.dropout, c.schedule):
        assert "Applies on Reset" in w.toolTip()
    with qtbot.waitSignal(window.bus.started, timeout=LONG) as started:
        window.start()
    cfg = started.args[0].config
    assert (cfg["momentum"], cfg["l2"], cfg["dropout"], cfg["schedule"]) == (
        0.8,
        0.0005,
        0.2,
        "cosine",
    )
    c.dropout.setValue(0.5)  # not live: waits for the next run, and says so
    assert "dropout 0.5 (now 0.2)" in c.note.text() and c.note.isVisibleTo(c)
    c.optimizer.setCurrentIndex(c.optimizer.findData("adam"))
    assert not c.momentum.isEnabled()  # Adam has no use for it
    window.stop()


def test_stop_once_a_run_has_finished_changes_nothing(make_window, qtbot, monkeypatch):
    """The Finished event can come before the run's thread has ended: Stop in between must
    not turn a finished run into one "Stopping after this batch…"."""
    from gui.worker import TrainingRun

    w = make_window(window_config(epochs=1))
    ready(qtbot, w)
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED, timeout=LONG)
    # The moment between the two: finished, its thread not yet over.
    monkeypatch.setattr(TrainingRun, "is_running", property(lambda _run: True))
    w.stop()
    assert w.session.state is RunState.FINISHED
    assert "Stopping" not in w.status.message()
    monkeypatch.undo()
    qtbot.waitUntil(lambda: not w.training, timeout=LONG)
    assert w.session.state is RunState.FINISHED and "Done" in w.progress.text()


def test_a_live_change_reaches_the_status_message_and_the_run_s_row(window, qtbot):
    """A resize while training: no line of the window keeps naming the old network, and
    the Runs row shows the rate the run has now, not only after its next epoch."""
    ready(qtbot, window)
    with qtbot.waitSignal(window.bus.epoch, timeout=LONG):
        window.start()
    assert window.status.message().endswith("64-32-10")
    with qtbot.waitSignal(window.bus.changed, timeout=LONG):
        window.controls.set_hidden(96)
    assert window.status.message().endswith("64-96-10")
    with qtbot.waitSignal(window.bus.changed, timeout=LONG):
        window.session.edit("learning_rate", 0.02)
    row = window.session.view.runs[-1]
    assert row.ended.learning_rate == 0.02 and row.ended.network == "64-96-10"
    window.stop()
