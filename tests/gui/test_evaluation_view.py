"""The Evaluation tab and "make it read as k", driven on a network trained in the window."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtGui import QImage

from core.nn.model import MLP
from core.training import adversarial, robustness
from core.training.robustness import coverage_curve
from gui.shared.threads import live_threads
from gui.views.evaluation import EMPTY
from tests.gui._window import window_config
from tests.gui.test_data_tab import in_a_thread

LONG = 20_000  # ms


def trained(make_window, qtbot, epochs=8):
    """A window whose run on the 8x8 digits has finished: its snapshot and its dataset."""
    w = make_window(window_config(epochs=epochs, hidden=(32,), learning_rate=0.1, batch_size=16))
    assert not w.evaluation.evaluate_button.isEnabled()
    assert w.evaluation.status.text() == EMPTY == w.evaluation.empty_message()
    snaps = []
    w.bus.snapshot.connect(snaps.append)
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: w.evaluation.evaluate_button.isEnabled(), timeout=LONG)
    # Before any result the page says what to do now, as the line above it does.
    assert w.evaluation.empty_message().startswith(
        f"Press Evaluate to score the network of epoch {snaps[-1].epoch + 1}"
    )
    model = MLP.from_params(snaps[-1].params, snaps[-1].activation)
    return w, model, w.session.view.run_data


def test_evaluation_runs_in_a_thread_cancels_and_matches_the_core(
    make_window, qtbot, monkeypatch, tmp_path
):
    w, model, data = trained(make_window, qtbot)
    view = w.evaluation
    w.tabs.setCurrentWidget(view)

    # Cancel: the evaluation is held at its first progress report until Cancel was pressed.
    gate, reached, completed = threading.Event(), threading.Event(), []
    real = robustness.evaluate_test_set

    def held(model, data, *, progress=None, **kw):
        def wait_then_report(what, done, total):
            reached.set()
            gate.wait(LONG / 1000)
            progress(what, done, total)

        completed.append(real(model, data, progress=wait_then_report, **kw))
        return completed[-1]

    monkeypatch.setattr(robustness, "evaluate_test_set", held)
    view.evaluate_button.click()
    qtbot.waitUntil(reached.is_set, timeout=LONG)
    assert view.cancel_button.isEnabled() and not view.evaluate_button.isEnabled()
    view.cancel_button.click()
    gate.set()
    qtbot.waitUntil(lambda: not live_threads(), timeout=LONG)
    assert completed == [] and view.evaluation() is None
    assert "cancelled" in view.status.text() and view.evaluate_button.isEnabled()

    monkeypatch.setattr(robustness, "evaluate_test_set", real)
    threads = in_a_thread(monkeypatch, robustness, "evaluate_test_set")
    view.evaluate_button.click()
    qtbot.waitUntil(lambda: view.evaluation() is not None, timeout=LONG)
    assert threads and threading.get_ident() not in threads
    ev = view.evaluation()
    _, plain = model.evaluate(data.X_test, data.y_test)
    assert ev.accuracy == pytest.approx(plain)
    assert f"{plain:.2%}" in view.headline.text()
    for title in ("Gaussian noise", "Rotation", "Shift"):
        x, y = view.robustness.curve(title)
        assert x[0] == 0 and y[0] == pytest.approx(plain) and len(x) > 3
    x, y = view.robustness.curve("Stroke thickness")
    assert x.min() < 0 < x.max() and y[np.flatnonzero(x == 0)] == pytest.approx([plain])

    truth = coverage_curve(model.predict_proba(data.X_test), data.y_test)
    for position in (0, 30, 100, 200):
        view.coverage.slider.setValue(position)
        share, accuracy = truth.at(view.coverage.threshold())
        assert view.coverage.at_threshold() == pytest.approx((share, accuracy), nan_ok=True)
        if share > 0:
            n = round(share * len(data.y_test))
            assert f"<b>{n:,}</b> of {len(data.y_test):,}" in view.coverage.numbers.text()
            assert f"{accuracy:.2%}" in view.coverage.numbers.text()

    # Its plots are offered for export once it shows them, named without markup.
    dialog = w.export_dialog()
    qtbot.addWidget(dialog)
    names = [t.name for t in dialog.targets]
    assert not any("<" in n for n in names)
    assert "Fool: probabilities before and after (PNG or SVG)" in names
    dialog.list.setCurrentRow(names.index("Evaluation: Rotation (PNG or SVG)"))
    assert not QImage(str(dialog.export_current(tmp_path / "rotation.png"))).isNull()


def test_fool_the_network_on_the_draw_tab_and_a_gallery_tile(make_window, qtbot, monkeypatch):
    w, model, _data = trained(make_window, qtbot)
    threads = in_a_thread(monkeypatch, adversarial, "make_it_read_as")
    canvas = w.canvas
    w.tabs.setCurrentWidget(canvas)
    assert not canvas.fool.button.isEnabled()  # nothing drawn yet
    canvas.draw_stroke([(140, 40), (140, 240)])  # a "1"
    fool = canvas.fool
    before = canvas.predicted_class()
    target = (before + 3) % 10
    fool.target.setCurrentIndex(target)
    fool.bound.setValue(0.5)
    fool.button.click()
    qtbot.waitUntil(lambda: fool.result() is not None, timeout=LONG)
    assert threads and threading.get_ident() not in threads
    r = fool.result()
    assert r.success and r.target == target and r.linf <= 0.5 + 1e-6
    assert np.array_equal(r.original, canvas.processed_image().reshape(-1))
    assert model.predict(np.asarray(r.image)[None])[0] == target
    assert fool.pictures.captions() == ["before", f"reads {target}", "the change"]
    assert fool.key.labels() == ("change", f"−{r.linf:.3g}", f"+{r.linf:.3g}")
    assert f"Now read as <b>{target}</b>" in fool.message.text()

    canvas.draw_stroke([(60, 60), (220, 60)])  # the drawing changed: the result is forgotten
    assert fool.result() is None

    # A bound too small for any change to do it: said in words.
    least = int(np.argmin(canvas.probabilities()))
    fool.target.setCurrentIndex(least)
    fool.bound.setValue(0.01)
    fool.button.click()
    qtbot.waitUntil(lambda: fool.result() is not None, timeout=LONG)
    assert not fool.result().success and fool.result().linf <= 0.01 + 1e-6
    assert f"Could not make it read as <b>{least}</b>" in fool.message.text()

    w.tabs.setCurrentIndex(0)
    w.gallery.select_tile(0)
    tile = w.gallery.fool
    tile.bound.setValue(1.0)
    tile.button.click()
    qtbot.waitUntil(lambda: tile.result() is not None, timeout=LONG)
    assert tile.result().success
