"""The Runs tab: a row and a coloured curve per run, one dataset at a time, hover to name."""

from __future__ import annotations

import pytest

from gui.shared.state import EpochPoint, RunRecord, RunSettings
from gui.views.runs import RunsView


def record(number: int, dataset: str = "digits", *, lr=(0.1, 0.1), arch=("64-32-10",) * 2):
    started = RunSettings(
        network=arch[0], activation="relu", optimizer="sgd", learning_rate=lr[0], batch_size=32
    )
    ended = RunSettings(
        network=arch[1], activation="relu", optimizer="sgd", learning_rate=lr[1], batch_size=32
    )
    history = tuple(
        EpochPoint(epoch=e, val_loss=1.0 / (e + number), val_acc=0.5 + 0.1 * e + 0.01 * number)
        for e in range(3)
    )
    return RunRecord(
        number=number,
        name=f"Run {number}",
        colour=number - 1,
        kind="trained",
        dataset=dataset,
        started=started,
        ended=ended,
        history=history,
        outcome="completed",
    )


@pytest.fixture
def view(qtbot):
    v = RunsView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_each_run_has_a_row_a_name_and_its_own_colour(view):
    runs = (record(1, lr=(0.1, 0.01), arch=("64-32-10", "64-96-10")), record(2))
    view.show_runs(runs, current=2)
    assert [view.cell_text(r, "Run") for r in range(2)] == ["Run 1", "Run 2"]
    assert view.cell_text(0, "Learn rate") == "0.1 → 0.01"  # started with, and ended with
    assert view.cell_text(0, "Network") == "64-32-10 → 64-96-10"
    assert view.cell_text(1, "Learn rate") == "0.1" and view.cell_text(1, "Network") == "64-32-10"
    assert "started: 64-32-10" in view.row_tooltip(0) and "now: 64-96-10" in view.row_tooltip(0)
    colours = view.curve_colours()
    assert len(set(colours)) == 2 and "#969696" not in colours  # no shared grey
    assert view.legend_names() == ["Run 1", "Run 2"]
    x, y = view.curve(0)
    assert list(x) == [1.0, 2.0, 3.0] and y[-1] == pytest.approx(100 * (0.7 + 0.01))


def test_hovering_a_curve_names_the_run_and_the_epoch(view, qtbot):
    view.show_runs((record(1), record(2)), current=2)
    view.grab()  # a paint fits the plot's ranges to the curves
    view.hover_at(view.scene_pos_of(0, 1))
    assert view.hover_text().startswith("Run 1 · epoch 2: val acc 61.00%")
    far = view.scene_pos_of(0, 1)
    far.setY(far.y() + 300)
    view.hover_at(far)
    assert "Run" not in view.hover_text()


def test_runs_on_other_data_are_kept_apart(view):
    runs = (record(1, "mnist"), record(2, "digits"), record(3, "digits"))
    view.show_runs(runs, current=3)
    assert view.datasets() == ["digits", "mnist"] and view.dataset() == "digits"
    assert [r.name for r in view.runs()] == ["Run 2", "Run 3"]
    assert view.legend_names() == ["Run 2", "Run 3"]
    view.show_dataset("mnist")
    assert [r.name for r in view.runs()] == ["Run 1"] and view.legend_names() == ["Run 1"]
    view.show_runs((*runs, record(4, "mnist")), current=4)  # a new run: its data is shown
    assert view.dataset() == "mnist" and [r.name for r in view.runs()] == ["Run 1", "Run 4"]
