"""The window's look, through its public actions: themes, headline cards, empty states, help.

Every test drives a real window on the bundled 8x8 digits and reads what it shows.
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from core.training.events import Snapshot
from gui.session import RunState
from gui.shared import colormaps as cm
from gui.shared import explain, style
from gui.shared.style import contrast
from tests.gui._window import window_config

LONG = 20_000  # ms: generous, for a busy 2-core machine
#: The views the help file explains (the tabs to come included).
HELP_KEYS = [
    "loss",
    "accuracy",
    "weights",
    "confusion",
    "gallery",
    "saliency",
    "draw",
    "health",
    "runs",
    "inside",
    "timeline",
    "landscape",
    "data",
    "evaluation",
    "fool",
]


def ready(qtbot, w) -> None:
    qtbot.waitUntil(lambda: w.session.state is RunState.READY, timeout=LONG)


def finish(qtbot, w) -> None:
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED and not w.training, timeout=LONG)


def cards(w) -> dict[str, tuple[str, str]]:
    return w.headline.texts()


def every_plot(w) -> list[pg.GraphicsView]:
    return w.findChildren(pg.GraphicsView)


# -- themes ---------------------------------------------------------------------------------
def test_switching_the_theme_while_training_restyles_every_plot_shown_or_not(make_window, qtbot):
    w = make_window(window_config(hidden=(16,)))
    ready(qtbot, w)
    with qtbot.waitSignal(w.bus.snapshot, timeout=LONG):
        w.start()
    views = every_plot(w)
    hidden = [v for v in views if not v.isVisible()]
    assert len(views) >= 10 and hidden  # the Draw, Health and Runs tabs are not shown
    # Every tab's plots are among them, each named by the design system (what Export lists).
    for tab in (w.tabs.widget(i) for i in range(w.tabs.count())):
        assert set(tab.findChildren(pg.GraphicsView)) <= set(views)
    for part in (w.inside, w.data, w.evaluation, w.landscape, w.canvas.fool, w.gallery.fool):
        assert part.findChildren(pg.GraphicsView), part
    assert all(v.property("exportName") for v in views), [
        v for v in views if not v.property("exportName")
    ]
    for scheme in ("dark", "light", "dark"):
        assert w.session.state is RunState.TRAINING
        w.set_theme(scheme)
        for view in views:
            background = view.backgroundBrush().color()
            assert view.backgroundBrush().style() != 0 and background == style.palette().surface
            axes = [i for i in view.scene().items() if isinstance(i, pg.AxisItem)]
            for axis in axes:
                assert contrast(axis.textPen().color(), background) >= 4.5, (view, axis)
            for item in view.scene().items():
                if isinstance(item, pg.PlotItem) and item.titleLabel.text:
                    html = item.titleLabel.item.toHtml().lower()
                    assert style.palette().text.name() in html
        with qtbot.waitSignal(w.bus.epoch, timeout=LONG):  # training goes on meanwhile
            pass
    w.stop()
    w.set_theme("system")  # the next tests see the application as it started


def test_a_theme_switch_draws_the_inside_tabs_pictures_again_in_the_new_maps(make_window, qtbot):
    w = make_window(window_config(epochs=5, hidden=(16,)))
    ready(qtbot, w)
    w.set_theme("light")
    with qtbot.waitSignal(w.bus.paused, timeout=LONG):
        w.step()  # one epoch, then the run holds
    w.tabs.setCurrentWidget(w.inside)
    qtbot.waitUntil(lambda: w.inside.traced is not None, timeout=LONG)
    for scheme in ("dark", "light"):
        before = w.inside.traced
        w.set_theme(scheme)
        qtbot.waitUntil(lambda before=before: w.inside.traced is not before, timeout=LONG)
        assert w.inside.traced.job.network.epoch == before.job.network.epoch  # the same trace
        lut = {tuple(c) for c in cm.lut("diverging").tolist()}
        signed = [
            p.rgba
            for step in w.inside.traced.pictures
            for p in step.all
            if p.kind == "image" and np.nanmin(p.values) < 0 < np.nanmax(p.values)
        ]
        assert signed
        for rgba in signed:
            opaque = rgba[rgba[..., 3] == 255][:, :3]
            assert {tuple(c) for c in opaque.tolist()} <= lut, scheme
    w.stop()
    w.set_theme("system")


# -- headline cards -------------------------------------------------------------------------
def test_the_cards_say_nothing_before_a_run_and_follow_it_to_the_end(make_window, qtbot):
    w = make_window(window_config(epochs=3, hidden=(16,)))
    ready(qtbot, w)
    empty = cards(w)
    assert empty["accuracy"] == ("—", "press Space to train")
    assert {k: v[0] for k, v in empty.items() if k != "lr"} == dict.fromkeys(
        ("accuracy", "best", "loss", "epoch", "speed", "left"), "—"
    )
    assert empty["lr"] == ("0.1", "for the next run") and empty["epoch"][1] == "3 to train"

    with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
        w.start()
    view, shown = w.session.view, cards(w)  # read together, in one turn of the event loop
    assert shown["accuracy"][0] == f"{100 * view.val_acc:.2f}%"
    assert shown["epoch"][0] == f"{view.epochs_done} of 3"
    assert re.fullmatch(r"\d\.\d{3}", shown["loss"][0])
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED, timeout=LONG)
    done = cards(w)
    history = w.curves.history_rows()
    best = max(history, key=lambda r: r["val_acc"])
    assert done["epoch"] == ("3 of 3", "finished")
    assert done["best"] == (f"{100 * best['val_acc']:.2f}%", f"epoch {best['epoch'] + 1}")
    assert done["loss"] == (f"{history[-1]['val_loss']:.3f}", "last epoch")
    assert done["left"][0] == "done" and done["left"][1].startswith("took")
    assert done["speed"][1] == "when it last ran" and done["speed"][0] != "—"

    w.reset()
    after = cards(w)
    assert all(v[0] == "—" for k, v in after.items() if k != "lr")
    assert after["accuracy"][1] == "press Space to train"


def test_the_cards_while_paused_diverged_and_opened_from_a_file(make_window, qtbot, tmp_path):
    w = make_window(window_config(hidden=(16,)))
    ready(qtbot, w)
    with qtbot.waitSignal(w.bus.epoch, timeout=LONG):
        w.start()
    with qtbot.waitSignal(w.bus.paused, timeout=LONG):
        w.toggle_pause()
    paused = cards(w)
    assert paused["accuracy"][1].endswith("paused") and paused["left"][1] == "paused"
    assert w.save_checkpoint(tmp_path / "run.npz")
    epochs = w.session.view.epochs_done

    w.reset()
    w.session.edit("learning_rate", 50.0)
    with qtbot.waitSignal(w.bus.paused, timeout=LONG):
        w.start()
    assert w.session.state is RunState.DIVERGED
    diverged = cards(w)
    assert diverged["lr"][0] == "50" and diverged["left"][1] in ("paused", "")
    assert diverged["epoch"][0].endswith("of 10000") and diverged["speed"][1] == "when it last ran"

    w.reset()
    with qtbot.waitSignal(w.bus.settled, timeout=LONG):
        assert w.open_checkpoint(tmp_path / "run.npz")
    qtbot.waitUntil(lambda: w.session.state is RunState.LOADED, timeout=LONG)
    opened = cards(w)
    assert opened["epoch"] == (f"{epochs} of 10000", "opened from a file")
    assert opened["accuracy"][0] == f"{100 * w.session.view.val_acc:.2f}%"
    assert opened["speed"] == ("—", "") and opened["left"] == ("—", "")


# -- empty states ---------------------------------------------------------------------------
def test_empty_views_say_what_will_appear_instead_of_drawing_axes(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(16,)))
    ready(qtbot, w)
    messages = [
        *w.curves.empty_messages(),
        w.weights.empty_message(),
        w.confusion.empty_message(),
        w.gallery.empty_message(),
        w.health.empty_message(),
        w.runs.empty_message(),
    ]
    assert all(messages) and sum("Press Space" in m for m in messages) >= 6
    assert not any(v.isVisible() for v in every_plot(w))  # no axes anywhere yet
    finish(qtbot, w)
    for tab in range(w.tabs.count()):
        w.tabs.setCurrentIndex(tab)
    assert w.curves.empty_messages() == ("", "") and w.weights.empty_message() == ""
    assert w.confusion.empty_message() == w.gallery.empty_message() == ""
    assert w.health.empty_message() == w.runs.empty_message() == ""


# -- help -----------------------------------------------------------------------------------
def test_every_view_has_a_header_whose_question_mark_explains_it(window, qtbot):
    assert set(HELP_KEYS) <= set(explain.keys())
    for key in HELP_KEYS:
        about = explain.explanation(key)
        sentences = re.findall(r"[.!?](?:\s|$)", about.text)
        assert about.title and about.summary and 2 <= len(sentences) <= 5, key
    headers = [
        window.curves.loss_header,
        window.curves.acc_header,
        window.weights.header,
        window.confusion.header,
        window.gallery.header,
        window.canvas.header,
        window.health.header,
        window.runs.header,
    ]
    for header in headers:
        about = explain.explanation(header.key)
        assert header.title() == about.title and header.summary() == about.summary
        popover = header.open_help()
        assert popover.isVisible() and popover.text() == about.text
        popover.close()


def test_help_glossary_lists_every_term_and_filters(window, qtbot):
    dialog = window.show_glossary()
    terms = [t for t, _d in explain.glossary()]
    assert dialog.terms() == terms and "ReLU" in terms
    assert terms == sorted(terms, key=str.lower)
    dialog.filter.setText("relu")
    assert dialog.terms() and all(
        "relu" in (t + d).lower() for t, d in explain.glossary() if t in dialog.terms()
    )
    dialog.filter.setText("no such word anywhere")
    assert dialog.terms() == []
    dialog.close()


# -- space ----------------------------------------------------------------------------------
def test_the_gallery_shows_five_columns_at_1920x1080_with_a_digit_open(make_window, qtbot):
    w = make_window(window_config(epochs=2, hidden=(8,)))
    w.resize(1920, 1080)
    ready(qtbot, w)
    finish(qtbot, w)
    w.gallery.select_tile(0)
    QApplication.processEvents()
    assert w.gallery.detail_shown() and w.gallery.columns() >= 5
    assert w.gallery.selected_saliency() is not None
    w.gallery.detail.closed.emit()  # its close button
    assert not w.gallery.detail_shown()


def test_w1_has_16_columns_for_128_units_and_a_click_opens_a_unit(make_window, qtbot):
    w = make_window(window_config(epochs=1, hidden=(128,)))
    ready(qtbot, w)
    snaps: list[Snapshot] = []
    w.bus.snapshot.connect(snaps.append)
    finish(qtbot, w)
    assert w.weights.grid_shape() == (8, 16)
    popover = w.weights.click_unit(17)
    assert popover.isVisible() and popover.detail.unit == 17
    assert popover.detail.outgoing.tolist() == snaps[-1].params[2][17].tolist()
    popover.close()
