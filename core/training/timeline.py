"""A run's timeline: its state at chosen moments, on disk, to scrub back through and fork from.

Moments (the Trainer asks the writer to record them):

- ``start``: the state the run starts from (fresh weights, or the moment a fork or a
  resumed run continues from);
- ``batch``: inside the run's first epoch (epoch 0), after 1, 2, 4, 8, ... batches,
  where most of the visible learning happens;
- ``epoch``: every epoch end.

A state is everything needed to continue the run bit for bit: the parameters, the
optimiser's state and step count, the live settings (the whole :class:`Config` as it
stood, learning rate and batch size included) and, for a moment inside an epoch,
where in the epoch it is (:class:`EpochPosition`): how many samples of the epoch's
order are done (the order itself is drawn again from ``(seed, epoch)``), the exact
states of the epoch's dropout and augmentation generators, and the epoch's running
loss sums. An epoch end needs no generator state: the next epoch draws everything
from ``(seed, epoch)``. The history and the live changes up to the moment live once
in the journal; a state names how many of each it has seen.

Layout, in ``RUN_FOLDER/timeline/`` (no pickle anywhere)::

    journal.jsonl      append-only, one JSON object per line, in this order of kinds:
        {"record": "run", "format": ..., "version": 1, "dataset": ..., "n_train": ...,
         "architecture": [...], "config": {...}, "branch": {...} or null}   first line
        {"record": "epoch", "row": {...}}        a history row (inherited rows first)
        {"record": "change", "change": {...}}    a live change (as HyperparameterChanged)
        {"record": "state", "id": 3, "file": "state-000003.npz", "kind": "batch",
         "epoch": 0, "batch": 4, "step": 4, "bytes": ..., figures...}   a complete state
        {"record": "drop", "id": 3}              a state thinned away by the size cap
    state-000003.npz   one state, every entry a plain array, like a checkpoint:
        format_version   int64 scalar
        meta             uint8 (n,), UTF-8 JSON: kind, epoch, batch, step, config,
                         model and optimiser description, position, counts
        param.W1 ...     the weights and biases
        opt.<slot>.<i>   the optimiser's state

Writing (:mod:`core.training.recorder`): each state file is written to a temporary
name, fsynced and renamed, and only then is its ``state`` line appended (and
fsynced), so a reader never sees a state that is not whole. A half-written last
line (a crash mid-append) is ignored.

Size cap: when the state files pass the cap (512 MB by default, or 500 files), older
epoch ends are thinned, the one whose neighbours lie closest together first, so the
survivors stay evenly spread. The start, the first epoch's states and the epoch ends
of the last ten epochs are never dropped; when they alone pass the cap, they are all
that is kept. The journal (a few hundred bytes per epoch) is not counted.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, cast

import numpy as np

from core.errors import CheckpointError, ConfigError, TimelineError
from core.nn.model import MLP
from core.nn.optim import OPTIMIZERS, Optimizer, make_optimizer
from core.training.checkpoint import _read_entry
from core.training.config import Config
from core.training.history import HistoryRow

if TYPE_CHECKING:
    from core.data import Dataset
    from core.training.events import Snapshot

FORMAT = "backprop-studio-timeline"
FORMAT_VERSION = 1
STATE_FORMAT = "backprop-studio-timeline-state"
#: The timeline's folder inside a run's folder, and its journal's name.
TIMELINE_DIR = "timeline"
JOURNAL = "journal.jsonl"
#: A journal larger than this is refused rather than read into memory.
MAX_JOURNAL_BYTES = 256 * 2**20

Kind = Literal["start", "batch", "epoch"]
KINDS = ("start", "batch", "epoch")
STATE_FILE = re.compile(r"state-[0-9]{6,12}\.npz")
_ZIP_MAGIC = b"PK\x03\x04"


# -- what a moment is -------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class EpochPosition:
    """Where a run stands inside epoch ``epoch``: what continuing from there bit for bit needs.

    ``sample`` samples of the epoch's order are done, in ``batch`` batches (the
    order is drawn again from ``(seed, epoch)``); ``loss_sum``, ``seen`` and
    ``correct`` are the epoch's running sums, from which its train loss and accuracy
    go on; ``dropout_rng`` and ``augment_rng`` are the exact states of the epoch's
    two generators (``numpy.random.PCG64`` state dicts); ``learning_rate`` and
    ``batch_size`` are the live values at that moment.
    """

    epoch: int
    batch: int
    sample: int
    step: int
    loss_sum: float
    seen: int
    correct: int
    learning_rate: float
    batch_size: int
    dropout_rng: dict[str, Any]
    augment_rng: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Moment:
    """One recorded moment, as the timeline's index lists it (no arrays: cheap to list).

    ``epoch`` counts the epochs done, ``batch`` the batches done in the epoch under
    way (0 at an epoch end), ``step`` the updates since the run's very start,
    ``architecture`` the layer sizes then (a live resize changes them), and
    ``progress`` the epochs done as a fraction (``epoch`` plus the share of the
    epoch's samples done), for placing moments on an axis. The figures are those
    known at the moment without extra work: train loss and accuracy (the epoch's
    running means inside an epoch), validation ones at epoch ends (None inside an
    epoch: :meth:`RecordedState.evaluate` recomputes them).
    """

    id: int
    kind: Kind
    epoch: int
    batch: int
    step: int
    progress: float
    learning_rate: float
    batch_size: int
    architecture: tuple[int, ...]
    train_loss: float | None
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None
    bytes: int
    file: str

    @property
    def label(self) -> str:
        """``"start"``, ``"epoch 0, batch 4"`` or ``"after 3 epochs"``, for lists and sliders."""
        if self.batch:
            where = f"epoch {self.epoch}, batch {self.batch}"
        else:
            where = f"after {self.epoch} epoch{'s' if self.epoch != 1 else ''}"
        return "start" if self.kind == "start" and self.step == 0 else where


@dataclass(frozen=True, eq=False)
class RecordedState:
    """A moment loaded in full. Arrays are read-only; :meth:`model` gives a live copy."""

    moment: Moment
    config: Config
    sizes: tuple[int, ...]
    init: str
    params: tuple[np.ndarray, ...]
    optimizer_name: str
    optimizer_state: dict[str, tuple[np.ndarray, ...]]
    optimizer_t: int
    learning_rate: float
    batch_size: int
    n_train: int
    history: tuple[HistoryRow, ...]
    changes: tuple[dict[str, Any], ...]
    position: EpochPosition | None
    grad_norms: tuple[float, ...]

    def model(self) -> MLP:
        """A new model holding copies of the parameters (its own to train or to probe)."""
        c = self.config
        model = MLP(
            self.sizes,
            activation=c.activation,
            init=self.init,
            dropout=c.dropout,
            l2=c.l2,
            dtype=c.dtype,
            seed=c.seed,
        )
        model.params = [np.array(p, copy=True, order="C") for p in self.params]
        return model

    def optimizer(self, params: Sequence[np.ndarray], config: Config | None = None) -> Optimizer:
        """The optimiser as it stood, over ``params`` (``config`` may change its momentum)."""
        c = config or self.config
        opt = make_optimizer(self.optimizer_name, params, c.learning_rate, c.momentum)
        arrays: dict[str, np.ndarray] = {
            f"{slot}.{i}": a
            for slot, values in self.optimizer_state.items()
            for i, a in enumerate(values)
        }
        arrays["t"] = np.asarray(self.optimizer_t, dtype=np.int64)
        opt.load_state_arrays(arrays, params)
        opt.learning_rate = self.learning_rate
        return opt

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) of this moment's network on ``X``, ``y``."""
        return self.model().evaluate(X, y)

    def snapshot(self, dataset: Dataset) -> Snapshot:
        """The :class:`Snapshot` the views would have drawn at this moment (on the validation set).

        Its ``epoch`` follows the live snapshots' numbering: the epoch just finished at
        an epoch end (-1 at the very start), the epoch under way inside one.
        """
        from core.training.trainer import model_snapshot

        m = self.moment
        epoch = m.epoch if m.batch else m.epoch - 1
        return model_snapshot(self.model(), dataset, epoch, self.grad_norms)


@dataclass(frozen=True)
class Comparison:
    """Which samples one moment gets right and another wrong (``fixed``) and the reverse.

    ``fixed`` and ``broken`` are row indices ``(k,)`` into the set compared;
    ``pred_a`` and ``pred_b`` the two moments' predictions ``(n,)``.
    """

    fixed: np.ndarray
    broken: np.ndarray
    pred_a: np.ndarray
    pred_b: np.ndarray


def compare(a: RecordedState, b: RecordedState, X: np.ndarray, y: np.ndarray) -> Comparison:
    """What changed between moments ``a`` and ``b`` on ``X`` ``(n, d)``, ``y`` ``(n,)``:
    the samples wrong at ``a`` and right at ``b`` (fixed), and right at ``a``, wrong at ``b``."""
    pa, pb = a.model().predict(X), b.model().predict(X)
    right_a, right_b = pa == y, pb == y
    return Comparison(
        fixed=np.flatnonzero(~right_a & right_b),
        broken=np.flatnonzero(right_a & ~right_b),
        pred_a=pa,
        pred_b=pb,
    )


# -- reading ------------------------------------------------------------------------
class Timeline:
    """The timeline recorded in ``run_folder``: its moments, history and changes.

    Reading while the run still writes is safe: :meth:`refresh` reads the lines
    appended since (only whole lines, only states whose file is complete). Loading
    a state reads one file, so any moment is a few milliseconds away. A state
    thinned away after the list was read is refused with a :class:`TimelineError`
    that says so; refresh and pick again.
    """

    def __init__(self, run_folder: str | os.PathLike) -> None:
        self.run_folder = Path(run_folder)
        self.folder = self.run_folder / TIMELINE_DIR
        self.path = self.folder / JOURNAL
        self._reset()
        self.refresh()
        if not self.run:
            raise TimelineError(f"{self.path}: empty journal: no run was recorded here")

    def _reset(self) -> None:
        self.run: dict[str, Any] = {}
        self.history: list[HistoryRow] = []
        self.changes: list[dict[str, Any]] = []
        self._moments: dict[int, Moment] = {}
        self._sorted: list[Moment] | None = None
        self._ids: set[int] = set()
        self._offset = 0
        self._line = 0
        self._inode: int | None = None

    @staticmethod
    def exists(run_folder: str | os.PathLike) -> bool:
        """Whether ``run_folder`` holds a timeline (without reading it)."""
        return (Path(run_folder) / TIMELINE_DIR / JOURNAL).is_file()

    # -- the index ------------------------------------------------------------
    @property
    def moments(self) -> list[Moment]:
        """The recorded moments, in the order they happened (a new list each time)."""
        return list(self._ordered())

    def _ordered(self) -> list[Moment]:
        if self._sorted is None:
            self._sorted = sorted(self._moments.values(), key=lambda m: (m.step, m.id))
        return self._sorted

    @property
    def branch(self) -> dict[str, Any] | None:
        """Where this run branched from another (a fork), or None."""
        branch = self.run.get("branch")
        return branch if isinstance(branch, dict) else None

    @property
    def next_id(self) -> int:
        """An id no state of this journal ever had."""
        return max(self._ids, default=-1) + 1

    @property
    def nbytes(self) -> int:
        """Bytes of the state files now listed."""
        return sum(m.bytes for m in self._moments.values())

    def __len__(self) -> int:
        return len(self._moments)

    def __getitem__(self, index: int) -> Moment:
        """The ``index``-th moment in time order: random access for a slider."""
        return self._ordered()[index]

    def refresh(self) -> bool:
        """Read what was appended since the last look; True when something new came.

        A journal rewritten in the meantime (a resumed run trimmed it) is read again
        from its start.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if not self.run_folder.is_dir():
                what = "is not a folder" if self.run_folder.exists() else "no such folder"
                raise TimelineError(f"{self.run_folder}: {what}") from None
            raise TimelineError(
                f"{self.run_folder}: no timeline here (no {TIMELINE_DIR}/{JOURNAL}); runs "
                "trained with --no-timeline record none"
            ) from None
        except OSError as exc:
            raise TimelineError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        if st.st_size > MAX_JOURNAL_BYTES:
            raise TimelineError(
                f"{self.path}: {st.st_size:,} bytes is too large for a timeline's journal"
            )
        if self._inode is not None and (st.st_ino != self._inode or st.st_size < self._offset):
            self._reset()
        if st.st_size == self._offset:
            return False
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read(st.st_size - self._offset)
        except OSError as exc:
            raise TimelineError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        end = data.rfind(b"\n")
        if end < 0:  # only a line still being written
            return False
        for raw in data[:end].split(b"\n"):
            self._line += 1
            self._apply(self._parse(raw))
        self._offset += end + 1
        self._inode = st.st_ino
        return True

    def _fail(self, what: str) -> TimelineError:
        return TimelineError(f"{self.path}: line {self._line}: {what}")

    def _parse(self, raw: bytes) -> dict[str, Any]:
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._fail(f"not valid JSON ({exc}): the timeline is damaged") from None
        except RecursionError:
            raise self._fail("nests too deeply to be a timeline record") from None
        if not isinstance(record, dict) or not isinstance(record.get("record"), str):
            raise self._fail("not a timeline record")
        return record

    def _apply(self, record: dict[str, Any]) -> None:
        kind = record["record"]
        if not self.run:
            self._apply_run(record)
            return
        if kind == "epoch":
            row = record.get("row")
            if not isinstance(row, dict) or row.get("epoch") != len(self.history):
                raise self._fail(f"history row is not the record of epoch {len(self.history)}")
            for key in _ROW_NUMBERS:
                if key in row and not _is_number(row[key]):
                    raise self._fail(f"history row: {key} is {row[key]!r}, not a number")
            arch = row.get("architecture", [])
            if not isinstance(arch, list) or not all(_is_count(n) for n in arch):
                raise self._fail(f"history row: architecture {arch!r} is not a list of sizes")
            self.history.append(cast(HistoryRow, row))
        elif kind == "change":
            change = record.get("change")
            if not isinstance(change, dict) or not isinstance(change.get("name"), str):
                raise self._fail("change record without a setting's name")
            if not all(_is_count(change.get(k)) for k in ("epoch", "batch", "step")):
                raise self._fail("change record without its epoch, batch and step")
            self.changes.append(change)
        elif kind == "state":
            moment = self._moment_from(record)
            if moment.id in self._ids:
                raise self._fail(f"state {moment.id} is listed twice")
            self._ids.add(moment.id)
            self._moments[moment.id] = moment
            self._sorted = None
        elif kind == "drop":
            sid = record.get("id")
            if not isinstance(sid, int) or sid not in self._moments:
                raise self._fail(f"drops state {sid!r}, which is not listed")
            del self._moments[sid]
            self._sorted = None
        else:
            raise self._fail(f"unknown record {kind!r} (written by a newer Backprop Studio?)")

    def _apply_run(self, record: dict[str, Any]) -> None:
        if record.get("record") != "run" or record.get("format") != FORMAT:
            raise self._fail("does not start a Backprop Studio timeline")
        version = record.get("version")
        if not isinstance(version, int) or version < 1:
            raise self._fail(f"format version {version!r} is not valid")
        if version > FORMAT_VERSION:
            raise self._fail(
                f"format version {version} is newer than this program reads "
                f"({FORMAT_VERSION}); update Backprop Studio to open it"
            )
        if not isinstance(record.get("config"), dict) or not _is_count(record.get("n_train")):
            raise self._fail("the run record lacks its config or training set size")
        branch = record.get("branch")
        if branch is not None and not isinstance(branch, dict):
            raise self._fail("the run's branch is not a JSON object")
        self.run = record

    def _moment_from(self, r: dict[str, Any]) -> Moment:
        if r.get("kind") not in KINDS:
            raise self._fail(f"state kind {r.get('kind')!r} is not one of {', '.join(KINDS)}")
        if not isinstance(r.get("file"), str) or not STATE_FILE.fullmatch(r["file"]):
            raise self._fail(f"state file name {r.get('file')!r} is not a state's")
        for key in ("id", "epoch", "batch", "step", "bytes", "batch_size"):
            if not _is_count(r.get(key)):
                raise self._fail(f"state field {key!r} is {r.get(key)!r}, not a count")
        for key in ("progress", "learning_rate"):
            if not _is_number(r.get(key)):
                raise self._fail(f"state field {key!r} is {r.get(key)!r}, not a number")
        arch = r.get("architecture")
        if not isinstance(arch, list) or len(arch) < 2 or not all(_is_count(n) for n in arch):
            raise self._fail(f"state architecture {arch!r} is not a list of layer sizes")
        figures = {}
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            value = r.get(key)
            if value is not None and not _is_number(value):
                raise self._fail(f"state field {key!r} is {value!r}, not a number")
            figures[key] = None if value is None else float(value)
        return Moment(
            id=r["id"],
            kind=r["kind"],
            epoch=r["epoch"],
            batch=r["batch"],
            step=r["step"],
            progress=float(r["progress"]),
            learning_rate=float(r["learning_rate"]),
            batch_size=r["batch_size"],
            architecture=tuple(arch),
            bytes=r["bytes"],
            file=r["file"],
            **figures,
        )

    # -- picking a moment ---------------------------------------------------------
    def at_epoch(self, epochs: int) -> Moment:
        """The state after ``epochs`` epochs (0: before any); else a TimelineError listing all."""
        found = [m for m in self.moments if m.batch == 0 and m.epoch == epochs]
        if found:
            return found[-1]
        done = sorted({m.epoch for m in self.moments if m.batch == 0})
        raise TimelineError(
            f"{self.folder}: no state after {epochs} epoch(s) was recorded; recorded (epochs "
            f"done): {_ranges(done) or 'none'}"
        )

    def at_batch(self, batch: int) -> Moment:
        """The state ``batch`` batches into the first epoch; else a TimelineError listing all."""
        found = [m for m in self.moments if m.epoch == 0 and m.batch == batch and batch > 0]
        if found:
            return found[-1]
        done = sorted({m.batch for m in self.moments if m.epoch == 0 and m.batch})
        raise TimelineError(
            f"{self.folder}: no state {batch} batch(es) into the first epoch was recorded; "
            f"recorded: {', '.join(map(str, done)) or 'none'}"
        )

    # -- loading ----------------------------------------------------------------
    def load(self, moment: Moment | int) -> RecordedState:
        """Everything recorded at ``moment`` (a Moment or a position in :attr:`moments`)."""
        m = self._ordered()[moment] if isinstance(moment, int) else moment
        path = self.folder / m.file
        arrays = _read_arrays(path)
        meta = _state_meta(path, arrays)

        def fail(what: str) -> TimelineError:
            return TimelineError(f"{path}: {what}")

        for key in ("kind", "epoch", "batch", "step"):
            if meta.get(key) != getattr(m, key):
                raise fail(f"{key} is {meta.get(key)!r} but the journal lists {getattr(m, key)!r}")
        epochs, changes = meta.get("epochs"), meta.get("changes")
        if not _is_count(epochs) or epochs > len(self.history):
            raise fail(f"it follows {epochs!r} epochs; the journal holds {len(self.history)}")
        if not _is_count(changes) or changes > len(self.changes):
            raise fail(f"it follows {changes!r} changes; the journal holds {len(self.changes)}")
        try:
            config = Config.from_dict(meta["config"])
        except (ConfigError, TypeError, KeyError) as exc:
            raise fail(f"config: {exc}") from None
        model = meta.get("model") or {}
        sizes = model.get("sizes")
        if (
            not isinstance(sizes, list)
            or len(sizes) < 2
            or not all(_is_count(n) and n > 0 for n in sizes)
            or tuple(sizes[1:-1]) != config.hidden
        ):
            raise fail(f"model sizes {sizes!r} do not describe the config's network")
        dtype = np.dtype(config.dtype)
        expected: dict[str, tuple[int, ...]] = {}
        for i in range(len(sizes) - 1):
            expected[f"param.W{i + 1}"] = (sizes[i], sizes[i + 1])
            expected[f"param.b{i + 1}"] = (sizes[i + 1],)
        opt = meta.get("optimizer") or {}
        name = opt.get("name")
        if not isinstance(name, str) or name not in OPTIMIZERS or name != config.optimizer:
            raise fail(f"optimizer {name!r} is not known or not the config's")
        shapes = list(expected.values())
        for slot in OPTIMIZERS[name].slots:
            for i, shape in enumerate(shapes):
                expected[f"opt.{slot}.{i}"] = shape
        extra = sorted(set(arrays) - set(expected) - {"format_version", "meta"})
        if extra:
            raise fail(f"unexpected entries {', '.join(map(repr, extra))}")
        for key, shape in expected.items():
            a = arrays.get(key)
            if a is None:
                raise fail(f"missing entry {key!r}")
            if a.shape != shape or a.dtype != dtype:
                raise fail(f"entry {key!r} is {a.dtype} {a.shape}; expected {dtype} {shape}")
            if not np.isfinite(a).all():
                raise fail(f"entry {key!r} holds NaN or infinite values")
            a.setflags(write=False)
        t, lr, bs = opt.get("t"), meta.get("learning_rate"), meta.get("batch_size")
        if not _is_count(t) or not _is_number(lr) or not lr > 0 or not _is_count(bs) or bs < 1:
            raise fail("optimizer step count, learning rate or batch size is not valid")
        init = model.get("init")
        if init not in ("he", "xavier"):
            raise fail(f"model init {init!r} is not valid")
        norms = meta.get("grad_norms", [])
        if not isinstance(norms, list) or not all(_is_number(v) for v in norms):
            raise fail("grad_norms is not a list of numbers")
        n_train = meta.get("n_train")
        if not _is_count(n_train):
            raise fail(f"n_train is {n_train!r}, not a count")
        position = _position_from(meta.get("position"), fail, n_train)
        params = tuple(arrays[f"param.{k}{i}"] for i in range(1, len(sizes)) for k in "Wb")
        return RecordedState(
            moment=m,
            config=config,
            sizes=tuple(sizes),
            init=init,
            params=params,
            optimizer_name=name,
            optimizer_state={
                s: tuple(arrays[f"opt.{s}.{i}"] for i in range(len(params)))
                for s in OPTIMIZERS[name].slots
            },
            optimizer_t=t,
            learning_rate=float(lr),
            batch_size=bs,
            n_train=n_train,
            history=tuple(self.history[:epochs]),
            changes=tuple(self.changes[:changes]),
            position=position,
            grad_norms=tuple(float(v) for v in norms),
        )


_ROW_NUMBERS = (
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "learning_rate",
    "batch_size",
    "seconds",
    "samples_per_s",
    "step",
)


def _is_number(value: Any) -> TypeGuard[float]:
    """An int or float usable as a float (NaN included); never a bool."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _is_count(value: Any) -> TypeGuard[int]:
    """A non-negative int of sane size; never a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _ranges(values: Sequence[int]) -> str:
    """``0, 1, 2, 5, 9, 10, 11`` as ``0-2, 5, 9-11``."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if j == i else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(parts)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The entries of a state file, read as a checkpoint's are (no pickle, sizes checked)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise TimelineError(
            f"{path}: the state file is missing (thinned away by the size cap since the "
            "timeline was read, or deleted)"
        ) from None
    except OSError as exc:
        raise TimelineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head != _ZIP_MAGIC:
        raise TimelineError(f"{path}: not a timeline state (not an .npz archive): it is damaged")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: _read_entry(path, npz, key) for key in npz.files}
    except TimelineError:
        raise
    except CheckpointError as exc:
        raise TimelineError(str(exc)) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise TimelineError(f"{path}: truncated or corrupt state ({exc})") from None


def _state_meta(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    version, raw = arrays.get("format_version"), arrays.get("meta")
    if version is None or raw is None:
        raise TimelineError(f"{path}: not a timeline state (no format_version or meta)")
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise TimelineError(f"{path}: state format version {version!r} is not one this reads")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise TimelineError(f"{path}: entry 'meta' is not UTF-8 JSON bytes")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise TimelineError(f"{path}: entry 'meta' is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise TimelineError(f"{path}: entry 'meta' does not describe a timeline state")
    for key in ("config", "model", "optimizer"):
        if not isinstance(meta.get(key), dict):
            raise TimelineError(f"{path}: meta field {key!r} is missing or not an object")
    return meta


def _position_from(
    raw: Any, fail: Callable[[str], TimelineError], n_train: int
) -> EpochPosition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail("position is not an object")
    counts = ("epoch", "batch", "sample", "step", "seen", "correct", "batch_size")
    if not all(_is_count(raw.get(k)) for k in counts):
        raise fail("position lacks one of its counts")
    loss_sum, rate = raw.get("loss_sum"), raw.get("learning_rate")
    if not _is_number(loss_sum) or not _is_number(rate) or not math.isfinite(loss_sum):
        raise fail("position's loss sum or learning rate is not a number")
    if not 0 < rate < math.inf or raw["batch_size"] < 1:
        raise fail("position's learning rate or batch size is out of range")
    if raw["sample"] > n_train or raw["seen"] > raw["sample"] or raw["correct"] > raw["seen"]:
        raise fail("position's sample counts do not add up")
    rngs = {}
    for key in ("dropout_rng", "augment_rng"):
        state = raw.get(key)
        try:
            if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
                raise ValueError("not a PCG64 state")
            cast(Any, np.random.PCG64()).state = state  # checks every field
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise fail(f"position's {key} is not a generator state ({exc})") from None
        rngs[key] = state
    return EpochPosition(
        epoch=raw["epoch"],
        batch=raw["batch"],
        sample=raw["sample"],
        step=raw["step"],
        loss_sum=float(raw["loss_sum"]),
        seen=raw["seen"],
        correct=raw["correct"],
        learning_rate=float(raw["learning_rate"]),
        batch_size=raw["batch_size"],
        **rngs,
    )


def json_value(value: Any) -> Any:
    """``value`` as a JSON record holds it (tuples as lists)."""
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value
