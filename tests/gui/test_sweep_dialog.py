"""The sweep dialog: runs off the GUI thread, fills its table and plot, stops, loads a CSV."""

from __future__ import annotations

import pytest

from core.sweep.results import read_results
from core.training.config import Config
from gui.panels.sweep_dialog import SweepDialog
from gui.shared import style

BASE = Config(dataset="digits", epochs=1, hidden=(8,), batch_size=64)


@pytest.fixture
def dialog(qtbot, tmp_path):
    dlg = SweepDialog(BASE)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(tmp_path / "sweep.csv"))
    dlg.jobs.setValue(1)
    dlg.seeds.setValue(1)
    yield dlg
    assert dlg.wait()


def run_to_end(qtbot, dlg: SweepDialog) -> None:
    dlg.start_button.click()
    assert dlg.running
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)


def test_a_sweep_runs_in_the_background_and_fills_table_plot_and_csv(qtbot, dialog, tmp_path):
    dialog.values["learning_rate"].setText("0.05, 0.3")
    dialog.values["hidden"].setText("8,16")
    assert dialog.progress.text() == "4 trial(s) planned"  # right before it starts
    run_to_end(qtbot, dialog)
    assert dialog.progress.value() == dialog.progress.maximum() == 4
    assert dialog.table.rowCount() == 4
    heads = [dialog.table.horizontalHeaderItem(i).text() for i in range(2)]
    assert heads == ["lr", "hidden"]
    shown = [float(dialog.table.item(r, 3).text()) for r in range(4)]
    assert shown == sorted(shown, reverse=True)
    assert dialog.plot.figure is not None
    every_head = [dialog.table.horizontalHeaderItem(i).text() for i in range(7)]
    assert "± std" not in every_head  # one seed: no spread to show
    for scheme in ("dark", "light"):  # the figure follows the theme
        style.set_scheme(scheme)
        assert dialog.plot.backgroundBrush().color() == style.palette().surface
    assert len(read_results(tmp_path / "sweep.csv")) == 4
    assert dialog.status.text().startswith("Done")

    run_to_end(qtbot, dialog)  # again, same CSV: nothing left to run
    assert len(read_results(tmp_path / "sweep.csv")) == 4
    assert dialog.table.rowCount() == 4


def test_the_counter_says_how_many_trials_the_fields_make(dialog):
    dialog.values["learning_rate"].setText("0.05, 0.1, 0.3")
    dialog.seeds.setValue(2)
    assert dialog.progress.text() == "6 trial(s) planned"
    assert dialog.status.text().startswith("3 setting(s) × 2 seed(s) = 6 trial(s)")
    dialog.values["learning_rate"].setText("fast")
    assert dialog.status.text().startswith("Not a sweep yet") and not dialog.running


def test_a_bad_value_is_named_and_nothing_starts(dialog):
    dialog.values["learning_rate"].setText("0.1,fast")
    dialog.start_button.click()
    assert not dialog.running
    assert not dialog.error.isHidden()
    assert "learning_rate" in dialog.error.text()


def test_stop_keeps_the_finished_trials(qtbot, dialog, tmp_path):
    dialog.epochs.setValue(100)
    dialog.values["learning_rate"].setText("0.01,0.02,0.05,0.1,0.2,0.3")
    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(dialog.results) >= 1, timeout=60_000)
    dialog.stop()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    saved = read_results(tmp_path / "sweep.csv")
    assert 1 <= len(saved) < 6
    assert len(dialog.results) == len(saved)
    assert dialog.status.text().startswith("Stopped")


def test_a_loaded_csv_offers_its_best_runs_with_curves(qtbot, dialog, tmp_path):
    dialog.values["learning_rate"].setText("0.02,0.3")
    run_to_end(qtbot, dialog)
    other = SweepDialog(BASE)
    qtbot.addWidget(other)
    assert other.load_csv(tmp_path / "sweep.csv")
    assert other.table.rowCount() == 2
    other.top_k.setValue(1)
    with qtbot.waitSignal(other.compare_requested) as blocker:
        other.compare_button.click()
    (best,) = blocker.args[0]
    assert best["val_acc"] == max(r.val_acc for r in read_results(tmp_path / "sweep.csv"))
    assert [h["epoch"] for h in best["history"]] == [0]


def test_a_file_that_is_not_a_sweep_is_refused(dialog, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    assert not dialog.load_csv(path)
    assert "notes.csv" in dialog.error.text()


def test_the_best_runs_of_a_sweep_join_the_window_runs_tab(qtbot, make_window, tmp_path):
    from core.sweep import Axis, Sweep, SweepSpec

    csv = tmp_path / "sweep.csv"
    spec = SweepSpec(BASE, [Axis("learning_rate", (0.02, 0.3))], seeds=(0,))
    assert len(list(Sweep(spec, csv).run(jobs=1))) == 2
    w = make_window()
    w.open_sweep()
    dlg = w._sweep_dialog
    assert dlg.load_csv(csv)
    dlg.top_k.setValue(2)
    dlg.compare_button.click()
    runs = w.runs
    assert w.tabs.currentWidget() is runs and runs.dataset() == "digits"
    rows = [runs.cell_text(r, "Run") for r in range(runs.table.rowCount())]
    # Named by what they tried, not by a hash; each in a colour of its own.
    assert sorted(rows) == ["lr 0.02 · seed 0", "lr 0.3 · seed 0"]
    assert len(set(runs.curve_colours())) == 2
    best = max(r.val_acc for r in read_results(csv))
    assert f"{best:.2%}" in runs.cell_text(0, "Best val acc")
    assert runs.cell_text(0, "Network") == "hidden 8"
    dlg.compare_button.click()  # compared again: not added twice
    assert runs.table.rowCount() == 2
    dlg.close()
