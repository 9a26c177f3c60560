"""The drawing canvas: strokes in, a framed image and ten probabilities out."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from core.data.preprocess import to_shape
from gui.session import RunState
from gui.shared.bus import EventBus
from gui.views.draw import SIDE, CanvasView
from tests.gui._events import snapshot_of, trained_model

# A "7": a bar across the top, then a diagonal down to the bottom left.
SEVEN = [(70, 60), (210, 60), (190, 120), (150, 190), (120, 240)]


@pytest.fixture
def canvas(qtbot):
    bus = EventBus()
    view = CanvasView(bus)
    qtbot.addWidget(view)
    view.show()
    return bus, view


def test_strokes_give_a_prediction_from_the_snapshot_model(canvas, digits):
    bus, view = canvas
    model = trained_model(digits, hidden=24, steps=80)
    bus.snapshot.emit(snapshot_of(model, digits))
    assert view.probabilities() is None  # nothing drawn yet
    view.draw_stroke(SEVEN)
    probs = view.probabilities()
    assert probs is not None and probs.shape == (10,)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5) and np.all(probs >= 0)
    framed = view.processed_image()
    assert framed.shape == (8, 8) and framed.max() > 0.5
    # The network was asked about exactly this image.
    expected = model.predict_proba(framed.reshape(1, -1))[0]
    np.testing.assert_allclose(probs, expected, rtol=1e-5)
    assert view.predicted_class() == int(np.argmax(expected))


def test_mouse_drawing_is_throttled_and_then_predicts(canvas, digits, qtbot):
    bus, view = canvas
    bus.snapshot.emit(snapshot_of(trained_model(digits), digits))
    seen = []
    view.predicted.connect(seen.append)
    area = view.area

    def at(x: float, y: float) -> QPoint:  # image pixels to where the mouse draws them
        return area.to_widget(x, y).toPoint()

    QTest.mousePress(area, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(140, 40))
    for y in range(45, 250, 5):  # 41 moves in a burst: far fewer predictions
        QTest.mouseMove(area, at(140, y))
    qtbot.waitUntil(lambda: len(seen) >= 1, timeout=2000)
    assert len(seen) < 10
    QTest.mouseRelease(
        area, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(140, 250)
    )
    ink = area.ink()
    assert ink[40:250, 130:150].mean() > 0.5 and ink[:, :100].max() == 0
    assert seen[-1].sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(view.processed_image(), to_shape(ink, (8, 8)))


def test_mnist_shaped_models_see_a_28x28_frame_and_saliency(canvas, mnist):
    bus, view = canvas
    model = trained_model(mnist, hidden=32, steps=30)
    bus.snapshot.emit(snapshot_of(model, mnist))
    view.draw_stroke(SEVEN)
    assert view.processed_image().shape == (28, 28)
    assert view.saliency() is None
    view.saliency_button.click()
    sal = view.saliency()
    best = view.predicted_class()
    x = view.processed_image().reshape(1, -1)
    np.testing.assert_allclose(sal.ravel(), model.input_gradient(x, best)[0], rtol=1e-5)


def test_clear_and_reset_forget_the_answer(canvas, digits):
    bus, view = canvas
    bus.snapshot.emit(snapshot_of(trained_model(digits), digits))
    view.draw_stroke(SEVEN)
    assert view.probabilities() is not None
    view.clear()
    assert view.probabilities() is None and view.processed_image().max() == 0
    view.draw_stroke([(SIDE / 2, 50), (SIDE / 2, 230)])
    assert view.probabilities() is not None
    bus.run_reset.emit()
    assert view.probabilities() is None and not view.has_model()
    assert view.processed_image().max() > 0  # the drawing stays for the next model


LONG = 20_000  # ms: generous for a busy machine


def test_save_then_open_in_the_window_gives_the_same_predictions(make_window, qtbot, tmp_path):
    from tests.gui._window import window_config

    w = make_window(window_config(epochs=2, hidden=(16,)))
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED, timeout=LONG)
    canvas = w.canvas
    w.tabs.setCurrentWidget(canvas)
    canvas.draw_stroke(SEVEN)
    before, matrix = canvas.probabilities(), w.confusion.matrix()
    assert before is not None
    assert w.save_checkpoint(tmp_path / "run.npz")

    w.reset()
    assert canvas.probabilities() is None and not canvas.has_model()
    with qtbot.waitSignal(w.bus.snapshot, timeout=LONG):
        assert w.open_checkpoint(tmp_path / "run.npz")
    np.testing.assert_array_equal(canvas.probabilities(), before)
    np.testing.assert_array_equal(w.confusion.matrix(), matrix)
    assert len(w.curves.history_rows()) == 2  # the saved history is back on the curves
    assert w.session.state is RunState.LOADED and w.checkpoint_dir == tmp_path

    # Start goes on training the opened run, from where it was saved.
    with qtbot.waitSignal(w.bus.epoch, timeout=LONG) as report:
        w.start()
    assert report.args[0].epoch == 2
    assert [r.name for r in w.runs.runs()] == ["Run 1"]  # the same run, going on
    epochs = [row["epoch"] for row in w.curves.history_rows()]
    assert epochs[:3] == [0, 1, 2] and epochs == list(range(len(epochs)))  # one curve, no gap


def test_opening_a_bad_file_says_so(make_window, tmp_path):
    w = make_window()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    assert not w.open_checkpoint(bad)
    assert "bad.npz" in w.banner.text() and w.banner.level == "error"
