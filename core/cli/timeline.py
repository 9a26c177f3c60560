"""The timeline on the command line: recording it (``--no-timeline``, ``--timeline-cap``)
and forking a recorded run (``train --fork RUN_FOLDER --at-epoch K [options]``).

``--at-epoch K`` picks the state after K epochs: the one the line ``Epoch K-1`` reports
(``--at-epoch 0`` is the state before any training). The fork's first line is then
``Epoch   K``. ``--at-batch N`` picks the state N batches into the first epoch (1, 2,
4, 8, ... are recorded). Options given with ``--fork`` change the settings from that
moment on; :data:`~core.training.fork.FORKABLE` lists what a fork may change.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli.common import override
from core.errors import ConfigError, TimelineError
from core.guard.paths import expand
from core.training.fork import forked_config
from core.training.recorder import DEFAULT_CAP_MB, TimelineWriter
from core.training.timeline import RecordedState, Timeline

if TYPE_CHECKING:
    from core.data import Dataset
    from core.training.config import Config
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer


def add_timeline_options(parser: argparse.ArgumentParser) -> None:
    """The ``train`` command's timeline and fork options."""
    group = parser.add_argument_group(
        "timeline (the run's states at every epoch end and early in the first epoch, "
        "kept in FOLDER/timeline to look back at and fork from)"
    )
    group.add_argument(
        "--no-timeline", action="store_true", help="do not record the run's timeline"
    )
    group.add_argument(
        "--timeline-cap",
        metavar="MB",
        type=megabytes,
        default=DEFAULT_CAP_MB,
        help=f"disk the timeline may use before older epoch ends are thinned ({DEFAULT_CAP_MB})",
    )
    group.add_argument(
        "--fork",
        metavar="RUN_FOLDER",
        help="continue the run recorded in RUN_FOLDER from --at-epoch K or --at-batch N "
        "into a new run; settings given as well change from there on",
    )
    group.add_argument(
        "--at-epoch",
        metavar="K",
        type=count,
        help="fork from the state after K epochs, the one line 'Epoch K-1' reports (0: the start)",
    )
    group.add_argument(
        "--at-batch",
        metavar="N",
        type=count,
        help="fork from the state N batches into the first epoch (1, 2, 4, 8, ...)",
    )


def megabytes(text: str) -> float:
    """``--timeline-cap``'s value: a finite size in MB above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in MB") from None
    if not math.isfinite(value) or not 0 < value <= 2**30:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in MB above 0")
    return value


def count(text: str) -> int:
    """A whole number >= 0, as ``--at-epoch`` and ``--at-batch`` take."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is below 0")
    return value


def timeline_writer(args: argparse.Namespace, folder: Path) -> TimelineWriter | None:
    """The writer that records this run into ``folder/timeline``, unless ``--no-timeline``."""
    if args.no_timeline:
        return None
    return TimelineWriter(folder, cap_bytes=max(int(args.timeline_cap * 2**20), 1))


def timeline_report(folder: Path, writer: TimelineWriter | None) -> tuple[str, str | None]:
    """The report's timeline line, and a warning when recording failed on the way."""
    if writer is None:
        return "Timeline: not recorded (--no-timeline)", None
    try:
        tl = Timeline(folder)
        line = f"Timeline: {tl.folder} ({len(tl)} states, {tl.nbytes / 2**20:.1f} MB)"
    except TimelineError as exc:  # whatever went wrong here, the run itself is saved
        line = f"Timeline: {exc}"
    warning = f"warning: timeline: {writer.error}" if writer.error else None
    return line, warning


@dataclass
class ForkStart:
    """A fork asked for on the command line, checked: where from, and with what changed."""

    source: Path
    state: RecordedState
    changes: dict[str, Any]
    config: Config

    def trainer(
        self, dataset: Dataset, control: TrainingControl, timeline: TimelineWriter | None
    ) -> Trainer:
        from core.training.trainer import Trainer

        return Trainer.from_state(
            self.state,
            dataset,
            control,
            changes=self.changes,
            source=str(self.source),
            snapshots=False,
            timeline=timeline,
        )

    def header(self) -> str:
        """``Fork of runs/a after 3 epochs (step 1290): learning_rate 0.1 -> 0.05``."""
        m = self.state.moment
        old = self.state.config
        what = ", ".join(
            f"{name} {_shown(getattr(old, name))} -> {_shown(value)}"
            for name, value in self.changes.items()
        )
        return f"Fork of {self.source} {m.label} (step {m.step}): {what or 'no change'}"


def fork_start(args: argparse.Namespace, given: dict[str, str]) -> ForkStart:
    """Read ``--fork``'s timeline, pick the moment, check the changes; errors name the option."""
    if args.resume:
        raise ConfigError("--fork: cannot be combined with --resume (a fork is a new run)")
    if args.preset:
        raise ConfigError("--fork: --preset cannot be combined with a fork")
    if (args.at_epoch is None) == (args.at_batch is None):
        raise ConfigError("--fork: say which moment, with either --at-epoch K or --at-batch N")
    source = expand(args.fork, "--fork")
    if args.output and Path(args.output).resolve() == source.resolve():
        raise ConfigError(
            f"--output: a fork is written to its own folder, not into the run it forks ({source})"
        )
    timeline = Timeline(source)
    moment = (
        timeline.at_epoch(args.at_epoch)
        if args.at_epoch is not None
        else timeline.at_batch(args.at_batch)
    )
    state = timeline.load(moment)
    wanted = override(state.config, given)
    changes = {
        name: getattr(wanted, name)
        for name in given
        if getattr(wanted, name) != getattr(state.config, name)
    }
    return ForkStart(source, state, changes, forked_config(state, changes))


def check_moment_options(args: argparse.Namespace) -> None:
    """``--at-epoch`` and ``--at-batch`` mean nothing without ``--fork``."""
    if args.fork is None and (args.at_epoch is not None or args.at_batch is not None):
        raise ConfigError("--at-epoch and --at-batch pick a moment of --fork RUN_FOLDER")


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)
