"""The session: one controller that owns the run, so that no view can drift out of step.

A :class:`Session` holds everything the window knows about training: the
:class:`~gui.shared.state.RunState`, the next run's settings (the *draft* the
controls edit), the current run and its settings as they are now (live changes
included), the loader that reads a dataset ahead of Start, the checkpoint that
Start goes on training, whether the run is saved, and the runs of this session.

Widgets never read one another. They send the session commands (:meth:`start`,
:meth:`pause`, :meth:`step_batch`, :meth:`edit`, :meth:`open_checkpoint`, ...) and
display the :class:`~gui.shared.state.SessionView` it emits on :attr:`changed`
after every transition, one frozen picture for all of them: when something looks
stale, this is the one place to look. The core's events still reach the views on
the :class:`~gui.shared.bus.EventBus` (curves, pictures); the session reads them
too, to move its state, and it alone emits ``run_reset``, which clears the views
for a new run.

Threads are the worker's (:class:`~gui.worker.TrainingRun`, one per Start, and
:class:`~gui.loaded_run.LoadedRun` for an opened checkpoint); the session only
starts, commands and retires them. Questions for the person (save before a run is
forgotten? which file?) go through hooks the window sets, so the session decides
*when* to ask and the window decides *how*.

The class is one; its parts live beside this file: loading datasets
(:mod:`~gui.session.loading`), checkpoints (:mod:`~gui.session.files`), the runs of
the session (:mod:`~gui.session.records`), the bus's events
(:mod:`~gui.session.events`), threads and questions (:mod:`~gui.session.threads`),
the timeline: looking back, playing and forking (:mod:`~gui.session.timeline`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from core import text
from core.errors import BackpropError
from core.nn.optim import TYPICAL_LR
from core.training.checkpoint import Checkpoint
from core.training.config import Config
from core.training.timeline import RecordedState
from gui.loaded_run import LoadedRun
from gui.run_folders import RunFolder, RunFolders, runs_root
from gui.scrubber import Scrubber
from gui.session.events import BusEvents
from gui.session.files import MORE_EPOCHS, Checkpoints
from gui.session.loading import FALLS_BACK, DataLoading, places_tried
from gui.session.records import RunRecords, trial_names
from gui.session.threads import RunThreads
from gui.session.timeline import TimeTravel
from gui.shared import jobs
from gui.shared.bus import EventBus
from gui.shared.state import (
    LIVE,
    Branch,
    DatasetInfo,
    Notice,
    RunRecord,
    RunState,
    SessionView,
    waiting_settings,
)
from gui.worker import TrainingRun, dataset_key

__all__ = ["FALLS_BACK", "MORE_EPOCHS", "RunState", "Session", "places_tried", "trial_names"]


class Session(DataLoading, Checkpoints, RunRecords, BusEvents, RunThreads, TimeTravel, QObject):
    """The studio's one source of truth about training; see the module doc.

    ``draft`` is the first run's settings. The window sets the hooks:
    ``ask_unsaved(text) -> "save" | "discard" | "cancel"``,
    ``choose_save_path(suggested) -> path or None``, ``choose_folder() -> path or None``,
    ``show_details(message, details)`` (the traceback of a bug, for a report) and
    ``ask_fork(state) -> changes or None`` (the settings a fork changes; None: cancelled).
    ``run_folders`` is where runs record their timelines.
    """

    changed = Signal(object)  # SessionView
    #: After :meth:`shut_down` found threads still finishing a batch: the last one is over.
    all_ended = Signal()

    def __init__(self, bus: EventBus, draft: Config, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self.ask_unsaved: Callable[[str], str] = lambda _text: "discard"
        self.choose_save_path: Callable[[str], str | None] = lambda _suggested: None
        self.choose_folder: Callable[[], str | None] = lambda: None
        self.show_details: Callable[[str, str], None] = lambda _message, _details: None
        self.ask_fork: Callable[[RecordedState], dict[str, Any] | None] = lambda _state: {}
        self.checkpoint_dir = Path.home()
        self.run_folders = RunFolders(runs_root())

        self._state = RunState.IDLE
        self._draft = draft
        self.chosen_dataset = draft.dataset  # the person's pick (a fall-back is not one)
        self.run: TrainingRun | None = None
        self._loader: TrainingRun | None = None
        self._opening: LoadedRun | None = None
        self._retiring: list[TrainingRun] = []
        self._closing = False
        self._dataset: Any = None
        self._dataset_key: tuple | None = None
        self._run_data: Any = None  # the current run's dataset (what its network is tested on)
        self._next_load: tuple[Config, bool, bool, bool] | None = None  # waits for the loader
        self._after_load: str | None = None  # "start", "epoch" or "batch" once loaded

        # The current run, as it is now.
        self._settings: Config | None = None
        self._architecture: tuple[int, ...] = ()
        self._info: DatasetInfo | None = None
        self._epochs_done = 0
        self._total_epochs = 0
        self._val_acc: float | None = None
        self._best: float | None = None
        self._saved = True
        self._has_network = False  # the run has weights worth saving (trained, or opened)
        self._step: str | None = None
        self._views_hold_run = False
        self._replaying = False
        self._before_opening = RunState.IDLE

        # The opened checkpoint that Start goes on training.
        self._opened: Checkpoint | None = None
        self._opened_key: tuple | None = None
        self._opened_dataset: Any = None
        self._opened_path: Path | None = None
        self._continuing = False
        self._next_name: str | None = None  # the record's name for the run starting now

        self._loading: tuple[str, int, int] | None = None
        self._message = "Ready"
        self._notice: Notice | None = None

        self._records: list[RunRecord] = []
        self._current: int | None = None  # number of the current run's record
        self._count = 0
        self._colours = 0

        # The timeline: the current run's folder (held open), what the views show.
        self._folder: RunFolder | None = None
        self._scrub = Scrubber(bus, self)
        self._scrub.changed.connect(self._emit)
        self._scrub.failed.connect(lambda message: self.tell(message, "warning"))
        self._forking: Branch | None = None  # the branch the run starting now is
        self._fork_job: jobs.Job | None = None

        bus.started.connect(self._on_started)
        bus.batch.connect(self._on_batch)
        bus.epoch.connect(self._on_epoch)
        bus.changed.connect(self._on_changed)
        bus.diverged.connect(self._on_diverged)
        bus.paused.connect(self._on_paused)
        bus.resumed.connect(self._on_resumed)
        bus.finished.connect(self._on_finished)
        self._view = self._make_view()

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def draft(self) -> Config:
        """The next run's settings, as the controls show them."""
        return self._draft

    @property
    def view(self) -> SessionView:
        """The latest picture of the session (what :attr:`changed` last carried)."""
        return self._view

    @property
    def training(self) -> bool:
        """A run's thread is alive (loading its data, training, holding or stopping)."""
        return self.run is not None and self.run.is_running

    @property
    def unsaved(self) -> bool:
        """The current run trained at least one batch since it started or was saved."""
        return self.run is not None and not self._saved

    def dataset_for(self, key: tuple) -> Any:
        """The dataset already loaded for ``key`` (a ``dataset_key``), or None."""
        return self._dataset if key == self._dataset_key else None

    @property
    def run_dataset(self) -> Any:
        """The dataset the current run (or the opened checkpoint) trains on, once loaded."""
        if self._opened is not None:
            return self._opened_dataset
        if self._settings is None:
            return None
        return self.dataset_for(dataset_key(self._settings))

    def toggle(self) -> None:
        """Space: start when nothing runs, pause when training, resume when held."""
        if self._state in (RunState.TRAINING, RunState.STEPPING):
            self.pause()
        elif self._state in (RunState.PAUSED, RunState.DIVERGED):
            self.resume()
        else:
            self.start()

    def start(self, step: str | None = None) -> None:
        """Start a run with the draft (or go on with the opened checkpoint).

        ``step`` "epoch" or "batch" trains that much, then holds. Held, it resumes.
        """
        st = self._state
        if st in (RunState.PAUSED, RunState.DIVERGED, RunState.TRAINING, RunState.STEPPING):
            if step is not None:
                self._step_live(step)
            elif st is not RunState.TRAINING and st is not RunState.STEPPING:
                self.resume()
            return
        if st is RunState.STOPPING or self.training:
            return
        if self._opening is not None and self._opening.is_running:
            return
        if self._loader is not None:
            self._after_load = step or "start"
            self._message = "Loading the dataset; training starts when it is ready"
            self._emit()
            return
        if not self._confirm_forget("Start a new run"):
            return
        config = self._draft
        key = dataset_key(config)
        continuing = st is RunState.LOADED and self._opened is not None and key == self._opened_key
        resume: dict[str, Any] = {}
        if continuing:
            ck = self._opened
            config = ck.config.replace(
                learning_rate=config.learning_rate,
                batch_size=config.batch_size,
                epochs=max(config.epochs, ck.epoch + 1),
            )
            resume = {
                "model": ck.model,
                "optimizer": ck.optimizer,
                "history": ck.history,
                "changes": ck.changes,
                "branch": ck.meta.get("branch"),  # a fork goes on as one
            }
            dataset = self._opened_dataset
        else:
            dataset = self.dataset_for(key)
            if self._views_hold_run:
                self.bus.run_reset.emit()
        self._run_data = dataset  # None: the run loads it (then its dataset_ready says)
        self._forget_opened()
        self._continuing = continuing
        self._forking = None
        self._next_name = None
        self._retire(self.run)
        self._new_timeline()
        run = TrainingRun(
            self.bus,
            config,
            self,
            show_snapshot=self._scrub.offer_live,
            dataset=dataset,
            download=True,
            run_folders=self.run_folders,
            **resume,
        )
        if continuing and tuple(self._draft.hidden) != tuple(resume["model"].hidden):
            for layer, width in enumerate(self._draft.hidden[: len(resume["model"].hidden)]):
                run.control.set_hidden_size(width, layer=layer)
        if step == "epoch":
            run.control.step_epoch()
        elif step == "batch":
            run.control.step_batch()
        self._adopt(run, config, has_network=continuing, step=step)
        if not continuing:
            self._epochs_done, self._val_acc, self._best = 0, None, None
        self._state = RunState.LOADING if dataset is None else self._running_state()
        self._message = f"Starting: {config.dataset}, hidden {text.sizes(config.hidden)}"
        run.start()
        self._emit()

    def _adopt(
        self, run: TrainingRun, config: Config, *, has_network: bool, step: str | None = None
    ) -> None:
        """``run`` (of ``config``) is the current run now: watched, shown, nothing to save."""
        self._watch(run)
        self.run = run
        self._views_hold_run = True
        self._saved = True
        self._has_network = has_network
        self._step = step
        self._notice = None
        self._settings = config
        self._total_epochs = config.epochs

    def start_experiment(
        self,
        config: Config,
        name: str,
        changes: Sequence[tuple[int, str, Any]] = (),
        *,
        ask: bool = True,
    ) -> bool:
        """Start a new run of ``config`` named ``name``, whatever runs now: a lesson's run.

        The run before it ends (when ``ask``, an unsaved one is offered for saving
        first; False when the person cancelled). ``changes`` are ``(epoch, setting,
        value)``: live changes the Trainer applies as each of those epochs begins,
        as if the slider had been moved then. A dataset that is not on the machine
        is never downloaded: the run trains on the bundled digits and the banner
        says so (its ``Started`` names the dataset it trains on).
        """
        if ask and not self._confirm_forget("Start a lesson"):
            return False
        self._after_load = None
        if self.run is not None and self.run.is_running:
            self._end_current("stopped")
        self._retire(self.run)
        if self._views_hold_run:
            self.bus.run_reset.emit()
        self._forget_opened()
        self._continuing = False
        self._draft = config
        self.chosen_dataset = config.dataset
        dataset = self.dataset_for(dataset_key(config))
        run = TrainingRun(self.bus, config, self, dataset=dataset, download=False, fallback=True)
        for epoch, setting, value in changes:
            run.control.at_epoch(epoch, setting, value)
        run.fell_back.connect(self._on_fell_back)
        self._adopt(run, config, has_network=False)
        self._next_name = name
        self._epochs_done, self._val_acc, self._best = 0, None, None
        self._state = RunState.LOADING if dataset is None else RunState.TRAINING
        self._message = f"{name}: {config.dataset}, hidden {text.sizes(config.hidden)}"
        run.start()
        self._emit()
        return True

    def _step_live(self, step: str) -> None:
        if self.run is None or not self.run.is_running:
            return
        if step == "epoch":
            self.run.control.step_epoch()
        else:
            self.run.control.step_batch()
        if self._state is RunState.DIVERGED:
            self._notice = None  # the person chose to go on as it is, one step
        self._step = step
        self._state = RunState.STEPPING
        self._message = f"Training one more {step}…"
        self._emit()

    def pause(self) -> None:
        """Hold the run at the next batch boundary."""
        if self._state in (RunState.TRAINING, RunState.STEPPING) and self.run is not None:
            self.run.control.pause()
            self._step = None
            self._message = "Pausing at the next batch…"
            self._emit()

    def resume(self) -> None:
        """Let a held run go on (after a pause, a Step or a divergence)."""
        if self._state in (RunState.PAUSED, RunState.DIVERGED) and self.run is not None:
            self._step = None
            self.run.control.resume()
            self._message = "Resuming…"
            self._emit()

    def step_epoch(self) -> None:
        """Train exactly one more epoch, then hold (starts a run when none is going)."""
        self.start(step="epoch")

    def step_batch(self) -> None:
        """Train exactly one more mini-batch, then hold (starts a run when none is going)."""
        self.start(step="batch")

    def stop(self) -> None:
        """End the run at the next batch boundary; its network stays, for saving."""
        if self._after_load is not None:
            self._after_load = None
            self._message = "Start cancelled; the dataset goes on loading"
        # A run that has finished may not have left its thread yet: nothing to stop.
        running = self._state.live or self._state is RunState.LOADING
        if (
            running
            and self.run is not None
            and self.run.is_running
            and not self.run.control.stopped
        ):
            self.run.control.stop()
            self._step = None
            self._state = RunState.STOPPING
            self._message = "Stopping after this batch…"
        self._emit()

    def reset(self) -> bool:
        """End the run, forget its network (asking first if unsaved), clear the views.

        Every setting of the draft then applies to the next Start. Returns False
        when the person cancelled.
        """
        if not self._confirm_forget("Reset"):
            return False
        self._retire(self.run)
        self.run = None
        self._forget_opened()
        self._end_current("reset")
        self._new_timeline()
        self.bus.run_reset.emit()
        self._views_hold_run = False
        self._run_data = None
        self._clear_run()
        self._notice = None
        self._state = self._resting_state()
        self._message = "Reset: the next Start trains a new network"
        self._emit()
        self._load_draft_ahead()
        return True

    def recover(self, learning_rate: float) -> None:
        """After a divergence: go on at ``learning_rate``, from the restored weights."""
        if self._state is not RunState.DIVERGED:
            return
        self.edit("learning_rate", float(learning_rate))
        self.resume()

    def edit(self, name: str, value: Any) -> None:
        """The person changed setting ``name`` in the controls.

        The draft takes it; a live setting also goes to the running network (it
        comes back as a change event, which moves the run's settings). ``hidden``
        is a width for every hidden layer, ``depth`` the number of layers.
        """
        old = self._draft
        try:
            draft = self._edited(old, name, value)
        except BackpropError as e:
            self._notice = Notice(text=str(e), level="error")
            self._emit()
            return
        # A rate that suits a new optimiser, unless the person chose one of their own (a
        # running network keeps its rate: the slider shows that one).
        if (
            name == "optimizer"
            and not self._state.live
            and self._state is not RunState.LOADED
            and abs(old.learning_rate - TYPICAL_LR.get(old.optimizer, -1.0)) < 1e-9
        ):
            draft = draft.replace(learning_rate=TYPICAL_LR[draft.optimizer])
        if name == "dataset":
            self.chosen_dataset = draft.dataset
        self._draft = draft
        if self._state.live and self.run is not None and name in LIVE and self._settings:
            try:
                if name == "hidden":  # every hidden layer of the running network
                    for layer in range(self._settings.depth):
                        self.run.control.set_hidden_size(draft.hidden[0], layer=layer)
                else:
                    self.run.control.set(name, getattr(draft, name))
            except BackpropError as e:
                self._notice = Notice(text=str(e), level="error")
        self._emit()
        if dataset_key(draft) != dataset_key(old):
            self._load_draft_ahead()

    def set_draft(self, config: Config) -> None:
        """Replace the whole draft (stored settings, an opened run's, a shared setup's).

        A draft on other data has it read ahead, as choosing it in the controls does.
        """
        old = self._draft
        self._draft = config
        self.chosen_dataset = config.dataset
        self._emit()
        if dataset_key(config) != dataset_key(old):
            self._load_draft_ahead()

    @staticmethod
    def _edited(draft: Config, name: str, value: Any) -> Config:
        if name == "hidden":
            return draft.replace(hidden=(int(value),) * max(draft.depth, 1))
        if name == "depth":
            width = draft.hidden[0] if draft.hidden else 128
            return draft.replace(hidden=(width,) * int(value))
        if name == "dataset":
            key = str(value)
            path = draft.data_path if key == draft.dataset else None
            return draft.replace(dataset=key, data_path=path)
        return draft.replace(**{name: value})

    def _running_state(self) -> RunState:
        return RunState.STEPPING if self._step else RunState.TRAINING

    def _resting_state(self) -> RunState:
        """Nothing runs: ready when the draft's data is loaded, else loading or idle."""
        if self.dataset_for(dataset_key(self._draft)) is not None:
            return RunState.READY
        if self._loader is not None:
            return RunState.LOADING
        return RunState.IDLE

    def _clear_run(self) -> None:
        self._settings = None
        self._architecture = ()
        self._epochs_done = 0
        self._total_epochs = 0
        self._val_acc = self._best = None
        self._saved = True
        self._has_network = False
        self._step = None
        if self._dataset is not None and self._dataset_key == dataset_key(self._draft):
            ds = self._dataset
            self._info = DatasetInfo(
                name=ds.name, n_train=len(ds.y_train), n_val=len(ds.y_val), n_test=len(ds.y_test)
            )

    @staticmethod
    def _with_live(draft: Config, run: Config) -> Config:
        """The draft with the run's live settings: the sliders show the network as it is."""
        hidden = draft.hidden
        if run.hidden:
            hidden = run.hidden if run.depth == draft.depth else (run.hidden[0],) * draft.depth
        return draft.replace(
            learning_rate=run.learning_rate, batch_size=run.batch_size, hidden=hidden
        )

    def tell(self, text_: str, level: str = "info") -> None:
        """Show a message in the banner (stored settings that were not usable, say)."""
        self._notice = Notice(text=text_, level=level)
        self._emit()

    def dismiss_notice(self) -> None:
        """The person closed the banner (or pressed one of its buttons)."""
        if self._notice is not None:
            self._notice = None
            self._emit()

    def _make_view(self) -> SessionView:
        settings = self._settings
        over = self._state in (RunState.FINISHED, RunState.ERROR)
        shown = over or self._state.live or self._state in (RunState.LOADED, RunState.STOPPING)
        waiting = (
            waiting_settings(self._draft, settings, live=over)
            if settings is not None and shown
            else ()
        )
        run = self.run
        return SessionView(
            state=self._state,
            draft=self._draft,
            settings=settings,
            waiting=waiting,
            architecture=self._architecture,
            dataset=self._info,
            epochs_done=self._epochs_done,
            total_epochs=self._total_epochs,
            val_acc=self._val_acc,
            best_val_acc=self._best,
            saved=self._saved,
            can_save=(run is not None and (self._has_network or run.trainer is not None))
            or self._opened is not None,
            opened=self._opened_path.name if self._opened_path is not None else None,
            step=self._step,
            loading=self._loading,
            message=self._message,
            notice=self._notice,
            runs=tuple(self._records),
            current=self._current,
            data=self._dataset,
            run_data=self._run_data,
            timeline=self._scrub.view(self._total_epochs),
        )

    def _emit(self) -> None:
        self._view = self._make_view()
        self.changed.emit(self._view)
