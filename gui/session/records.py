"""The runs of the session: one record per run trained, opened or compared from a sweep.

Each has a number, a name, a colour of its own, what it started with and what it
has now, and its per-epoch history; the Runs tab and the curves show them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from core import text
from core.training.checkpoint import Checkpoint
from core.training.events import Started
from gui.session.timeline import branch_of
from gui.shared.state import EpochPoint, RunRecord, RunSettings


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


def _history_points(rows: Any) -> tuple[EpochPoint, ...]:
    return tuple(
        EpochPoint(
            epoch=int(r["epoch"]), val_loss=float(r["val_loss"]), val_acc=float(r["val_acc"])
        )
        for r in rows
    )


class RunRecords:
    """The session's run records (a part of :class:`~gui.session.Session`)."""

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

    def _update_current_settings(self) -> None:
        """A live change: the current run's record says what the run has now."""
        record = self._current_record()
        if record is None or self._settings is None:
            return
        ended = dataclasses.replace(
            record.ended,
            learning_rate=float(self._settings.learning_rate),
            batch_size=int(self._settings.batch_size),
        )
        if self._architecture:
            ended = dataclasses.replace(ended, network=text.sizes(self._architecture))
        self._replace(record, ended=ended)
