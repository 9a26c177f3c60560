"""The studio window: controls on the left, the network learning on the right.

Layout: the control panel (with the run's progress) in a dock on the left, and
beside it, while a lesson is open, the lesson panel; a message banner across the
top, then the headline cards (accuracy, loss, epoch, speed, time left); tabs for
Training (curves and W1 above, the confusion matrix and the gallery of mistakes
below, in splitters a person can drag), Draw, Health, Runs, Inside (one digit
forward and backward), Data (the dataset in pictures and figures), Evaluation (the
network on the test set) and Timeline (what changed between two moments, the loss
landscape), each view a panel with its own header and "?"; under the tabs the
timeline bar, which sets every view to a recorded moment of the run; a status line
at the bottom. The theme (:mod:`gui.shared.theme`) is applied when the window is
made. A folder dropped on the window becomes the dataset once it has loaded. The
window opens as large as it usefully can on the screen it is on, never larger than
the room the screen leaves it.

The window is wiring. The :class:`~gui.session.Session` owns the run and every
transition of it; the window builds the widgets, connects each one's commands
to the session and the session's :attr:`~gui.session.Session.changed` to each
one's display, and answers the session's questions (save before a run is
forgotten, which file, which folder) with dialogs. The views draw the core's
events from the :class:`~gui.shared.bus.EventBus`. At launch the default dataset
is loaded ahead of Start (in a thread): MNIST when it is on disk, else the
bundled 8x8 digits, with a banner that says so and offers the download.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import BackpropError
from core.lessons import Lesson, LessonError, Setup, load_setup, write_setup
from core.training.config import Config
from core.training.presets import default_config
from gui import export
from gui.actions import window_action
from gui.lesson_run import LessonRun
from gui.panels.banner import Banner
from gui.panels.controls import ControlPanel
from gui.panels.fork_dialog import ForkDialog
from gui.panels.headline import HeadlineCards
from gui.panels.lesson_panel import LessonPanel
from gui.panels.status import ProgressBox, StatusLine
from gui.run_folders import RUNS_ENV, RunFolders, runs_root
from gui.session import FALLS_BACK, Session
from gui.settings import Settings
from gui.shared import jobs
from gui.shared.bus import EventBus
from gui.shared.state import RunState, SessionView, moment_text
from gui.shared.style import SPACE_M, SPACE_S
from gui.shared.theme import Theme
from gui.views.confusion import ConfusionView
from gui.views.curves import CurvesView
from gui.views.data import DataView
from gui.views.draw import CanvasView
from gui.views.evaluation import EvaluationView
from gui.views.gallery import GalleryView
from gui.views.health import HealthView
from gui.views.inside import InsideView
from gui.views.landscape import LandscapeView
from gui.views.runs import RunsView
from gui.views.timeline_bar import TimelineBar
from gui.views.weights import WeightsView
from gui.views.what_changed import WhatChangedView
from gui.worker import TrainingRun

#: How long closing the window waits for the training thread before hiding instead.
CLOSE_WAIT_MS = 3000
#: Environment variable that answers the "save the run?" question ("save", "discard" or
#: "cancel"), asked before an unsaved run is forgotten (Reset, a new run, opening a
#: checkpoint, closing); unattended sessions set it, people get a dialog.
ON_CLOSE_ENV = "BACKPROP_ON_UNSAVED_CLOSE"
#: The window's size on a large screen; on a smaller one, the room the screen leaves.
PREFERRED_SIZE = (1400, 900)
#: Share of a large screen's room the window takes at most.
SCREEN_SHARE = 0.9
TABS = ("Training", "Draw", "Health", "Runs", "Inside", "Data", "Evaluation", "Timeline")

SHORTCUTS = (
    ("Space", "Start, pause or resume"),
    ("S", "Step: train one more epoch, then pause"),
    ("B", "Step: train one more batch, then pause"),
    ("R", "Reset: end the run and apply every setting"),
    ("Ctrl+S", "Save a checkpoint of the run"),
    ("Ctrl+O", "Open a checkpoint: look at it, Continue goes on training it"),
    ("Ctrl+E", "Export the history, the confusion matrix, the gallery or a plot"),
    (
        "Ctrl+1 … Ctrl+8",
        "Show the Training, Draw, Health, Runs, Inside, Data, Evaluation or Timeline tab",
    ),
    ("← / →", "Inside tab: the previous or next step"),
    ("Delete", "Clear the drawing (Draw tab)"),
    ("Ctrl+Shift+T", "Switch between light and dark"),
    ("Ctrl+Q", "Quit"),
)


def fitted_size(available: tuple[int, int]) -> tuple[int, int]:
    """The window's opening size on a screen leaving ``available`` (width, height) pixels:
    :data:`PREFERRED_SIZE`, or more of a large screen, never more than there is."""
    w, h = available
    return (
        min(w, max(PREFERRED_SIZE[0], round(SCREEN_SHARE * w))),
        min(h, max(PREFERRED_SIZE[1], round(SCREEN_SHARE * h))),
    )


def dropped_folder(mime: Any) -> str | None:
    """The first local folder among the dropped items (None: no folder was dropped)."""
    for url in mime.urls() if mime.hasUrls() else ():
        path = url.toLocalFile()
        if path and Path(path).is_dir():
            return path
    return None


def _panel(view: QWidget) -> None:
    """Draw ``view`` as a panel: the surface colour, a thin border, rounded corners."""
    view.setObjectName("panel")
    view.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)


def _plot_writer(view: Any, plot: Any) -> Callable[[str], Any]:
    """Writes ``plot`` as it would look now: a view in a hidden tab first draws what waits
    (``view`` None: the plot as it is shown)."""

    def write(path: str) -> Any:
        if view is not None:
            view.draw_now()
        return export.plot_image(plot, path)

    return write


class MainWindow(QMainWindow):
    """Backprop Studio's main window.

    ``config`` fills the controls (the default trains on MNIST); ``preload``
    starts loading that dataset right away so Start can begin at once.
    ``on_unsaved_close`` answers the save question without a dialog when set to
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
        self.settings = Settings(settings) if settings is not None else None
        draft = config or default_config()
        if self.settings is not None and config is None:
            draft = self.settings.load_config(default_config())
        self.session = Session(self.bus, draft, self)
        s = self.session
        s.ask_unsaved = self._ask_unsaved
        s.choose_save_path = self._choose_save_path
        s.choose_folder = self._choose_folder
        s.show_details = self._show_details
        s.ask_fork = self._ask_fork
        s.all_ended.connect(self.close)
        self.on_unsaved_close = os.environ.get(ON_CLOSE_ENV, "ask")
        self.theme = Theme.of(QApplication.instance())
        self._sweep_dialog: Any = None
        self._lesson_run: LessonRun | None = None
        self._closing = False
        self._build()
        self._build_actions()
        self._connect()
        self._fit_to_screen()
        if self.settings is not None:
            self._restore()
        s.changed.connect(self._show_session)
        self._show_session(s.view)
        if preload:
            QTimer.singleShot(0, s.preload)

    # -- construction ---------------------------------------------------------
    def _build(self) -> None:
        """The docks on the left, the views, their tabs, the banner and cards above them."""
        self._build_docks()
        self._build_views()
        self._build_training_tab()
        self._build_tabs()
        self.banner = Banner()
        self.headline = HeadlineCards(self.bus)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(SPACE_M, SPACE_S, SPACE_M, 0)
        layout.setSpacing(SPACE_S)
        layout.addWidget(self.banner)
        layout.addWidget(self.headline)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.timeline_bar)
        self.setCentralWidget(central)
        self.status = StatusLine(self.statusBar())
        self.setAcceptDrops(True)

    def _build_docks(self) -> None:
        """The controls (with the run's progress) and, while a lesson is open, the lesson."""
        self.controls = ControlPanel(self.session.view)
        self.progress = ProgressBox(self.bus)
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
        self.lesson_panel = LessonPanel()
        self.lesson_dock = QDockWidget("Lesson", self)
        self.lesson_dock.setObjectName("lessonDock")
        self.lesson_dock.setWidget(self.lesson_panel)
        # Beside the controls, a tab of its own: the window does not get wider for it.
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.lesson_dock)
        self.tabifyDockWidget(self.controls_dock, self.lesson_dock)
        self.lesson_dock.hide()

    def _build_views(self) -> None:
        """Every view, each drawn as a panel."""
        bus = self.bus
        self.curves = CurvesView(bus)
        self.weights = WeightsView(bus)
        self.confusion = ConfusionView(bus)
        self.gallery = GalleryView(bus)
        self.canvas = CanvasView(bus)
        self.health = HealthView(bus)
        self.runs = RunsView()
        self.inside = InsideView(bus)
        self.data = DataView()
        self.evaluation = EvaluationView(bus)
        self.timeline_bar = TimelineBar()
        self.what_changed = WhatChangedView()
        self.landscape = LandscapeView()
        self.timeline_split = QSplitter(Qt.Orientation.Horizontal)
        self.timeline_split.setObjectName("timelineSplit")
        self.timeline_split.addWidget(self.what_changed)
        self.timeline_split.addWidget(self.landscape)
        self.timeline_split.setStretchFactor(0, 2)
        self.timeline_split.setStretchFactor(1, 3)
        self.timeline_split.setSizes([400, 600])  # the landscape needs the room
        self.timeline_split.setChildrenCollapsible(False)
        for view in (
            self.curves,
            self.weights,
            self.confusion,
            self.gallery,
            self.canvas,
            self.health,
            self.runs,
            self.inside,
            self.data,
            self.evaluation,
            self.what_changed,
            self.landscape,
        ):
            _panel(view)

    def _build_training_tab(self) -> None:
        """Curves and W1 above, the confusion matrix and the mistakes below, in splitters."""
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
        for split, name in (
            (self.top_split, "topSplit"),
            (self.bottom_split, "bottomSplit"),
            (self.main_split, "mainSplit"),
        ):
            split.setObjectName(name)
            split.setChildrenCollapsible(False)
            split.setHandleWidth(SPACE_M)

        # First sizes: the splitters share out the room as their stretch factors say
        # (the widgets' own hints would give the plots above most of it).
        self.top_split.setSizes([3000, 2000])
        self.bottom_split.setSizes([2000, 3000])
        self.main_split.setSizes([1000, 1000])

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("toolTabs")
        self.tabs.setDocumentMode(True)
        for widget, name, tip in (
            (self.main_split, "Training", "Curves, W1, confusion matrix and mistakes (Ctrl+1)"),
            (self.canvas, "Draw", "Draw a digit and see what the network reads (Ctrl+2)"),
            (self.health, "Health", "Norms, dead units, weight histograms, PCA map (Ctrl+3)"),
            (self.runs, "Runs", "This session's runs side by side (Ctrl+4)"),
            (self.inside, "Inside", "One digit through the network and back (Ctrl+5)"),
            (self.data, "Data", "Samples, class counts, pixel values, augmentation (Ctrl+6)"),
            (self.evaluation, "Evaluation", "The network on the test set: robustness (Ctrl+7)"),
            (
                self.timeline_split,
                "Timeline",
                "What changed between two moments, and the loss landscape of the run (Ctrl+8)",
            ),
        ):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, name), tip)

    def _action(
        self, text: str, slot: Callable[..., Any], shortcut: str | None = None, tip: str = ""
    ) -> QAction:
        return window_action(self, text, slot, shortcut, tip)

    def _build_actions(self) -> None:
        """The menus, each action with its shortcut and tooltip."""
        self._file_menu()
        self._run_menu()
        self._view_menu()
        self._help_menu()

    def _file_menu(self) -> None:
        action = self._action
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = action(
            "&Open checkpoint…",
            lambda: self.open_checkpoint(),
            "Ctrl+O",
            "Open a saved run: look at it or go on training",
        )
        self.save_action = action(
            "&Save checkpoint…",
            lambda: self.save_checkpoint(),
            "Ctrl+S",
            "Save the network, optimiser and history (.npz)",
        )
        self.export_action = action(
            "&Export…",
            lambda: self.export_dialog().exec(),
            "Ctrl+E",
            "Save the history, the confusion matrix, the gallery or any plot as a file",
        )
        for a in (self.open_action, self.save_action, self.export_action):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(
            action(
                "S&hare setup…",
                lambda: self.share_setup(),
                None,
                "Write the settings, the tab and the theme to a file someone else can open",
            )
        )
        file_menu.addAction(
            action(
                "Open set&up…",
                lambda: self.open_setup(),
                None,
                "Restore the settings, the tab and the theme from a shared setup file",
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            action(
                "&Timeline folder…",
                lambda: self.choose_runs_folder(),
                None,
                "Where runs record their timelines (the most recent are kept)",
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(action("&Quit", self.close, "Ctrl+Q", "Close the window"))

    def _run_menu(self) -> None:
        action, s = self._action, self.session
        run_menu = self.menuBar().addMenu("&Run")
        self.start_pause_action = action(
            "Start / &Pause", s.toggle, "Space", "Start a run, or pause and resume it"
        )
        self.step_action = action(
            "S&tep one epoch", s.step_epoch, "S", "Train one more epoch, then pause"
        )
        self.step_batch_action = action(
            "Step one &batch", s.step_batch, "B", "Train one more mini-batch, then pause"
        )
        self.stop_action = action("St&op", s.stop, None, "End the run after this batch")
        self.reset_action = action(
            "&Reset", self.reset, "R", "End the run, forget its network and apply every setting"
        )
        for a in (
            self.start_pause_action,
            self.step_action,
            self.step_batch_action,
            self.stop_action,
            self.reset_action,
        ):
            run_menu.addAction(a)
        run_menu.addSeparator()
        run_menu.addAction(
            action(
                "S&weep…", self.open_sweep, None, "Train many settings in parallel and compare them"
            )
        )

    def _view_menu(self) -> None:
        action = self._action
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.controls_dock.toggleViewAction())
        view_menu.addAction(
            action(
                "Clear &earlier runs",
                self.clear_earlier_runs,
                None,
                "Remove the earlier runs: their faded curves and their rows in Runs",
            )
        )
        view_menu.addSeparator()
        for i, name in enumerate(TABS):
            view_menu.addAction(
                action(
                    f"Show {name.lower()}",
                    lambda _=False, i=i: self.tabs.setCurrentIndex(i),
                    f"Ctrl+{i + 1}",
                )
            )
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for choice, label in (
            ("system", "Follow the system"),
            ("light", "Light"),
            ("dark", "Dark"),
        ):
            a = action(label, lambda _=False, c=choice: self.set_theme(c))
            a.setCheckable(True)
            group.addAction(a)
            theme_menu.addAction(a)
            self.theme_actions[choice] = a
        self.theme_actions["system"].setChecked(True)
        theme_menu.addSeparator()
        theme_menu.addAction(
            action(
                "Toggle light/dark",
                self.toggle_theme,
                "Ctrl+Shift+T",
                "Switch between light and dark",
            )
        )

    def _help_menu(self) -> None:
        action = self._action
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(
            action("&Glossary", self.show_glossary, None, "The words the studio uses, explained")
        )
        help_menu.addAction(
            action(
                "&Lessons…",
                self.show_lessons,
                None,
                "Short experiments: predict what will happen, then watch it happen",
            )
        )
        help_menu.addAction(action("&Keyboard shortcuts", self._show_shortcuts))
        help_menu.addAction(action("&About Backprop Studio", self._show_about))

    def _connect(self) -> None:
        s, c = self.session, self.controls
        c.edited.connect(s.edit)
        c.start_clicked.connect(s.start)
        c.pause_clicked.connect(s.pause)
        c.resume_clicked.connect(s.resume)
        c.step_clicked.connect(s.step_epoch)
        c.step_batch_clicked.connect(s.step_batch)
        c.stop_clicked.connect(s.stop)
        c.reset_clicked.connect(self.reset)
        c.folder_chosen.connect(s.use_folder)
        self.evaluation.open_requested.connect(lambda: self.open_checkpoint())
        self.banner.dismissed.connect(s.dismiss_notice)
        self.confusion.cellClicked.connect(self.gallery.set_filter)
        self.runs.clear_requested.connect(self.clear_earlier_runs)
        bar = self.timeline_bar
        bar.moment_picked.connect(s.view_moment)
        bar.live_requested.connect(s.back_to_live)
        bar.play_requested.connect(s.play)
        bar.stop_requested.connect(s.stop_playing)
        bar.speed_changed.connect(s.set_play_speed)
        bar.continue_requested.connect(lambda: s.continue_from())
        self.gallery.look_inside.connect(self.look_inside)
        self.canvas.look_inside.connect(lambda: self.look_inside_drawing(show=True))
        self.inside.picker.drawing_requested.connect(self.look_inside_drawing)
        self.lesson_panel.run_requested.connect(self.run_lesson)
        self.lesson_panel.stop_requested.connect(self.stop_lesson)

    def _fit_to_screen(self) -> None:
        """Open as large as the screen usefully allows, and on it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        w, h = fitted_size((room.width(), room.height()))
        self.resize(w, h)
        frame = self.frameGeometry()
        frame.moveCenter(room.center())
        self.move(max(frame.left(), room.left()), max(frame.top(), room.top()))

    # -- the session's picture ----------------------------------------------------------
    def _show_session(self, view: SessionView) -> None:
        self.controls.show_session(view)
        self.progress.show_session(view)
        self.headline.show_session(view)
        self.curves.show_runs(view.runs, view.current)
        self.status.show_session(view)
        self.banner.show_notice(view.notice)
        self.runs.show_runs(view.runs, view.current)
        self.data.show_session(view)
        self.evaluation.show_session(view)
        self._show_timeline(view)
        self.inside.set_dataset(self.session.run_dataset)
        self.save_action.setEnabled(view.can_save)
        self.open_action.setEnabled(not view.state.live and view.state is not RunState.STOPPING)

    def _show_timeline(self, view: SessionView) -> None:
        """The timeline bar, the curves' cursor and branch, and the Timeline tab."""
        self.timeline_bar.show_session(view)
        self.what_changed.show_session(view)
        self.landscape.show_session(view)
        m = view.timeline.moment
        label = "" if m is None else f"viewing {moment_text(m, view.timeline.total_epochs)}"
        self.curves.show_moment(None if m is None else m.progress, label)

    # -- commands (the public actions, as the menus and buttons give them) ---------------
    @property
    def training(self) -> bool:
        """A run's thread is alive (loading, training or paused)."""
        return self.session.training

    @property
    def run(self) -> TrainingRun | None:
        """The current run's thread and control (None without one)."""
        return self.session.run

    @property
    def checkpoint_dir(self) -> Path:
        """The folder last used for a checkpoint or an export."""
        return self.session.checkpoint_dir

    @checkpoint_dir.setter
    def checkpoint_dir(self, folder: str | os.PathLike) -> None:
        self.session.checkpoint_dir = Path(folder)

    def config(self) -> Config:
        """The settings of the next run, as the controls show them."""
        return self.session.draft

    def set_config(self, config: Config) -> None:
        self.session.set_draft(config)

    def start(self) -> None:
        """Start a run with the controls' settings (or resume a held one)."""
        self.session.start()

    def toggle_run(self) -> None:
        """Space: start when idle, pause when running, resume when held."""
        self.session.toggle()

    def toggle_pause(self) -> None:
        """Pause a running run, resume a held one."""
        if self.session.state in (RunState.PAUSED, RunState.DIVERGED):
            self.session.resume()
        else:
            self.session.pause()

    def step(self) -> None:
        """Train exactly one more epoch, then pause (starts a run when none is going)."""
        self.session.step_epoch()

    def step_batch(self) -> None:
        """Train exactly one more mini-batch, then pause."""
        self.session.step_batch()

    def stop(self) -> None:
        """End the run at the next batch boundary (its network stays, for saving)."""
        self.session.stop()

    def reset(self) -> None:
        """End the run (asking first if it is unsaved), clear the views, apply every setting."""
        self.session.reset()

    def download_mnist(self) -> None:
        self.session.download_mnist()

    def use_digits(self) -> None:
        self.session.use_digits()

    def has_unsaved_run(self) -> bool:
        """A run has trained at least one batch since it started or was saved."""
        return self.session.unsaved

    def save_checkpoint(self, path: str | os.PathLike | None = None) -> bool:
        """Save the current run (asks for a file when ``path`` is None); True when saved."""
        return self.session.save(path)

    def open_checkpoint(self, path: str | os.PathLike | None = None) -> bool:
        """Open a checkpoint (asks for a file when ``path`` is None) and show it."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open checkpoint", str(self.checkpoint_dir), "Checkpoints (*.npz)"
            )
            if not path:
                return False
        return self.session.open_checkpoint(path)

    def clear_earlier_runs(self) -> None:
        """Forget the earlier runs: the faded curves and the rows of the Runs tab."""
        self.curves.clear_history()
        self.session.clear_earlier_runs()

    def look_inside(self, image: Any, label: int, source: str, row: int | None = None) -> None:
        """Follow a digit (a gallery mistake: validation ``row``) through the network on the
        Inside tab."""
        self.inside.show_digit(image, label, source, index=row)
        self.tabs.setCurrentWidget(self.inside)

    def look_inside_drawing(self, show: bool = False) -> None:
        """Follow the Draw tab's digit, framed as the network sees it, on the Inside tab."""
        probs = self.canvas.probabilities()
        if probs is None:
            self.inside.say(
                "Draw a digit on the Draw tab first (with a trained network to read it), "
                "then use it here."
            )
        else:
            self.inside.show_digit(
                self.canvas.processed_image(), int(np.argmax(probs)), "your drawing", drawn=True
            )
        if show:
            self.tabs.setCurrentWidget(self.inside)

    # -- lessons and shared setups ------------------------------------------------------
    def _tab_keys(self) -> dict[str, QWidget]:
        """How a lesson or setup file names each tab (``core.lessons.TABS``)."""
        return {
            "training": self.main_split,
            "draw": self.canvas,
            "health": self.health,
            "runs": self.runs,
            "inside": self.inside,
        }

    def tab_widget(self, key: str) -> QWidget:
        """The tab a lesson or setup names ("training", "draw", ...)."""
        return self._tab_keys()[key]

    def current_tab_key(self) -> str:
        """The shown tab's name in a setup file ("training" for one a file cannot name)."""
        shown = self.tabs.currentWidget()
        return next((k for k, w in self._tab_keys().items() if w is shown), "training")

    def show_lessons(self) -> Any:
        """Help > Lessons: the list of lessons; choosing one opens it in the lesson panel."""
        from gui.panels.lessons_dialog import LessonsDialog

        dialog = LessonsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.open_lesson)
        dialog.open()
        return dialog

    def open_lesson(self, lesson: Lesson) -> None:
        """Ask ``lesson``'s question in the lesson panel (a lesson running stops first)."""
        if self._lesson_run is not None and self._lesson_run.running:
            self._lesson_run.stop("Another lesson was opened.")
        self.lesson_panel.show_lesson(lesson)
        self.lesson_dock.show()
        self.lesson_dock.raise_()

    def run_lesson(self) -> bool:
        """Run the open lesson's experiments (once an answer is picked); False if not started."""
        lesson = self.lesson_panel.lesson
        if lesson is None or self.lesson_panel.choice() is None:
            return False
        old = self._lesson_run
        if old is not None:
            old.stop()
            old.deleteLater()
        run = LessonRun(self.session, lesson, self)
        run.progressed.connect(self.lesson_panel.show_progress)
        self._lesson_run = run
        if not run.start():
            return False
        self.tabs.setCurrentWidget(self.tab_widget(lesson.tab))
        return True

    def stop_lesson(self) -> None:
        if self._lesson_run is not None:
            self._lesson_run.stop()

    def share_setup(self, path: str | os.PathLike | None = None) -> bool:
        """Write the next run's settings, the tab and the theme to a setup file."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Share setup", str(self.checkpoint_dir / "setup.toml"), "Setups (*.toml)"
            )
            if not path:
                return False
        config = self.config()
        chosen = self.session.chosen_dataset
        if config.dataset == "digits" and chosen in FALLS_BACK:
            # the person's pick, not the digits standing in for it
            config = config.replace(dataset=chosen, data_path=None)
        theme = self.theme.choice if self.theme is not None else None
        setup = Setup(title=Path(path).stem, config=config, tab=self.current_tab_key(), theme=theme)
        try:
            written = write_setup(path, setup)
        except LessonError as e:
            self.warn("Could not share the setup", str(e))
            return False
        self.checkpoint_dir = written.parent
        self.session.tell(f"Setup written to {written}: File > Open setup restores it.")
        return True

    def open_setup(self, path: str | os.PathLike | None = None) -> bool:
        """Restore the settings, tab and theme of a setup file; a bad file changes nothing."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open setup", str(self.checkpoint_dir), "Setups (*.toml);;All files (*)"
            )
            if not path:
                return False
        try:
            setup = load_setup(path)
        except LessonError as e:
            self.warn("Could not open the setup", str(e))
            return False
        self.checkpoint_dir = Path(path).parent
        self.session.set_draft(setup.config)
        self.tabs.setCurrentWidget(self.tab_widget(setup.tab))
        if setup.theme is not None:
            self.set_theme(setup.theme)
        return True

    def warn(self, title: str, text: str) -> None:
        """A problem the person must read (a file that cannot be used): a message box."""
        QMessageBox.warning(self, title, text)

    # -- the session's questions ----------------------------------------------------------
    def _ask_unsaved(self, text: str) -> str:
        answer = self.on_unsaved_close
        if answer in ("save", "discard", "cancel"):
            return answer
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Save the run?")
        box.setText(text)
        box.setInformativeText("Save a checkpoint first?")
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

    def _choose_save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save checkpoint", suggested, "Checkpoints (*.npz)"
        )
        return path or None

    def _choose_folder(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding the MNIST IDX files")
        return folder or None

    def _ask_fork(self, state: Any) -> dict[str, Any] | None:
        dialog = ForkDialog(state, self)
        return dialog.changes() if dialog.exec() else None

    def choose_runs_folder(self, folder: str | os.PathLike | None = None) -> bool:
        """Where later runs record their timelines (asks when ``folder`` is None)."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self, "Folder for the runs' timelines", str(self.session.run_folders.root)
            )
            if not folder:
                return False
        folder = Path(folder)
        if self.settings is not None:
            self.settings.runs_folder = str(folder)
        self.session.run_folders = self._run_folders()
        if os.environ.get(RUNS_ENV, "").strip():
            self.session.tell(
                f"{RUNS_ENV} is set: runs record into {self.session.run_folders.root} "
                "while it is; the folder chosen applies without it."
            )
        return True

    def _run_folders(self) -> RunFolders:
        s = self.settings
        if s is None:
            return RunFolders(runs_root())
        return RunFolders(runs_root(s.runs_folder), keep=s.runs_keep, budget=s.runs_budget)

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

    # -- a folder dropped on the window ---------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_folder(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A folder dropped anywhere on the window: load it as the dataset, then show it."""
        folder = dropped_folder(event.mimeData())
        if folder is None:
            return
        event.acceptProposedAction()
        self.use_folder(folder)

    def use_folder(self, folder: str | os.PathLike) -> None:
        """Load ``folder`` as the next run's dataset and show the Data tab (as a drop does)."""
        self.session.use_folder(folder)
        self.tabs.setCurrentWidget(self.data)

    # -- closing --------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            if not self.session.confirm_close():
                event.ignore()
                return
            self._closing = True
            self.save_settings()
            self.inside.shut_down(CLOSE_WAIT_MS)
            if self._lesson_run is not None:
                self._lesson_run.stop("The window was closed.")
        jobs.cancel_all(CLOSE_WAIT_MS)
        if self.session.shut_down(CLOSE_WAIT_MS):
            event.accept()
            return
        # A thread is still finishing a batch: hide now, close when it has ended.
        self.hide()
        event.ignore()

    # -- settings -----------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        s.restore_window(self)
        self.lesson_dock.hide()  # a lesson is opened from the Help menu, not left open
        self.checkpoint_dir = s.last_folder
        self.session.run_folders = self._run_folders()
        self.set_theme(s.theme)
        if s.errors:
            more = f" (and {len(s.errors) - 1} more)" if len(s.errors) > 1 else ""
            self.session.tell(
                f"Some stored settings were not usable: {s.errors[0]}{more}", "warning"
            )

    def save_settings(self) -> None:
        """Store the run's settings, the window's layout, the folder and the theme."""
        s = self.settings
        if s is None:
            return
        with contextlib.suppress(BackpropError):  # a half-typed setting is not worth keeping
            config = self.config()
            chosen = self.session.chosen_dataset
            if config.dataset == "digits" and chosen in FALLS_BACK:
                config = config.replace(dataset=chosen, data_path=None)
            s.save_config(config)
        s.save_window(self)
        s.last_folder = self.checkpoint_dir
        s.theme = self.theme.choice
        s.sync()

    # -- theme ------------------------------------------------------------------------
    def set_theme(self, choice: str) -> None:
        """Follow the system ("system") or use "light" or "dark"; every plot follows at once."""
        self.theme.set_choice(choice)
        self.theme_actions[choice].setChecked(True)

    def toggle_theme(self) -> None:
        self.theme.toggle()
        self.theme_actions[self.theme.choice].setChecked(True)

    # -- export -----------------------------------------------------------------------
    def export_dialog(self) -> export.ExportDialog:
        """The Export dialog, offering the history, the matrix, the gallery and every plot."""
        names = self.confusion.class_names()
        info = self.session.view.dataset
        dataset = Path(info.name).name if info is not None else "run"
        targets = [
            export.Target(
                "History, one row per epoch (CSV)",
                "CSV table (*.csv)",
                f"{dataset}-history.csv",
                lambda p: export.history_csv(p, self.curves.history_rows()),
            ),
            export.Target(
                "Confusion matrix counts (CSV)",
                "CSV table (*.csv)",
                f"{dataset}-confusion.csv",
                lambda p: export.confusion_csv(p, self.confusion.matrix(), names),
            ),
            export.Target(
                "Gallery tiles as one sheet (PNG)",
                "PNG image (*.png)",
                f"{dataset}-gallery.png",
                lambda p: export.image_file(self.gallery.grab_sheet(), p),
            ),
        ]
        views: list[tuple[str, Any, bool]] = [
            ("Curves", self.curves, True),
            ("W1", self.weights, True),
            ("Confusion", self.confusion, True),
            ("Health", self.health, True),
            ("Drawing", self.canvas, True),
            ("Runs", self.runs, True),
        ]
        # The Data and Evaluation tabs' plots once they show something: their figures are
        # worked out in a thread when the person asks, never for an export.
        if self.data.summary() is not None:
            views.append(("Data", self.data, False))
        if self.evaluation.evaluation() is not None:
            views.append(("Evaluation", self.evaluation, False))
        if self.landscape.landscape() is not None:
            views.append(("Landscape", self.landscape, False))
        for view_name, view, draws in views:
            for title, plot in export.plots_in(view):
                # A plot the design system named keeps its name ("Loss curves"); others
                # say which tab they are on.
                if plot.property("exportName"):
                    label = title
                elif title.startswith(f"{type(view).__name__} "):
                    label = view_name
                else:
                    label = f"{view_name}: {title}"
                if any(t.name.startswith(f"{label} (") for t in targets):
                    continue
                stem = "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")
                targets.append(
                    export.Target(
                        f"{label} (PNG or SVG)",
                        export.IMAGE_FILTER,
                        f"{dataset}-{stem}.png",
                        _plot_writer(view if draws else None, plot),
                    )
                )
        dialog = export.ExportDialog(targets, self.checkpoint_dir, self)
        dialog.finished.connect(lambda _r: setattr(self, "checkpoint_dir", dialog.folder))
        return dialog

    # -- help -------------------------------------------------------------------
    def show_glossary(self) -> Any:
        """Help > Glossary: the terms the studio uses, explained (the dialog, shown)."""
        from gui.panels.glossary import GlossaryDialog

        dialog = GlossaryDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

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

        if self._sweep_dialog is None:
            self._sweep_dialog = SweepDialog(self.config(), self)
            self._sweep_dialog.compare_requested.connect(self._on_compare_requested)
        self._sweep_dialog.show()
        self._sweep_dialog.raise_()

    def _on_compare_requested(self, runs: list[dict]) -> None:
        """A sweep's best trials join the Runs tab, which is brought forward on their data."""
        self.session.add_sweep_trials(runs)
        if runs:
            self.runs.show_dataset(str(dict(runs[0]["config"]).get("dataset", "")))
        self.tabs.setCurrentWidget(self.runs)
        self.raise_()
        self.activateWindow()
