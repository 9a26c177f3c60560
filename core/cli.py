"""The command line: train, evaluate and sweep without a window.

    python main.py --headless [options]          train (same as `train`)
    python main.py train [options]               train; --resume CHECKPOINT continues a run
    python main.py evaluate CHECKPOINT           test a saved model (also --evaluate CHECKPOINT)
    python main.py sweep [options]               many settings in parallel (core.sweep)

Training prints one line per epoch in the seed project's format, a progress bar
per epoch on stderr (when it is a terminal) and a final report. It writes the
checkpoint ``model.npz`` (atomically: every few seconds while training, and at
the end) and ``history.csv`` to the output folder, and the two pictures through
the ``render`` callback that ``main.py`` passes in (core/ never draws). Bad
arguments or files end with one ``error: ...`` line on stderr and a non-zero
exit code, never a traceback.
Ctrl-C stops after the current batch, saves a checkpoint and exits with 130.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from core import checkpoint as ckpt
from core.config import ACTIVATIONS, AUGMENTATIONS, DTYPES, INITS, OPTIMIZERS, SCHEDULES, Config
from core.control import TrainingControl
from core.errors import BackpropError, ConfigError
from core.events import BatchProgress, Diverged, EpochReport, Finished, HyperparameterChanged
from core.history import write_history_csv
from core.presets import PRESETS
from core.sweep import add_sweep_parser, run_sweep_command

if TYPE_CHECKING:
    from core.data import Dataset
    from core.model import MLP
    from core.trainer import Trainer

COMMANDS = ("train", "evaluate", "sweep")
CHECKPOINT_NAME = "model.npz"
HISTORY_NAME = "history.csv"
#: Exit codes: 1 a run or file failed, 2 bad arguments, 130 interrupted (as shells do).
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
#: Settings a resumed run may change; the rest define the model or its data split.
RESUMABLE = ("learning_rate", "momentum", "batch_size", "epochs", "schedule", "min_lr_ratio",
             "augment", "data_path")
#: Seconds between the safety checkpoints written while training (and always at the end).
SAVE_EVERY_S = 5.0
#: Test digits drawn in sample_predictions.png, and how many of them may be mistakes.
PICTURE_SAMPLES, PICTURE_MISTAKES = 32, 8

#: ``render(folder, *, history, changes, images, labels, predictions, class_names)``
#: draws the run's pictures into ``folder`` and returns the paths it wrote.
Render = Callable[..., Sequence[Path]]

# (flag, metavar, Config field, help); every option defaults to None so that only what was
# typed overrides the preset or the checkpoint.
_OPTIONS = (
    ("--dataset", "NAME", "dataset", "mnist, fashion_mnist, digits, cifar10 or a folder (mnist)"),
    ("--data-path", "DIR", "data_path", "folder holding the dataset's files"),
    ("--hidden", "WIDTHS", "hidden", "hidden layer widths, e.g. 128 or 512,256 (128)"),
    ("--activation", "NAME", "activation", f"one of {', '.join(ACTIVATIONS)} (relu)"),
    ("--init", "NAME", "init", f"weight initialisation: {', '.join(INITS)} (auto)"),
    ("--optimizer", "NAME", "optimizer", f"one of {', '.join(OPTIMIZERS)} (sgd)"),
    ("--lr", "LR", "learning_rate", "learning rate (0.1)"),
    ("--momentum", "MU", "momentum", "momentum of momentum/nesterov (0.9)"),
    ("--batch-size", "N", "batch_size", "mini-batch size (128)"),
    ("--epochs", "N", "epochs", "epochs in all, counting those of a resumed run (20)"),
    ("--seed", "N", "seed", "random seed of initialisation, split and shuffles (0)"),
    ("--augment", "KIND", "augment", f"augmentation: {', '.join(AUGMENTATIONS)} (none)"),
    ("--l2", "X", "l2", "L2 weight decay (0)"),
    ("--dropout", "P", "dropout", "dropout rate of the hidden layers (0)"),
    ("--schedule", "NAME", "schedule", f"rate schedule: {', '.join(SCHEDULES)} (constant)"),
    ("--min-lr-ratio", "X", "min_lr_ratio", "final rate / initial rate of a schedule (0.01)"),
    ("--val-fraction", "X", "val_fraction", "share of the training set held out (0.0833)"),
    ("--dtype", "NAME", "dtype", f"floating point type: {', '.join(DTYPES)} (float32)"),
)


# -- entry point -------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, render: Render | None = None) -> int:
    """Run one command; returns the process exit code."""
    argv = _normalise(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line error or the help
        return int(exc.code or 0)
    try:
        if args.command == "evaluate":
            return evaluate_command(args)
        if args.command == "sweep":
            return run_sweep_command(args, render)
        return train_command(args, render)
    except ConfigError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BackpropError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def one_line(message: str) -> str:
    """``message`` on one line, as a terminal error should be.

    A dataset that is not available explains itself over several lines for the
    window: a heading ending in ``Looked in:``, one ``- place: why`` line per place
    tried, then advice. Here the places become a ``;``-separated list after the
    heading and the other lines follow as sentences.
    """
    parts: list[str] = []
    places: list[str] = []
    for line in (ln.strip() for ln in message.splitlines()):
        if line.startswith("- "):
            places.append(line[2:].strip())
            continue
        if places:
            parts.append("; ".join(places) + ".")
            places = []
        if line:
            parts.append(line)
    if places:
        parts.append("; ".join(places))
    return " ".join(parts)


def _normalise(argv: list[str]) -> list[str]:
    """Accept the seed-style flags: ``--headless`` and ``--evaluate CHECKPOINT``."""
    argv = [a for a in argv if a != "--headless"]
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        return argv
    for i, a in enumerate(argv):
        if a == "--evaluate" and i + 1 < len(argv):
            return ["evaluate", argv[i + 1], *argv[:i], *argv[i + 2 :]]
        if a.startswith("--evaluate="):
            return ["evaluate", a.partition("=")[2], *argv[:i], *argv[i + 1 :]]
    return ["train", *argv]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Backprop Studio without the window: train a NumPy MLP, evaluate a "
        "checkpoint, or sweep settings. `--headless` is the same as `train`.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train = sub.add_parser(
        "train", help="train a network and report on the test set",
        description="Train and report. Prints one line per epoch and a final report; "
        "writes model.npz, history.csv and the pictures to the output folder.",
    )
    group = train.add_argument_group("settings (defaults: the seed's 784-128-10, sgd 0.1, "
                                     "batch 128)")
    group.add_argument("--preset", metavar="NAME", help="start from a named preset: "
                       f"{', '.join(PRESETS)}; options given as well override it")
    for flag, metavar, name, text in _OPTIONS:
        group.add_argument(flag, dest=name, metavar=metavar, help=text)
    group.add_argument("--learning-rate", dest="learning_rate", help=argparse.SUPPRESS)
    group.add_argument("--batch", dest="batch_size", help=argparse.SUPPRESS)
    out = train.add_argument_group("files")
    out.add_argument("--resume", metavar="CHECKPOINT",
                     help="continue the run saved in CHECKPOINT (up to --epochs in all)")
    out.add_argument("-o", "--output", metavar="FOLDER",
                     help="where to write model.npz, history.csv and pictures "
                     "(default runs/<date-time>)")
    out.add_argument("--no-pictures", action="store_true", help="do not draw the two PNGs")
    ev = sub.add_parser("evaluate", help="report a checkpoint's accuracy on the test set",
                        description="Load a checkpoint and report on its dataset's test set.")
    ev.add_argument("checkpoint", metavar="CHECKPOINT")
    ev.add_argument("--dataset", help="evaluate on another dataset of the same shape")
    ev.add_argument("--data-path", dest="data_path", help="folder holding the dataset's files")
    add_sweep_parser(sub)
    return parser


# -- train -------------------------------------------------------------------------
def train_command(args: argparse.Namespace, render: Render | None = None) -> int:
    """``train``: build the config, train with live output, write files, report."""
    given = {name: getattr(args, name) for _, _, name, _ in _OPTIONS
             if getattr(args, name, None) is not None}
    resumed = ckpt.load(args.resume) if args.resume else None
    if resumed is not None:
        fixed = sorted(set(given) - set(RESUMABLE))
        if fixed:
            raise ConfigError(
                f"--resume: {', '.join(fixed)} cannot change when resuming (they define the "
                f"model or its data); a resumed run may change {', '.join(RESUMABLE)}"
            )
        if args.preset:
            raise ConfigError("--resume: --preset cannot be combined with a checkpoint")
        config = _override(resumed.config, given)
    else:
        config = _override(_preset(args.preset), given)
    folder = _output_folder(args.output)
    dataset = _load_dataset(config)
    control = TrainingControl()
    trainer = (resumed.trainer(dataset, control, config, snapshots=False)
               if resumed is not None else _new_trainer(config, dataset, control))
    _print_header(trainer, resumed is not None, folder)

    outcome = _train(trainer, control, folder)
    path = ckpt.save(folder / CHECKPOINT_NAME, trainer)
    write_history_csv(folder / HISTORY_NAME, trainer.history)
    test = report(trainer.model, dataset, sys.stdout)
    print(_timing_line(trainer, outcome))
    print(f"Checkpoint: {path}")
    print(f"History: {folder / HISTORY_NAME}")
    if render is not None and not args.no_pictures:
        _render(render, folder, trainer, dataset, test)
    if outcome.reason == "stopped" and outcome.interrupted:
        print(f"Stopped by Ctrl-C after {trainer.epoch} epoch(s); resume with "
              f"--resume {path}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if outcome.diverged is not None:
        print(f"error: {outcome.diverged.message.split('. ')[0]}; the last good model is in "
              f"{path} (continue with --resume {path} --lr {outcome.diverged.suggested_lr:g})",
              file=sys.stderr)
        return EXIT_FAILED
    if outcome.reason == "error":
        print(f"error: {one_line(outcome.message)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


class _Outcome:
    """How a run ended, as the command line needs to know it."""

    def __init__(self) -> None:
        self.reason = "completed"
        self.message = ""
        self.seconds = 0.0
        self.interrupted = False
        self.diverged: Diverged | None = None
        self.epochs: list[EpochReport] = []


def _train(trainer: Trainer, control: TrainingControl, folder: Path) -> _Outcome:
    """Drive ``trainer.run()``: bar, epoch lines, safety checkpoints, Ctrl-C handling."""
    from tqdm import tqdm

    outcome = _Outcome()
    bar = None
    last_save = time.perf_counter()
    with _stop_on_ctrl_c(control, outcome):
        for ev in trainer.run():
            if isinstance(ev, BatchProgress):
                if bar is None:
                    bar = tqdm(total=ev.batches, desc=f"Epoch {ev.epoch:3d}", unit="batch",
                               leave=False, file=sys.stderr, disable=None, dynamic_ncols=True)
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
                    ev.reason, ev.message, ev.seconds)
    if bar is not None:
        bar.close()
    return outcome


@contextlib.contextmanager
def _stop_on_ctrl_c(control: TrainingControl, outcome: _Outcome) -> Iterator[None]:
    """First Ctrl-C: stop after the current batch. A second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: Any) -> None:
        if outcome.interrupted:
            raise KeyboardInterrupt
        outcome.interrupted = True
        print("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)
        control.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def epoch_line(ev: EpochReport) -> str:
    """The seed project's per-epoch line, exactly."""
    return (f"Epoch {ev.epoch:3d}: Train Loss: {ev.train_loss:.4f}, Train Acc: "
            f"{ev.train_acc:.4f}, Val Loss: {ev.val_loss:.4f}, Val Acc: {ev.val_acc:.4f}")


def _timing_line(trainer: Trainer, outcome: _Outcome) -> str:
    n = len(outcome.epochs)
    if not n:
        return "Training time: no epoch completed"
    n_train = len(trainer.dataset.y_train)
    busy = sum(n_train / e.samples_per_s for e in outcome.epochs if e.samples_per_s > 0)
    rate = n * n_train / busy if busy > 0 else 0.0
    return (f"Training time: {outcome.seconds:.1f} s for {n} epoch(s) "
            f"({rate:,.0f} samples/s)")


def _print_header(trainer: Trainer, resumed: bool, folder: Path) -> None:
    c, ds = trainer.config, trainer.dataset
    arch = "-".join(map(str, trainer.model.sizes))
    what = f"Resuming at epoch {trainer.epoch}" if resumed else "Training"
    print(f"{what}: {arch} {c.activation}, {c.optimizer} lr {c.learning_rate:g} "
          f"({c.schedule}), batch {c.batch_size}, {c.epochs} epochs, seed {c.seed}"
          + (f", augment {c.augment}" if c.augment != "none" else ""))
    print(f"Data: {ds.name} ({len(ds.y_train)} train, {len(ds.y_val)} val, "
          f"{len(ds.y_test)} test): {ds.source}")
    print(f"Output: {folder}", flush=True)


# -- evaluate ----------------------------------------------------------------------
def evaluate_command(args: argparse.Namespace) -> int:
    """``evaluate CHECKPOINT``: the final report of a saved model on its test set."""
    saved = ckpt.load(args.checkpoint)
    config = saved.config
    if args.dataset:
        config = config.replace(dataset=args.dataset)
    if args.data_path:
        config = config.replace(data_path=args.data_path)
    dataset = _load_dataset(config)
    if dataset.n_features != saved.model.sizes[0]:
        raise ConfigError(
            f"dataset {dataset.name!r} has {dataset.n_features} inputs; the model in "
            f"{args.checkpoint} takes {saved.model.sizes[0]}"
        )
    arch = "-".join(map(str, saved.model.sizes))
    print(f"Checkpoint: {args.checkpoint} ({arch} {saved.model.activation}, "
          f"{saved.epoch} epoch(s) on {saved.config.dataset})")
    if saved.history:
        print(_last_epoch_line(saved.history[-1]))
    report(saved.model, dataset, sys.stdout)
    return 0


def _last_epoch_line(row: dict[str, Any]) -> str:
    """The saved run's last validation figures; a record may lack some (a hand-made file)."""
    figures = [f"{label}: {row[key]:.4f}" for key, label in
               (("val_loss", "Val Loss"), ("val_acc", "Val Acc"))
               if isinstance(row.get(key), (int, float))]
    return f"Last epoch: {', '.join(figures) if figures else 'no validation figures'}"


# -- shared pieces -----------------------------------------------------------------
def report(model: MLP, dataset: Dataset, out: TextIO) -> dict[str, np.ndarray]:
    """Print the final report on the test set; returns probabilities and predictions."""
    from core.metrics import confusion_matrix, most_confused_pairs, per_class_accuracy

    probs = model.predict_proba(dataset.X_test)
    pred = probs.argmax(axis=1)
    loss, acc = model.evaluate(dataset.X_test, dataset.y_test)
    cm = confusion_matrix(dataset.y_test, pred, dataset.n_classes)
    names = dataset.class_names
    width = max(len(n) for n in names)
    lines = ["=== FINAL RESULTS ===", f"Test Accuracy: {acc:.4f} ({acc * 100:.2f}%)",
             f"Test Loss: {loss:.4f}", "Per-class accuracy:"]
    for name, a, count in zip(names, per_class_accuracy(cm), cm.sum(axis=1), strict=True):
        lines.append(f"  {name:>{width}}: {a:.4f}  ({count} images)")
    pairs = most_confused_pairs(cm, 5)
    lines.append("Most confused (true -> predicted):" if pairs else "No confusions.")
    lines += [f"  {names[t]} -> {names[p]}: {n}" for t, p, n in pairs]
    print("\n".join(lines), file=out, flush=True)
    return {"probs": probs, "pred": pred}


def _override(base: Config, given: dict[str, str]) -> Config:
    """``base`` with the typed options applied, each parsed and checked on its own."""
    typed = {name: getattr(Config.from_strings({name: text}), name)
             for name, text in given.items()}
    return Config.from_dict({**base.to_dict(), **typed})


def _preset(name: str | None) -> Config:
    """The command line's starting point: the seed's settings on MNIST, or a preset."""
    base = Config(dataset="mnist")
    if name is None:
        return base
    if name not in PRESETS:
        raise ConfigError(f"--preset: {name!r} is not a preset; choose one of "
                          f"{', '.join(sorted(PRESETS))}")
    return Config.from_dict({**base.to_dict(), **PRESETS[name].overrides})


def _output_folder(given: str | None) -> Path:
    if given:
        folder = Path(given)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = Path("runs") / stamp
        n = 1
        while folder.exists():
            n += 1
            folder = Path("runs") / f"{stamp}-{n}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--output {folder}: cannot create the folder: "
                          f"{exc.strerror or exc}") from None
    return folder


def _load_dataset(config: Config) -> Dataset:
    from core.data import load_dataset

    bars: dict[str, Any] = {}

    def progress(what: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = bars.get(what)
        if bar is None:
            bar = bars[what] = tqdm(total=total or None, desc=what, unit="B", unit_scale=True,
                                    leave=False, file=sys.stderr, disable=None)
        bar.update(done - bar.n)

    try:
        return load_dataset(config.dataset, config.data_path, val_fraction=config.val_fraction,
                            seed=config.seed, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()


def _new_trainer(config: Config, dataset: Dataset, control: TrainingControl) -> Trainer:
    from core.trainer import Trainer

    return Trainer(config, dataset, control, snapshots=False)  # nothing here draws them


def _render(render: Render, folder: Path, trainer: Trainer, dataset: Dataset,
            test: dict[str, np.ndarray]) -> None:
    """Draw the pictures; a drawing failure costs the pictures, never the run."""
    pred = test["pred"]
    rng = np.random.default_rng(trainer.config.seed)
    n = len(dataset.y_test)
    wrong = np.flatnonzero(pred != dataset.y_test)
    mistakes = rng.permutation(wrong)[:PICTURE_MISTAKES]
    others = np.setdiff1d(np.arange(n), mistakes)
    picked = rng.choice(others, size=min(PICTURE_SAMPLES - len(mistakes), len(others)),
                        replace=False)
    idx = np.sort(np.concatenate([mistakes, picked]))
    try:
        paths = render(
            folder, history=trainer.history, changes=trainer.changes,
            images=dataset.X_test[idx].reshape(len(idx), *dataset.image_shape),
            labels=dataset.y_test[idx], predictions=pred[idx],
            class_names=dataset.class_names,
        )
    except Exception as exc:  # the pictures are optional; the run and its files are not
        print(f"warning: pictures not written: {exc}", file=sys.stderr)
        return
    for p in paths:
        print(f"Picture: {p}")
