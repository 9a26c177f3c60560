"""The Runs tab's table: one row per run, what it started with and what it has now.

A row says a setting once when it did not change and "start → now" when it did
("0.1 → 0.01" after a live change, "64-32-10 → 64-96-10" after a resize); its
tooltip lists every setting at both ends; the current run's name and the best
accuracy are in bold, and a swatch of the run's colour leads the row.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from core import text
from gui.shared import style
from gui.shared.state import RunRecord, RunSettings

COLUMNS = (
    "Run",
    "Network",
    "Activation",
    "Optimiser",
    "Learn rate",
    "Batch",
    "Epochs",
    "Best val acc",
    "Ended",
)
SWATCH = 12


def span(start: str, end: str) -> str:
    """``"0.1 → 0.01"`` when a setting changed during the run, else the one value."""
    return start if start == end else f"{start} → {end}"


def settings_text(s: RunSettings) -> str:
    """One line: every setting of a run, for a tooltip."""
    return (
        f"{s.network} · {s.activation} · {s.optimizer} · lr {text.value(s.learning_rate, 3)} · "
        f"batch {s.batch_size} · schedule {s.schedule} · L2 {text.value(s.l2, 3)} · "
        f"dropout {text.value(s.dropout, 3)}"
    )


def row_cells(r: RunRecord) -> list[str]:
    """The table's cells for run ``r``."""
    best = r.best
    a, b = r.started, r.ended
    lr = span(text.value(a.learning_rate, 3), text.value(b.learning_rate, 3))
    return [
        r.name if r.branch is None else f"{r.name} · fork of {r.branch.parent_name}",
        span(a.network, b.network),
        a.activation,
        a.optimizer,
        lr,
        span(str(a.batch_size), str(b.batch_size)),
        str(r.epochs),
        "—" if best is None else f"{best.val_acc:.2%} (epoch {best.epoch + 1})",
        r.outcome,
    ]


class RunsTable(QTableWidget):
    """The runs shown, a row each; :meth:`fill` puts them in."""

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        rows = self.verticalHeader().defaultSectionSize()
        self.setMinimumHeight(header.sizeHint().height() + 3 * rows + 6)
        self.setToolTip(
            "Every run of this session on this dataset: what it started with → what it has "
            "now, and its best validation accuracy (hover a row for all its settings)"
        )

    def fill(self, shown: list[RunRecord], current: int | None) -> None:
        """One row per run of ``shown``; ``current`` is the current run's number."""
        self.setRowCount(len(shown))
        best = max((r.best.val_acc for r in shown if r.best is not None), default=None)
        for row, r in enumerate(shown):
            tip = f"{r.name}\nstarted: {settings_text(r.started)}\nnow: {settings_text(r.ended)}"
            if r.branch is not None:
                tip += f"\n{r.branch.label}"
            for col, value in enumerate(row_cells(r)):
                item = self.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(row, col, item)
                item.setText(value)
                item.setToolTip(tip)
                font = QFont(item.font())
                font.setBold(
                    (col == 0 and r.number == current and r.number > 0)
                    or (
                        COLUMNS[col] == "Best val acc"
                        and r.best is not None
                        and r.best.val_acc == best
                    )
                )
                item.setFont(font)
            pix = QPixmap(SWATCH, SWATCH)
            pix.fill(style.palette().run(r.colour))
            self.item(row, 0).setIcon(QIcon(pix))
