"""How the core's events move the session's state: started, each epoch, a change,
a divergence, a pause, the end. Replayed events of an opened checkpoint move nothing.
"""

from __future__ import annotations

import dataclasses

from core import text
from core.training.config import Config
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Finished,
    HyperparameterChanged,
    Paused,
    Resumed,
    Started,
)
from gui.shared.state import DatasetInfo, EpochPoint, Notice, RunSettings, RunState


class BusEvents:
    """The session's slots on the event bus (a part of :class:`~gui.session.Session`)."""

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
                if self._state.live:
                    self._message = (
                        f"Training on {self._info.name}: {text.sizes(self._architecture)}"
                    )
        elif ev.name in ("learning_rate", "batch_size"):
            self._settings = self._settings.replace(**{ev.name: ev.new})
        self._update_current_settings()
        self._draft = self._with_live(self._draft, self._settings)
        self._emit()

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
