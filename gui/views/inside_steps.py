"""Walking through a trace one equation at a time: Previous, Next, Play.

The steps come in the order the computation runs (``Trace.steps()``): forward from
the input to the loss, then backward from the output's error to the input's
gradient. The list on the left names them all; the current one shows its equation,
a sentence on what it means with this digit's numbers, and its operands and result
as pictures whose cells read out their values under the mouse. Play moves on by
itself every :data:`PLAY_MS`, and stops at the last step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.training.trace import Step, Trace
from gui.shared import style
from gui.views.inside_panel import ArrayPanel, PictureDialog
from gui.views.inside_pictures import StepPictures
from gui.views.inside_text import explain

#: Time between two steps while playing.
PLAY_MS = 2500
#: Panels side by side: up to three operands, the result and one more view of it.
PANELS = 5
HOVER_HINT = "Hover over a cell for its value."


class StepWalker(QWidget):
    """The steps of one trace, one at a time; ``step_changed`` carries the index shown.

    ``steps_list`` (every equation, the current one selected) is the owner's to place.
    """

    step_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pictures: tuple[StepPictures, ...] = ()
        self._trace: Trace | None = None
        self._names: tuple[str, ...] = ()
        self._index = 0

        self.steps_list = QListWidget()
        self.steps_list.setObjectName("insideSteps")
        self.steps_list.setMinimumWidth(170)
        self.steps_list.setMaximumWidth(230)
        self.steps_list.currentRowChanged.connect(self._on_row)

        self._where = QLabel()
        self._where.setObjectName("readout")
        self._equation = QLabel()
        self._equation.setObjectName("cardValue")
        self._equation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._explain = QLabel()
        self._explain.setWordWrap(True)
        self._explain.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._explain.setMinimumHeight(3 * self._explain.fontMetrics().lineSpacing())
        self._explain.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.panels = [ArrayPanel() for _ in range(PANELS)]
        self._arrow = QLabel("→")
        self._arrow.setObjectName("cardValue")
        self._board = QWidget()
        self._board.installEventFilter(self)
        self._grid = QGridLayout(self._board)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(style.SPACE_M)
        self._arranged: tuple = ()
        for panel in self.panels:
            panel.hovered.connect(self._on_hover)
            panel.clicked.connect(lambda panel=panel: self._enlarge(panel))
            panel.setToolTip("Hover a cell for its value; click to see the picture large")
            panel.setVisible(False)
        self._arrow.setVisible(False)
        self._dialog: PictureDialog | None = None
        self._hover = QLabel(HOVER_HINT)
        self._hover.setObjectName("readout")
        self._hover.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.prev_button = QPushButton("◀ Previous")
        self.prev_button.setToolTip("The step before (Left arrow)")
        self.prev_button.clicked.connect(self.previous)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Walk through the steps by themselves, one every few seconds")
        self.play_button.toggled.connect(self.play)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("The next step (Right arrow)")
        self.next_button.clicked.connect(self.next)
        nav = QHBoxLayout()
        nav.addWidget(self._hover, 1)
        for b in (self.prev_button, self.play_button, self.next_button):
            nav.addWidget(b)

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self._where)
        right.addWidget(self._equation)
        right.addWidget(self._explain)
        right.addWidget(self._board, 1)
        right.addLayout(nav)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(right, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_MS)
        self._timer.timeout.connect(self._on_tick)
        self._show()

    # -- public ---------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    @property
    def count(self) -> int:
        return len(self._pictures)

    def current(self) -> StepPictures | None:
        """The step shown and its pictures (None before a trace)."""
        return self._pictures[self._index] if self._pictures else None

    def current_step(self) -> Step | None:
        shown = self.current()
        return None if shown is None else shown.step

    def equation_text(self) -> str:
        return self._equation.text()

    def explanation_text(self) -> str:
        return self._explain.text()

    def set_steps(
        self, pictures: tuple[StepPictures, ...], t: Trace, names: tuple[str, ...]
    ) -> None:
        """Show the steps of a new trace, staying on the same step when there is one."""
        same = [p.step.equation for p in pictures] == [p.step.equation for p in self._pictures]
        self._pictures, self._trace, self._names = pictures, t, names
        if not same:
            self.steps_list.blockSignals(True)
            self.steps_list.clear()
            for p in pictures:
                item = QListWidgetItem(p.step.equation)
                item.setToolTip(f"{p.step.phase}, layer {p.step.layer}")
                self.steps_list.addItem(item)
            self.steps_list.blockSignals(False)
        self._index = min(self._index, max(len(pictures) - 1, 0))
        self._show()

    def clear(self, message: str = "") -> None:
        self.play(False)
        self._pictures, self._trace = (), None
        self.steps_list.clear()
        self._index = 0
        self._show(message)

    def go(self, index: int) -> None:
        """Show step ``index`` (clamped to the steps there are)."""
        if not self._pictures:
            return
        index = max(0, min(index, len(self._pictures) - 1))
        if index != self._index:
            self._index = index
            self._show()
            self.step_changed.emit(index)

    def next(self) -> None:
        self.go(self._index + 1)

    def previous(self) -> None:
        self.go(self._index - 1)

    def play(self, on: bool) -> None:
        """Start (from the beginning, when at the end) or stop walking by itself."""
        if on and self._pictures and self._index >= len(self._pictures) - 1:
            self.go(0)
        on = on and bool(self._pictures)
        if self.play_button.isChecked() != on:
            self.play_button.setChecked(on)  # comes back here through toggled
            return
        self.play_button.setText("Pause" if on else "Play")
        if on:
            self._timer.start()
        else:
            self._timer.stop()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    # -- internals ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._board and event.type() == QEvent.Type.Resize:
            self._arrange()
        return False

    def _arrange(self) -> None:
        """Lay the step's pictures out in the columns that make each as large as it can be.

        In one row the operands come first, then an arrow, then the result; where the
        room is taller than wide, two rows of larger pictures beat one row of small ones.
        """
        shown = [p for p in self.panels if p.picture is not None]
        n = len(shown)
        w, h = max(self._board.width(), 1), max(self._board.height(), 1)
        cols = max(range(1, n + 1), key=lambda c: min(w / c, h / math.ceil(n / c) - 40), default=1)
        result = self.panels[PANELS - 2]
        single = cols == n and result in shown and shown.index(result) > 0
        items: list[QWidget] = list(shown)
        if single:
            items.insert(shown.index(result), self._arrow)
        key = (tuple(id(i) for i in items), cols)
        if key == self._arranged:
            return
        self._arranged = key
        while self._grid.count():
            self._grid.takeAt(0)
        width = len(items) if single else cols
        for i, item in enumerate(items):
            self._grid.addWidget(item, i // width, i % width)
        for c in range(PANELS + 1):
            arrow = single and items[c : c + 1] == [self._arrow]
            self._grid.setColumnStretch(c, 1 if c < width and not arrow else 0)
        self._arrow.setVisible(single)

    def _enlarge(self, panel: ArrayPanel) -> None:
        shown = self.current()
        if panel.picture is None or shown is None:
            return
        if self._dialog is None:
            self._dialog = PictureDialog(self)
        self._dialog.show_picture(panel.picture, shown.step.equation)

    def _on_tick(self) -> None:
        if self._index >= len(self._pictures) - 1:
            self.play(False)
        else:
            self.next()

    def _on_row(self, row: int) -> None:
        if row >= 0:
            self.go(row)

    def _on_hover(self, text: str) -> None:
        self._hover.setText(text or HOVER_HINT)

    def _show(self, message: str = "") -> None:
        shown = self.current()
        self.prev_button.setEnabled(shown is not None and self._index > 0)
        self.next_button.setEnabled(shown is not None and self._index < len(self._pictures) - 1)
        self.play_button.setEnabled(shown is not None)
        if shown is None or self._trace is None:
            self._where.setText("")
            self._equation.setText("")
            self._explain.setText(message)
            for panel in self.panels:
                panel.show_picture(None)
            self._arrange()
            return
        step = shown.step
        phase = "Forward" if step.phase == "forward" else "Backward"
        self._where.setText(
            f"{phase} · layer {step.layer} · step {self._index + 1} of {len(self._pictures)}"
        )
        self._equation.setText(step.equation)
        self._explain.setText(explain(step, self._trace, self._names))
        operands = list(shown.operands)[: PANELS - 2]
        slots = operands + [None] * (PANELS - 2 - len(operands)) + [shown.result, shown.extra]
        for panel, picture in zip(self.panels, slots, strict=True):
            panel.show_picture(picture)
        self._arrange()
        self._hover.setText(HOVER_HINT)
        if self.steps_list.currentRow() != self._index:
            self.steps_list.blockSignals(True)
            self.steps_list.setCurrentRow(self._index)
            self.steps_list.blockSignals(False)
