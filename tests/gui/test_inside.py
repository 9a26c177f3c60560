"""The Inside tab: a digit traced through a snapshot, walked step by step, learned from."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core import trace
from core.nn.model import MLP
from core.training.events import Snapshot
from gui.session import RunState
from gui.shared.bus import EventBus
from gui.views.inside import InsideView
from tests.gui._events import snapshot_of, trained_model
from tests.gui._window import window_config
from tests.gui.test_canvas import SEVEN

LONG = 20_000  # ms: generous, for a busy 2-core machine


def traced_after(qtbot, inside: InsideView, action, epoch: int | None = None):
    """Run ``action`` and wait until the tab shows a new trace (of ``epoch``, when given)."""
    before = inside.traced
    action()
    qtbot.waitUntil(
        lambda: (
            inside.traced is not before
            and inside.traced is not None
            and (epoch is None or inside.shown_epoch() == epoch)
        ),
        timeout=LONG,
    )
    return inside.traced


def check_readout(picture) -> None:
    """Hovering a cell of ``picture`` reads the trace's own number at that element."""
    if picture.kind == "number":
        return
    if picture.kind == "bars":
        for k in range(len(picture.classes)):
            assert picture.value_at(k, 0) == pytest.approx(float(np.asarray(picture.array)[k]))
        return
    rows, cols = np.nonzero(~np.isnan(picture.values))
    for r, c in list(zip(rows, cols, strict=True))[:: max(1, len(rows) // 7)]:
        index = picture.index_at(c + 0.5, r + 0.5)
        value = picture.value_at(c + 0.5, r + 0.5)
        assert index is not None and value is not None
        assert value == pytest.approx(float(np.asarray(picture.array)[index]), rel=1e-6)
        assert picture.read(c + 0.5, r + 0.5).startswith(picture.name.split(" ")[0])


def walk_every_step(qtbot, inside: InsideView) -> None:
    """Next, from the first step to the last: each shows its equation and the trace's numbers."""
    t = inside.traced.trace
    steps = t.steps()
    walker = inside.walker
    walker.go(0)
    assert walker.count == len(steps)
    for i, step in enumerate(steps):
        shown = walker.current()
        assert walker.equation_text() == step.equation
        assert walker.explanation_text()  # every step says what it means
        assert shown.step.phase == step.phase
        np.testing.assert_array_equal(np.asarray(shown.result.array), np.asarray(step.value))
        assert [p.name for p in shown.operands] == [name for name, _ in step.operands]
        for picture, (_, value) in zip(shown.operands, step.operands, strict=True):
            np.testing.assert_array_equal(np.asarray(picture.array), np.asarray(value))
        for picture in shown.all:
            check_readout(picture)
        if i < len(steps) - 1:
            qtbot.mouseClick(walker.next_button, Qt.MouseButton.LeftButton)
            assert walker.index == i + 1
    assert not walker.next_button.isEnabled()
    phases = [s.phase for s in steps]
    assert phases == sorted(phases, key=lambda p: p != "forward")  # forward, then backward


def same_trace_as_the_snapshot(inside: InsideView, snap: Snapshot) -> None:
    """What the tab shows is ``core.trace`` of this digit through that snapshot's network."""
    shown = inside.traced.trace
    digit = inside.traced.job.digit
    expected = trace(MLP.from_params(snap.params, snap.activation), digit.x, digit.label)
    np.testing.assert_array_equal(shown.probs, expected.probs)
    for a, b in zip(shown.grads, expected.grads, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_gallery_mistake_walked_through_every_step(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(16,), learning_rate=0.05))
    snaps: list[Snapshot] = []
    w.bus.snapshot.connect(snaps.append)
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    assert w.gallery.tile_count() > 0
    w.gallery.select_tile(0)
    assert w.gallery.look_button.isEnabled()
    traced_after(
        qtbot, w.inside, lambda: qtbot.mouseClick(w.gallery.look_button, Qt.MouseButton.LeftButton)
    )
    assert w.tabs.currentWidget() is w.inside
    digit = w.inside.traced.job.digit
    s = w.gallery._samples
    i = int(s.order[0])
    np.testing.assert_array_equal(digit.x, s.snap.sample_images[i])
    assert digit.label == int(s.true[i]) and digit.source.startswith("gallery")
    assert digit.index == int(s.snap.sample_index[i]) == w.inside.picker.number.value()
    assert w.inside.traced.trace.prediction == int(s.pred[i])  # the mistake, as the gallery saw it
    same_trace_as_the_snapshot(w.inside, snaps[-1])
    walk_every_step(qtbot, w.inside)


def test_a_drawn_digit_walked_through_every_step_with_the_label_meant(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(16,)))
    snaps: list[Snapshot] = []
    w.bus.snapshot.connect(snaps.append)
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    w.tabs.setCurrentWidget(w.canvas)
    w.canvas.draw_stroke(SEVEN)
    read_as = w.canvas.predicted_class()
    assert read_as is not None
    traced_after(
        qtbot, w.inside, lambda: qtbot.mouseClick(w.canvas.look_button, Qt.MouseButton.LeftButton)
    )
    digit = w.inside.traced.job.digit
    np.testing.assert_array_equal(digit.x, w.canvas.processed_image().ravel())
    assert digit.label == read_as and digit.source == "your drawing"
    same_trace_as_the_snapshot(w.inside, snaps[-1])
    walk_every_step(qtbot, w.inside)

    meant = 7 if read_as != 7 else 1  # the student says which digit it is meant to be
    picker = w.inside.picker
    assert picker.label_choice.isVisible()
    t = traced_after(
        qtbot,
        w.inside,
        lambda: (
            picker.label_choice.setCurrentIndex(meant),
            picker.label_choice.activated.emit(meant),
        ),
    )
    assert t.trace.label == meant and t.trace.loss == pytest.approx(
        -np.log(t.trace.probs[meant]), rel=1e-4
    )
    assert w.inside.walker.index == w.inside.walker.count - 1  # the same step, for the new label


def test_the_validation_browser_filters_by_class_and_steps_through(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(16,)))
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    w.tabs.setCurrentWidget(w.inside)
    qtbot.waitUntil(lambda: w.inside.traced is not None, timeout=LONG)
    picker, y = w.inside.picker, w.session.run_dataset.y_val
    traced_after(qtbot, w.inside, lambda: picker.class_filter.setCurrentIndex(1 + 3))
    rows = np.flatnonzero(y == 3)
    assert picker.digit.index == rows[0] and picker.digit.label == 3
    traced_after(qtbot, w.inside, picker.next_button.click)
    assert picker.digit.index == rows[1]
    traced_after(qtbot, w.inside, picker.prev_button.click)
    traced_after(qtbot, w.inside, picker.prev_button.click)  # wraps to the last 3
    assert picker.digit.index == rows[-1] and w.inside.traced.trace.label == 3


def test_learning_from_a_digit_changes_only_a_copy(make_window, qtbot):
    w = make_window(window_config(epochs=5, hidden=(16,)))
    with qtbot.waitSignal(w.bus.paused, timeout=LONG):
        w.step()  # one epoch, then the live run holds
    assert w.session.state is RunState.PAUSED
    w.tabs.setCurrentWidget(w.inside)
    qtbot.waitUntil(lambda: w.inside.traced is not None, timeout=LONG)
    live_before = w.run.submit(lambda trainer: [p.copy() for p in trainer.model.params])
    traced = w.inside.traced
    shown_before = [np.array(p) for p in traced.trace.params]

    learn = w.inside.learn
    rates = [rate for rate, _ in learn.choices()]
    assert rates[0] == pytest.approx(0.1 / 8)  # the run's rate over its batch size
    learn.size_choice.setCurrentIndex(len(rates) - 1)  # the run's whole rate, on one digit
    learn.learn_button.click()
    qtbot.waitUntil(lambda: w.inside.learned is not None, timeout=LONG)
    effect = w.inside.learned.effect
    assert effect.learning_rate == pytest.approx(0.1)
    assert effect.after.loss < effect.before.loss  # the step helps this digit
    assert effect.val_acc_before is not None and effect.val_acc_after is not None
    assert not all(
        np.array_equal(a, b) for a, b in zip(effect.after.params, shown_before, strict=True)
    )
    assert "Validation accuracy" in learn.text() and learn.templates.picture is not None

    live_after = w.run.submit(lambda trainer: [p.copy() for p in trainer.model.params])
    for a, b in zip(live_before, live_after, strict=True):
        np.testing.assert_array_equal(a, b)  # bit for bit: the run never saw the step
    for a, b in zip(traced.trace.params, shown_before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def inside(qtbot, digits):
    bus = EventBus()
    view = InsideView(bus)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.set_dataset(digits)
    yield bus, view
    view.shut_down(5000)


def test_following_the_run_retraces_each_snapshot_and_a_chosen_epoch_stays(inside, digits, qtbot):
    bus, view = inside
    snaps = [
        snapshot_of(trained_model(digits, steps=10 * (e + 1)), digits, epoch=e) for e in range(3)
    ]
    traced_after(qtbot, view, lambda: bus.snapshot.emit(snaps[0]), epoch=0)
    traced_after(qtbot, view, lambda: bus.snapshot.emit(snaps[1]), epoch=1)  # following
    same_trace_as_the_snapshot(view, snaps[1])

    view.follow_live.setChecked(False)  # stay on epoch 2 (1-based) while the run goes on
    shown = view.traced
    bus.snapshot.emit(snaps[2])
    assert not view.tracer.busy  # nothing traced for it
    assert view.traced is shown and view.shown_epoch() == 1
    assert view.kept_epochs() == [0, 1, 2]

    traced_after(qtbot, view, lambda: view.choose_epoch(0), epoch=0)
    same_trace_as_the_snapshot(view, snaps[0])
    assert "epoch 1" in view.epoch_choice.currentText()
    traced_after(qtbot, view, lambda: view.follow_live.setChecked(True), epoch=2)
    same_trace_as_the_snapshot(view, snaps[2])


def test_snapshots_faster_than_traces_are_coalesced_to_the_latest(inside, digits, qtbot):
    bus, view = inside
    snaps = [
        snapshot_of(trained_model(digits, steps=5 * (e + 1)), digits, epoch=e) for e in range(6)
    ]
    seen = []
    view.tracer.traced.connect(lambda r: seen.append(r.job.network.epoch))
    for snap in snaps:
        bus.snapshot.emit(snap)
    qtbot.waitUntil(lambda: view.shown_epoch() == 5 and not view.tracer.busy, timeout=LONG)
    assert seen[-1] == 5 and len(seen) <= 3  # the first, perhaps one in between, the latest


def test_a_hidden_tab_traces_only_when_shown(qtbot, digits):
    bus = EventBus()
    view = InsideView(bus)
    qtbot.addWidget(view)
    view.set_dataset(digits)
    bus.snapshot.emit(snapshot_of(trained_model(digits), digits))
    assert view.traced is None and not view.tracer.busy
    traced_after(qtbot, view, view.show)
    view.shut_down(5000)


def test_no_network_yet_says_so_and_a_reset_clears(inside, digits, qtbot):
    bus, view = inside
    assert "Train at least one epoch" in view.walker.explanation_text()
    traced_after(qtbot, view, lambda: bus.snapshot.emit(snapshot_of(trained_model(digits), digits)))
    bus.run_reset.emit()
    assert view.traced is None and view.walker.count == 0 and view.kept_epochs() == []
    assert "Train at least one epoch" in view.walker.explanation_text()
