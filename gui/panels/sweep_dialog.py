"""A small sweep from the window: choose values and seeds, watch the results come in.

The dialog builds a :class:`~core.sweep.SweepSpec` from its fields and runs it in
a :class:`SweepWorker` on its own ``QThread``; the worker iterates the core's
streamed results (each already appended to the CSV) and sends them over as
signals, so the dialog's table, progress bar and plot update as trials finish
while the window stays responsive. A finished (or interrupted) sweep's CSV can be
loaded back later, and its best runs handed on, with their curves, to whoever
listens to :attr:`SweepDialog.compare_requested`.
"""

from __future__ import annotations

import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data.catalog import DATASETS
from core.errors import BackpropError
from core.sweep import Axis, Sweep, SweepSpec, default_jobs
from core.sweep.results import (
    LABELS,
    TrialResult,
    format_value,
    read_results,
    summarize,
    top_runs,
    varying,
)
from core.training.config import Config
from gui.shared.threads import worker_thread
from gui.views.sweep_plot import SweepPlot

#: The fields of the dialog: (setting, label, how its default is written from a Config).
FIELDS = (
    ("learning_rate", "Learning rates", lambda c: f"{c.learning_rate:g}"),
    ("hidden", "Hidden widths", lambda c: str(c.hidden[0] if c.hidden else 128)),
    ("depth", "Hidden layers", lambda c: str(c.depth)),
    ("batch_size", "Batch sizes", lambda c: str(c.batch_size)),
    ("optimizer", "Optimisers", lambda c: c.optimizer),
    ("dropout", "Dropout rates", lambda c: f"{c.dropout:g}"),
)
#: How long closing the dialog waits for the running trials to be abandoned.
CLOSE_WAIT_MS = 30000


class SweepWorker(QObject):
    """Runs a sweep in its thread; one signal per finished trial, then ``done``."""

    result = Signal(object)  # core.sweep.results.TrialResult
    failed = Signal(str, str)  # message for a person, details
    done = Signal()

    def __init__(self, sweep: Sweep, jobs: int, scheduler: str | None) -> None:
        super().__init__()
        self.sweep, self.jobs, self.scheduler = sweep, jobs, scheduler
        self._stop = threading.Event()

    def stop(self) -> None:
        """Stop after the trial that finishes next; trials not started are dropped."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        backend = "dask" if self.scheduler else "loky"
        results = self.sweep.run(jobs=self.jobs, backend=backend, scheduler=self.scheduler)
        try:
            for r in results:
                self.result.emit(r)
                if self._stop.is_set():
                    break
        except BackpropError as e:
            self.failed.emit(str(e), "")
        except Exception as e:
            self.failed.emit(f"the sweep failed: {type(e).__name__}: {e}", traceback.format_exc())
        finally:
            results.close()
            self.done.emit()


class SweepDialog(QDialog):
    """Start a sweep, follow it, or load one from its CSV; offer its best runs to compare."""

    #: The top runs (``core.sweep.top_runs`` dicts with settings and per-epoch history).
    compare_requested = Signal(list)

    def __init__(self, config: Config | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.resize(1100, 640)
        base = config or Config(dataset="digits", epochs=5)
        self.base = base
        self.csv_path: Path | None = None
        self.results: list[TrialResult] = []
        self.planned = 0
        self._thread: QThread | None = None
        self._worker: SweepWorker | None = None
        self._build(base)
        app = QCoreApplication.instance()
        if app is not None:  # quitting the application ends the sweep's thread first
            app.aboutToQuit.connect(self.wait)

    # -- layout ---------------------------------------------------------------------
    def _build(self, base: Config) -> None:
        form = QFormLayout()
        self.dataset = QComboBox()
        self.dataset.setEditable(True)
        self.dataset.addItems(list(DATASETS))
        self.dataset.setCurrentText(base.dataset)
        form.addRow("Dataset", self.dataset)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(base.epochs)
        form.addRow("Epochs per trial", self.epochs)
        self.values: dict[str, QLineEdit] = {}
        for name, label, default in FIELDS:
            edit = QLineEdit(default(base))
            edit.setToolTip("One value, or several separated by commas")
            self.values[name] = edit
            form.addRow(label, edit)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 50)
        self.seeds.setValue(2)
        form.addRow("Seeds per setting", self.seeds)
        self.jobs = QSpinBox()
        self.jobs.setRange(1, 256)
        self.jobs.setValue(default_jobs())
        form.addRow("Trials at a time", self.jobs)
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("empty: this machine; or tcp://host:8786 (Dask)")
        form.addRow("Dask scheduler", self.scheduler)
        path_row = QHBoxLayout()
        self.path = QLineEdit(str(Path.home() / "backprop-sweeps" / "sweep.csv"))
        browse = QPushButton("…")
        browse.setToolTip("Choose where the results CSV goes")
        browse.clicked.connect(self._choose_path)
        path_row.addWidget(self.path)
        path_row.addWidget(browse)
        form.addRow("Results CSV", path_row)

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.load_button = QPushButton("Load CSV…")
        self.load_button.clicked.connect(lambda: self.load_csv())
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(5)
        self.top_k.setPrefix("top ")
        self.compare_button = QPushButton("Compare curves")
        self.compare_button.setToolTip("Overlay the learning curves of the best runs")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.compare_top)
        buttons = QHBoxLayout()
        for w in (self.start_button, self.stop_button, self.load_button):
            buttons.addWidget(w)
        compare = QHBoxLayout()
        compare.addWidget(self.top_k)
        compare.addWidget(self.compare_button, 1)

        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m trials")
        self.status = QLabel("Choose values (comma-separated) and press Start.")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setWordWrap(True)
        self.error.hide()
        for edit in self.values.values():
            edit.textChanged.connect(self._show_plan)
        self.seeds.valueChanged.connect(self._show_plan)
        self._show_plan()

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.plot = SweepPlot()
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(self.table)
        results.addWidget(self.plot)
        results.setStretchFactor(1, 2)

        left = QWidget()
        column = QVBoxLayout(left)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.error)
        column.addStretch(1)
        column.addLayout(compare)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(results)
        split.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(split)

    # -- starting and stopping ----------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None

    def spec(self) -> SweepSpec:
        """The sweep the fields describe (raises ConfigError naming a bad field)."""
        base = self.base.replace(
            dataset=self.dataset.currentText().strip(), epochs=self.epochs.value()
        )
        axes = tuple(Axis.parse(name, edit.text()) for name, edit in self.values.items())
        return SweepSpec(base, axes, seeds=tuple(range(self.seeds.value())))

    def _show_plan(self) -> None:
        """Before a start: how many trials the fields make, on the counter and in words."""
        if self.running:
            return
        try:
            spec = self.spec()
            n = len(spec.expand())
        except BackpropError as e:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("no trials yet")
            self.status.setText(f"Not a sweep yet: {e}")
            return
        self.planned = n
        self.progress.setRange(0, max(n, 1))
        self.progress.setValue(0)
        self.progress.setFormat(f"{n} trial(s) planned")
        settings = n // len(spec.seeds)
        self.status.setText(
            f"{settings} setting(s) × {len(spec.seeds)} seed(s) = {n} trial(s). Press Start."
        )

    def start(self) -> None:
        if self.running:
            return
        try:
            sweep = Sweep(self.spec(), self.path.text().strip())
        except BackpropError as e:
            self._show_error(str(e))
            return
        self._show_error("")
        self.csv_path = sweep.file.path
        self.results = list(sweep.done)
        self.planned = len(sweep.planned)
        self.progress.setRange(0, self.planned)
        self.progress.setFormat("%v / %m trials")
        self.progress.setValue(len(self.results))
        skipped = len(self.results)
        self.status.setText(
            f"{self.planned} trial(s); {skipped} already in {self.csv_path.name}, "
            f"running {len(sweep.todo)}…"
            if skipped
            else f"Running {self.planned} trial(s)…"
        )
        self._refresh()
        scheduler = self.scheduler.text().strip() or None
        worker = SweepWorker(sweep, self.jobs.value(), scheduler)
        thread = worker_thread(worker, "sweep", self._on_finished)
        worker.result.connect(self._on_result)
        worker.failed.connect(self._on_failed)
        worker.done.connect(thread.quit)
        self._thread, self._worker = thread, worker
        self._set_running(True)
        thread.start()

    def stop(self) -> None:
        """Finish with the next trial to end; the CSV keeps every finished trial."""
        if self._worker is not None:
            self._worker.stop()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after the next trial ends…")

    def wait(self, msecs: int = CLOSE_WAIT_MS) -> bool:
        """Stop and wait for the sweep's thread to end (for closing and tests)."""
        if self._thread is None:
            return True
        self.stop()
        ended = self._thread.wait(msecs)
        if ended:
            self._on_finished()
        return ended

    def done(self, code: int) -> None:  # closing the dialog in any way ends the sweep
        if not self.wait():
            return
        super().done(code)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.load_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    @Slot(object)
    def _on_result(self, result: TrialResult) -> None:
        self.results.append(result)
        self.progress.setValue(min(len(self.results), self.planned))
        note = "" if result.status == "completed" else f" ({result.status})"
        self.status.setText(
            f"{len(self.results)} of {self.planned} trial(s) done; last: seed {result.seed}, "
            f"val acc {result.val_acc:.4f}{note}"
        )
        self._refresh()

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._show_error(message)
        if details:
            self.error.setToolTip(details)

    @Slot()
    def _on_finished(self) -> None:
        if self._thread is None:
            return
        self._thread, self._worker = None, None  # both are deleted once the thread ends
        self._set_running(False)
        finished = len(self.results)
        self.status.setText(
            f"Done: {finished} of {self.planned} trial(s) in {self.csv_path}."
            if finished >= self.planned
            else f"Stopped: {finished} of {self.planned} trial(s) in {self.csv_path}; "
            "Start again with the same CSV to resume."
        )

    # -- loading and showing -------------------------------------------------------------
    def load_csv(self, path: str | Path | None = None) -> bool:
        """Show the results of a sweep's CSV (asks for the file when ``path`` is None)."""
        if self.running:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Load sweep results", self.path.text(), "Sweep results (*.csv)"
            )
            if not path:
                return False
        try:
            results = read_results(path)
        except BackpropError as e:
            self._show_error(str(e))
            return False
        self._show_error("")
        self.csv_path = Path(path)
        self.path.setText(str(path))
        self.results = results
        self.planned = len(results)
        self.progress.setRange(0, max(self.planned, 1))
        self.progress.setFormat("%v / %m trials")
        self.progress.setValue(self.planned)
        self.status.setText(f"{len(results)} trial(s) from {self.csv_path}.")
        self._refresh()
        return True

    def compare_top(self) -> None:
        """Hand the best runs of the current CSV, with their curves, to the comparison view."""
        if self.csv_path is None:
            return
        try:
            runs = top_runs(self.csv_path, self.top_k.value())
        except BackpropError as e:
            self._show_error(str(e))
            return
        self.compare_requested.emit(runs)

    def _refresh(self) -> None:
        groups = summarize(self.results)
        names = varying(groups) or ["learning_rate"]
        spread = any(len(g.seeds) > 1 for g in groups)  # a ± worth a column
        heads = [LABELS.get(n, n) for n in names] + [
            "seeds",
            "val acc",
            *(["± std"] if spread else []),
            "best val",
            "val loss",
            "test acc",
            "s/trial",
        ]
        self.table.setSortingEnabled(False)
        self.table.clear()
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(groups))
        for row, g in enumerate(groups):
            cells = [format_value(g.setting.get(n)) for n in names] + [
                f"{len(g.seeds)}" + (f" ({g.failed} failed)" if g.failed else ""),
                f"{g.val_acc:.4f}",
                *([f"± {g.val_acc_std:.4f}" if len(g.seeds) > 1 else ""] if spread else []),
                f"{g.best_val_acc:.4f}",
                f"{g.val_loss:.4f}",
                f"{g.test_acc:.4f}",
                f"{g.seconds:.2f}",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.plot.show_groups(groups)
        self.compare_button.setEnabled(self.csv_path is not None and bool(self.results))

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Sweep results", self.path.text(), "Sweep results (*.csv)"
        )
        if path:
            self.path.setText(path)
