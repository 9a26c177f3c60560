"""Recording a run's timeline while it trains: the writer behind ``Trainer(timeline=...)``.

The format is :mod:`core.training.timeline`'s. The training thread only copies the
arrays of a state (a few hundred microseconds at 784-128-10) and queues them. A
background thread, as nice as the system allows, takes whatever has queued up and
writes it as one batch: each state file to a temporary name, fsynced and renamed;
then the folder fsynced; then the batch's journal lines appended and fsynced; then
older epoch ends thinned when the size cap is passed. Niced, it runs on what
training leaves of the cores rather than taking its turn from the matrix products;
the states it has not written yet wait in the queue. The queue holds about
:data:`QUEUE_BYTES` of copies; a writer that falls that far behind holds the
training thread at its next moment instead of piling copies up in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError, TimelineError
from core.guard.files import fsync_folder, write_atomic
from core.training.timeline import (
    FORMAT,
    FORMAT_VERSION,
    JOURNAL,
    STATE_FILE,
    STATE_FORMAT,
    TIMELINE_DIR,
    EpochPosition,
    Kind,
    Moment,
    Timeline,
    json_value,
)

if TYPE_CHECKING:
    from core.training.trainer import Trainer

#: Default size cap of the state files, and of their number.
DEFAULT_CAP_MB = 512
DEFAULT_MAX_STATES = 500
#: Epoch ends of the last this many epochs are never thinned.
KEEP_LAST_EPOCHS = 10
#: Copies waiting to be written before the training thread waits for the writer: the
#: first epoch's states come in a burst (after 1, 2, 4, 8 batches) that this absorbs.
QUEUE_BYTES = 64 * 2**20


@dataclass
class _Pending:
    """One state on its way to disk: copies made in the training thread, written in the writer's."""

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    moment: dict[str, Any]
    rows: list[dict[str, Any]]
    changes: list[dict[str, Any]]


class TimelineWriter:
    """Records a run's timeline into ``run_folder/timeline`` (see the module docstring).

    Give one to a :class:`~core.training.trainer.Trainer` (``timeline=``): its
    ``run()`` opens it, records the moments and closes it. ``cap_bytes`` and
    ``max_states`` bound the state files; ``on_recorded(moment)`` is called in the
    writer's thread once a state is on disk (a window can refresh its slider).

    A failure to write (a full disk) does not stop training: recording stops,
    :attr:`error` says why, and what was recorded stays readable. With
    ``required=False`` the same holds for a folder that cannot be recorded into at
    all (read-only, locked by another run): the run trains without a timeline and
    :attr:`error` says why, where by default :meth:`open` refuses to start.
    """

    def __init__(
        self,
        run_folder: str | os.PathLike,
        *,
        cap_bytes: int = DEFAULT_CAP_MB * 2**20,
        max_states: int = DEFAULT_MAX_STATES,
        on_recorded: Callable[[Moment], None] | None = None,
        queue_bytes: int = QUEUE_BYTES,
        required: bool = True,
    ) -> None:
        if isinstance(cap_bytes, bool) or not isinstance(cap_bytes, int) or cap_bytes < 1:
            raise ConfigError(f"timeline cap: {cap_bytes!r} is not a number of bytes >= 1")
        if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1:
            raise ConfigError(f"timeline max_states: {max_states!r} is not a count >= 1")
        self.run_folder = Path(run_folder)
        self.folder = self.run_folder / TIMELINE_DIR
        self.cap_bytes = cap_bytes
        self.max_states = max_states
        self.on_recorded = on_recorded
        #: Why recording stopped (a write failed), or None while all is well.
        self.error: str | None = None
        self.queue_bytes = queue_bytes
        self.required = required
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._bug: BaseException | None = None
        self._journal: Any = None
        self._lock_fd: int | None = None
        self._states: list[dict[str, Any]] = []  # the live state records, writer thread only
        self._next_id = 0
        self._rows = 0  # history rows and changes already journalled (training thread)
        self._changes = 0
        self._n_train = 0

    @property
    def recording(self) -> bool:
        return self._thread is not None and self.error is None

    # -- the Trainer's side ---------------------------------------------------------
    def open(self, trainer: Trainer, position: EpochPosition | None = None) -> None:
        """Start recording ``trainer``'s run, which stands at ``position`` if inside an epoch.

        When this folder's timeline has a state where the trainer stands, with the
        same parameters (a run resumed into its own folder), it goes on: later
        states are removed. Otherwise a new timeline replaces any old one, its
        first state the trainer's start.
        """
        if self._thread is not None:
            raise TimelineError(f"{self.folder}: this timeline writer is already recording")
        try:
            self._open(trainer, position)
        except TimelineError as exc:
            if self.required:
                raise
            self.error = str(exc)

    def _open(self, trainer: Trainer, position: EpochPosition | None) -> None:
        self._n_train = len(trainer.dataset.y_train)
        model, opt = trainer.model, trainer.optimizer
        state_bytes = sum(p.nbytes for p in model.params) * (1 + len(opt.slots))
        self._queue = queue.Queue(maxsize=max(2, self.queue_bytes // max(state_bytes, 1)))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            continued = position is None and self._continue(trainer)
            if not continued:
                self._begin(trainer)
            self._journal = open(self.folder / JOURNAL, "ab")  # noqa: SIM115  closed by close()
        except OSError as exc:
            self._release_lock()
            raise TimelineError(
                f"{self.folder}: cannot record the timeline: {exc.strerror or exc} (train "
                "without a timeline, or elsewhere)"
            ) from None
        self._thread = threading.Thread(target=self._work, name="timeline-writer", daemon=True)
        self._thread.start()
        if not continued:
            self.record(trainer, "start", position)

    def record(self, trainer: Trainer, kind: Kind, position: EpochPosition | None = None) -> None:
        """Queue the trainer's state now (copies taken here; written in the background)."""
        if not self.recording:
            return
        model, opt = trainer.model, trainer.optimizer
        arrays: dict[str, np.ndarray] = {
            f"param.{name}": p.copy()
            for name, p in zip(model.param_names, model.params, strict=True)
        }
        for slot, values in opt.state.items():
            for i, a in enumerate(values):
                arrays[f"opt.{slot}.{i}"] = a.copy()
        history = trainer.history
        rows = [dict(r) for r in history[self._rows :]]
        changes = [dict(c) for c in trainer.changes[self._changes :]]
        self._rows, self._changes = len(history), len(trainer.changes)
        epoch = position.epoch if position is not None else trainer.epoch
        batch = position.batch if position is not None else 0
        meta = {
            "format": STATE_FORMAT,
            "kind": kind,
            "epoch": epoch,
            "batch": batch,
            "step": trainer.step,
            "epochs": len(history),
            "changes": len(trainer.changes),
            "n_train": self._n_train,
            "config": trainer.config.to_dict(),
            "model": {"sizes": list(model.sizes), "init": model.init},
            "optimizer": {"name": opt.name, "t": int(opt.t)},
            "learning_rate": trainer.learning_rate,
            "batch_size": trainer.batch_size,
            "grad_norms": list(trainer.grad_norms),
            "position": _position_json(position),
        }
        figures: dict[str, float | None] = dict.fromkeys(
            ("train_loss", "train_acc", "val_loss", "val_acc")
        )
        if position is not None:
            if position.seen:
                figures["train_loss"] = position.loss_sum / position.seen
                figures["train_acc"] = position.correct / position.seen
        elif history:
            last = history[-1]
            figures["train_loss"], figures["train_acc"] = last["train_loss"], last["train_acc"]
            figures["val_loss"], figures["val_acc"] = last["val_loss"], last["val_acc"]
        progress = epoch + (position.sample / self._n_train if position and self._n_train else 0.0)
        moment = {
            "kind": kind,
            "epoch": epoch,
            "batch": batch,
            "step": trainer.step,
            "progress": progress,
            "learning_rate": trainer.learning_rate,
            "batch_size": trainer.batch_size,
            "architecture": list(model.sizes),
            **figures,
        }
        self._queue.put(_Pending(arrays, meta, moment, rows, changes))

    def close(self) -> None:
        """Write what is queued, stop the writer thread and release the folder (idempotent).

        A bug in the writer thread is raised here, in the caller's thread, never hidden.
        """
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self._journal is not None:
            with contextlib.suppress(OSError):
                self._journal.close()
            self._journal = None
        self._release_lock()
        bug, self._bug = self._bug, None
        if bug is not None:
            raise bug

    # -- the writer thread ------------------------------------------------------------
    def _work(self) -> None:
        _lower_priority()
        done = False
        while not done:
            items = [self._queue.get()]
            while items[-1] is not None and not self._queue.empty():
                items.append(self._queue.get_nowait())  # what queued up meanwhile: one batch
            done = items[-1] is None
            pending = [item for item in items if item is not None]
            if not pending or self.error is not None or self._bug is not None:
                continue  # keep taking states so the training thread never waits on us
            try:
                self._write(pending)
            except OSError as exc:
                self.error = f"{self.folder}: recording stopped: {exc.strerror or exc}"
            except Exception as exc:
                self.error = f"{self.folder}: recording stopped by an internal error"
                self._bug = exc

    def _write(self, items: list[_Pending]) -> None:
        """Write states (each file whole before its rename), then journal them in one append."""
        lines: list[dict[str, Any]] = []
        records = []
        try:
            for item in items:
                sid = self._next_id
                self._next_id += 1
                name = f"state-{sid:06d}.npz"
                meta = dict(item.meta, version=FORMAT_VERSION)
                arrays: dict[str, np.ndarray] = {
                    "format_version": np.asarray(FORMAT_VERSION, dtype=np.int64),
                    "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
                    **item.arrays,
                }
                size = _write_atomic(self.folder / name, arrays)
                record: dict[str, Any] = {"record": "state", "id": sid, "file": name, "bytes": size}
                record.update(item.moment)
                lines += [{"record": "epoch", "row": r} for r in item.rows]
                lines += [{"record": "change", "change": c} for c in item.changes]
                lines.append(record)
                records.append(record)
        finally:  # what was written before a failure is journalled all the same
            if records:
                fsync_folder(self.folder)  # the renames are durable before the journal names them
                self._append(lines)
                self._states += records
        dropped = self._thin()
        if dropped:
            self._append([{"record": "drop", "id": r["id"]} for r in dropped])
            for r in dropped:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / r["file"]).unlink()
        if self.on_recorded is not None:
            for record in records:
                moment = {k: v for k, v in record.items() if k != "record"}
                moment["architecture"] = tuple(moment["architecture"])
                self.on_recorded(Moment(**moment))

    def _append(self, records: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
        self._journal.write(data)
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def _thin(self) -> list[dict[str, Any]]:
        """Drop epoch ends until the states fit the cap; returns the records dropped."""
        dropped: list[dict[str, Any]] = []
        total = sum(r["bytes"] for r in self._states)
        while total > self.cap_bytes or len(self._states) > self.max_states:
            # The first epoch end (index 0) and the last ten are never candidates.
            ends = [r for r in self._states if r["kind"] == "epoch"]
            candidates = range(1, len(ends) - KEEP_LAST_EPOCHS)
            if not candidates:
                break  # only protected states left: they are all that is kept
            # The one whose neighbours lie closest together (the oldest on a tie).
            i = min(candidates, key=lambda i: (ends[i + 1]["epoch"] - ends[i - 1]["epoch"], i))
            victim = ends[i]
            self._states.remove(victim)
            dropped.append(victim)
            total -= victim["bytes"]
        return dropped

    # -- starting ----------------------------------------------------------------------
    def _begin(self, trainer: Trainer) -> None:
        """A new journal: the run record, the inherited history and changes."""
        self._remove_states(keep=())
        model = trainer.model
        head = {
            "record": "run",
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "dataset": trainer.dataset.name,
            "n_train": self._n_train,
            "architecture": list(model.sizes),
            "config": trainer.config.to_dict(),
            "branch": trainer.branch,
        }
        lines = [head]
        lines += [{"record": "epoch", "row": dict(r)} for r in trainer.history]
        lines += [{"record": "change", "change": dict(c)} for c in trainer.changes]
        _write_text_atomic(self.folder / JOURNAL, lines)
        self._rows, self._changes = len(trainer.history), len(trainer.changes)
        self._states, self._next_id = [], 0

    def _continue(self, trainer: Trainer) -> bool:
        """Go on with this folder's timeline if it holds the trainer's state exactly."""
        if not Timeline.exists(self.run_folder):
            return False
        try:
            tl = Timeline(self.run_folder)
            here = [
                m
                for m in tl.moments
                if m.batch == 0 and (m.epoch, m.step) == (trainer.epoch, trainer.step)
            ]
            if not here or len(tl.history) < trainer.epoch:
                return False
            state = tl.load(here[-1])
        except TimelineError:
            return False
        same = (
            len(state.history) == len(trainer.history)
            and len(state.changes) == len(trainer.changes)
            and state.optimizer_name == trainer.optimizer.name
            and state.optimizer_t == trainer.optimizer.t
            and len(state.params) == len(trainer.model.params)
            and all(
                a.shape == b.shape and np.array_equal(a, b)
                for a, b in zip(state.params, trainer.model.params, strict=True)
            )
        )
        if not same:
            return False
        kept = [m for m in tl.moments if m.step <= state.moment.step]
        lines = [dict(tl.run)]
        lines += [{"record": "epoch", "row": dict(r)} for r in state.history]
        lines += [{"record": "change", "change": dict(c)} for c in state.changes]
        records = [
            {
                "record": "state",
                **{k: json_value(getattr(m, k)) for k in Moment.__dataclass_fields__},
            }
            for m in kept
        ]
        _write_text_atomic(self.folder / JOURNAL, lines + records)
        self._remove_states(keep={m.file for m in kept})
        self._rows, self._changes = len(state.history), len(state.changes)
        self._states = records
        self._next_id = tl.next_id
        return True

    def _remove_states(self, keep: Collection[str]) -> None:
        """Delete state files (and temporaries) of this folder not in ``keep``."""
        for p in self.folder.iterdir():
            name = p.name
            stale = STATE_FILE.fullmatch(name) and name not in keep
            if stale or (name.startswith(".state-") and name.endswith(".tmp")):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def _take_lock(self) -> None:
        """One writer per folder: a second run recording here is refused, not interleaved."""
        try:
            import fcntl
        except ImportError:  # no advisory locks on this system: nothing to take
            return
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise TimelineError(
                f"{self.folder}: another run is recording its timeline here; give this run "
                "its own output folder"
            ) from None
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None


def _lower_priority() -> None:
    """Make the calling thread (the writer) as nice as it gets, where threads have their own.

    On Linux a thread's nice value is its own: the writer then runs on what training
    leaves of the cores instead of taking its share from the matrix products, and
    catches up when training pauses or ends. Elsewhere, or when refused, nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _position_json(position: EpochPosition | None) -> dict[str, Any] | None:
    if position is None:
        return None
    return {name: getattr(position, name) for name in EpochPosition.__dataclass_fields__}


def _write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> int:
    """Write ``arrays`` as an uncompressed ``.npz`` at ``path`` (temporary, fsync, rename).

    Returns the file's size. Uncompressed: float weights barely compress, and
    deflating them would cost the writer thread far more than the disk it saves.
    """
    tmp = path.with_name(f".{path.stem}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # names are keys, not flags
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return size


def _write_text_atomic(path: Path, records: list[dict[str, Any]]) -> None:
    """Write JSON lines to ``path`` through a temporary file, fsync and rename."""
    text = "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")
    write_atomic(path, lambda f: f.write(text))
