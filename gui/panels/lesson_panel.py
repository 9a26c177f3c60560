"""A lesson on screen: the question, the student's prediction, the runs, then what happened and why.

Predict, then observe: nothing runs until an answer is picked. Then the window trains
the lesson's runs one after another (every view shows them live) and this panel
follows them; when the last one ends it fills the lesson's sentence with what the
runs did, says whether the prediction was right, and explains. The panel only
shows: the window runs the lesson and sends :class:`LessonProgress` values.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.lessons import Lesson, Outcome, describe, fill
from gui.shared.header import help_button

Stage = Literal["running", "done", "stopped", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonProgress:
    """Where a lesson's runs are: one status line per run, the outcomes of those done."""

    stage: Stage
    statuses: tuple[str, ...]
    outcomes: tuple[Outcome, ...] = ()
    note: str = ""  # what differs from the lesson as written (the dataset it trains on)
    message: str = ""  # why it stopped or failed


def _label(text: str = "", *, rich: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Choice(QWidget):
    """A radio button with a wrapping text: an answer as long as a sentence fits a narrow panel."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.button = QRadioButton()
        self.button.setAccessibleName(text)
        self.text = _label(html.escape(text))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.button.setChecked(True)  # a click on the text picks the answer too
        super().mousePressEvent(event)


class LessonPanel(QScrollArea):
    """The lesson being taken; ``run_requested`` once an answer is picked, ``stop_requested``."""

    run_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lesson: Lesson | None = None
        self.progress: LessonProgress | None = None
        self._title = _label()
        self._title.setObjectName("viewTitle")
        self._summary = _label()
        self._question = _label()
        self._choices = QVBoxLayout()
        self._group = QButtonGroup(self)
        self._group.idToggled.connect(self._on_choice)
        self.run_button = QPushButton("Run the experiment")
        self.run_button.setToolTip("Train the lesson's runs, one after the other, and watch")
        self.run_button.clicked.connect(self.run_requested)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the lesson: the run training now ends after its batch")
        self.stop_button.clicked.connect(self.stop_requested)
        self._hint = _label()
        self._runs = _label()
        self._note = _label()
        self._result = _label()
        self._explain = _label()
        self._separator = QFrame()
        self._separator.setFrameShape(QFrame.Shape.HLine)

        head = QHBoxLayout()
        head.addWidget(self._title, 1)
        head.addWidget(help_button("lessons", self), 0, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(head)
        layout.addWidget(self._summary)
        layout.addWidget(self._question)
        layout.addLayout(self._choices)
        layout.addLayout(buttons)
        layout.addWidget(self._hint)
        layout.addWidget(self._runs)
        layout.addWidget(self._note)
        layout.addWidget(self._separator)
        layout.addWidget(self._result)
        layout.addWidget(self._explain)
        layout.addStretch(1)
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(240)
        self.show_lesson(None)

    # -- public ---------------------------------------------------------------------
    def show_lesson(self, lesson: Lesson | None) -> None:
        """Ask ``lesson``'s question (None: nothing to show), with no answer picked."""
        self.lesson, self.progress = lesson, None
        for button in self._group.buttons():
            self._group.removeButton(button)
        while self._choices.count():
            self._choices.takeAt(0).widget().deleteLater()
        if lesson is None:
            self._title.setText("No lesson open")
            self._summary.setText("Help > Lessons lists them.")
            self._question.clear()
        else:
            self._title.setText(html.escape(lesson.title))
            self._summary.setText(f"<i>{html.escape(lesson.summary)}</i>")
            self._question.setText(f"<b>{_paragraphs(lesson.question)}</b>")
            for i, text in enumerate(lesson.choices):
                row = _Choice(text)
                self._group.addButton(row.button, i)
                self._choices.addWidget(row)
        self._runs.setText(self._runs_text(()))
        self._note.clear()
        self._result.clear()
        self._explain.clear()
        self._update()

    def choose(self, index: int) -> None:
        """Pick answer ``index`` (0-based), as clicking it does."""
        button = self._group.button(index)
        if button is not None and button.isEnabledTo(self):
            button.setChecked(True)

    def choice(self) -> int | None:
        """The answer picked (0-based), None before one is."""
        i = self._group.checkedId()
        return None if i < 0 else i

    def show_progress(self, progress: LessonProgress) -> None:
        """Follow the runs; once the last is done, say what happened and why."""
        self.progress = progress
        self._runs.setText(self._runs_text(progress.statuses))
        self._note.setText(html.escape(progress.note))
        lesson = self.lesson
        if progress.stage == "done" and lesson is not None:
            picked = self.choice()
            right = picked == lesson.answer
            verdict = (
                "<b>Your prediction was right.</b>"
                if right
                else "<b>Not what you predicted.</b> The answer: "
                f"“{html.escape(lesson.choices[lesson.answer])}”."
            )
            observed = fill(lesson.observe, progress.outcomes)
            self._result.setText(f"<b>What happened.</b> {_paragraphs(observed)}<br><br>{verdict}")
            self._explain.setText(f"<b>Why.</b> {_paragraphs(lesson.explain)}")
        elif progress.stage in ("stopped", "failed"):
            self._result.setText(html.escape(progress.message or "The lesson was stopped."))
            self._explain.clear()
        else:
            self._result.clear()
            self._explain.clear()
        self._update()

    @property
    def running(self) -> bool:
        return self.progress is not None and self.progress.stage == "running"

    def result_text(self) -> str:
        return self._result.text()

    def explanation_text(self) -> str:
        return self._explain.text()

    def note_text(self) -> str:
        return self._note.text()

    # -- internals ------------------------------------------------------------------
    def _on_choice(self, _id: int, _checked: bool) -> None:
        self._update()

    def _runs_text(self, statuses: tuple[str, ...]) -> str:
        lesson = self.lesson
        if lesson is None:
            return ""
        lines = []
        for i, e in enumerate(lesson.experiments):
            status = statuses[i] if i < len(statuses) else "not run yet"
            lines.append(
                f"<b>{html.escape(e.label)}</b>: {html.escape(status)}<br>"
                f"<small>{html.escape(describe(e))}</small>"
            )
        return "<b>The runs</b><br>" + "<br>".join(lines)

    def _update(self) -> None:
        lesson, running = self.lesson, self.running
        picked = self.choice() is not None
        for button in self._group.buttons():
            button.parentWidget().setEnabled(not running)  # the whole answer, text included
        self.run_button.setEnabled(lesson is not None and picked and not running)
        self.run_button.setText(
            "Run again" if self.progress is not None and not running else "Run the experiment"
        )
        self.stop_button.setEnabled(running)
        self._separator.setVisible(bool(self._result.text()))
        if lesson is None:
            self._hint.clear()
        elif not picked:
            self._hint.setText("Pick the answer you expect; then the experiment runs.")
        elif running:
            self._hint.setText("Training: every tab shows the run as it goes.")
        else:
            self._hint.clear()


def _paragraphs(text: str) -> str:
    """Plain text as HTML, its blank-line paragraphs kept."""
    return "<br><br>".join(html.escape(p.strip()) for p in text.split("\n\n"))
