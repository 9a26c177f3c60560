"""Continue from here: the settings a fork of the run starts with, from a recorded moment.

Prefilled with the settings the run had at that moment (live changes included); what
the person changes is what the fork changes (:data:`core.training.fork.FORKABLE`:
learning rate, batch size, optimiser, hidden widths, L2, dropout, epochs). Left as
they are, the fork repeats the run from there. A value that does not fit is named
under the fields and the dialog stays open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.errors import BackpropError
from core.nn.optim import OPTIMIZERS
from core.training.config import Config
from core.training.fork import forked_config
from core.training.timeline import RecordedState
from gui.shared.state import moment_text

#: The fields the dialog offers, in order, with their labels.
FIELDS = (
    ("learning_rate", "Learning rate"),
    ("batch_size", "Batch size"),
    ("optimizer", "Optimiser"),
    ("hidden", "Hidden widths"),
    ("l2", "L2"),
    ("dropout", "Dropout"),
    ("epochs", "Epochs in all"),
)


class ForkDialog(QDialog):
    """The fork's settings; :meth:`changes` after ``exec()`` says what differs."""

    def __init__(self, state: RecordedState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        c, m = state.config, state.moment
        self.setWindowTitle("Continue from here")
        where = moment_text(m, c.epochs)
        intro = QLabel(
            f"A new run starts from the network at <b>{where}</b> (step {m.step:,}), with "
            "its optimiser state, as a branch of this one. Change what it should do "
            "differently from there; left as they are, it repeats this run."
        )
        intro.setWordWrap(True)
        self.edits: dict[str, Any] = {}
        # The exact values (str of a float reads back the same): no change unless typed.
        self.edits["learning_rate"] = QLineEdit(str(c.learning_rate))
        batch = QSpinBox()
        batch.setRange(1, 65536)
        batch.setValue(c.batch_size)
        self.edits["batch_size"] = batch
        optimizer = QComboBox()
        optimizer.addItems(list(OPTIMIZERS))
        optimizer.setCurrentText(c.optimizer)
        optimizer.setToolTip("Another optimiser starts with empty state (no velocity carries over)")
        self.edits["optimizer"] = optimizer
        hidden = QLineEdit(",".join(str(w) for w in c.hidden))
        hidden.setToolTip(
            "One width per hidden layer (the number of layers stays): widened, the network "
            "computes the same function at the fork"
        )
        self.edits["hidden"] = hidden
        self.edits["l2"] = QLineEdit(str(c.l2))
        self.edits["dropout"] = QLineEdit(str(c.dropout))
        epochs = QSpinBox()
        epochs.setRange(m.epoch + 1, 100_000)
        epochs.setValue(max(c.epochs, m.epoch + 1))
        epochs.setToolTip("Counts the epochs before the moment too")
        self.edits["epochs"] = epochs
        form = QFormLayout()
        for name, label in FIELDS:
            form.addRow(label, self.edits[name])
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("errorText")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continue")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._changes: dict[str, Any] = {}

    def set_value(self, name: str, value: Any) -> None:
        """Type ``value`` into field ``name`` (what a person does)."""
        edit = self.edits[name]
        if isinstance(edit, QSpinBox):
            edit.setValue(int(value))
        elif isinstance(edit, QComboBox):
            edit.setCurrentText(str(value))
        else:
            edit.setText(str(value))

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the moment's (checked by :meth:`accept`)."""
        return dict(self._changes)

    def _read(self) -> dict[str, Any]:
        typed: dict[str, str] = {}
        for name, _label in FIELDS:
            edit = self.edits[name]
            if isinstance(edit, QSpinBox):
                typed[name] = str(edit.value())
            elif isinstance(edit, QComboBox):
                typed[name] = edit.currentText()
            else:
                typed[name] = edit.text().strip()
        parsed = Config.from_strings(typed)
        old = self.state.config
        return {
            name: getattr(parsed, name)
            for name, _label in FIELDS
            if getattr(parsed, name) != getattr(old, name)
        }

    def accept(self) -> None:
        try:
            changes = self._read()
            forked_config(self.state, changes)
        except BackpropError as e:
            self.error.setText(str(e))
            return
        self._changes = changes
        super().accept()
