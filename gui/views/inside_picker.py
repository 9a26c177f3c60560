"""Which digit goes through the network: a validation digit, a drawing, or a gallery mistake.

The browser walks the validation set (Previous and Next, a class filter, a number to
jump to). A drawing and a gallery mistake arrive from their tabs
(:meth:`DigitPicker.show_digit`); a drawing has no label, so the picker asks which
digit it is meant to be (the network's answer by default), since the backward pass
needs the right answer to measure the error against.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from core.training.events import frozen
from gui.shared import colormaps as cm
from gui.views.inside_work import Digit

THUMB = 84  # the digit's side on screen, in pixels


class DigitPicker(QWidget):
    """The digit traced and the ways to choose another; ``picked`` carries a :class:`Digit`."""

    picked = Signal(object)  # Digit
    drawing_requested = Signal()  # "Use the drawing": the window fetches it from the Draw tab

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._X: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        self._names: tuple[str, ...] = ()
        self._rows = np.zeros(0, np.int64)  # validation rows the class filter keeps
        self.digit: Digit | None = None

        self._thumb = QLabel()
        self._thumb.setFixedSize(QSize(THUMB, THUMB))
        self._thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._thumb.setFrameShape(QLabel.Shape.StyledPanel)
        self._source = QLabel("No digit yet")
        self._source.setWordWrap(True)
        self._source.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.class_filter = QComboBox()
        self.class_filter.setToolTip("Browse only the validation digits of one class")
        self.class_filter.currentIndexChanged.connect(self._on_filter)
        self.prev_button = QPushButton("◀")
        self.prev_button.setToolTip("The previous validation digit (of the class chosen)")
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button = QPushButton("▶")
        self.next_button.setToolTip("The next validation digit (of the class chosen)")
        self.next_button.clicked.connect(lambda: self._step(1))
        for b in (self.prev_button, self.next_button):
            b.setFixedWidth(34)
        self.number = QSpinBox()
        self.number.setToolTip("The validation digit's number")
        self.number.setKeyboardTracking(False)
        self.number.valueChanged.connect(self._on_number)
        self.drawing_button = QPushButton("Use the drawing")
        self.drawing_button.setToolTip(
            "Trace what you drew on the Draw tab (framed as the network sees it)"
        )
        self.drawing_button.clicked.connect(self.drawing_requested)
        self._label_note = QLabel("It is meant to be:")
        self.label_choice = QComboBox()
        self.label_choice.setToolTip(
            "A drawing has no label: choose the digit you meant, the error is measured against it"
        )
        self.label_choice.activated.connect(self._on_label)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self._thumb, 0, 0, 2, 1)
        grid.addWidget(self._source, 0, 1, 2, 3)
        grid.addWidget(QLabel("Validation digits:"), 2, 0, 1, 4)
        grid.addWidget(self.class_filter, 3, 0, 1, 4)
        grid.addWidget(self.prev_button, 4, 0)
        grid.addWidget(self.number, 4, 1, 1, 2)
        grid.addWidget(self.next_button, 4, 3)
        grid.addWidget(self.drawing_button, 5, 0, 1, 4)
        grid.addWidget(self._label_note, 6, 0, 1, 2)
        grid.addWidget(self.label_choice, 6, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        self._show_label_choice(False)
        self.set_dataset(None, None, (), ())

    # -- public ---------------------------------------------------------------------
    def set_dataset(
        self,
        X: np.ndarray | None,
        y: np.ndarray | None,
        image_shape: tuple[int, ...],
        class_names: tuple[str, ...],
    ) -> None:
        """The validation set to browse (None: there is none to browse)."""
        self._X, self._y = X, y
        self._shape, self._names = tuple(image_shape), tuple(class_names)
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem("every class")
        for name in self._names:
            self.class_filter.addItem(f"only {name}")
        self.class_filter.blockSignals(False)
        self.label_choice.clear()
        self.label_choice.addItems(list(self._names))
        have = X is not None and y is not None and len(y) > 0
        for w in (self.class_filter, self.prev_button, self.next_button, self.number):
            w.setEnabled(have)
        self._rows = np.arange(len(y)) if have else np.zeros(0, np.int64)
        self.number.blockSignals(True)
        self.number.setRange(0, max(len(y) - 1, 0) if have else 0)
        self.number.blockSignals(False)

    @property
    def has_dataset(self) -> bool:
        return self._X is not None and self._y is not None and len(self._y) > 0

    def show_validation(self, row: int) -> None:
        """Pick validation digit ``row``."""
        if not self.has_dataset:
            return
        row = int(np.clip(row, 0, len(self._y) - 1))
        self.number.blockSignals(True)
        self.number.setValue(row)
        self.number.blockSignals(False)
        x = frozen(self._X[row])
        label = int(self._y[row])
        self._pick(Digit(x=x, label=label, source=f"validation #{row}", index=row))

    def show_digit(
        self,
        image: np.ndarray,
        label: int,
        source: str,
        drawn: bool = False,
        index: int | None = None,
    ) -> None:
        """Pick a digit from elsewhere: a gallery mistake (validation row ``index``: the
        browser goes on from there), or a drawing (``drawn``: unlabelled)."""
        if index is not None and self.has_dataset and 0 <= index < len(self._y):
            self.number.blockSignals(True)
            self.number.setValue(index)
            self.number.blockSignals(False)
        x = frozen(np.asarray(image).reshape(-1))
        self._pick(Digit(x=x, label=int(label), source=source, index=index))
        self._show_label_choice(drawn)
        if drawn:
            self.label_choice.setCurrentIndex(int(label))

    def source_text(self) -> str:
        return self._source.text()

    # -- internals ------------------------------------------------------------------
    def _pick(self, digit: Digit) -> None:
        self.digit = digit
        self._show_label_choice(False)
        name = self._names[digit.label] if digit.label < len(self._names) else str(digit.label)
        self._source.setText(f"<b>{digit.source}</b><br>label {name}")
        shape = self._shape or (int(np.sqrt(digit.x.size)),) * 2
        if int(np.prod(shape)) == digit.x.size:
            image = np.asarray(digit.x, np.float32).reshape(shape)
            pixmap = QPixmap.fromImage(cm.to_qimage(image)).scaled(
                THUMB - 4, THUMB - 4, Qt.AspectRatioMode.KeepAspectRatio
            )
            self._thumb.setPixmap(pixmap)
        self.picked.emit(digit)

    def _show_label_choice(self, on: bool) -> None:
        self._label_note.setVisible(on)
        self.label_choice.setVisible(on)

    def _on_label(self, index: int) -> None:
        d = self.digit
        if d is not None and index >= 0 and index != d.label:
            self.show_digit(d.x, index, d.source, drawn=True)

    def _on_filter(self, index: int) -> None:
        if not self.has_dataset:
            return
        y = self._y
        self._rows = np.arange(len(y)) if index <= 0 else np.flatnonzero(y == index - 1)
        if self._rows.size:
            self.show_validation(int(self._rows[0]))

    def _on_number(self, row: int) -> None:
        self.show_validation(row)

    def _step(self, direction: int) -> None:
        """The next (``1``) or previous (``-1``) validation digit the filter keeps, wrapping."""
        if not self.has_dataset or not self._rows.size:
            return
        d = self.digit
        here = d.index if d is not None and d.index is not None else -direction
        rows = self._rows
        if direction > 0:
            later = rows[rows > here]
            row = int(later[0]) if later.size else int(rows[0])
        else:
            earlier = rows[rows < here]
            row = int(earlier[-1]) if earlier.size else int(rows[-1])
        self.show_validation(row)
