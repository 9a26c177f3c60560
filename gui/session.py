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
starts, commands and retires them.

Time travel: each run records its timeline into a run folder of its own
(:mod:`gui.run_folders`). The session holds the current run's folder open and owns
the moment being viewed: :meth:`view_moment`, :meth:`back_to_live` and :meth:`play`
go to its :class:`~gui.scrubber.Scrubber`, through which every snapshot the views
draw passes, so that all of them show the same moment while training goes on.
:meth:`continue_from` forks the run from a recorded moment: a new run of the
session, recorded as a branch of the one it left. Questions for the person (save before a run is
forgotten? which file?) go through hooks the window sets, so the session decides
*when* to ask and the window decides *how*.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from core import text
from core.data.catalog import SOURCES, source_for
from core.errors import BackpropError
from core.nn.optim import TYPICAL_LR
from core.training import checkpoint
from core.training.checkpoint import Checkpoint
from core.training.config import Config
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Finished,
    HyperparameterChanged,
    Paused,
    Resumed,
    Snapshot,
    Started,
)
from core.training.fork import forked_config
from core.training.timeline import RecordedState, Timeline
from gui.loaded_run import LoadedRun, replay
from gui.run_folders import RunFolder, RunFolders, runs_root
from gui.scrubber import Scrubber
from gui.shared import jobs
from gui.shared.bus import EventBus
from gui.shared.state import (
    LIVE,
    SETTING_NAMES,
    Branch,
    DatasetInfo,
    EpochPoint,
    Notice,
    RunRecord,
    RunSettings,
    RunState,
    SessionView,
    folder_note,
    waiting_settings,
)
from gui.worker import TrainingRun, dataset_key

#: Epochs an opened checkpoint that had finished trains on when it is continued.
MORE_EPOCHS = 10
#: Datasets the window replaces by the bundled digits when they cannot be found.
FALLS_BACK = tuple(SOURCES)
#: How long a save may wait for the training thread's next batch boundary.
SAVE_TIMEOUT_S = 10.0


def places_tried(message: str) -> str:
    """The places a "not available" message lists, on one line (else its first line)."""
    places = [
        line.strip()[2:]
        for line in message.splitlines()
        if line.strip().startswith("- ") and "turned off" not in line
    ]
    return "; ".join(places) if places else message.splitlines()[0] if message else "?"


def trial_names(runs: list[dict[str, Any]]) -> list[str]:
    """Sweep trials named by what they tried: ``lr 0.3 · hidden 64 · seed 1``.

    The settings that differ between the trials name them (the learning rate and the
    hidden widths when they all agree), so trials of one sweep read apart at a glance.
    """
    short = {"learning_rate": "lr", "batch_size": "batch", "optimizer": "opt"}
    settings = [dict(r.get("setting", {})) for r in runs]
    keys = sorted({k for s in settings for k in s})
    varying = [k for k in keys if len({repr(s.get(k)) for s in settings}) > 1]
    names = varying or [k for k in ("learning_rate", "hidden") if k in keys]
    return [
        " · ".join(
            [f"{short.get(k, k)} {text.value(s[k], digits=3)}" for k in names if k in s]
            + [f"seed {r.get('seed', '?')}"]
        )
        for r, s in zip(runs, settings, strict=True)
    ]


def _skipped(dataset: Any) -> bool:
    """Loading ``dataset`` (an image folder) left bad pictures out."""
    report = getattr(dataset, "image_folder", None)
    return report is not None and report.skipped > 0


def _history_points(rows: Any) -> tuple[EpochPoint, ...]:
    return tuple(
        EpochPoint(
            epoch=int(r["epoch"]), val_loss=float(r["val_loss"]), val_acc=float(r["val_acc"])
        )
        for r in rows
    )


def change_words(name: str, old: Any, new: Any) -> str:
    """One changed setting, for a person: ``learning rate 0.1→0.3``, ``hidden size 32→48``."""
    before, after = text.value(old, digits=3), text.value(new, digits=3)
    return f"{SETTING_NAMES.get(name, name.replace('_', ' '))} {before}→{after}"


def changes_text(config: Config, changes: dict[str, Any]) -> str:
    """What a fork changes: ``learning rate 0.1→0.3, batch size 128→64`` or ``no change``."""
    words = [change_words(name, getattr(config, name), new) for name, new in changes.items()]
    return ", ".join(words) or "no change"


def branch_of(meta: Any, first_epoch: int) -> Branch | None:
    """The branch a checkpoint's metadata records (a fork saved, then opened), if any."""
    b = meta.get("branch") if isinstance(meta, dict) else None
    if not isinstance(b, dict):
        return None
    changed = b.get("changed") if isinstance(b.get("changed"), dict) else {}
    words = ", ".join(
        change_words(name, pair[0], pair[1])
        for name, pair in changed.items()
        if isinstance(pair, list) and len(pair) == 2
    )
    source = b.get("source")
    epoch = b.get("epoch")
    return Branch(
        parent=None,
        parent_name=Path(source).name if isinstance(source, str) else "another run",
        moment=str(b.get("moment", "")),
        x=float(epoch) if isinstance(epoch, int) else float(first_epoch),
        changed=words or "no change",
    )


class Session(QObject):
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

    # -- reading ----------------------------------------------------------------------
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

    # -- the run: start, pause, step, stop, reset -------------------------------------
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
        self._watch(run)
        self.run = run
        self._views_hold_run = True
        self._saved = True
        self._has_network = continuing
        self._step = step
        self._notice = None
        self._settings = config
        self._total_epochs = config.epochs
        if not continuing:
            self._epochs_done, self._val_acc, self._best = 0, None, None
        self._state = RunState.LOADING if dataset is None else self._running_state()
        self._message = f"Starting: {config.dataset}, hidden {text.sizes(config.hidden)}"
        run.start()
        self._emit()

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
        self._watch(run)
        self.run = run
        self._next_name = name
        self._views_hold_run = True
        self._saved = True
        self._has_network = False
        self._step = None
        self._notice = None
        self._settings = config
        self._total_epochs = config.epochs
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
        if self.run is not None and self.run.is_running and not self.run.control.stopped:
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

    # -- settings -----------------------------------------------------------------
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

    # -- data ---------------------------------------------------------------------------
    def preload(self) -> None:
        """Read the draft's dataset ahead of Start (MNIST missing: the bundled digits)."""
        if self._closing:
            return  # closed before the event loop got here: no thread may start now
        self._load_ahead(self._draft, download=False, fallback=self._draft.dataset == "mnist")

    def download_mnist(self) -> None:
        """Fetch MNIST (with progress), then select it."""
        self._load_ahead(
            self._draft.replace(dataset="mnist", data_path=None), download=True, select=True
        )

    def use_digits(self) -> None:
        """Switch to the bundled 8x8 digits and start training on them."""
        self.edit("dataset", "digits")
        self.start()

    def choose_data_folder(self) -> None:
        """Ask for a folder of MNIST IDX files, then load and select it."""
        folder = self.choose_folder()
        if folder:
            self._load_ahead(
                self._draft.replace(dataset="mnist", data_path=folder), download=False, select=True
            )

    def use_folder(self, path: str | os.PathLike) -> None:
        """A folder the person chose (the dataset box, a drop on the window) as the dataset.

        Any folder ``load_dataset`` reads: pictures in one subfolder per class, IDX
        files or CIFAR batches. It is loaded first, in the loader's thread, and becomes
        the next run's dataset only once it has loaded; a folder that cannot be used
        leaves the draft and the run as they were, and the banner says why.
        """
        typed = os.fspath(path).strip()
        if not typed:
            return
        known = source_for(typed)
        if known is not None:  # a dataset's other name typed in the box ("fashion")
            self.edit("dataset", known.key)
            return
        folder = os.path.abspath(os.path.expanduser(typed))
        config = self._draft.replace(dataset=folder, data_path=None)
        ready = self.dataset_for(dataset_key(config))
        if ready is not None:
            self._on_selected(config, ready)
            return
        self._load_ahead(config, download=False, select=True)

    def _load_draft_ahead(self) -> None:
        if (
            not self._state.live
            and self._state is not RunState.STOPPING
            and self.dataset_for(dataset_key(self._draft)) is None
        ):
            self._load_ahead(self._draft, download=False)

    def _load_ahead(
        self, config: Config, *, download: bool, fallback: bool = False, select: bool = False
    ) -> None:
        """Load ``config``'s dataset in the loader's thread; ``select`` makes it the draft's
        once loaded. One loader at a time, until its end has been handled here (its last
        signals may still be on their way after its thread is over): a request meanwhile
        waits, the latest one, a person's choice (``select``) before a read-ahead."""
        if self._loader is not None:
            waiting = self._next_load
            if select or waiting is None or not waiting[3]:
                self._next_load = (config, download, fallback, select)
            return
        loader = TrainingRun(
            self.bus, config, self, load_only=True, download=download, fallback=fallback
        )
        loader.loading.connect(self._on_loading)
        loader.dataset_ready.connect(
            lambda ds, key, c=config, select=select: self._on_loaded(ds, key, c, select)
        )
        loader.fell_back.connect(self._on_fell_back)
        if select:
            loader.failed.connect(lambda _kind, msg, _details, c=config: self._on_refused(c, msg))
        else:
            loader.failed.connect(
                lambda kind, msg, details: self._on_failed(kind, msg, details, None)
            )
        loader.ended.connect(self._on_loader_ended)
        self._loader = loader
        if self._state in (RunState.IDLE, RunState.READY, RunState.ERROR):
            self._state = RunState.LOADING
        self._message = f"Loading {config.dataset}…"
        loader.start()
        self._emit()

    def _on_loading(self, what: str, done: int, total: int) -> None:
        self._loading = (what, done, total)
        self._emit()

    def _on_loader_ended(self, _trainer: object) -> None:
        self._loader = None
        self._loading = None
        after, self._after_load = self._after_load, None
        if self._closing:
            return
        if self._state is RunState.LOADING and self.run is None:
            self._state = self._resting_state()
        self._emit()
        waiting, self._next_load = self._next_load, None
        if waiting is not None:
            config, download, fallback, select = waiting
            key = dataset_key(config)
            if select or (key == dataset_key(self._draft) and self.dataset_for(key) is None):
                self._load_ahead(config, download=download, fallback=fallback, select=select)
        if after is not None:
            self.start(step=None if after == "start" else after)

    def _on_loaded(self, dataset: Any, key: tuple, config: Config, select: bool) -> None:
        """The loader read ``config``'s dataset: kept when it is still wanted (the person
        chose it, or the draft still asks for it), then made the draft's when chosen."""
        if select or key == dataset_key(self._draft) or self._dataset is None:
            self._on_dataset_ready(dataset, key)
        if select:
            self._on_selected(config, dataset)

    def _on_dataset_ready(self, dataset: Any, key: tuple, run: TrainingRun | None = None) -> None:
        self._dataset, self._dataset_key = dataset, key
        if run is not None and run is self.run:
            self._run_data = dataset
            self._scrub.set_dataset(dataset)
        if _skipped(dataset):
            self._notice = Notice(text=f"{dataset.name}: {folder_note(dataset)}", level="warning")
        if self.run is None or not self._views_hold_run:
            self._info = DatasetInfo(
                name=dataset.name,
                n_train=len(dataset.y_train),
                n_val=len(dataset.y_val),
                n_test=len(dataset.y_test),
            )
        report = dataset.image_folder
        self._message = (
            f"{dataset.name} ready ({dataset.source})"
            if report is None
            else f"{dataset.name} ready: {report.images:,} images from {report.folder}"
        )
        self._emit()

    def _on_fell_back(self, why: str) -> None:
        self._draft = self._draft.replace(dataset="digits", data_path=None)
        self._notice = Notice(
            text=f"MNIST not found (looked in {places_tried(why)}): "
            "training on the bundled 8×8 digits.",
            level="warning",
            actions=(
                ("Download MNIST", self.download_mnist),
                ("Choose folder…", self.choose_data_folder),
            ),
        )
        self._emit()

    def _on_selected(self, config: Config, dataset: Any) -> None:
        """``config``'s dataset loaded as the person asked: it is the next run's now."""
        old = self._draft
        self._draft = old.replace(dataset=config.dataset, data_path=config.data_path)
        self.chosen_dataset = config.dataset
        live = self._state.live or self._state is RunState.STOPPING
        when = "Reset, then Start, to train on it" if live else "press Start to train on it"
        note = folder_note(dataset)
        self._notice = Notice(
            text=f"{dataset.name} is ready: {when}." + (f" {note}" if note else ""),
            level="warning" if _skipped(dataset) else "info",
        )
        if self._state in (RunState.IDLE, RunState.ERROR) and not live:
            self._state = self._resting_state()
        self._emit()

    def _on_refused(self, config: Config, message: str) -> None:
        """A folder the person chose could not be used: say why; nothing else changes."""
        self._notice = Notice(text=f"That folder cannot be used: {message}", level="error")
        self._message = "That folder cannot be used: see the message above"
        self._emit()

    def _on_failed(self, kind: str, message: str, details: str, run: TrainingRun | None) -> None:
        actions: tuple[tuple[str, Callable[[], Any]], ...] = ()
        if kind in ("DataError", "DatasetUnavailable"):
            actions = (
                ("Use the bundled 8×8 digits", self.use_digits),
                ("Choose folder…", self.choose_data_folder),
            )
        elif details:
            actions = (("Details…", lambda: self.show_details(message, details)),)
        self._notice = Notice(text=message, level="error", actions=actions)
        self._message = "Something went wrong: see the message above"
        if run is not None and run is self.run:
            self._state = RunState.ERROR
            self._step = None
        elif self._state is RunState.LOADING and self.run is None:
            self._state = RunState.ERROR
        self._emit()

    # -- checkpoints --------------------------------------------------------------------
    def save(self, path: str | os.PathLike | None = None) -> bool:
        """Save the run (asks for a file through the hook when ``path`` is None)."""
        run, ck = self.run, self._opened
        can = run is not None and (self._has_network or run.trainer is not None)
        if not can and ck is None:
            self._notice = Notice(text="Nothing to save yet: train at least one batch.")
            self._emit()
            return False
        if path is None:
            epochs = self._epochs_done
            dataset = (self._settings or self._draft).dataset
            suggested = str(self.checkpoint_dir / f"{Path(dataset).name}-epoch{epochs}.npz")
            path = self.choose_save_path(suggested)
            if not path:
                return False
        try:
            if can:
                saved = run.submit(lambda trainer: checkpoint.save(path, trainer), SAVE_TIMEOUT_S)
            else:
                saved = checkpoint.save(
                    path,
                    model=ck.model,
                    optimizer=ck.optimizer,
                    config=ck.config,
                    history=ck.history,
                    changes=ck.changes,
                )
        except (BackpropError, OSError, TimeoutError) as e:
            self._notice = Notice(text=f"Could not save the checkpoint: {e}", level="error")
            self._emit()
            return False
        self._saved = True
        self.checkpoint_dir = Path(saved).parent
        if can and self._folder is not None:
            self._folder.keep(saved)  # its timeline stays with what was saved
        self._update_current(file=str(Path(saved).resolve()))
        self._message = f"Saved {saved}"
        self._emit()
        return True

    def open_checkpoint(self, path: str | os.PathLike) -> bool:
        """Open a checkpoint and show it in every view; Start then goes on training it.

        Returns True when the file was read; the views fill in once its dataset is
        ready (the state goes from LOADING to LOADED).
        """
        if self._state.live or self._state is RunState.STOPPING:
            self._notice = Notice(text="Stop or reset the run first, then open a checkpoint.")
            self._emit()
            return False
        if self._opening is not None and self._opening.is_running:
            return False
        if not self._confirm_forget("Open a checkpoint"):
            return False
        path = Path(path)
        try:
            ck = checkpoint.load(path)
        except BackpropError as e:
            self._notice = Notice(text=f"Could not open the checkpoint: {e}", level="error")
            self._emit()
            return False
        self.checkpoint_dir = path.parent
        key = dataset_key(ck.config)
        opening = LoadedRun(ck, self.dataset_for(key), self)
        opening.ready.connect(
            lambda ds, k, started, snap: self._on_opened(path, ck, ds, k, started, snap)
        )
        opening.failed.connect(lambda msg: self._on_open_failed(path, msg))
        opening.ended.connect(self._on_opening_ended)
        self._opening = opening
        self._before_opening = self._state
        self._state = RunState.LOADING
        self._message = f"Opening {path.name}…"
        opening.start()
        self._emit()
        return True

    def _on_opened(
        self, path: Path, ck: Checkpoint, dataset: Any, key: tuple, started: Started, snap: Snapshot
    ) -> None:
        if self._closing:
            return
        self._retire(self.run)
        self.run = None
        self._end_current(None)
        self._new_timeline()
        self.bus.run_reset.emit()
        config = ck.config
        if config.epochs <= ck.epoch:
            config = config.replace(epochs=ck.epoch + MORE_EPOCHS)
        self._opened, self._opened_key, self._opened_dataset = ck, key, dataset
        self._opened_path = path
        self._run_data = dataset
        if self._dataset is None or self._dataset_key == key:
            self._dataset, self._dataset_key = dataset, key
        self._record_checkpoint(path, ck, started)
        self._replaying = True
        try:
            replay(self.bus, started, ck, snap, self._scrub.offer_live)
        finally:
            self._replaying = False
        self._views_hold_run = True
        self._draft = config
        self.chosen_dataset = config.dataset
        self._settings = config
        self._architecture = tuple(started.architecture)
        self._info = DatasetInfo(
            name=started.dataset,
            n_train=started.n_train,
            n_val=started.n_val,
            n_test=started.n_test,
        )
        self._epochs_done = ck.epoch
        self._total_epochs = config.epochs
        accs = [float(r["val_acc"]) for r in ck.history]
        self._val_acc = accs[-1] if accs else None
        self._best = max(accs) if accs else None
        self._saved = True
        self._step = None
        self._notice = None
        self._state = RunState.LOADED
        self.bus.settled.emit()
        best = f", best validation accuracy {self._best:.2%}" if self._best is not None else ""
        self._message = (
            f"Opened {path.name}: {ck.epoch} epoch(s){best}. Continue goes on training it."
        )
        self._emit()

    def _on_open_failed(self, path: Path, message: str) -> None:
        self._notice = Notice(
            text=f"Opened {path.name}, but cannot show it: {message}", level="error"
        )
        if self._state is RunState.LOADING:
            self._state = self._before_opening
        self._emit()

    def _on_opening_ended(self) -> None:
        self._opening = None
        if self._state is RunState.LOADING and self.run is None and not self._closing:
            self._state = self._before_opening  # cancelled or failed: back where it was
            self._emit()

    def _forget_opened(self) -> None:
        self._opened = self._opened_key = self._opened_dataset = self._opened_path = None

    # -- runs of the session ----------------------------------------------------------
    def add_sweep_trials(self, runs: list[dict]) -> None:
        """A record for each sweep trial (``core.sweep.results.top_runs``), not twice."""
        for run, name in zip(runs, trial_names(runs), strict=True):
            c, history = dict(run["config"]), list(run["history"])
            dataset = str(c.get("dataset", "?"))
            trial = f"{run.get('key')}/{run.get('seed')}"
            if any(r.trial == trial for r in self._records):
                continue
            settings = RunSettings.of(c)
            self._records.append(
                RunRecord(
                    number=0,
                    name=name,
                    colour=self._next_colour(),
                    kind="sweep",
                    dataset=dataset,
                    started=settings,
                    ended=dataclasses.replace(
                        settings,
                        learning_rate=float(
                            history[-1].get("learning_rate", settings.learning_rate)
                        )
                        if history
                        else settings.learning_rate,
                    ),
                    history=_history_points(history),
                    outcome=f"sweep: {run.get('status', '?')}",
                    trial=trial,
                )
            )
        self._emit()

    def clear_earlier_runs(self) -> None:
        """Forget every run but the current one."""
        self._records = [r for r in self._records if r.number == self._current and r.number]
        self._emit()

    def _next_colour(self) -> int:
        self._colours += 1
        return self._colours - 1

    def _new_record(self, name: str, kind: str, dataset: str, started: RunSettings) -> RunRecord:
        self._count += 1
        record = RunRecord(
            number=self._count,
            name=name or f"Run {self._count}",
            colour=self._next_colour(),
            kind=kind,
            dataset=dataset,
            started=started,
            ended=started,
        )
        self._records.append(record)
        self._current = record.number
        return record

    def _record_checkpoint(self, path: Path, ck: Checkpoint, started: Started) -> None:
        """The opened run's record: the one it was saved from, if it is this very state."""
        resolved = str(path.resolve())
        for r in self._records:
            if r.file == resolved and r.epochs == ck.epoch:
                self._current = r.number
                self._update_current(outcome="opened")
                return
        first = ck.history[0] if ck.history else {}
        cfg = ck.config.to_dict()
        begin = dict(cfg, **{k: first[k] for k in ("learning_rate", "batch_size") if k in first})
        arch0 = tuple(first.get("architecture", ())) or tuple(started.architecture)
        record = self._new_record(
            path.name, "checkpoint", started.dataset, RunSettings.of(begin, arch0)
        )
        self._replace(
            record,
            ended=RunSettings.of(cfg, tuple(started.architecture)),
            history=_history_points(ck.history),
            first_epoch=ck.epoch,
            outcome="opened",
            file=resolved,
            branch=branch_of(ck.meta, ck.epoch),
        )

    def _current_record(self) -> RunRecord | None:
        return next((r for r in self._records if r.number == self._current), None)

    def _replace(self, record: RunRecord, **changes: Any) -> None:
        i = self._records.index(record)
        self._records[i] = dataclasses.replace(record, **changes)

    def _update_current(self, **changes: Any) -> None:
        record = self._current_record()
        if record is not None:
            self._replace(record, **changes)

    def _end_current(self, outcome: str | None) -> None:
        record = self._current_record()
        if record is not None and outcome is not None and record.outcome == "running":
            self._replace(record, outcome=outcome)
        self._current = None

    # -- the timeline: look back, play, fork ----------------------------------------------
    def view_moment(self, index: int) -> None:
        """Set every view to recorded moment ``index`` of the current run (training goes on)."""
        self._scrub.stop_playing()
        self._scrub.view_moment(index)

    def back_to_live(self) -> None:
        """Every view shows the live run again."""
        self._scrub.back_to_live()

    def play(self, speed: float) -> None:
        """Replay the run's recorded moments, ``speed`` a second, from the one viewed."""
        self._scrub.play(speed)

    def set_play_speed(self, speed: float) -> None:
        self._scrub.set_speed(speed)

    def stop_playing(self) -> None:
        self._scrub.stop_playing()

    def continue_from(
        self, index: int | None = None, changes: dict[str, Any] | None = None
    ) -> None:
        """Fork the current run from recorded moment ``index`` (the one viewed by default).

        Its state is read in a worker; then ``changes`` (Config field -> value), or what
        the person chooses (``ask_fork``) when None, start a new run from that exact state.
        """
        folder, moment = self._scrub.folder, self._scrub.moment(index)
        if folder is None or moment is None:
            self.tell("Nothing is recorded to continue from yet: train a little first.")
            return
        if self._fork_job is not None:
            return
        self._message = f"Reading the state {moment.label}…"
        self._emit()

        def ended() -> None:
            self._fork_job = None

        self._fork_job = jobs.run_job(
            lambda _progress: Timeline(folder).load(moment),
            "fork state",
            self,
            done=lambda state: self._on_fork_state(state, folder, changes),
            failed=lambda message, _details: self.tell(
                f"Could not continue from that moment: {message}", "error"
            ),
            ended=ended,
        )

    def _on_fork_state(
        self, state: RecordedState, source: Path, changes: dict[str, Any] | None
    ) -> None:
        if self._closing:
            return
        if changes is None:
            changes = self.ask_fork(state)
            if changes is None:
                self._message = "Continue from here: cancelled"
                self._emit()
                return
        self.fork(state, changes, source)

    def fork(self, state: RecordedState, changes: dict[str, Any], source: Path) -> bool:
        """Start a new run from ``state`` (recorded in ``source``) with ``changes``; the run
        left stops. Returns False when it did not start (refused, or cancelled)."""
        try:
            config = forked_config(state, changes)
        except BackpropError as e:
            self.tell(f"Cannot continue from there: {e}", "error")
            return False
        dataset = self._run_data
        if self._state is RunState.STOPPING:
            self.tell("The run is stopping: continue from the moment once it has.")
            return False
        if dataset is None or self._state is RunState.LOADING:
            self.tell("Wait for the run's data to load, then continue from the moment.")
            return False
        if not self._confirm_forget("Continue from here"):
            return False
        m = state.moment
        parent = self._current_record()
        self._forking = Branch(
            parent=parent.number if parent is not None else None,
            parent_name=parent.name if parent is not None else source.name,
            moment=m.label,
            x=m.progress,
            changed=changes_text(state.config, changes),
            train_loss=m.train_loss if m.batch == 0 else None,
            train_acc=m.train_acc if m.batch == 0 else None,
            val_loss=m.val_loss,
            val_acc=m.val_acc,
        )
        self._retire(self.run)
        self._end_current("stopped" if self._state.live else None)
        self._forget_opened()
        self._continuing = False
        self._new_timeline()
        self.bus.run_reset.emit()
        run = TrainingRun(
            self.bus,
            config,
            self,
            show_snapshot=self._scrub.offer_live,
            dataset=dataset,
            fork=(state, dict(changes), str(source)),
            run_folders=self.run_folders,
        )
        self._watch(run)
        self.run = run
        self._run_data = dataset
        self._scrub.set_dataset(dataset)
        self._views_hold_run = True
        self._saved = True
        self._has_network = True
        self._step = None
        self._notice = None
        self._settings = config
        self._total_epochs = config.epochs
        self._epochs_done = m.epoch
        self._val_acc = m.val_acc
        self._best = max((float(r["val_acc"]) for r in state.history), default=None)
        self._state = RunState.TRAINING
        self._message = f"Continuing {self._forking.parent_name} from {m.label}…"
        run.start()
        self._emit()
        return True

    def _new_timeline(self) -> None:
        """The current run changes: let its folder go (a clean-up may take it) and show live."""
        if self._folder is not None:
            self._folder.close()
            self._folder = None
        self._scrub.reset()

    def _on_recording(self, folder: RunFolder, run: TrainingRun) -> None:
        if run is not self.run or self._closing:
            folder.close()  # a run let go meanwhile: its folder is not shown
            return
        self._folder = folder
        self._scrub.attach(folder.path, self._run_data)

    def _on_unrecorded(self, why: str, run: TrainingRun) -> None:
        if run is not self.run:
            return
        self._scrub.detach(f"This run records no timeline: {why}")
        self.tell(
            f"This run records no timeline ({why}). Training goes on; looking back and "
            "continuing from a moment need one.",
            "warning",
        )

    # -- closing ------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Closing the window: ask to save an unsaved run; False when cancelled."""
        return self._confirm_forget("Close the window")

    def shut_down(self, wait_ms: int) -> bool:
        """Stop every thread; True when all have finished within the wait.

        Otherwise :attr:`all_ended` is emitted once the last one is over.
        """
        self._closing = True
        self._new_timeline()
        left = False
        for run in [self.run, self._loader, *self._retiring]:
            if run is None:
                continue
            run.mute()
            if not run.stop(wait_ms=wait_ms):
                left = True
                run.ended.connect(lambda _t: self._check_all_ended())
        opening = self._opening
        if opening is not None and not opening.stop(wait_ms):
            left = True
            opening.ended.connect(self._check_all_ended)
        return not left

    def _threads_left(self) -> bool:
        runs = [self.run, self._loader, *self._retiring, self._opening]
        return any(r is not None and r.is_running for r in runs)

    def _check_all_ended(self) -> None:
        if not self._threads_left():
            self.all_ended.emit()

    # -- questions ----------------------------------------------------------------------
    def _confirm_forget(self, action: str) -> bool:
        """Before a trained, unsaved network is forgotten: save, discard or cancel."""
        if not self.unsaved:
            return True
        epochs = self._epochs_done
        done = f"{epochs} epoch(s)" if epochs else "part of its first epoch"
        answer = self.ask_unsaved(f"{action}: the current run has trained {done} and is not saved.")
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -- the runs' threads ----------------------------------------------------------------
    def _watch(self, run: TrainingRun) -> None:
        run.loading.connect(self._on_loading)
        run.dataset_ready.connect(lambda ds, key, run=run: self._on_dataset_ready(ds, key, run))
        run.failed.connect(
            lambda kind, msg, details, run=run: self._on_failed(kind, msg, details, run)
        )
        run.ended.connect(lambda _t, run=run: self._on_run_ended(run))
        run.recording.connect(lambda folder, run=run: self._on_recording(folder, run))
        run.recorded.connect(lambda run=run: self._scrub.recorded() if run is self.run else None)
        run.unrecorded.connect(lambda why, run=run: self._on_unrecorded(why, run))

    def _retire(self, run: TrainingRun | None) -> None:
        """Let ``run`` go: its events no longer reach the views; its thread ends on its own."""
        if run is None:
            return
        run.mute()
        if run.is_running:
            run.stop()
            self._retiring.append(run)

    def _on_run_ended(self, run: TrainingRun) -> None:
        if run in self._retiring:
            self._retiring.remove(run)
            return
        if run is not self.run or self._closing:
            return
        self._loading = None
        if self._state in (RunState.LOADING, RunState.STOPPING) or self._state.live:
            # Ended without a Finished: stopped while loading its data, or failed.
            if self.run.trainer is None and self._saved:
                self.run = None
                self._run_data = None
                self._views_hold_run = False
                self._state = self._resting_state()
            else:
                self._state = RunState.FINISHED
        self._step = None
        self._emit()

    # -- from the bus ---------------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        if self._replaying:
            return
        config = Config.from_dict(ev.config)
        self._settings = config
        self._architecture = tuple(ev.architecture)
        self._info = DatasetInfo(
            name=ev.dataset, n_train=ev.n_train, n_val=ev.n_val, n_test=ev.n_test
        )
        self._total_epochs = config.epochs
        self._epochs_done = ev.first_epoch
        settings = RunSettings.of(ev.config, self._architecture)
        if self._continuing and self._current_record() is not None:
            self._update_current(outcome="running", ended=settings)
        else:
            record = self._new_record(self._next_name or "", "trained", ev.dataset, settings)
            branch, self._forking = self._forking, None
            if branch is not None:
                anchor: tuple[EpochPoint, ...] = ()
                if branch.val_loss is not None and branch.val_acc is not None:
                    # The curves of a branch leave the original's at the moment.
                    point = EpochPoint(
                        epoch=ev.first_epoch - 1, val_loss=branch.val_loss, val_acc=branch.val_acc
                    )
                    anchor = (point,)
                self._replace(record, branch=branch, history=anchor, first_epoch=ev.first_epoch)
        self._next_name = None
        self._continuing = False
        self._draft = self._with_live(self._draft, config)
        if self._state is RunState.LOADING:
            self._state = self._running_state()
        self._message = f"Training on {ev.dataset}: {text.sizes(ev.architecture)}"
        self._emit()

    def _on_batch(self, ev: BatchProgress) -> None:
        if self._replaying:
            return
        changed = False
        if self._state in (RunState.PAUSED, RunState.DIVERGED):
            # Resumed before the loop got to hold (a quick "Set lr and resume"): it never
            # paused, so no Resumed comes; a batch says training goes on.
            self._to_running()
            changed = True
        if self._saved:
            self._saved = False  # the first batch since Start or a save: something to save
            self._has_network = True
            changed = True
        if changed:
            self._emit()

    def _on_epoch(self, ev: EpochReport) -> None:
        if self._replaying:
            return
        self._epochs_done = ev.epoch + 1
        self._val_acc = ev.val_acc
        self._best = ev.val_acc if self._best is None else max(self._best, ev.val_acc)
        self._saved = False
        record = self._current_record()
        if record is not None:
            point = EpochPoint(epoch=ev.epoch, val_loss=ev.val_loss, val_acc=ev.val_acc)
            self._replace(
                record,
                history=(*record.history, point),
                ended=dataclasses.replace(
                    record.ended,
                    network=text.sizes(ev.architecture),
                    learning_rate=ev.learning_rate,
                    batch_size=ev.batch_size,
                ),
            )
        self._emit()

    def _on_changed(self, ev: HyperparameterChanged) -> None:
        if self._replaying or self._settings is None:
            return
        if ev.name == "hidden":
            new = tuple(int(w) for w in ev.new)
            self._settings = self._settings.replace(hidden=new)
            if self._architecture:
                self._architecture = (self._architecture[0], *new, self._architecture[-1])
            self._update_current_network()
        elif ev.name in ("learning_rate", "batch_size"):
            self._settings = self._settings.replace(**{ev.name: ev.new})
        self._draft = self._with_live(self._draft, self._settings)
        self._emit()

    def _update_current_network(self) -> None:
        record = self._current_record()
        if record is not None and self._architecture:
            self._replace(
                record,
                ended=dataclasses.replace(record.ended, network=text.sizes(self._architecture)),
            )

    def _on_diverged(self, ev: Diverged) -> None:
        if self._replaying:
            return
        self._state = RunState.DIVERGED
        self._step = None
        where = f"epoch {ev.epoch + 1}, batch {ev.batch + 1}"
        loss = (
            f"{ev.loss:.3g}"
            if ev.loss == ev.loss and abs(ev.loss) != float("inf")
            else "not finite"
        )
        lr = ev.suggested_lr
        self._notice = Notice(
            text=(
                f"Training diverged at {where}: learning rate {ev.learning_rate:g} sent the loss "
                f"to {loss}. The weights from before it are back and training is paused; "
                f"try a rate of {lr:g} or less."
            ),
            level="warning",
            actions=(
                (f"Set lr to {lr:g} and resume", lambda: self.recover(lr)),
                ("Resume as it is", self.resume),
            ),
        )
        self._message = f"Paused: the loss diverged at {where}"
        self._emit()

    def _on_paused(self, ev: Paused) -> None:
        if self._replaying:
            return
        self.bus.settled.emit()  # the snapshot of where it holds (restored ones too) came first
        if self._state is RunState.DIVERGED:
            return
        self._state = RunState.PAUSED
        if ev.reason == "step" and ev.batch == 0:
            text_ = f"Paused after epoch {ev.epoch} (Step for another, Space to go on)"
        elif ev.reason == "step":
            text_ = (
                f"Paused after batch {ev.batch} of epoch {ev.epoch + 1} "
                "(Step for another, Space to go on)"
            )
        elif ev.batch == 0:
            text_ = f"Paused after epoch {ev.epoch}"
        else:
            text_ = f"Paused in epoch {ev.epoch + 1}, after batch {ev.batch}"
        self._step = None
        self._message = text_
        self._emit()

    def _on_resumed(self, ev: Resumed) -> None:
        if self._replaying:
            return
        if self._state in (RunState.PAUSED, RunState.DIVERGED):
            self._to_running()
            self._emit()

    def _to_running(self) -> None:
        if self._state is RunState.DIVERGED:
            self._notice = None  # what it said is over: training goes on
        self._state = self._running_state()
        self._message = f"Training one more {self._step}…" if self._step else "Training…"

    def _on_finished(self, ev: Finished) -> None:
        if self._replaying:
            return
        self.bus.settled.emit()
        self._step = None
        if ev.reason == "error":
            self._state = RunState.ERROR
            self._notice = Notice(text=ev.message or "Training ended with an error.", level="error")
            self._end_current("error")
            self._message = "Training ended with an error: see the message above"
        else:
            self._state = RunState.FINISHED
            how = "Finished" if ev.reason == "completed" else "Stopped"
            self._update_current(outcome=ev.reason)
            if isinstance(self._notice, Notice) and self._notice.level == "warning":
                self._notice = None  # a divergence's offer means nothing once it is over
            self._message = (
                f"{how}: {ev.epochs_run} epoch(s) in {ev.seconds:.1f} s, "
                f"best validation accuracy {ev.best_val_acc:.2%}"
            )
        self._emit()

    # -- helpers ------------------------------------------------------------------------
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
