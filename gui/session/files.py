"""The session's checkpoints: save the run, open one and show it in every view.

A save happens in the training thread between two batches (or from the finished
run's Trainer); an opened checkpoint is replayed to the views as if it had just
been trained, and Start then goes on training it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.errors import BackpropError
from core.training import checkpoint
from core.training.checkpoint import Checkpoint
from core.training.events import Snapshot, Started
from gui.loaded_run import LoadedRun, replay
from gui.shared.state import DatasetInfo, Notice, RunState
from gui.worker import dataset_key

#: Epochs an opened checkpoint that had finished trains on when it is continued.
MORE_EPOCHS = 10


#: How long a save may wait for the training thread's next batch boundary.
SAVE_TIMEOUT_S = 10.0


class Checkpoints:
    """Saving and opening runs (a part of :class:`~gui.session.Session`)."""

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
