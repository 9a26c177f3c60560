"""The studio's tools in the window: the extra tabs, opening and exporting, settings, theme.

:class:`Tools` is made by the main window once its own views and menus exist. It

- puts the training views in a "Training" tab and adds "Draw", "Health" and
  "Runs" tabs beside it (Ctrl+1 to Ctrl+4);
- adds File > Open checkpoint… (Ctrl+O) and File > Export… (Ctrl+E), and the
  theme choices to the View menu;
- keeps what :class:`~gui.settings.Settings` remembers: the run's settings,
  the window's layout, the last folder and the theme (restored at start,
  stored when the window closes).

Opening a checkpoint shows the saved run in every view (see
:mod:`gui.loaded_run`) and keeps it ready: the next Start goes on training it
(``take_resume``) unless a setting that decides the data was changed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QTabWidget

from core.data.catalog import SOURCES
from core.errors import BackpropError
from core.training import checkpoint
from core.training.checkpoint import Checkpoint
from core.training.events import Snapshot, Started
from gui import export
from gui.actions import window_action
from gui.loaded_run import LoadedRun, replay
from gui.settings import Settings
from gui.shared.theme import Theme
from gui.views.draw import CanvasView
from gui.views.health import HealthView
from gui.views.runs import CompareView
from gui.worker import dataset_key

#: Datasets the window replaces by the bundled digits when they cannot be found.
FALLS_BACK = tuple(SOURCES)  # the datasets that may be missing from this machine
#: Epochs a finished run trains on when it is continued.
MORE_EPOCHS = 10
TABS = ("Training", "Draw", "Health", "Runs")


def _menu_of(action: QAction) -> QMenu | None:
    return next((o for o in action.associatedObjects() if isinstance(o, QMenu)), None)


def _plot_writer(view: Any, plot: Any) -> Callable[[str], Any]:
    """Writes ``plot`` as it would look now: a view in a hidden tab first draws what waits."""

    def write(path: str) -> Any:
        view.draw_now()
        return export.plot_image(plot, path)

    return write


class Tools(QObject):
    """The tools of ``window`` (a MainWindow); ``settings`` None keeps nothing between runs."""

    def __init__(
        self, window: Any, settings: QSettings | None = None, *, restore_config: bool = True
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = Settings(settings) if settings is not None else None
        bus = window.bus
        self.canvas = CanvasView(bus)
        self.health = HealthView(bus)
        self.compare = CompareView(bus)
        self.compare.clear_button.clicked.connect(window.curves.clear_history)
        self.theme: Theme | None = None
        self._opening: LoadedRun | None = None
        self._resume: Checkpoint | None = None
        self._resume_key: tuple | None = None
        self._resume_dataset: Any = None
        self._showing_loaded = False
        self._snapshot: Snapshot | None = None
        self._started: Started | None = None
        bus.snapshot.connect(self._on_snapshot)
        bus.started.connect(self._on_started)
        self._build_tabs()
        self._build_actions()
        if self.settings is not None:
            self._restore(restore_config)
        # The dataset the person chose; a fall-back to the bundled digits is not a choice.
        self._dataset_pick = window.controls.dataset.currentData()
        window.controls.dataset.activated.connect(self._on_dataset_picked)
        window.controls.folder_chosen.connect(lambda folder: setattr(self, "_dataset_pick", folder))
        window.installEventFilter(self)

    # -- construction -----------------------------------------------------------------
    def _build_tabs(self) -> None:
        w = self.window
        layout = w.centralWidget().layout()
        at = layout.indexOf(w.main_split)
        layout.removeWidget(w.main_split)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("toolTabs")
        self.tabs.setDocumentMode(True)
        for widget, name, tip in (
            (w.main_split, "Training", "Curves, W1, confusion matrix and mistakes (Ctrl+1)"),
            (self.canvas, "Draw", "Draw a digit and see what the network reads (Ctrl+2)"),
            (self.health, "Health", "Norms, dead units, weight histograms, PCA map (Ctrl+3)"),
            (self.compare, "Runs", "This session's runs side by side (Ctrl+4)"),
        ):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, name), tip)
        layout.insertWidget(at, self.tabs, 1)

    def _action(self, text: str, slot, shortcut: str | None = None, tip: str = "") -> QAction:
        return window_action(self.window, text, slot, shortcut, tip)

    def _build_actions(self) -> None:
        w = self.window
        self.open_action = self._action(
            "&Open checkpoint…",
            lambda: self.open_checkpoint(),
            "Ctrl+O",
            "Open a saved run: look at it or go on training",
        )
        self.export_action = self._action(
            "&Export…",
            lambda: self.export_dialog().exec(),
            "Ctrl+E",
            "Save the history, the confusion matrix, the gallery or any plot as a file",
        )
        file_menu = _menu_of(w.save_action) or w.menuBar().addMenu("&File")
        file_menu.insertAction(w.save_action, self.open_action)
        after_save = file_menu.actions()[file_menu.actions().index(w.save_action) + 1 :]
        file_menu.insertAction(after_save[0] if after_save else None, self.export_action)

        view_menu = _menu_of(w.controls_dock.toggleViewAction()) or w.menuBar().addMenu("&View")
        for a in view_menu.actions():  # the window's own "clear" clears the Runs tab too
            if a.text().replace("&", "").lower() == "clear earlier runs":
                a.triggered.connect(self.compare.clear_earlier)
        view_menu.addSeparator()
        for i, name in enumerate(TABS):
            view_menu.addAction(
                self._action(
                    f"Show {name.lower()}",
                    lambda _=False, i=i: self.tabs.setCurrentIndex(i),
                    f"Ctrl+{i + 1}",
                )
            )
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for choice, text in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            a = self._action(text, lambda _=False, c=choice: self.set_theme(c))
            a.setCheckable(True)
            group.addAction(a)
            theme_menu.addAction(a)
            self.theme_actions[choice] = a
        self.theme_actions["system"].setChecked(True)
        theme_menu.addSeparator()
        theme_menu.addAction(
            self._action(
                "Toggle light/dark",
                self.toggle_theme,
                "Ctrl+Shift+T",
                "Switch between light and dark",
            )
        )

    # -- theme ------------------------------------------------------------------------
    def set_theme(self, choice: str) -> None:
        if self.theme is None:
            self.theme = Theme(QApplication.instance(), choice)
        else:
            self.theme.set_choice(choice)
        self.theme_actions[choice].setChecked(True)

    def toggle_theme(self) -> None:
        if self.theme is None:
            self.set_theme("system")
        self.theme.toggle()
        self.theme_actions[self.theme.choice].setChecked(True)

    # -- checkpoints ------------------------------------------------------------------
    def open_checkpoint(self, path: str | os.PathLike | None = None) -> bool:
        """Open a checkpoint (asks for a file when ``path`` is None) and show it.

        Returns True when the file was read; the views fill in once its dataset is
        ready (``LoadedRun.ready``).
        """
        w = self.window
        if w.training:
            w.banner.show_message("Stop or reset the run first, then open a checkpoint.", "info")
            return False
        if self._opening is not None and self._opening.is_running:
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                w, "Open checkpoint", str(w.checkpoint_dir), "Checkpoints (*.npz)"
            )
            if not path:
                return False
        try:
            ck = checkpoint.load(path)
        except BackpropError as e:
            w.banner.show_message(f"Could not open the checkpoint: {e}", "error")
            return False
        w.checkpoint_dir = Path(path).parent
        config = ck.config
        if config.epochs <= ck.epoch:
            config = config.replace(epochs=ck.epoch + MORE_EPOCHS)
        w.set_config(config)
        self._dataset_pick = config.dataset
        key = dataset_key(ck.config)
        run = LoadedRun(ck, w.dataset_for(key), self)
        run.ready.connect(
            lambda ds, k, started, snap: self._on_loaded(Path(path), ck, ds, k, started, snap)
        )
        run.failed.connect(
            lambda msg: w.banner.show_message(
                f"Opened {Path(path).name}, but cannot show it: {msg}", "error"
            )
        )
        run.ended.connect(self._on_opening_ended)
        self._opening = run
        w.status.message(f"Opening {Path(path).name}…")
        run.start()
        return True

    def _on_loaded(
        self, path: Path, ck: Checkpoint, dataset: Any, key: tuple, started: Started, snap: Snapshot
    ) -> None:
        w = self.window
        if w.training:  # a run was started meanwhile: it wins
            return
        w.reset()
        replay(w.bus, started, ck, snap)
        w.controls.set_state("idle")
        best = max((r["val_acc"] for r in ck.history), default=0.0)
        self.compare.set_ended(f"opened {path.name}")
        self._resume, self._resume_key, self._resume_dataset = ck, key, dataset
        self._showing_loaded = True
        w.status.message(
            f"Opened {path.name}: {ck.epoch} epoch(s), best validation accuracy {best:.2%}. "
            f"Start goes on training it.",
            15000,
        )

    def _on_opening_ended(self) -> None:
        self._opening = None

    def take_resume(self, key: tuple) -> dict[str, Any]:
        """What a new run needs to continue the opened checkpoint (empty: start afresh).

        Used once: a later Start trains a new network. ``dataset`` is the opened
        run's dataset, for the window to use if it has none loaded.
        """
        ck, self._resume = self._resume, None
        showing, self._showing_loaded = self._showing_loaded, False
        if ck is None or key != self._resume_key:
            if showing:  # the views hold the opened run: keep it faded, start clean
                self.window.bus.run_reset.emit()
            return {}
        dataset, self._resume_dataset = self._resume_dataset, None
        return {
            "model": ck.model,
            "optimizer": ck.optimizer,
            "history": ck.history,
            "dataset": dataset,
        }

    def shut_down(self, wait_ms: int) -> bool:
        """Stop opening a checkpoint; True when no thread of ours is left."""
        return self._opening is None or self._opening.stop(wait_ms)

    # -- export -----------------------------------------------------------------------
    def export_dialog(self) -> export.ExportDialog:
        """The Export dialog, offering the history, the matrix, the gallery and every plot."""
        w = self.window
        names = tuple(self._snapshot.class_names) if self._snapshot is not None else ()
        dataset = self._started.dataset if self._started is not None else "run"
        targets = [
            export.Target(
                "History, one row per epoch (CSV)",
                "CSV table (*.csv)",
                f"{dataset}-history.csv",
                lambda p: export.history_csv(p, w.curves.history_rows()),
            ),
            export.Target(
                "Confusion matrix counts (CSV)",
                "CSV table (*.csv)",
                f"{dataset}-confusion.csv",
                lambda p: export.confusion_csv(p, w.confusion.matrix(), names),
            ),
            export.Target(
                "Gallery tiles as one sheet (PNG)",
                "PNG image (*.png)",
                f"{dataset}-gallery.png",
                lambda p: export.image_file(w.gallery.grab_sheet(), p),
            ),
        ]
        for view_name, view in (
            ("Curves", w.curves),
            ("W1", w.weights),
            ("Confusion", w.confusion),
            ("Health", self.health),
            ("Drawing", self.canvas),
        ):
            for title, plot in export.plots_in(view):
                label = view_name if title.startswith("plot ") else f"{view_name}: {title}"
                stem = "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")
                targets.append(
                    export.Target(
                        f"{label} (PNG or SVG)",
                        export.IMAGE_FILTER,
                        f"{dataset}-{stem}.png",
                        _plot_writer(view, plot),
                    )
                )
        dialog = export.ExportDialog(targets, w.checkpoint_dir, w)
        dialog.finished.connect(lambda _r: setattr(w, "checkpoint_dir", dialog.folder))
        return dialog

    # -- settings ---------------------------------------------------------------------
    def _restore(self, restore_config: bool) -> None:
        from core.training.presets import default_config

        s, w = self.settings, self.window
        if restore_config:
            w.set_config(s.load_config(default_config()))
        s.restore_window(w)
        w.checkpoint_dir = s.last_folder
        self.set_theme(s.theme)
        if s.errors:
            more = f" (and {len(s.errors) - 1} more)" if len(s.errors) > 1 else ""
            w.banner.show_message(
                f"Some stored settings were not usable: {s.errors[0]}{more}", "warning"
            )

    def save_settings(self) -> None:
        """Store the run's settings, the window's layout, the folder and the theme."""
        s, w = self.settings, self.window
        if s is None:
            return
        with contextlib.suppress(BackpropError):  # a half-typed setting is not worth keeping
            config = w.config()
            if config.dataset == "digits" and self._dataset_pick in FALLS_BACK:
                config = config.replace(dataset=self._dataset_pick, data_path=None)
            s.save_config(config)
        s.save_window(w)
        s.last_folder = w.checkpoint_dir
        if self.theme is not None:
            s.theme = self.theme.choice
        s.sync()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.save_settings()
        return False

    # -- events -----------------------------------------------------------------------
    def _on_dataset_picked(self, index: int) -> None:
        picked = self.window.controls.dataset.itemData(index)
        if picked:  # "" is the Folder… entry: its folder comes back as a pick of its own
            self._dataset_pick = picked

    def _on_snapshot(self, snap: Snapshot) -> None:
        self._snapshot = snap

    def _on_started(self, ev: Started) -> None:
        self._started = ev
