"""The studio window: controls on the left, the network learning on the right.

Layout: the control panel (with the run's progress) in a dock on the left; a
message banner across the top; curves and W1 side by side above, the confusion
matrix and the gallery of mistakes below, in splitters a person can drag.

The window owns the runs. A :class:`~gui.worker.TrainingRun` per Start drives
the core's Trainer in its own thread; the views only subscribe to the
:class:`~gui.shared.bus.EventBus`. At launch the default dataset is loaded ahead of
Start (in a thread too): MNIST when it is on disk, else the bundled 8x8 digits,
with a banner that says so and offers the download.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.errors import BackpropError
from core.training.config import Config
from core.training.events import Diverged, EpochReport, Finished, Paused, Started
from core.training.presets import default_config
from gui.actions import window_action
from gui.panels.banner import Banner
from gui.panels.controls import ControlPanel
from gui.panels.status import ProgressBox, StatusLine
from gui.shared.bus import EventBus
from gui.tools import Tools
from gui.views.confusion import ConfusionView
from gui.views.curves import CurvesView
from gui.views.gallery import GalleryView
from gui.views.weights import WeightsView
from gui.worker import TrainingRun, dataset_key

#: How long closing the window waits for the training thread before hiding instead.
CLOSE_WAIT_MS = 3000
#: Environment variable that answers the "save the run?" question on close
#: ("save", "discard" or "cancel"); unattended sessions set it, people get a dialog.
ON_CLOSE_ENV = "BACKPROP_ON_UNSAVED_CLOSE"

SHORTCUTS = (
    ("Space", "Start, pause or resume"),
    ("S", "Step: train one more epoch, then pause"),
    ("R", "Reset: end the run and apply every setting"),
    ("Ctrl+S", "Save a checkpoint of the run"),
    ("Ctrl+O", "Open a checkpoint: look at it, Start goes on training it"),
    ("Ctrl+E", "Export the history, the confusion matrix, the gallery or a plot"),
    ("Ctrl+1 … Ctrl+4", "Show the Training, Draw, Health or Runs tab"),
    ("Delete", "Clear the drawing (Draw tab)"),
    ("Ctrl+Shift+T", "Switch between light and dark"),
    ("Ctrl+Q", "Quit"),
)


def places_tried(message: str) -> str:
    """The places a "not available" message lists, on one line (else its first line)."""
    places = [
        line.strip()[2:]
        for line in message.splitlines()
        if line.strip().startswith("- ") and "turned off" not in line
    ]
    return "; ".join(places) if places else message.splitlines()[0] if message else "?"


class MainWindow(QMainWindow):
    """Backprop Studio's main window.

    ``config`` fills the controls (the default trains on MNIST); ``preload``
    starts loading that dataset right away so Start can begin at once.
    ``on_unsaved_close`` answers the close question without a dialog when set to
    "save", "discard" or "cancel" ("ask" shows the dialog). ``settings`` is where
    the window's layout and the last run's settings are kept (none: nothing is
    kept); with ``config`` None the stored run settings fill the controls.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        preload: bool = True,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Backprop Studio")
        self.setObjectName("mainWindow")
        self.bus = EventBus(self)
        self.run: TrainingRun | None = None
        self._loader: TrainingRun | None = None
        self._retiring: list[TrainingRun] = []
        self._dataset: Any = None
        self._dataset_key: tuple | None = None
        self._after_load: str | None = None
        self._views_hold_run = False
        self._saved = True
        self._closing = False
        self.on_unsaved_close = os.environ.get(ON_CLOSE_ENV, "ask")
        self.checkpoint_dir = Path.home()
        self._build(config or default_config())
        self._build_actions()
        self._connect_bus()
        self.resize(1400, 900)
        self.tools = Tools(self, settings, restore_config=config is None)
        if preload:
            QTimer.singleShot(0, self._preload)

    # -- construction ---------------------------------------------------------
    def _build(self, config: Config) -> None:
        bus = self.bus
        self.controls = ControlPanel(config)
        self.progress = ProgressBox(bus)
        self.controls.add_run_widget(self.progress)
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.controls.sizeHint().width() + 24)
        self.controls_dock = QDockWidget("Controls", self)
        self.controls_dock.setObjectName("controlsDock")
        self.controls_dock.setWidget(scroll)
        self.controls_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.controls_dock)

        self.curves = CurvesView(bus)
        self.weights = WeightsView(bus)
        self.confusion = ConfusionView(bus)
        self.gallery = GalleryView(bus)
        self.confusion.cellClicked.connect(self.gallery.set_filter)

        self.top_split = QSplitter(Qt.Orientation.Horizontal)
        self.top_split.addWidget(self.curves)
        self.top_split.addWidget(self.weights)
        self.top_split.setStretchFactor(0, 3)
        self.top_split.setStretchFactor(1, 2)
        self.bottom_split = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_split.addWidget(self.confusion)
        self.bottom_split.addWidget(self.gallery)
        self.bottom_split.setStretchFactor(0, 2)
        self.bottom_split.setStretchFactor(1, 3)
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(self.top_split)
        self.main_split.addWidget(self.bottom_split)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)
        for s, name in (
            (self.top_split, "topSplit"),
            (self.bottom_split, "bottomSplit"),
            (self.main_split, "mainSplit"),
        ):
            s.setObjectName(name)
            s.setChildrenCollapsible(False)

        self.banner = Banner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)
        self.status = StatusLine(self.statusBar(), bus)
        self.status.message("Ready")

        c = self.controls
        c.start_clicked.connect(self.start)
        c.pause_clicked.connect(self.toggle_pause)
        c.step_clicked.connect(self.step)
        c.stop_clicked.connect(self.stop)
        c.reset_clicked.connect(self.reset)
        c.live_changed.connect(self._on_live_changed)

    def _build_actions(self) -> None:
        def action(text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
            return window_action(self, text, slot, shortcut, tip)

        file_menu = self.menuBar().addMenu("&File")
        self.save_action = action(
            "&Save checkpoint…",
            lambda: self.save_checkpoint(),
            "Ctrl+S",
            "Save the network, optimiser and history (.npz)",
        )
        file_menu.addAction(self.save_action)
        file_menu.addSeparator()
        file_menu.addAction(action("&Quit", self.close, "Ctrl+Q", "Close the window"))

        run_menu = self.menuBar().addMenu("&Run")
        self.start_pause_action = action(
            "Start / &Pause", self.toggle_run, "Space", "Start a run, or pause and resume it"
        )
        self.step_action = action(
            "S&tep one epoch", self.step, "S", "Train one more epoch, then pause"
        )
        self.stop_action = action("St&op", self.stop, None, "End the run after this batch")
        self.reset_action = action(
            "&Reset", self.reset, "R", "End the run, forget its network and apply every setting"
        )
        for a in (self.start_pause_action, self.step_action, self.stop_action, self.reset_action):
            run_menu.addAction(a)
        run_menu.addSeparator()
        run_menu.addAction(
            action(
                "S&weep…", self.open_sweep, None, "Train many settings in parallel and compare them"
            )
        )

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.controls_dock.toggleViewAction())
        view_menu.addAction(
            action(
                "Clear &earlier runs",
                self.curves.clear_history,
                None,
                "Remove the faded curves of earlier runs",
            )
        )

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(action("&Keyboard shortcuts", self._show_shortcuts))
        help_menu.addAction(action("&About Backprop Studio", self._show_about))

    def _connect_bus(self) -> None:
        bus = self.bus
        bus.started.connect(self._on_started)
        bus.epoch.connect(self._on_epoch)
        bus.paused.connect(self._on_paused)
        bus.resumed.connect(lambda _ev: self._set_state("running"))
        bus.diverged.connect(self._on_diverged)
        bus.finished.connect(self._on_finished)
        bus.error.connect(lambda text: self.banner.show_message(text, "error"))

    # -- settings -------------------------------------------------------------
    def config(self) -> Config:
        """The settings of the next run, as the controls show them."""
        return self.controls.config()

    def set_config(self, config: Config) -> None:
        self.controls.set_config(config)

    # -- commands -------------------------------------------------------------
    @property
    def training(self) -> bool:
        """A run's thread is alive (loading, training or paused)."""
        return self.run is not None and self.run.is_running

    def toggle_run(self) -> None:
        """Space: start when idle, pause when running, resume when paused."""
        state = self.controls.state
        if state == "idle":
            self.start()
        elif state in ("running", "paused"):
            self.toggle_pause()

    def start(self, *, step: bool = False) -> None:
        """Start a new run with the controls' settings (or resume a paused one)."""
        if self.training:
            if self.controls.state == "paused":
                self.run.control.resume()
            return
        if self._loader is not None and self._loader.is_running:
            self._after_load = "step" if step else "start"
            self.status.message("Loading the dataset; training starts when it is ready")
            return
        try:
            config = self.controls.config()
        except BackpropError as e:
            self.banner.show_message(str(e), "error")
            return
        key = dataset_key(config)
        resume = self.tools.take_resume(key)  # an opened checkpoint goes on training
        opened = resume.pop("dataset", None)
        dataset = self._dataset if key == self._dataset_key else opened
        if self._views_hold_run and not resume:
            self.bus.run_reset.emit()
        self._views_hold_run = True
        self._saved = True
        run = TrainingRun(self.bus, config, self, dataset=dataset, download=True, **resume)
        if step:
            run.control.step_epoch()
        self._watch(run)
        self.run = run
        self._set_state("loading" if dataset is None else "running")
        self.status.message(f"Starting: {config.dataset}, hidden {config.hidden}")
        run.start()

    def toggle_pause(self) -> None:
        if not self.training:
            return
        if self.controls.state == "paused":
            self.run.control.resume()
        else:
            self.run.control.pause()
            self.status.message("Pausing at the next batch…")

    def step(self) -> None:
        """Train exactly one more epoch, then pause (starts a run when idle)."""
        if self.training:
            self.run.control.step_epoch()
            self.status.message("Training one more epoch…")
        elif self.controls.state == "idle":
            self.start(step=True)

    def stop(self) -> None:
        """End the run at the next batch boundary (its network stays, for saving)."""
        if self._loader is not None and self._loader.is_running:
            self._after_load = None
        if self.training:
            self.run.control.stop()
            self._set_state("stopping")
            self.status.message("Stopping after this batch…")

    def reset(self) -> None:
        """End the run, forget its network, clear the views and apply every setting."""
        run, self.run = self.run, None
        if run is not None:
            run.mute()
            if run.is_running:
                run.stop()
                self._retiring.append(run)
        self.bus.run_reset.emit()
        self._views_hold_run = False
        self._saved = True
        self.banner.dismiss()
        if not self._retiring:
            self._set_state("idle")
        self.status.message("Reset: the next Start trains a new network", 5000)

    def download_mnist(self) -> None:
        """Fetch MNIST (with progress), then select it."""
        self._load_ahead(
            self.config().replace(dataset="mnist", data_path=None), download=True, select=True
        )

    def use_digits(self) -> None:
        """Switch to the bundled 8x8 digits and start training on them."""
        self.controls.set_dataset("digits")
        self.start()

    # -- checkpoints ------------------------------------------------------------
    def has_unsaved_run(self) -> bool:
        """A run has trained at least one epoch since it was last saved."""
        return self.run is not None and self.run.epochs_seen > 0 and not self._saved

    def save_checkpoint(self, path: str | os.PathLike | None = None) -> bool:
        """Save the current run (asks for a file when ``path`` is None); True when saved."""
        run = self.run
        if run is None or run.epochs_seen == 0:
            self.banner.show_message("Nothing to save yet: train at least one epoch.", "info")
            return False
        if path is None:
            suggested = self.checkpoint_dir / f"{run.config.dataset}-epoch{run.epochs_seen}.npz"
            path, _ = QFileDialog.getSaveFileName(
                self, "Save checkpoint", str(suggested), "Checkpoints (*.npz)"
            )
            if not path:
                return False
        from core.training import checkpoint

        try:
            saved = run.submit(lambda trainer: checkpoint.save(path, trainer))
        except (BackpropError, OSError, TimeoutError) as e:
            self.banner.show_message(f"Could not save the checkpoint: {e}", "error")
            return False
        self._saved = True
        self.checkpoint_dir = Path(saved).parent
        self.status.message(f"Saved {saved}", 8000)
        return True

    # -- closing --------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            if self.has_unsaved_run():
                answer = self._ask_unsaved()
                if answer == "cancel" or (answer == "save" and not self.save_checkpoint()):
                    event.ignore()
                    return
            self._closing = True
        if self._shut_down():
            event.accept()
            return
        # A thread is still finishing a batch: hide now and close when it has ended.
        self.hide()
        event.ignore()

    def _ask_unsaved(self) -> str:
        answer = self.on_unsaved_close
        if answer in ("save", "discard", "cancel"):
            return answer
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Save the run?")
        box.setText(f"This run has trained {self.run.epochs_seen} epoch(s) and is not saved.")
        box.setInformativeText("Save a checkpoint before closing?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        choice = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(choice), "cancel")

    def _shut_down(self) -> bool:
        """Stop every thread; True when all have finished within the wait."""
        done = True
        for run in [self.run, self._loader, *self._retiring]:
            if run is None:
                continue
            run.mute()
            if not run.stop(wait_ms=CLOSE_WAIT_MS):
                done = False
                run.ended.connect(lambda _t: self.close())
        return self.tools.shut_down(CLOSE_WAIT_MS) and done

    # -- loading ahead of Start -------------------------------------------------
    def _preload(self) -> None:
        if self._closing:
            return  # closed before the event loop got here: no thread may start now
        try:
            config = self.controls.config()
        except BackpropError:
            return
        self._load_ahead(config, download=False, fallback=config.dataset == "mnist")

    def _load_ahead(
        self, config: Config, *, download: bool, fallback: bool = False, select: bool = False
    ) -> None:
        if self._loader is not None and self._loader.is_running:
            return
        loader = TrainingRun(
            self.bus, config, self, load_only=True, download=download, fallback=fallback
        )
        loader.loading.connect(self.progress.show_loading)
        loader.dataset_ready.connect(self._on_dataset_ready)
        loader.fell_back.connect(self._on_fell_back)
        loader.failed.connect(self._on_failed)
        if select:
            loader.dataset_ready.connect(lambda ds, key: self._on_downloaded(ds))
        loader.ended.connect(self._on_loader_ended)
        self._loader = loader
        self.status.message(f"Loading {config.dataset}…")
        loader.start()

    def _on_loader_ended(self, _trainer: object) -> None:
        self._loader = None
        after, self._after_load = self._after_load, None
        if self._closing:
            return
        if self.controls.state == "idle":
            self.progress.line.setText("Press Start to train")
            self.progress.bar.setRange(0, 1000)
            self.progress.bar.setValue(0)
            self.progress.bar.setFormat("Ready")
        if after is not None:
            self.start(step=after == "step")

    def dataset_for(self, key: tuple) -> Any:
        """The dataset already loaded for ``key`` (a ``dataset_key``), or None."""
        return self._dataset if key == self._dataset_key else None

    def _on_dataset_ready(self, dataset: Any, key: tuple) -> None:
        self._dataset, self._dataset_key = dataset, key
        self.status.show_dataset(
            dataset.name, len(dataset.y_train), len(dataset.y_val), len(dataset.y_test)
        )
        self.status.message(f"{dataset.name} ready ({dataset.source})", 8000)

    def _on_fell_back(self, why: str) -> None:
        self.controls.set_dataset("digits")
        self.banner.show_message(
            f"MNIST not found (looked in {places_tried(why)}): training on the bundled 8×8 digits.",
            "warning",
            [("Download MNIST", self.download_mnist), ("Choose folder…", self._choose_folder)],
        )

    def _on_downloaded(self, dataset: Any) -> None:
        self.controls.set_dataset(dataset.name)
        self.banner.show_message(f"{dataset.name} is ready: press Start to train on it.", "info")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding the MNIST IDX files")
        if folder:
            self._load_ahead(
                self.config().replace(dataset="mnist", data_path=folder),
                download=False,
                select=True,
            )

    # -- from the runs ----------------------------------------------------------
    def _watch(self, run: TrainingRun) -> None:
        run.loading.connect(self.progress.show_loading)
        run.dataset_ready.connect(self._on_dataset_ready)
        run.failed.connect(self._on_failed)
        run.ended.connect(lambda _t, run=run: self._on_run_ended(run))

    def _on_run_ended(self, run: TrainingRun) -> None:
        if run in self._retiring:
            self._retiring.remove(run)
            if not self._retiring and self.run is None and not self._closing:
                self._set_state("idle")
            return
        if run is self.run and not self._closing:
            self._set_state("idle")

    def _on_failed(self, kind: str, message: str, details: str) -> None:
        actions: list[tuple[str, Any]] = []
        if kind in ("DataError", "DatasetUnavailable"):
            actions = [
                ("Use the bundled 8×8 digits", self.use_digits),
                ("Choose folder…", self._choose_folder),
            ]
        elif details:
            actions = [("Details…", lambda: self._show_details(message, details))]
        self.banner.show_message(message, "error", actions)
        self.status.message("Something went wrong: see the message above", 8000)

    def _show_details(self, message: str, details: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Backprop Studio",
            message,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setDetailedText(details)
        box.exec()

    def _on_live_changed(self, name: str, value: object) -> None:
        if not self.training or self.run.control.stopped:
            return
        try:
            if name == "hidden":
                self.run.control.set_hidden_size(int(value), layer=0)
            else:
                self.run.control.set(name, value)
        except BackpropError as e:
            self.banner.show_message(str(e), "error")

    # -- from the bus -----------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self.controls.set_state(state)
        self.save_action.setEnabled(self.run is not None)

    def _on_started(self, ev: Started) -> None:
        self._set_state("running")
        self.status.message(f"Training on {ev.dataset}: {'-'.join(map(str, ev.architecture))}")

    def _on_epoch(self, ev: EpochReport) -> None:
        self._saved = False

    def _on_paused(self, ev: Paused) -> None:
        self._set_state("paused")
        text = {
            "step": "Paused after one epoch (Step for another, Space to go on)",
            "diverged": "Paused: the loss diverged",
        }.get(ev.reason, "Paused")
        self.status.message(f"{text} at epoch {ev.epoch + 1}, batch {ev.batch}")

    def _on_diverged(self, ev: Diverged) -> None:
        def lower_and_resume() -> None:
            self.controls.set_learning_rate(ev.suggested_lr)
            if self.training:
                self.run.control.resume()

        self.banner.show_message(
            f"Training diverged: {ev.message}",
            "warning",
            [
                (f"Set lr to {ev.suggested_lr:g} and resume", lower_and_resume),
                ("Resume as it is", lambda: self.training and self.run.control.resume()),
            ],
        )

    def _on_finished(self, ev: Finished) -> None:
        if ev.reason == "error":
            self.banner.show_message(ev.message or "Training ended with an error.", "error")
            return
        how = "Finished" if ev.reason == "completed" else "Stopped"
        self.status.message(
            f"{how}: {ev.epochs_run} epoch(s) in {ev.seconds:.1f} s, "
            f"best validation accuracy {ev.best_val_acc:.2%}"
        )

    # -- help -------------------------------------------------------------------
    def _show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def _show_about(self) -> None:
        from gui.panels.about import AboutDialog

        AboutDialog(self).exec()

    # -- sweeps -----------------------------------------------------------------
    def open_sweep(self) -> None:
        """The sweep dialog, starting from the current settings; one per window, reused."""
        from gui.panels.sweep_dialog import SweepDialog

        if getattr(self, "_sweep_dialog", None) is None:
            self._sweep_dialog = SweepDialog(self.config(), self)
            self._sweep_dialog.compare_requested.connect(self._on_compare_requested)
        self._sweep_dialog.show()
        self._sweep_dialog.raise_()

    def _on_compare_requested(self, runs: list[dict]) -> None:
        """A sweep's best trials join the Runs tab, which is brought forward."""
        self.tools.compare.add_sweep_runs(runs)
        self.tools.tabs.setCurrentWidget(self.tools.compare)
        self.raise_()
        self.activateWindow()
