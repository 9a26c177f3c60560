"""Lessons in the window (predict, run, observe) and shared setups (write, open, refuse)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.lessons import LESSONS_DIR, load_lesson, shipped_lessons
from core.training.events import HyperparameterChanged
from gui.panels.lesson_panel import LessonPanel
from gui.panels.lessons_dialog import LessonsDialog
from gui.session import RunState
from tests.gui._window import window_config

LONG = 30_000  # ms: a lesson trains several runs


def lesson_path(key: str):
    return LESSONS_DIR / f"{key}.toml"


@pytest.mark.parametrize("lesson", shipped_lessons(), ids=lambda lesson: lesson.key)
def test_each_shipped_lesson_loads_in_the_panel_and_waits_for_a_prediction(qtbot, lesson):
    panel = LessonPanel()
    qtbot.addWidget(panel)
    panel.show_lesson(lesson)
    assert lesson.title in panel._title.text()
    assert len(panel._group.buttons()) == len(lesson.choices)
    assert not panel.run_button.isEnabled()  # nothing runs before the student predicts
    for experiment in lesson.experiments:
        assert experiment.label in panel._runs.text()
    panel.choose(lesson.answer)
    assert panel.choice() == lesson.answer and panel.run_button.isEnabled()


def test_the_lessons_dialog_lists_every_lesson_and_a_broken_file_apart(qtbot, tmp_path):
    dialog = LessonsDialog()
    qtbot.addWidget(dialog)
    assert [l.key for l in dialog.lessons()] == [l.key for l in shipped_lessons()]

    for lesson in shipped_lessons()[:2]:
        text = lesson_path(lesson.key).read_text(encoding="utf-8")
        (tmp_path / f"{lesson.key}.toml").write_text(text, encoding="utf-8")
    (tmp_path / "zz-broken.toml").write_text("title = 'half a lesson'\n", encoding="utf-8")
    dialog = LessonsDialog(folder=tmp_path)
    qtbot.addWidget(dialog)
    assert len(dialog.lessons()) == 2 and dialog.list.count() == 3
    assert "zz-broken.toml: cannot be used" in dialog.list.item(2).text()
    chosen = []
    dialog.chosen.connect(chosen.append)
    dialog.list.setCurrentRow(1)
    dialog.start_button.click()
    assert [l.key for l in chosen] == [shipped_lessons()[1].key]


def test_a_lesson_runs_end_to_end_on_the_digits_with_its_live_change(
    make_window, qtbot, monkeypatch
):
    monkeypatch.delenv("BACKPROP_DATA", raising=False)  # no MNIST: the bundled digits stand in
    w = make_window(window_config(epochs=3))
    lesson = load_lesson(lesson_path("06-slow-down"))
    changes: list[HyperparameterChanged] = []
    w.bus.changed.connect(changes.append)
    w.open_lesson(lesson)
    assert w.lesson_dock.isVisible() and w.lesson_panel.lesson is lesson
    assert not w.run_lesson()  # no prediction yet: nothing runs
    w.lesson_panel.choose(0)
    assert w.run_lesson()
    assert w.tabs.currentWidget() is w.tab_widget(lesson.tab)
    qtbot.waitUntil(lambda: w.lesson_panel.progress.stage != "running", timeout=LONG)

    progress = w.lesson_panel.progress
    assert progress.stage == "done", progress.message
    assert [o.label for o in progress.outcomes] == [e.label for e in lesson.experiments]
    assert all(o.epochs == 6 and not o.diverged for o in progress.outcomes)
    result = w.lesson_panel.result_text()
    assert "{" not in result and progress.outcomes[1].texts()["val_loss"] in result
    assert "Not what you predicted" in result  # choice 1 was not the answer
    assert "bundled 8×8 digits" in w.lesson_panel.note_text()
    assert w.lesson_panel.explanation_text().startswith("<b>Why.</b>")
    # The second run's rate was cut when its epoch 4 (0-based 3) began, as a slider would.
    assert [(c.epoch, c.batch, c.name, c.new) for c in changes] == [(3, 0, "learning_rate", 0.05)]
    names = [r.name for r in w.session.view.runs]
    assert names == [f"{lesson.title}: {e.label}" for e in lesson.experiments]
    assert w.session.view.settings.dataset == "digits"


SLOW_LESSON = """
title = "A long one"
question = "Will it end?"
choices = ["yes", "no"]
answer = 1
observe = "{val_acc}"
explain = "Because."

[[run]]
label = "long"
settings = { dataset = "digits", hidden = [16], epochs = 5000, batch_size = 8 }

[[run]]
label = "never"
settings = { dataset = "digits", hidden = [16], epochs = 2 }
"""


def test_a_lesson_can_be_stopped_and_the_run_before_it_is_asked_about(make_window, qtbot, tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text(SLOW_LESSON, encoding="utf-8")
    lesson = load_lesson(path)
    w = make_window(window_config(epochs=2))
    with qtbot.waitSignal(w.bus.finished, timeout=LONG):
        w.start()
    assert w.has_unsaved_run()
    before = w.session.run
    w.open_lesson(lesson)
    w.lesson_panel.choose(0)
    w.on_unsaved_close = "cancel"  # the save question: the person keeps the run
    assert not w.run_lesson()
    assert w.session.run is before and w.session.state is RunState.FINISHED

    w.on_unsaved_close = "discard"
    reports = []
    w.bus.epoch.connect(reports.append)
    assert w.run_lesson()
    qtbot.waitUntil(lambda: len(reports) >= 2, timeout=LONG)
    qtbot.mouseClick(w.lesson_panel.stop_button, Qt.MouseButton.LeftButton)
    assert w.lesson_panel.progress.stage == "stopped"
    qtbot.waitUntil(lambda: w.session.state is RunState.FINISHED, timeout=LONG)
    assert [r.name for r in w.session.view.runs][-1] == "A long one: long"  # "never" never ran
    assert w.lesson_panel.run_button.isEnabled()  # it can be taken again


def test_a_setup_is_shared_and_opened_again(make_window, qtbot, tmp_path):
    w = make_window(window_config(epochs=7))
    w.session.edit("learning_rate", 0.03)
    w.session.edit("hidden", 48)
    w.tabs.setCurrentWidget(w.health)
    w.set_theme("dark")
    path = tmp_path / "class-3.toml"
    assert w.share_setup(path)
    shared = w.config()
    text = path.read_text(encoding="utf-8")
    assert "learning_rate = 0.03" in text and 'tab = "health"' in text and 'theme = "dark"' in text

    w.session.edit("learning_rate", 0.5)
    w.session.edit("epochs", 2)
    w.tabs.setCurrentWidget(w.runs)
    w.set_theme("light")
    assert w.open_setup(path)
    assert w.config() == shared
    assert w.tabs.currentWidget() is w.health and w.theme.choice == "dark"
    w.set_theme("light")  # the application's palette back for the other tests


def test_a_bad_setup_file_says_why_and_changes_nothing(make_window, tmp_path):
    w = make_window(window_config(epochs=7))
    warnings = []
    w.warn = lambda title, text: warnings.append(text)
    before, tab = w.config(), w.tabs.currentIndex()
    for name, content in (
        ("garbage.toml", "this is = = not toml"),
        ("bad-rate.toml", "[settings]\nlearning_rate = -3\n"),
        ("odd-tab.toml", 'tab = "attic"\n'),
    ):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert not w.open_setup(path)
        assert name in warnings[-1]
        assert w.config() == before and w.tabs.currentIndex() == tab
    assert not w.open_setup(tmp_path / "missing.toml")
    assert "not a file" in warnings[-1]
