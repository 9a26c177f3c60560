"""ConfusionView: counts in cells, per-class accuracy, clicks and shortcuts emit the pair."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from core.training.events import frozen
from core.training.metrics import most_confused_pairs
from gui.shared.bus import EventBus
from gui.views.confusion import ConfusionView
from tests.gui._events import emit_all, real_run, snapshot_of, trained_model


@pytest.fixture(scope="module")
def snap(digits):
    return snapshot_of(trained_model(digits, hidden=16, steps=15), digits)


@pytest.fixture
def view(qtbot):
    bus = EventBus()
    v = ConfusionView(bus)
    qtbot.addWidget(v)
    v.resize(640, 520)
    return bus, v


def test_cells_show_the_snapshot_counts(view, snap):
    bus, v = view
    bus.snapshot.emit(snap)
    c = np.asarray(snap.confusion)
    assert c.trace() < c.sum()  # the briefly trained model makes mistakes to show
    np.testing.assert_array_equal(v.matrix(), c)
    for t in range(10):
        assert v.cell_label(t, t) == str(c[t, t])
        for p in range(10):
            if t != p:
                assert v.cell_label(t, p) == (str(c[t, p]) if c[t, p] else "")
    np.testing.assert_allclose(v.class_accuracy(), np.diag(c) / c.sum(axis=1))
    assert v.confused_pairs() == most_confused_pairs(c)
    assert v.confused_pairs()[0][2] == c[~np.eye(10, dtype=bool)].max()


def test_clicking_a_cell_emits_true_and_predicted(view, snap, qtbot):
    bus, v = view
    v.show()
    qtbot.waitExposed(v)
    bus.snapshot.emit(snap)
    qtbot.waitUntil(lambda: v.matrix().size > 0)  # drawn a moment after it arrives
    qtbot.wait(20)
    glw = v.findChild(pg.GraphicsLayoutWidget)
    image = next(i for i in glw.scene().items() if isinstance(i, pg.ImageItem))
    pos = glw.mapFromScene(image.mapToScene(QPointF(7.5, 2.5)))  # column 7, row 2
    with qtbot.waitSignal(v.cellClicked) as blocker:
        qtbot.mouseClick(glw.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [2, 7]
    assert v.selected_cell() == (2, 7)


def test_hovering_a_cell_says_what_it_counts(view, snap, qtbot):
    bus, v = view
    v.show()
    qtbot.waitExposed(v)
    names = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    bus.snapshot.emit(dataclasses.replace(snap, class_names=names))
    qtbot.waitUntil(lambda: v.matrix().size > 0)  # drawn a moment after it arrives
    v.grab()  # the first paint widens the axis for the longer names; let the layout settle
    qtbot.wait(20)
    glw = v.findChild(pg.GraphicsLayoutWidget)
    image = next(i for i in glw.scene().items() if isinstance(i, pg.ImageItem))
    c = np.asarray(snap.confusion)
    t, p = v.confused_pairs()[0][:2]
    qtbot.mouseMove(glw.viewport(), glw.mapFromScene(image.mapToScene(QPointF(p + 0.5, t + 0.5))))
    qtbot.wait(10)
    share = c[t, p] / c[t].sum()
    assert v.hover_text() == (
        f"true {names[t]} → predicted {names[p]}: {c[t, p]} ({share:.1%} of {names[t]})"
    )


def test_shortcuts_emit_the_most_confused_pair(view, snap, qtbot):
    bus, v = view
    bus.snapshot.emit(snap)
    t, p, n = v.confused_pairs()[0]
    assert v.pair_links()[0] == f"{t} → {p} ({n})"
    with qtbot.waitSignal(v.cellClicked) as blocker:
        v.follow_pair(0)
    assert blocker.args == [t, p]
    assert v.selected_cell() == (t, p)
    assert v.hover_text().startswith(f"true {t} → predicted {p}: {n}")  # the selection's


def test_a_new_class_count_rebuilds_the_cells(view, snap):
    bus, v = view
    bus.snapshot.emit(snap)
    small = np.array([[3, 1, 0], [0, 4, 2], [1, 0, 5]])
    names = ("a", "b", "c")
    bus.snapshot.emit(dataclasses.replace(snap, confusion=frozen(small), class_names=names))
    assert v.matrix().shape == (3, 3)
    assert v.cell_label(1, 2) == "2" and v.cell_label(0, 2) == ""
    assert v.confused_pairs()[0] == (1, 2, 2)
    bus.run_reset.emit()
    assert v.matrix().shape == (0, 0) and v.confused_pairs() == []


def test_the_real_trainer_stream(view, digits):
    bus, v = view
    emit_all(bus, real_run(digits))
    last = [e for e in real_run(digits) if type(e).__name__ == "Snapshot"][-1]
    np.testing.assert_array_equal(v.matrix(), last.confusion)
    assert v.matrix().sum() == digits.y_val.size
