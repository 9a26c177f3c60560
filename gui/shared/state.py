"""The session as the views see it: read-only values, no behaviour.

The session controller (:mod:`gui.session`) owns the run and its state; every
panel and view receives a :class:`SessionView`, a frozen picture of it, through
one signal, and sends commands back. These types live here, below the panels
and views, so that they can read the picture without reaching into the
controller (the import contracts forbid them to import it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core import text
from core.training.config import Config
from core.training.control import LIVE_SETTINGS
from core.training.timeline import Moment


class RunState(enum.Enum):
    """Where the session is; every transition goes through the session controller."""

    IDLE = "idle"  # no dataset ready for the next run yet
    LOADING = "loading"  # a dataset (or an opened checkpoint's) is being read
    READY = "ready"  # the next run's dataset is loaded: Start trains at once
    TRAINING = "training"
    PAUSED = "paused"
    STEPPING = "stepping"  # one epoch or one batch, then paused
    STOPPING = "stopping"  # asked to stop; ends after the current batch
    FINISHED = "finished"  # all epochs done, or stopped: its network kept for saving
    DIVERGED = "diverged"  # the loss blew up; the last good weights are back, paused
    LOADED = "loaded-from-checkpoint"  # an opened checkpoint is shown; Start goes on
    ERROR = "error"

    @property
    def live(self) -> bool:
        """A training loop is running or holding (its live settings can change)."""
        return self in LIVE_STATES

    @property
    def startable(self) -> bool:
        """Start begins a run from here (a new one, or the opened checkpoint)."""
        return self in STARTABLE_STATES


LIVE_STATES = frozenset({RunState.TRAINING, RunState.PAUSED, RunState.STEPPING, RunState.DIVERGED})
STARTABLE_STATES = frozenset(
    {RunState.IDLE, RunState.READY, RunState.FINISHED, RunState.LOADED, RunState.ERROR}
)
#: Settings that change a running network; every other one applies on Reset.
LIVE = frozenset(LIVE_SETTINGS)

#: Settings the control panel offers, and how a note names them.
SETTING_NAMES: Mapping[str, str] = {
    "dataset": "dataset",
    "augment": "augmentation",
    "hidden": "hidden size",
    "depth": "layers",
    "activation": "activation",
    "dropout": "dropout",
    "optimizer": "optimiser",
    "learning_rate": "learning rate",
    "schedule": "schedule",
    "momentum": "momentum",
    "l2": "L2",
    "batch_size": "batch size",
    "epochs": "epochs",
    "seed": "seed",
}


def setting_text(name: str, config: Config) -> str:
    """How ``config``'s value of setting ``name`` reads ("Adam", "0.001", "2")."""
    if name == "depth":
        return str(config.depth)
    v: Any = getattr(config, name)
    if name == "hidden":
        return text.sizes(v)
    if name == "dataset" and config.data_path:
        return config.data_path
    return text.value(v, digits=3)


def waiting_settings(draft: Config, run: Config, live: bool = False) -> tuple[str, ...]:
    """The settings of ``draft`` that differ from ``run``: those that cannot change it
    live, or (``live`` True, the run being over) every one."""
    names = [
        n
        for n in SETTING_NAMES
        if (live or n not in LIVE)
        and n not in ("depth", "hidden")
        and getattr(draft, n) != getattr(run, n)
    ]
    if live and draft.hidden[:1] != run.hidden[:1]:
        names.append("hidden")
    if draft.depth != run.depth:
        names.append("depth")
    return tuple(names)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """A message for the banner, with buttons that do the obvious next thing."""

    text: str
    level: str = "info"  # "info" | "warning" | "error"
    actions: tuple[tuple[str, Callable[[], Any]], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSettings:
    """What a run was trained with, as the Runs table shows it."""

    network: str
    activation: str
    optimizer: str
    learning_rate: float
    batch_size: int
    schedule: str = "constant"
    l2: float = 0.0
    dropout: float = 0.0

    @classmethod
    def of(cls, config: Mapping[str, Any], architecture: tuple[int, ...] = ()) -> RunSettings:
        """From a config (as a dict) and, when known, the full layer sizes."""
        hidden = tuple(config.get("hidden", ()))
        return cls(
            network=text.sizes(architecture) if architecture else "hidden " + text.sizes(hidden),
            activation=str(config.get("activation", "?")),
            optimizer=str(config.get("optimizer", "?")),
            learning_rate=float(config.get("learning_rate", float("nan"))),
            batch_size=int(config.get("batch_size", 0)),
            schedule=str(config.get("schedule", "constant")),
            l2=float(config.get("l2", 0.0)),
            dropout=float(config.get("dropout", 0.0)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochPoint:
    """One epoch of a run's history: what the Runs plots draw."""

    epoch: int
    val_loss: float
    val_acc: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """Where a run branched off another: a fork from one of its recorded moments.

    ``parent`` is the number of the run forked in this session's list (None when it
    is not in it: an opened checkpoint's); ``x`` the epochs done at the moment (where
    the branch leaves the original on an epoch axis); ``changed`` what the fork
    changed ("lr 0.1→0.3" or "no change"). At an epoch end the moment's figures
    (``val_loss`` ...) are known: the branch's curves start there.
    """

    parent: int | None
    parent_name: str
    moment: str
    x: float
    changed: str
    train_loss: float | None = None
    train_acc: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None

    @property
    def label(self) -> str:
        """``"fork of Run 1 after 3 epochs: lr 0.1→0.3"``."""
        return f"fork of {self.parent_name} {self.moment}: {self.changed}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One run of the session: trained here, opened from a file, or a sweep's trial.

    ``started`` is what it began with, ``ended`` what it has now (live changes
    included); ``colour`` indexes the run palette; ``first_epoch`` is where this
    session's training of it began (an opened checkpoint's history comes before).
    """

    number: int
    name: str
    colour: int
    kind: str  # "trained" | "checkpoint" | "sweep"
    dataset: str
    started: RunSettings
    ended: RunSettings
    history: tuple[EpochPoint, ...] = ()
    first_epoch: int = 0
    outcome: str = "running"
    file: str | None = None  # the checkpoint it was saved to or opened from
    trial: str | None = None  # a sweep trial's key and seed
    branch: Branch | None = None  # a fork: where it left the run it continues

    @property
    def epochs(self) -> int:
        return self.history[-1].epoch + 1 if self.history else self.first_epoch

    @property
    def best(self) -> EpochPoint | None:
        """The epoch with the best validation accuracy (None before the first)."""
        return max(self.history, key=lambda p: p.val_acc, default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineView:
    """The current run's recorded moments, and which one every view shows.

    ``moments`` are in the order they happened; ``viewing`` is the index of the one
    the person picked (None: the views show the live run), ``shown`` the index of
    the one the views draw now (it lags ``viewing`` while that moment loads).
    ``playing`` is Play's speed in moments a second (0: not playing). ``folder`` is
    the run folder the timeline is in (None: the run records none, ``note`` says why).
    """

    folder: str | None = None
    moments: tuple[Moment, ...] = ()
    viewing: int | None = None
    shown: int | None = None
    playing: float = 0.0
    total_epochs: int = 0
    note: str = ""

    @property
    def moment(self) -> Moment | None:
        """The moment picked (None: live)."""
        return None if self.viewing is None else self.moments[self.viewing]

    @property
    def loading(self) -> bool:
        """The picked moment is still being loaded."""
        return self.viewing is not None and self.shown != self.viewing


def moment_text(m: Moment, total_epochs: int) -> str:
    """How the bar names a moment: ``epoch 3 of 20``, ``epoch 1, batch 8``, ``the start``.

    An epoch end is named by the epoch just finished (the live views' numbering); a
    moment inside the first epoch by its batch.
    """
    of = f" of {total_epochs}" if total_epochs else ""
    if m.batch:
        return f"epoch {m.epoch + 1}, batch {m.batch}"
    if m.kind == "start" and m.step == 0:
        return "the start (before any training)"
    return f"epoch {m.epoch}{of}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetInfo:
    name: str
    n_train: int
    n_val: int
    n_test: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionView:
    """Everything a panel or view may know about the session, at one moment.

    ``draft`` is the next run's settings as the controls show them; ``settings``
    the current run's as they are now (None without a run). ``waiting`` names the
    draft's settings that wait for the next run. ``epochs_done`` counts the
    current run's completed epochs; ``val_acc`` and ``best_val_acc`` are its
    latest and best (None before an epoch). ``message`` is the status line's text.
    ``data`` and ``run_data`` are the datasets themselves (immutable values, never
    written to): the one the Data tab shows, and the one the current run's network
    is evaluated on.
    """

    state: RunState
    draft: Config
    settings: Config | None = None
    waiting: tuple[str, ...] = ()
    architecture: tuple[int, ...] = ()
    dataset: DatasetInfo | None = None
    epochs_done: int = 0
    total_epochs: int = 0
    val_acc: float | None = None
    best_val_acc: float | None = None
    saved: bool = True
    can_save: bool = False
    opened: str | None = None  # the checkpoint Start goes on training
    step: str | None = None  # "epoch" or "batch" while stepping
    loading: tuple[str, int, int] | None = None  # what, done, total
    message: str = ""
    notice: Notice | None = None
    runs: tuple[RunRecord, ...] = ()
    current: int | None = None  # the number of the current run's record
    data: Any = None  # the core.data.Dataset loaded last (the next run's), None before one
    run_data: Any = None  # the current run's Dataset (trained or opened), None without one
    timeline: TimelineView = TimelineView()  # the current run's recorded moments


def waiting_note(view: SessionView) -> str:
    """The note under the buttons: which settings wait for the next run ("" if none)."""
    if not view.waiting or view.settings is None:
        return ""
    over = view.state in (RunState.FINISHED, RunState.ERROR)
    was = "this run" if over else "now"
    parts = ", ".join(
        f"{SETTING_NAMES[n]} {setting_text(n, view.draft)} ({was} {setting_text(n, view.settings)})"
        for n in view.waiting
    )
    if over:
        return f"The next Start trains a new network with {parts}."
    if view.state is RunState.LOADED:
        if any(n in view.waiting for n in ("dataset", "seed")):
            return f"Changed: {parts}. Start trains a new network with these settings."
        return f"Next run: {parts}. Continue goes on with the opened run; Reset to use them."
    return f"Next run: {parts}. Reset, then Start, to use them."


def folder_note(dataset: Any) -> str:
    """What loading an image folder found, for a person: size, and what was left out and why.

    "" for a dataset that is not an image folder.
    """
    report = getattr(dataset, "image_folder", None)
    if report is None:
        return ""
    rows, cols = report.image_size
    parts = [
        f"{report.images:,} images in {len(dataset.class_names)} classes, "
        f"{rows}x{cols} {report.colour}."
    ]
    for count, files, what in (
        (report.skipped, report.skipped_files, "bad image"),
        (report.ignored, report.ignored_files, "other file"),
    ):
        if count:
            names = ", ".join(f"{path} ({why})" for path, why in files)
            more = ", …" if count > len(files) else ""
            verb = "Skipped" if what == "bad image" else "Ignored"
            parts.append(f"{verb} {count:,} {what}{'s' if count != 1 else ''}: {names}{more}.")
    if report.empty_classes:
        parts.append(f"No usable image in {', '.join(report.empty_classes)}: left out.")
    return " ".join(parts)
