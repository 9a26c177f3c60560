"""GalleryView: ranked mistakes, filtering by confusion cell, saliency, the PNG sheet."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.data import Dataset
from core.nn.model import MLP
from gui.shared.bus import EventBus
from gui.views.confusion import ConfusionView
from gui.views.gallery import SHEET_COLUMNS, TILE_H, TILE_W, GalleryView
from tests.gui._events import emit_all, real_run, snapshot_of, trained_model


@pytest.fixture(scope="module")
def snap(digits):
    return snapshot_of(trained_model(digits, hidden=16, steps=15), digits, max_wrong=1000)


@pytest.fixture
def views(qtbot):
    bus = EventBus()
    gallery = GalleryView(bus)
    confusion = ConfusionView(bus)
    confusion.cellClicked.connect(gallery.set_filter)
    for w in (gallery, confusion):
        qtbot.addWidget(w)
    gallery.resize(900, 600)
    return bus, gallery, confusion


def test_default_shows_every_mistake_most_confident_first(views, snap):
    bus, gallery, _ = views
    bus.snapshot.emit(snap)
    wrong = int(np.sum(np.asarray(snap.sample_true) != np.asarray(snap.sample_pred)))
    assert wrong > 5
    assert gallery.tile_count() == wrong
    assert all(t != p for t, p in gallery.visible_pairs())
    conf = gallery.shown_confidences()
    assert np.all(np.diff(conf) <= 0)


def test_clicking_a_confusion_cell_filters_the_gallery_to_that_pair(views, snap):
    bus, gallery, confusion = views
    bus.snapshot.emit(snap)
    t, p, n = confusion.confused_pairs()[0]
    confusion.click_cell(t, p)
    assert gallery.visible_pairs() == {(t, p)}
    assert gallery.tile_count() == n == int(np.asarray(snap.confusion)[t, p])
    bus.snapshot.emit(snap)  # the next snapshot keeps the filter
    assert gallery.visible_pairs() == {(t, p)}
    gallery.set_filter(None, None)
    assert len(gallery.visible_pairs()) > 1


def test_the_diagonal_shows_correct_ones_least_confident_first(views, snap):
    bus, gallery, confusion = views
    bus.snapshot.emit(snap)
    confusion.click_cell(3, 3)
    assert gallery.visible_pairs() == {(3, 3)}
    assert gallery.tile_count() > 1
    conf = gallery.shown_confidences()
    assert np.all(np.diff(conf) >= 0)
    true, pred = np.asarray(snap.sample_true), np.asarray(snap.sample_pred)
    probs = np.asarray(snap.sample_probs)
    assert conf[0] == pytest.approx(probs[(true == 3) & (pred == 3), 3].min())


def test_selecting_a_tile_computes_the_saliency_of_its_prediction(views, snap):
    bus, gallery, _ = views
    bus.snapshot.emit(snap)
    assert gallery.selected_saliency() is None
    gallery.select_tile(0)
    sal = gallery.selected_saliency()
    assert sal.shape == snap.image_shape
    assert np.abs(sal).max() > 0
    # The saliency is d(score of the predicted class)/d(pixel): check it by nudging a pixel.
    true, pred = np.asarray(snap.sample_true), np.asarray(snap.sample_pred)
    wrong = np.flatnonzero(true != pred)
    first = int(wrong[np.argmax(np.asarray(snap.sample_probs)[wrong].max(axis=1))])
    model = MLP.from_params([np.asarray(a, np.float64) for a in snap.params], snap.activation)
    x = np.asarray(snap.sample_images[first], np.float64)[None]
    j = int(np.argmax(np.abs(sal.ravel())))
    eps = 1e-4
    nudged = x.copy()
    nudged[0, j] += eps
    c = int(pred[first])
    slope = (model.forward(nudged)[0, c] - model.forward(x)[0, c]) / eps
    assert slope == pytest.approx(sal.ravel()[j], rel=1e-2)


def test_a_filter_with_no_samples_is_empty_and_the_sheet_still_renders(views, snap):
    bus, gallery, _ = views
    bus.snapshot.emit(snap)
    c = np.asarray(snap.confusion)
    t, p = map(int, np.argwhere(c == 0)[0])
    gallery.set_filter(t, p)
    assert gallery.tile_count() == 0 and gallery.visible_pairs() == set()
    assert not gallery.grab_sheet().isNull()


def test_sheet_holds_every_tile(views, snap):
    bus, gallery, _ = views
    bus.snapshot.emit(snap)
    n = gallery.tile_count()
    sheet = gallery.grab_sheet()
    cols = min(n, SHEET_COLUMNS)
    assert (sheet.width(), sheet.height()) == (cols * TILE_W, math.ceil(n / cols) * TILE_H)
    # The first tile's image area holds the sample, not just background.
    colours = {sheet.pixel(x, y) for x in range(20, 90, 3) for y in range(10, 85, 3)}
    assert len(colours) > 5


def test_run_reset_empties_the_gallery(views, snap):
    bus, gallery, _ = views
    bus.snapshot.emit(snap)
    gallery.select_tile(0)
    bus.run_reset.emit()
    assert gallery.tile_count() == 0
    assert gallery.selected_saliency() is None


def test_the_real_trainer_stream(views, digits):
    bus, gallery, confusion = views
    emit_all(bus, real_run(digits))
    last = [e for e in real_run(digits) if type(e).__name__ == "Snapshot"][-1]
    wrong = np.asarray(last.sample_true) != np.asarray(last.sample_pred)
    assert gallery.tile_count() == int(wrong.sum()) > 0
    t, p, n = confusion.confused_pairs()[0]
    confusion.click_cell(t, p)
    assert gallery.visible_pairs() == {(t, p)} and gallery.tile_count() == n
    gallery.select_tile(0)
    assert gallery.selected_saliency().shape == last.image_shape


def test_colour_images_keep_their_channels(qtbot):
    rng = np.random.default_rng(1)
    names = tuple(f"class {i}" for i in range(10))
    X = rng.random((200, 8 * 8 * 3), dtype=np.float32)
    y = rng.integers(0, 10, 200)
    data = Dataset("colour", X, y, X, y, X, y, (8, 8, 3), names, "random")
    bus = EventBus()
    gallery = GalleryView(bus)
    qtbot.addWidget(gallery)
    bus.snapshot.emit(snapshot_of(MLP((192, 12, 10), seed=1), data))
    assert gallery.tile_count() > 0
    gallery.select_tile(0)
    assert gallery.selected_saliency().shape == (8, 8, 3)
    sheet = gallery.grab_sheet()
    pixels = [sheet.pixelColor(x, y) for x in range(20, 90, 4) for y in range(10, 85, 4)]
    assert any(len({c.red(), c.green(), c.blue()}) > 1 for c in pixels)  # not grey


def test_the_header_says_when_the_snapshot_carries_fewer_digits_than_it_stands_for(views, digits):
    """A snapshot carries a sample of the mistakes: the count says of how many."""
    bus, gallery, _ = views
    small = snapshot_of(trained_model(digits, hidden=16, steps=15), digits, max_wrong=5)
    m = np.asarray(small.confusion)
    wrong = int(m.sum() - np.trace(m))
    assert gallery.tile_count() == 0
    bus.snapshot.emit(small)
    n = gallery.tile_count()
    assert n < wrong
    assert f"all mistakes: {n:,} of {wrong:,}" in gallery.header.status()
