"""The session's threads and questions: watching and retiring runs, closing, and asking
before a trained, unsaved network is forgotten.
"""

from __future__ import annotations

from gui.shared.state import RunState
from gui.worker import TrainingRun


class RunThreads:
    """Threads, closing and the unsaved-run question (a part of :class:`~gui.session.Session`)."""

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
