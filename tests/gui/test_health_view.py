"""The health panel draws what the Trainer's snapshots measured."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.events import Snapshot
from gui.shared.bus import EventBus
from gui.views.health import HealthView
from tests.gui._events import emit_all, real_run


@pytest.fixture
def health(qtbot, digits):
    bus = EventBus()
    view = HealthView(bus)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    events = real_run(digits)
    emit_all(bus, events)
    qtbot.waitUntil(lambda: view.dots_drawn() > 0)  # drawn a moment after the snapshot
    view.grab()  # a paint fits the plots' ranges to what they now hold
    snaps = [ev for ev in events if isinstance(ev, Snapshot)]
    return bus, view, snaps


def test_norms_and_dead_units_follow_the_snapshots(health):
    _, view, snaps = health
    assert len(snaps) == 2
    np.testing.assert_array_equal(view.epochs(), [s.epoch + 1 for s in snaps])
    for layer in range(2):
        weight, grad = view.norm_series(layer)
        np.testing.assert_allclose(weight, [s.weight_norms[layer] for s in snaps])
        np.testing.assert_allclose(grad, [s.grad_norms[layer] for s in snaps])
    np.testing.assert_allclose(view.dead_series(0), [s.dead_fraction[0] for s in snaps])


def test_histograms_compare_now_with_the_first_snapshot(health):
    _, view, snaps = health
    now, first = view.histograms(0)
    np.testing.assert_array_equal(now, snaps[-1].extras["hist_counts_1"])
    np.testing.assert_array_equal(first, snaps[0].extras["hist_counts_1"])
    assert now.sum() == snaps[-1].weights.size and first.sum() == snaps[0].weights.size
    assert view.layer_box.count() == 2
    view.layer_box.setCurrentIndex(1)
    now, _ = view.histograms(1)
    np.testing.assert_array_equal(now, snaps[-1].extras["hist_counts_2"])


def test_pca_map_and_hovering_a_point_shows_its_digit(health, qtbot):
    _, view, snaps = health
    ex = snaps[-1].extras
    np.testing.assert_allclose(view.pca_points(), ex["pca"])
    assert view.dots_drawn() == len(ex["pca"])  # drawn (and ranged) before the mouse comes
    i = int(np.argmax(ex["pca"][:, 0]))  # the rightmost point: no other on top of it
    view._pca_w.scene().sigMouseMoved.emit(view.scene_pos_of(i))
    hovered = view.hovered()
    assert hovered is not None
    np.testing.assert_allclose(view.pca_points()[hovered], ex["pca"][i], atol=1e-3)
    assert view.inset_text() == f"label {int(ex['pca_labels'][hovered])}"
    far = view.scene_pos_of(i)
    far.setX(far.x() + 200)
    view._pca_w.scene().sigMouseMoved.emit(far)
    assert view.hovered() is None and view.inset_text() == ""


def test_reset_clears_everything(health):
    bus, view, _ = health
    bus.run_reset.emit()
    assert view.epochs().size == 0 and view.pca_points().shape == (0, 2)
    assert view.layer_box.count() == 0


def test_a_hidden_panel_draws_when_shown(qtbot, digits):
    bus = EventBus()
    view = HealthView(bus)
    qtbot.addWidget(view)
    events = real_run(digits)
    emit_all(bus, events)  # never shown yet: figures kept, nothing drawn
    assert view.epochs().size == 2 and view.dots_drawn() == 0
    view.show()
    qtbot.waitExposed(view)
    snap = [ev for ev in events if isinstance(ev, Snapshot)][-1]
    assert view.dots_drawn() == len(snap.extras["pca"])
