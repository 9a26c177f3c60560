"""The views' new pieces on their own: row percentages, a unit up close, stacked labels,
notes on the curves, the saliency overlay, and plots restyled while hidden."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from gui.shared import colormaps as cm
from gui.shared import style
from gui.shared.bus import EventBus
from gui.shared.style import contrast
from gui.views.confusion import ConfusionView
from gui.views.confusion_cells import accuracy_floor, cell_values, percent_text
from gui.views.curve_parts import stack_rows
from gui.views.curves import CurvesView
from gui.views.unit_detail import UnitPopover, unit_detail
from gui.views.weights import WeightsView
from tests.gui._events import epoch_report, lr_change, snapshot_of, trained_model


@pytest.fixture(scope="module")
def snap(digits):
    return snapshot_of(trained_model(digits, hidden=16, steps=15), digits)


@pytest.fixture
def dark():
    """The dark palette for a test, the light one after it."""
    style.set_scheme("dark")
    yield
    style.set_scheme("light")


def test_row_percentages_and_an_accuracy_scale_that_tells_95_from_99(qtbot, snap):
    bus = EventBus()
    v = ConfusionView(bus)
    qtbot.addWidget(v)
    v.resize(600, 500)
    bus.snapshot.emit(snap)
    c = np.asarray(snap.confusion)
    t, p = np.unravel_index(int((c - np.diag(np.diag(c))).argmax()), c.shape)
    assert v.cell_label(t, p) == str(c[t, p])
    v.set_row_percent(True)
    share = 100.0 * c / c.sum(axis=1, keepdims=True)
    assert v.cell_label(t, p) == percent_text(share[t, p])
    assert v.cell_label(t, t) == f"{share[t, t]:.0f}"
    assert all(len(v.cell_label(i, j)) <= 3 for i in range(10) for j in range(10))
    v.set_row_percent(False)
    assert v.cell_label(t, p) == str(c[t, p])
    assert accuracy_floor(np.array([0.95, 0.99])) == 90.0  # 5 and 9 tenths of the scale
    assert accuracy_floor(np.array([0.42, 0.99])) == 40.0
    assert v.accuracy_range()[0] <= 100 * np.nanmin(v.class_accuracy())


def test_cell_colours_show_a_single_mistake_beside_hundreds():
    c = np.array([[500, 1], [0, 480]])
    heat, labels = cell_values(c, row_percent=False)
    assert heat[0, 1] > 0.05 and heat[1, 0] == 0 and labels[1, 0] == ""
    heat, labels = cell_values(c, row_percent=True)
    assert labels[0, 1] == "0.2" and labels[0, 0] == "100" and heat[0, 1] > 0.03


def test_a_unit_up_close_shows_its_weights_out_and_the_digits_it_fires_for(qtbot, snap):
    d = unit_detail(snap, 3)
    W1, b1, W2 = (np.asarray(snap.params[i]) for i in range(3))
    z = np.asarray(snap.sample_images) @ W1[:, 3] + b1[3]
    np.testing.assert_allclose(d.top_values, np.sort(z)[::-1][: len(d.top_values)], rtol=1e-5)
    np.testing.assert_array_equal(d.outgoing, W2[3])
    assert d.to_classes and d.tile.shape == snap.image_shape and len(d.top_images) == 8
    assert d.norm == pytest.approx(float(np.linalg.norm(W1[:, 3])), rel=1e-6)


def test_clicking_a_tile_of_w1_opens_that_unit(qtbot, snap):
    bus = EventBus()
    v = WeightsView(bus)
    qtbot.addWidget(v)
    v.resize(600, 420)
    v.show()
    qtbot.waitExposed(v)
    bus.snapshot.emit(snap)
    qtbot.wait(20)  # the view box settles its range on the next turn of the event loop
    glw = v.findChild(pg.GraphicsLayoutWidget)
    assert v.findChild(UnitPopover) is None
    pos = glw.mapFromScene(v.scene_pos_of(10))
    qtbot.mouseClick(glw.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    popover = v.findChild(UnitPopover)
    assert popover.isVisible() and popover.detail.unit == 10
    popover.close()
    bus.run_reset.emit()
    assert v.click_unit(10) is None  # nothing to open without a snapshot


def test_labels_close_together_are_stacked_in_rows():
    assert stack_rows([0, 10, 200, 15], [80, 80, 80, 80], rows=4) == [0, 1, 0, 2]
    assert stack_rows([0, 1, 2, 3, 4], [50] * 5, rows=2) == [0, 1, 0, 1, 0]


def test_changes_close_together_get_their_own_rows_with_values_as_the_slider_shows(qtbot):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)
    v.resize(700, 500)
    v.show()
    for e in range(3):
        bus.epoch.emit(epoch_report(e))
    bus.changed.emit(lr_change(1, 0, 0.1, 0.0032))
    bus.changed.emit(lr_change(1, 1, 0.0032, 0.00015))
    assert v.marker_labels() == ["lr 0.1→0.0032", "lr 0.0032→1.5e-04"]
    rows = v.markers.rows()
    assert rows[0] != rows[1]


def test_notes_point_out_the_best_epoch_and_overfitting_as_the_run_goes_on(qtbot):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)
    v.show()
    losses = [1.0, 0.6, 0.5, 0.52, 0.56, 0.6, 0.64]
    for e, vl in enumerate(losses[:3]):
        bus.epoch.emit(dataclasses.replace(epoch_report(e), val_loss=vl))
    best = 100 * epoch_report(2).val_acc
    assert v.note_texts() == [f"best validation accuracy: {best:.2f}%"]
    for e, vl in enumerate(losses[3:], start=3):
        bus.epoch.emit(dataclasses.replace(epoch_report(e), val_loss=vl))
    texts = v.note_texts()
    assert texts[0].startswith("overfitting starts") and texts[1].startswith("best validation")
    assert [n.epoch for n in v.notes.notes()] == [2, 6]  # the best moved with later epochs
    bus.run_reset.emit()
    assert v.note_texts() == []


def test_the_saliency_overlay_colours_only_what_matters():
    digit = np.zeros((4, 4), np.float32)
    digit[1:3, 1:3] = 1.0
    sal = np.zeros((4, 4), np.float32)
    sal[0, 0], sal[3, 3], sal[0, 3] = 1.0, -1.0, 0.1  # strong up, strong down, noise
    rgb = cm.saliency_overlay(digit, sal).astype(int)
    assert rgb[0, 0, 0] > rgb[0, 0, 2] and rgb[3, 3, 2] > rgb[3, 3, 0]  # red up, blue down
    assert len(set(rgb[0, 3])) == 1 and len(set(rgb[1, 1])) == 1  # grey: noise, the digit
    assert rgb[1, 1, 0] > rgb[0, 3, 0]  # the ink is brighter than the background


def test_a_hidden_plot_is_restyled_when_the_scheme_switches(qtbot, dark):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)  # never shown
    loss = v.plot_widgets()[0]
    axis = loss.getPlotItem().getAxis("left")
    assert loss.backgroundBrush().color() == style.palette_of("dark").surface
    style.set_scheme("light")
    assert loss.backgroundBrush().color() == style.palette_of("light").surface
    assert contrast(axis.textPen().color(), loss.backgroundBrush().color()) >= 4.5
    assert not v.isVisible()  # hidden all along, restyled all the same


def test_hovering_a_point_names_its_run_and_value_earlier_runs_too(qtbot):
    bus = EventBus()
    v = CurvesView(bus)
    qtbot.addWidget(v)
    v.resize(700, 500)
    v.show()
    qtbot.waitExposed(v)
    for e in range(3):
        bus.epoch.emit(epoch_report(e))
    bus.run_reset.emit()  # the first run goes on faded, in its own colour
    bus.epoch.emit(dataclasses.replace(epoch_report(0), val_acc=0.5))
    v.grab()  # laid out and painted, so the mouse finds the points
    acc = 100 * epoch_report(2).val_acc
    v.hover_at(1, v.scene_pos_of(1, 3.0, acc))
    assert v.hover_text() == f"earlier run · epoch 3: validation accuracy {acc:.2f}%"
    v.hover_at(1, v.scene_pos_of(1, 1.0, 50.0))
    assert v.hover_text() == "this run · epoch 1: validation accuracy 50.00%"
    assert v.legend.entries()[0] == "earlier run" and "validation" in v.legend.entries()


def test_three_digit_counts_are_written_in_the_cells_at_1280x800(qtbot, snap):
    bus = EventBus()
    v = ConfusionView(bus)
    qtbot.addWidget(v)
    v.resize(380, 320)  # the matrix's panel in a 1280x800 window
    v.show()
    qtbot.waitExposed(v)
    big = np.asarray(snap.confusion) * 40  # MNIST's 5,000 validation digits: 400-odd a class
    bus.snapshot.emit(dataclasses.replace(snap, confusion=big))
    assert max(len(v.cell_label(i, i)) for i in range(10)) == 3
    v.grab()  # painted at this size
    assert v.number_px() >= 9
