"""Help > Lessons: every lesson in resources/lessons, and a way to open one from a file.

Each shipped file is read on its own, so a broken one is listed with what is wrong
with it (and cannot be chosen) while the others stay usable. "Open lesson file…"
reads any lesson file; one that is not a lesson gets a message naming the problem.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.lessons import LESSONS_DIR, Lesson, LessonError, load_lesson
from gui.shared.header import help_button


def lesson_files(folder: Path = LESSONS_DIR) -> list[tuple[Path, Lesson | LessonError]]:
    """Every ``*.toml`` of ``folder`` in name order, each read or the reason it cannot be."""
    out: list[tuple[Path, Lesson | LessonError]] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            out.append((path, load_lesson(path)))
        except LessonError as e:
            out.append((path, e))
    return out


class LessonsDialog(QDialog):
    """The list of lessons; ``chosen`` carries the :class:`~core.lessons.Lesson` picked."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None, folder: Path = LESSONS_DIR) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lessons")
        self.resize(620, 520)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemDoubleClicked.connect(lambda _item: self._start())
        self.list.currentRowChanged.connect(lambda _row: self._update())
        for path, lesson in lesson_files(folder):
            if isinstance(lesson, Lesson):
                item = QListWidgetItem(f"{lesson.title}\n{lesson.summary}")
                item.setData(Qt.ItemDataRole.UserRole, lesson)
                item.setToolTip(lesson.question)
            else:
                item = QListWidgetItem(f"{path.name}: cannot be used\n{lesson}")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)

        intro = QLabel(
            "Each lesson asks what you expect to happen, then runs the experiment in the "
            "window and shows what did happen, and why. Lessons are small text files: "
            f"<a href='{html.escape(folder.as_uri())}'>the folder</a> also has a README on "
            "writing your own."
        )
        intro.setWordWrap(True)
        intro.setOpenExternalLinks(True)
        head = QHBoxLayout()
        head.addWidget(intro, 1)
        head.addWidget(help_button("lessons", self), 0, Qt.AlignmentFlag.AlignTop)

        self.open_button = QPushButton("Open lesson file…")
        self.open_button.setToolTip("Take a lesson from a file (a teacher's own, say)")
        self.open_button.clicked.connect(self._open_file)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton(
            "Start lesson", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self._start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.list.setCurrentRow(0)
        self._update()

    def lessons(self) -> list[Lesson]:
        """The lessons listed that can be taken."""
        role = Qt.ItemDataRole.UserRole
        items = (self.list.item(i) for i in range(self.list.count()))
        return [it.data(role) for it in items if it.data(role) is not None]

    def open_file(self, path: str | Path) -> bool:
        """Take the lesson in ``path``; a file that is not one gets a message. True if taken."""
        try:
            lesson = load_lesson(path)
        except LessonError as e:
            QMessageBox.warning(self, "Not a lesson", str(e))
            return False
        self.chosen.emit(lesson)
        self.accept()
        return True

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open lesson file", str(LESSONS_DIR), "Lessons (*.toml);;All files (*)"
        )
        if path:
            self.open_file(path)

    def _start(self) -> None:
        item = self.list.currentItem()
        lesson = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if lesson is not None:
            self.chosen.emit(lesson)
            self.accept()

    def _update(self) -> None:
        item = self.list.currentItem()
        self.start_button.setEnabled(
            item is not None and item.data(Qt.ItemDataRole.UserRole) is not None
        )
