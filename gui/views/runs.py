"""Runs side by side: a table of each run's settings and best validation accuracy, and
their curves, the current run in colour over the earlier ones faded.

The curves are a :class:`~gui.views.curves.CurvesView` (it keeps earlier runs faded
until cleared); the table is built from the events alone: a row per ``Started``,
filled in by every ``EpochReport`` (epochs, best accuracy and where it was
reached, the learning rate and batch size as they are now, live changes
included) and closed by ``Finished``. A run continued from a checkpoint starts a
new row that says from which epoch. The best trials of a sweep can be added too
(:meth:`CompareView.add_sweep_runs`): a row and faded curves each, from the
sweep's CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.training.events import EpochReport, Finished, Started
from gui.shared.bus import EventBus
from gui.views.curves import CurvesView, format_value

COLUMNS = (
    "Run",
    "Data",
    "Network",
    "Activation",
    "Optimiser",
    "Learn rate",
    "Batch",
    "Epochs",
    "Best val acc",
    "Ended",
)


@dataclass
class RunRecord:
    """What the table says about one run."""

    number: int
    dataset: str
    architecture: tuple[int, ...]
    activation: str
    optimizer: str
    learning_rate: float
    batch_size: int
    first_epoch: int = 0
    epochs: int = 0
    best_val_acc: float = float("nan")
    best_epoch: int = -1
    ended: str = "running"
    val_acc: list[float] = field(default_factory=list)
    #: Shown instead of the number and architecture (a sweep trial: its widths only).
    label: str = ""
    network: str = ""

    def cells(self) -> list[str]:
        best = (
            "—" if self.best_epoch < 0 else f"{self.best_val_acc:.2%} (epoch {self.best_epoch + 1})"
        )
        run = self.label or (
            f"{self.number}" + (f" (from epoch {self.first_epoch})" if self.first_epoch else "")
        )
        network = self.network or format_value(self.architecture)
        return [
            run,
            self.dataset,
            network,
            self.activation,
            self.optimizer,
            format_value(float(self.learning_rate)),
            str(self.batch_size),
            str(self.epochs),
            best,
            self.ended,
        ]


class CompareView(QWidget):
    """The runs of this session: their settings, best accuracy and curves."""

    def __init__(
        self, bus: EventBus, curves: CurvesView | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.curves = curves if curves is not None else CurvesView(bus)
        self._runs: list[RunRecord] = []
        self._current: int | None = None  # the row of the run the events are about
        self._count = 0

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(header.sizeHint().height() + 4 * rows + 6)
        self.table.setToolTip(
            "Every run of this session: its settings (learning rate and batch "
            "as they are now) and its best validation accuracy"
        )
        self.clear_button = QPushButton("Clear earlier runs")
        self.clear_button.setToolTip("Forget the earlier runs: their rows and faded curves")
        self.clear_button.clicked.connect(self.clear_earlier)
        self._summary = QLabel(
            "No runs yet: press Start. Each new run keeps the earlier "
            "ones here, faded, until cleared."
        )
        self._summary.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self._summary, 1)
        top.addWidget(self.clear_button)
        table_box = QWidget()
        box = QVBoxLayout(table_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(table_box)
        split.addWidget(self.curves)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        bus.started.connect(self._on_started)
        bus.epoch.connect(self._on_epoch)
        bus.finished.connect(self._on_finished)

    # -- public ---------------------------------------------------------------
    def runs(self) -> list[RunRecord]:
        """Every run in the table, oldest first."""
        return list(self._runs)

    def cell_text(self, row: int, column: str) -> str:
        return self.table.item(row, COLUMNS.index(column)).text()

    def set_ended(self, text: str) -> None:
        """Say how the latest run ended when no ``Finished`` will (an opened checkpoint)."""
        if self._current is not None:
            self._runs[self._current].ended = text
            self._refresh()

    def clear_earlier(self) -> None:
        """Keep only the current run, here and in the curves."""
        if self._current is not None:
            self._runs, self._current = [self._runs[self._current]], 0
        else:
            self._runs = []
        self.curves.clear_history()
        self._refresh()

    def add_sweep_runs(self, runs: list[dict]) -> None:
        """A row and faded curves for each sweep trial (``core.sweep.results.top_runs``);
        a trial already here (same key and seed) is not added twice."""
        for run in runs:
            label = f"sweep {run['key']} (seed {run['seed']})"
            if any(r.label == label for r in self._runs):
                continue
            c, history = run["config"], run["history"]
            best = max(range(len(history)), key=lambda i: history[i]["val_acc"], default=-1)
            hidden = c.get("hidden", ())
            self._runs.append(
                RunRecord(
                    0,
                    str(c.get("dataset", "?")),
                    tuple(hidden),
                    str(c.get("activation", "?")),
                    str(c.get("optimizer", "?")),
                    float(c.get("learning_rate", float("nan"))),
                    int(c.get("batch_size", 0)),
                    epochs=len(history),
                    best_val_acc=history[best]["val_acc"] if best >= 0 else float("nan"),
                    best_epoch=best,
                    ended=f"sweep: {run.get('status', '?')}",
                    val_acc=[h["val_acc"] for h in history],
                    label=label,
                    network="hidden " + (format_value(tuple(hidden)) if hidden else "none"),
                )
            )
            self.curves.add_faded_run(history)
        self._refresh()

    # -- events ---------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        c = ev.config
        self._count += 1
        self._current = len(self._runs)
        self._runs.append(
            RunRecord(
                self._count,
                ev.dataset,
                tuple(ev.architecture),
                str(c.get("activation", "?")),
                str(c.get("optimizer", "?")),
                float(c.get("learning_rate", float("nan"))),
                int(c.get("batch_size", 0)),
                first_epoch=int(ev.first_epoch),
                epochs=int(ev.first_epoch),
            )
        )
        self._refresh()

    def _on_epoch(self, ev: EpochReport) -> None:
        if self._current is None:
            return
        run = self._runs[self._current]
        run.epochs = ev.epoch + 1
        run.learning_rate, run.batch_size = ev.learning_rate, ev.batch_size
        run.architecture = tuple(ev.architecture)
        run.val_acc.append(ev.val_acc)
        if run.best_epoch < 0 or ev.val_acc > run.best_val_acc:
            run.best_val_acc, run.best_epoch = ev.val_acc, ev.epoch
        self._refresh_row(self._current)

    def _on_finished(self, ev: Finished) -> None:
        if self._current is not None:
            self._runs[self._current].ended = ev.reason
            self._refresh()

    # -- drawing ----------------------------------------------------------------
    def _refresh(self) -> None:
        self.table.setRowCount(len(self._runs))
        for row in range(len(self._runs)):
            self._refresh_row(row)
        n = len(self._runs)
        if n:
            self._summary.setText(
                f"{n} run(s) · the current one in colour, earlier ones faded in the curves"
            )

    def _refresh_row(self, row: int) -> None:
        best = max((r.best_val_acc for r in self._runs if r.best_epoch >= 0), default=None)
        run = self._runs[row]
        current = row == self._current
        for col, text in enumerate(run.cells()):
            item = self.table.item(row, col)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(row, col, item)
            item.setText(text)
            font = QFont(item.font())
            font.setBold(COLUMNS[col] == "Best val acc" and run.best_val_acc == best)
            font.setItalic(not current)
            item.setFont(font)
        if best is not None:  # another row may have just lost the lead
            for other in range(len(self._runs)):
                if other != row and self.table.item(other, COLUMNS.index("Best val acc")):
                    item = self.table.item(other, COLUMNS.index("Best val acc"))
                    font = QFont(item.font())
                    font.setBold(self._runs[other].best_val_acc == best)
                    item.setFont(font)
