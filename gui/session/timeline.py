"""Time travel: each run records its timeline into a run folder of its own
(:mod:`gui.run_folders`). The session holds the current run's folder open and owns
the moment being viewed: :meth:`~TimeTravel.view_moment`, :meth:`~TimeTravel.back_to_live`
and :meth:`~TimeTravel.play` go to its :class:`~gui.scrubber.Scrubber`, through which
every snapshot the views draw passes, so that all of them show the same moment while
training goes on. :meth:`~TimeTravel.continue_from` forks the run from a recorded
moment: a new run of the session, recorded as a branch of the one it left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core import text
from core.errors import BackpropError
from core.training.config import Config
from core.training.fork import forked_config
from core.training.timeline import RecordedState, Timeline
from gui.run_folders import RunFolder
from gui.shared import jobs
from gui.shared.state import SETTING_NAMES, Branch, RunState
from gui.worker import TrainingRun


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


class TimeTravel:
    """The session's timeline: look back, play, fork (a part of :class:`~gui.session.Session`)."""

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
        self._adopt(run, config, has_network=True)
        self._run_data = dataset
        self._scrub.set_dataset(dataset)
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
