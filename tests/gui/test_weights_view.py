"""WeightsView: one tile per hidden unit, a grid that follows the hidden size, hover."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF

from core.training.events import frozen
from gui.shared.bus import EventBus
from gui.shared.mosaic import grid_for, mosaic
from gui.views.weights import HOVER_HINT, WeightsView
from tests.gui._events import emit_all, real_run, snapshot_of, trained_model


@pytest.fixture(scope="module")
def snaps(digits):
    return {n: snapshot_of(trained_model(digits, hidden=n, steps=10), digits) for n in (16, 30)}


@pytest.fixture
def view(qtbot):
    bus = EventBus()
    v = WeightsView(bus)
    qtbot.addWidget(v)
    v.resize(500, 500)
    return bus, v


def test_the_grid_has_columns_in_eights_for_the_number_of_units():
    for n in (1, 2, 10, 16, 30, 128, 192, 1000):
        rows, cols = grid_for(n)
        assert rows * cols >= n > (rows - 1) * cols
        assert cols % 8 == 0 or cols == n
        assert cols >= rows  # wider than tall, like the panel
    assert grid_for(128) == (8, 16) and grid_for(32) == (4, 8) and grid_for(1024)[1] == 48


def test_mosaic_places_tiles_row_by_row_with_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    m = mosaic(tiles, 2, 3)
    assert m.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_array_equal(m[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(m[3:5, 0:3], tiles[3])
    assert np.isnan(m[2]).all() and np.isnan(m[3:5, 8:11]).all()  # gap row, empty cell


def test_grid_changes_size_with_the_hidden_layer(view, snaps):
    bus, v = view
    assert v.grid_shape() == (0, 0) and v.n_units() == 0
    bus.snapshot.emit(snaps[16])
    assert v.grid_shape() == (2, 8) and v.n_units() == 16
    bus.snapshot.emit(snaps[30])
    assert v.grid_shape() == (4, 8) and v.n_units() == 30
    image = v.image()
    assert image.shape == (4 * 9 - 1, 8 * 9 - 1)
    w = np.asarray(snaps[30].weights)
    unit = 9  # row 1, col 1 of the grid
    tile = w[:, unit].reshape(8, 8) / np.abs(w[:, unit]).max()  # per-unit scale by default
    np.testing.assert_allclose(image[9:17, 9:17], tile, rtol=1e-6)
    np.testing.assert_allclose(v.unit_norms(), np.linalg.norm(w, axis=0), rtol=1e-6)
    bus.run_reset.emit()
    assert v.grid_shape() == (0, 0)


def test_one_scale_for_all_units_when_per_unit_is_off(view, snaps):
    bus, v = view
    bus.snapshot.emit(snaps[16])
    assert v.levels() == (-1.0, 1.0)
    v.set_per_unit(False)
    limit = float(np.abs(snaps[16].weights).max())
    assert v.levels() == pytest.approx((-limit, limit))
    assert np.nanmax(np.abs(v.image())) == pytest.approx(limit)


def test_colour_images_are_shown_as_channel_means(view, snaps):
    bus, v = view
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8 * 8 * 3, 5)).astype(np.float32)
    bus.snapshot.emit(dataclasses.replace(snaps[16], weights=frozen(w), image_shape=(8, 8, 3)))
    assert v.grid_shape() == (1, 5) and v.n_units() == 5
    mean0 = w[:, 0].reshape(8, 8, 3).mean(axis=2)
    np.testing.assert_allclose(v.image()[:8, :8], mean0 / np.abs(mean0).max(), rtol=1e-5)


def test_hovering_a_unit_names_it_with_its_norm(view, snaps, qtbot):
    bus, v = view
    v.show()
    qtbot.waitExposed(v)
    bus.snapshot.emit(snaps[16])
    qtbot.wait(20)  # the view box settles its range on the next turn of the event loop
    glw = v.findChild(pg.GraphicsLayoutWidget)
    image_item = next(i for i in glw.scene().items() if isinstance(i, pg.ImageItem))

    def move_to(x: float, y: float) -> None:
        pos = glw.mapFromScene(image_item.mapToScene(QPointF(x, y)))
        qtbot.mouseMove(glw.viewport(), pos)
        qtbot.wait(10)

    unit = 10  # row 1, col 2
    move_to(2 * 9 + 4.5, 1 * 9 + 4.5)
    norm = np.linalg.norm(np.asarray(snaps[16].weights)[:, unit])
    assert v.hover_text() == f"unit {unit} · ‖w‖ = {norm:.3f} · click to open it"
    move_to(8.5, 4)  # the gap between the first two tiles
    assert v.hover_text() == HOVER_HINT


def test_the_real_trainer_stream_grows_the_grid(view, digits):
    bus, v = view
    grids = []
    bus.snapshot.connect(lambda _: grids.append(v.grid_shape()))
    emit_all(bus, real_run(digits))
    assert grids == [(2, 8), (4, 8)]
    assert v.n_units() == 25
