"""``python main.py train``: train with live output, save the run, report on the test set.

Training prints one line per epoch in the seed project's format, a progress bar
per epoch on stderr (when it is a terminal) and a final report. It writes the
checkpoint ``model.npz`` (atomically: every few seconds while training, and at
the end), ``history.csv`` and the run's timeline (``timeline/``, unless
``--no-timeline``) to the output folder, and the two pictures through
the ``render`` callback that ``main.py`` passes in (core/ never draws).
Ctrl-C or SIGTERM stops after the current batch and exits with 130 or 143 (see
``core.cli.signals``). A run that stops inside an epoch (a signal, a divergence, an
error) saves the state of its last completed epoch (``core.training.epochend``), so
``--resume`` repeats the uninterrupted run epoch for epoch; the batches of the
unfinished epoch are not kept, and a run stopped before its first epoch ended
writes no checkpoint.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.cli.common import (
    CHECKPOINT_NAME,
    EXIT_FAILED,
    HISTORY_NAME,
    OPTIONS,
    PICTURE_MISTAKES,
    PICTURE_SAMPLES,
    RESUMABLE,
    SAVE_EVERY_S,
    Pictures,
    claim_folder,
    load_data,
    one_line,
    output_folder,
    override,
    preset_config_for,
)
from core.cli.evaluate import report
from core.cli.signals import Stop
from core.cli.timeline import (
    check_moment_options,
    fork_start,
    timeline_report,
    timeline_writer,
)
from core.data.dataset import displayable
from core.errors import ConfigError
from core.guard.paths import expand
from core.text import sizes
from core.training import checkpoint as ckpt
from core.training.control import TrainingControl
from core.training.epochend import LastEpochEnd
from core.training.events import (
    BatchProgress,
    Diverged,
    EpochReport,
    Finished,
    HyperparameterChanged,
)
from core.training.history import write_history_csv
from core.training.timeline import TIMELINE_DIR

if TYPE_CHECKING:
    from core.data import Dataset
    from core.training.config import Config
    from core.training.recorder import TimelineWriter
    from core.training.trainer import Trainer


def train_command(
    args: argparse.Namespace, pictures: Pictures | None = None, stop: Stop | None = None
) -> int:
    """``train``: build the config, train with live output, write files, report."""
    stop = stop if stop is not None else Stop()
    given = {
        name: getattr(args, name)
        for _, _, name, _ in OPTIONS
        if getattr(args, name, None) is not None
    }
    resume = expand(args.resume, "--resume") if args.resume else None
    check_moment_options(args)
    forked = fork_start(args, given) if args.fork else None
    resumed = ckpt.load(resume) if resume is not None else None
    if forked is not None:
        config = forked.config
    elif resumed is not None:
        fixed = sorted(set(given) - set(RESUMABLE))
        if fixed:
            raise ConfigError(
                f"--resume: {', '.join(fixed)} cannot change when resuming (they define the "
                f"model or its data); a resumed run may change {', '.join(RESUMABLE)}"
            )
        if args.preset:
            raise ConfigError("--resume: --preset cannot be combined with a checkpoint")
        config = override(resumed.config, given)
    else:
        config = override(preset_config_for(args.preset), given)
    recorded_in = () if args.no_timeline else (TIMELINE_DIR,)
    given_folder = output_folder(args.output, resume, recorded_in)
    dataset = load_data(config)
    control = TrainingControl()
    if forked is None and resumed is None:
        from core.training.trainer import Trainer

        Trainer.check_memory(config, dataset)  # refused before the run's folder is made
    folder = claim_folder(given_folder)
    timeline = timeline_writer(args, folder)
    if forked is not None:
        trainer = forked.trainer(dataset, control, timeline)
        print(forked.header())
    elif resumed is not None:
        trainer = resumed.trainer(dataset, control, config, snapshots=False, timeline=timeline)
    else:
        trainer = _new_trainer(config, dataset, control, timeline)
    _print_header(trainer, resumed is not None or forked is not None, folder)

    def stop_after_this_batch() -> None:
        print(
            f"\n{stop.name}: stopping after this batch, then saving the last completed "
            "epoch (Ctrl-C again to abort at once)",
            file=sys.stderr,
        )
        control.stop()

    stop.on_first = stop_after_this_batch
    kept = LastEpochEnd(trainer)
    outcome = _train(trainer, control, folder, kept)
    unkept = 0  # batches of an unfinished epoch, which a checkpoint cannot continue
    saved = True
    if outcome.reason != "completed":
        unkept = kept.batches_since(trainer)
        saved = kept.rewind(trainer)
    path = folder / CHECKPOINT_NAME
    if saved:
        ckpt.save(path, trainer)
        write_history_csv(folder / HISTORY_NAME, trainer.history)
    stop.on_first = None  # everything is saved: a signal from here on ends the command
    test = report(trainer.model, dataset, sys.stdout) if saved else None
    print(_timing_line(trainer, outcome))
    if saved:
        print(f"Checkpoint: {path}")
        print(f"History: {folder / HISTORY_NAME}")
    recorded, warning = timeline_report(folder, timeline)
    print(recorded)
    if warning:
        print(warning, file=sys.stderr)
    if test is not None and pictures is not None and not args.no_pictures:
        _draw(pictures, folder, trainer, dataset, test)
    return _ending(outcome, stop, path if saved else None, trainer.epoch, unkept)


def _ending(outcome: _Outcome, stop: Stop, path: Path | None, epochs: int, unkept: int) -> int:
    """Say how the run ended and what was kept of it; the exit code.

    ``path`` is the checkpoint, at the end of the run's last completed epoch (None
    when no epoch ended); ``unkept`` the batches of an unfinished epoch left out of it.
    """
    batches = _count(unkept, "batch", "batches")
    if outcome.reason == "stopped" and stop.signum is not None:
        if path is None:
            print(
                f"Stopped by {stop.name} before the first epoch ended: its {batches} are not "
                "kept and there is nothing to resume",
                file=sys.stderr,
            )
        else:
            print(
                f"Stopped by {stop.name} after {_count(epochs, 'epoch', 'epochs')}"
                + (f"; the {batches} of the unfinished epoch are not kept" if unkept else "")
                + f"; resume with --resume {path}",
                file=sys.stderr,
            )
        return stop.exit_code
    if outcome.diverged is not None:
        what, lr = outcome.diverged.message.split(". ")[0], outcome.diverged.suggested_lr
        if path is None:
            print(
                f"error: {what}; no epoch ended, so nothing is kept (start again with --lr {lr:g})",
                file=sys.stderr,
            )
        else:
            print(
                f"error: {what}; the model after {_count(epochs, 'epoch', 'epochs')} is in {path} "
                f"(continue with --resume {path} --lr {lr:g})",
                file=sys.stderr,
            )
        return EXIT_FAILED
    if outcome.reason == "error":
        print(f"error: {one_line(outcome.message)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _Outcome:
    """How a run ended, as the command line needs to know it."""

    def __init__(self) -> None:
        self.reason = "completed"
        self.message = ""
        self.seconds = 0.0
        self.diverged: Diverged | None = None
        self.epochs: list[EpochReport] = []


def _train(
    trainer: Trainer, control: TrainingControl, folder: Path, kept: LastEpochEnd
) -> _Outcome:
    """Drive ``trainer.run()``: bar, epoch lines, safety checkpoints, the epoch ends kept."""
    from tqdm import tqdm

    outcome = _Outcome()
    bar = None
    last_save = time.perf_counter()
    for ev in trainer.run():
        if isinstance(ev, BatchProgress):
            if bar is None:
                bar = tqdm(
                    total=ev.batches,
                    desc=f"Epoch {ev.epoch:3d}",
                    unit="batch",
                    leave=False,
                    file=sys.stderr,
                    disable=None,
                    dynamic_ncols=True,
                )
            if bar.total != ev.batches:
                bar.total = ev.batches
            bar.set_postfix_str(f"loss {ev.running_loss:.4f}", refresh=False)
            bar.update(1)
        elif isinstance(ev, EpochReport):
            if bar is not None:
                bar.close()
                bar = None
            print(epoch_line(ev), flush=True)
            outcome.epochs.append(ev)
            kept.take(trainer)
            if time.perf_counter() - last_save >= SAVE_EVERY_S:
                ckpt.save(folder / CHECKPOINT_NAME, trainer)  # in case of a crash
                last_save = time.perf_counter()
        elif isinstance(ev, HyperparameterChanged):
            print(f"  {ev.name}: {ev.old} -> {ev.new} at epoch {ev.epoch}, batch {ev.batch}")
        elif isinstance(ev, Diverged):
            # Nobody is at the controls to pick a new rate: stop with the good model.
            outcome.diverged = ev
            control.stop()
        elif isinstance(ev, Finished):
            outcome.reason, outcome.message, outcome.seconds = (
                ev.reason,
                ev.message,
                ev.seconds,
            )
    if bar is not None:
        bar.close()
    return outcome


def epoch_line(ev: EpochReport) -> str:
    """The seed project's per-epoch line, exactly."""
    return (
        f"Epoch {ev.epoch:3d}: Train Loss: {ev.train_loss:.4f}, Train Acc: "
        f"{ev.train_acc:.4f}, Val Loss: {ev.val_loss:.4f}, Val Acc: {ev.val_acc:.4f}"
    )


def _timing_line(trainer: Trainer, outcome: _Outcome) -> str:
    n = len(outcome.epochs)
    if not n:
        return "Training time: no epoch completed"
    n_train = len(trainer.dataset.y_train)
    busy = sum(n_train / e.samples_per_s for e in outcome.epochs if e.samples_per_s > 0)
    rate = n * n_train / busy if busy > 0 else 0.0
    return f"Training time: {outcome.seconds:.1f} s for {n} epoch(s) ({rate:,.0f} samples/s)"


def _print_header(trainer: Trainer, resumed: bool, folder: Path) -> None:
    c, ds = trainer.config, trainer.dataset
    arch = sizes(trainer.model.sizes)
    what = f"Resuming at epoch {trainer.epoch}" if resumed else "Training"
    print(
        f"{what}: {arch} {c.activation}, {c.optimizer} lr {c.learning_rate:g} "
        f"({c.schedule}), batch {c.batch_size}, {c.epochs} epochs, seed {c.seed}"
        + (f", augment {c.augment}" if c.augment != "none" else "")
    )
    print(
        f"Data: {ds.name} ({len(ds.y_train)} train, {len(ds.y_val)} val, "
        f"{len(ds.y_test)} test): {ds.source}"
    )
    print(f"Output: {folder}", flush=True)


def _new_trainer(
    config: Config, dataset: Dataset, control: TrainingControl, timeline: TimelineWriter | None
) -> Trainer:
    from core.training.trainer import Trainer

    # nothing here draws snapshots
    return Trainer(config, dataset, control, snapshots=False, timeline=timeline)


def _draw(
    pictures: Pictures,
    folder: Path,
    trainer: Trainer,
    dataset: Dataset,
    test: dict[str, np.ndarray],
) -> None:
    """Draw the pictures; a drawing failure costs the pictures, never the run."""
    pred = test["pred"]
    rng = np.random.default_rng(trainer.config.seed)
    n = len(dataset.y_test)
    wrong = np.flatnonzero(pred != dataset.y_test)
    mistakes = rng.permutation(wrong)[:PICTURE_MISTAKES]
    others = np.setdiff1d(np.arange(n), mistakes)
    picked = rng.choice(
        others, size=min(PICTURE_SAMPLES - len(mistakes), len(others)), replace=False
    )
    idx = np.sort(np.concatenate([mistakes, picked]))
    images, note = displayable(dataset.X_test[idx].reshape(len(idx), *dataset.image_shape))
    if note:
        print(f"warning: {note}", file=sys.stderr)
    try:
        paths = pictures.run_pictures(
            folder,
            history=trainer.history,
            changes=trainer.changes,
            images=images,
            labels=dataset.y_test[idx],
            predictions=pred[idx],
            class_names=dataset.class_names,
        )
    except Exception as exc:  # the pictures are optional; the run and its files are not
        print(f"warning: pictures not written: {exc}", file=sys.stderr)
        return
    for p in paths:
        print(f"Picture: {p}")
