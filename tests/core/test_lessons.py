"""Lessons and setups: the shipped files load and run; bad files are refused with a reason."""

from __future__ import annotations

import pytest

from core.lessons import (
    LessonError,
    Outcome,
    Setup,
    fill,
    load_lesson,
    load_setup,
    run_experiment,
    shipped_lessons,
    write_setup,
)
from core.training.config import Config

GOOD = """
title = "A lesson"
question = "What happens?"
choices = ["this", "that"]
answer = 2
observe = "It reached {val_acc} then {val_acc_2} ({label_2})."
explain = "Because."

[[run]]
label = "first"
settings = { hidden = [8], epochs = 2 }

[[run]]
label = "second"
settings = { hidden = [8], epochs = 3, learning_rate = 0.3 }
change = [ { epoch = 1, setting = "learning_rate", value = 0.05 } ]
"""


def write(tmp_path, text: str, name: str = "lesson.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_there_are_at_least_six_shipped_lessons_and_each_loads():
    lessons = shipped_lessons()
    assert len(lessons) >= 6
    for lesson in lessons:
        assert lesson.title and lesson.question and lesson.explain
        assert 0 <= lesson.answer < len(lesson.choices)
        assert lesson.experiments


@pytest.mark.parametrize("lesson", shipped_lessons(), ids=lambda lesson: lesson.key)
def test_each_shipped_lesson_runs_on_the_bundled_digits(lesson, digits):
    outcomes = [run_experiment(e, digits) for e in lesson.experiments]
    for outcome, experiment in zip(outcomes, lesson.experiments, strict=True):
        assert outcome.label == experiment.label
        assert outcome.diverged or outcome.epochs == experiment.config.epochs
    text = fill(lesson.observe, outcomes)
    assert "{" not in text and "}" not in text
    assert "%" in text or "diverged" in text


def test_a_lesson_file_is_read_with_its_runs_and_live_changes(tmp_path):
    lesson = load_lesson(write(tmp_path, GOOD))
    assert lesson.key == "lesson" and lesson.answer == 1 and lesson.choices == ("this", "that")
    first, second = lesson.experiments
    assert first.config == Config(hidden=(8,), epochs=2)
    [change] = second.changes
    assert (change.epoch, change.name, change.value) == (1, "learning_rate", 0.05)


def test_live_changes_reach_the_run_before_their_epoch(tmp_path, digits):
    lesson = load_lesson(write(tmp_path, GOOD))
    seen = []
    run_experiment(lesson.experiments[1], digits, on_event=seen.append)
    rates = [e.learning_rate for e in seen if type(e).__name__ == "EpochReport"]
    assert rates == [0.3, 0.05, 0.05]


def test_placeholders_are_filled_with_each_runs_figures():
    outcomes = [
        Outcome(
            label=name,
            epochs=3,
            val_acc=acc,
            best_val_acc=acc,
            train_acc=1.0,
            val_loss=0.25,
            train_loss=0.125,
            diverged=False,
        )
        for name, acc in (("a", 0.9), ("b", 0.955))
    ]
    assert fill("{val_acc} {val_acc_2} {label_2} {diverged}", outcomes) == (
        "90.0% 95.5% b did not diverge"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("answer = 2", "answer = 3"), "answer: 3 must be the number of a choice"),
        (("answer = 2", 'answer = "2"'), "answer"),
        (('choices = ["this", "that"]', 'choices = ["only"]'), "choices: give 2 to 6"),
        (("title = ", "titel = "), "unknown key"),
        (("epochs = 2 }", "epochs = 0 }"), "epochs"),
        (("hidden = [8], epochs = 2", "hidden = [8], epochs = 2, flavour = 3"), "unknown setting"),
        (("{val_acc_2}", "{val_acc_7}"), "unknown placeholder {val_acc_7}"),
        (("{val_acc_2}", "{val_acc.__class__}"), "unknown placeholder"),
        (("{val_acc_2}", "{val_acc[0]}"), "unknown placeholder"),
        (("{val_acc_2}", "{val_acc:>100000}"), "bad placeholder"),
        (('setting = "learning_rate"', 'setting = "dropout"'), "cannot change while training"),
        (("epoch = 1,", "epoch = 9,"), "epoch 9 must be 1 to 2"),
        (("value = 0.05", "value = -1"), "learning_rate"),
        (('[[run]]\nlabel = "first"', "[[run]]\nlabel = 5"), "label: expected text"),
        (("answer = 2", "answer = 2\n[oops"), "not valid TOML"),
    ],
)
def test_a_bad_lesson_is_refused_naming_the_file_and_the_problem(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LessonError, match=message.replace("{", r"\{").replace("[", r"\[")) as err:
        load_lesson(path)
    assert str(path) in str(err.value)


def test_files_that_are_not_lessons_are_refused(tmp_path):
    with pytest.raises(LessonError, match="not a file"):
        load_lesson(tmp_path)
    with pytest.raises(LessonError, match="not UTF-8"):
        load_lesson(_bytes(tmp_path, b"title = '\xff'"))
    with pytest.raises(LessonError, match="too big"):
        load_lesson(_bytes(tmp_path, b"#" * 70_000))


def _bytes(tmp_path, data: bytes):
    path = tmp_path / "raw.toml"
    path.write_bytes(data)
    return path


def test_a_setup_round_trips_through_its_file(tmp_path):
    setup = Setup(
        title="Wide and slow",
        config=Config(
            dataset="mnist", hidden=(512, 256), learning_rate=0.003, optimizer="adam", dropout=0.2
        ),
        tab="health",
        theme="dark",
    )
    path = write_setup(tmp_path / "mine.toml", setup)
    text = path.read_text(encoding="utf-8")
    assert "learning_rate = 0.003" in text and "[settings]" in text
    assert load_setup(path) == setup
    assert [p.name for p in tmp_path.iterdir()] == ["mine.toml"]  # no temporary left


def test_a_lesson_opened_as_a_setup_gives_its_first_run(tmp_path):
    setup = load_setup(write(tmp_path, GOOD))
    assert setup.config == Config(hidden=(8,), epochs=2) and setup.title == "A lesson"


def test_a_bad_setup_is_refused(tmp_path):
    with pytest.raises(LessonError, match="theme"):
        load_setup(write(tmp_path, 'title = "x"\ntheme = "neon"\n'))
    with pytest.raises(LessonError, match=r"\[settings\]: learning_rate"):
        load_setup(write(tmp_path, 'title = "x"\n[settings]\nlearning_rate = -3\n'))
    with pytest.raises(LessonError, match="cannot write"):
        write_setup(tmp_path / "no such folder" / "x.toml", Setup(title="x", config=Config()))
