"""What the commands share: exit codes, the options, the output folder, loading data."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from core.data.catalog import COLOURS, DATASET_CHOICES
from core.errors import ConfigError
from core.guard.files import probe_folder
from core.guard.paths import NotAFile, check_output, expand, is_regular_file
from core.training.config import (
    ACTIVATIONS,
    AUGMENTATIONS,
    DTYPES,
    INITS,
    OPTIMIZERS,
    SCHEDULES,
    Config,
)
from core.training.presets import PRESETS, default_config

if TYPE_CHECKING:
    from core.data import Dataset
    from core.sweep.figure import SweepFigure

COMMANDS = ("train", "evaluate", "sweep")
CHECKPOINT_NAME = "model.npz"
HISTORY_NAME = "history.csv"
#: Everything a training run writes into its folder.
RUN_FILES = (CHECKPOINT_NAME, HISTORY_NAME, "training_curves.png", "sample_predictions.png")
#: Exit codes: 1 a run or file failed, 2 bad arguments; a signal gives 128 + its number
#: (130 for Ctrl-C, 143 for SIGTERM, as shells do: see ``core.cli.signals``).
EXIT_FAILED, EXIT_USAGE = 1, 2
#: Settings a resumed run may change; the rest define the model or its data split.
RESUMABLE = (
    "learning_rate",
    "momentum",
    "batch_size",
    "epochs",
    "schedule",
    "min_lr_ratio",
    "augment",
    "data_path",
)
#: Seconds between the safety checkpoints written while training (and always at the end).
SAVE_EVERY_S = 5.0
#: Test digits drawn in sample_predictions.png, and how many of them may be mistakes.
PICTURE_SAMPLES, PICTURE_MISTAKES = 32, 8


class Pictures(Protocol):
    """How the command line draws its PNGs; ``main.py`` passes one in (core/ never draws)."""

    def run_pictures(self, folder: Path, **run: Any) -> Sequence[Path]:
        """Draw a run's pictures into ``folder`` from ``history``, ``changes``, ``images``,
        ``labels``, ``predictions`` and ``class_names``; the paths written."""
        ...

    def sweep_picture(self, path: Path, figure: SweepFigure) -> Path | None:
        """Draw a sweep's figure into ``path``; None when it could not be drawn."""
        ...


# (flag, metavar, Config field, help); every option defaults to None so that only what was
# typed overrides the preset or the checkpoint.
OPTIONS = (
    ("--dataset", "NAME", "dataset", f"{DATASET_CHOICES} (mnist)"),
    ("--data-path", "DIR", "data_path", "folder holding the dataset's files"),
    ("--image-size", "N", "image_size", "image folders: images become N x N (0: usual size, <=32)"),
    ("--colour", "MODE", "colour", f"image folders: {', '.join(COLOURS)} (auto: grey if all are)"),
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


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error: ...`` line, as all the others are.

    argparse prints its usage block before the error; here the line ends with where
    the usage is instead (``--help``, which is unchanged). A token typed with a line
    break in it is shown with ``\\n``. Subcommands' parsers are made of the same class.
    """

    #: Where the usage is, as the error line says (None: ``python PROG --help``).
    see: str | None = None

    def error(self, message: str) -> NoReturn:
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        see = self.see or f"python {self.prog} --help"
        self.exit(EXIT_USAGE, f"error: {message} (see {see})\n")


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


def override(base: Config, given: dict[str, str]) -> Config:
    """``base`` with the typed options applied, each parsed and checked on its own."""
    typed = {name: getattr(Config.from_strings({name: text}), name) for name, text in given.items()}
    return Config.from_dict({**base.to_dict(), **typed})


def preset_config_for(name: str | None) -> Config:
    """The command line's starting point: the seed's settings on MNIST, or a preset."""
    base = default_config()
    if name is None:
        return base
    if name not in PRESETS:
        raise ConfigError(
            f"--preset: {name!r} is not a preset; choose one of {', '.join(sorted(PRESETS))}"
        )
    return Config.from_dict({**base.to_dict(), **PRESETS[name].overrides})


def output_folder(
    given: str | None, resumed_from: Path | None = None, subfolders: Sequence[str] = ()
) -> Path | None:
    """The ``--output`` folder, checked (not created) before any data is loaded.

    It must not hold special files under the run's names (they would be replaced),
    nor an earlier run, unless this run continues the checkpoint that is in it.
    When it exists, it and those of ``subfolders`` that exist must take new files
    (:func:`writable`). None without ``--output``: :func:`claim_folder` then makes a
    new one.
    """
    if not given:
        return None
    folder = expand(given, "--output")
    for place in (folder, *(folder / name for name in subfolders)):
        if place.is_dir():
            writable(place)
    for name in RUN_FILES:
        try:
            check_output(folder / name)
        except NotAFile as exc:
            raise ConfigError(
                f"--output {folder}: {name} is {exc.strerror}; refusing to replace it"
            ) from None
        except OSError:
            pass  # cannot even be looked at: the write will say why
    earlier = [name for name in RUN_FILES if is_regular_file(folder / name)]
    here = folder / CHECKPOINT_NAME
    continuing = resumed_from is not None and _same_file(resumed_from, here)
    if earlier and not continuing:
        raise ConfigError(
            f"--output {folder}: already holds a run ({', '.join(earlier)}); choose another "
            f"folder, or continue that run with --resume {here} --output {folder}"
        )
    return folder


def writable(folder: Path) -> None:
    """Refuse (``ConfigError``) an existing folder that cannot take new files.

    Checked before any work, by creating and removing a file there
    (:func:`~core.guard.files.probe_folder`): a run that trained for an hour and
    then could not save its model would be lost.
    """
    try:
        probe_folder(folder)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot write here: {exc.strerror or exc}") from None


def claim_folder(folder: Path | None) -> Path:
    """Create the run's folder, or a new ``runs/<date-time>`` when ``folder`` is None.

    The new one is claimed by creating it, so two runs started in the same second
    get two folders.
    """
    if folder is not None:
        _make_folder(folder)
        return folder
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        folder = Path("runs") / (stamp if n == 1 else f"{stamp}-{n}")
        if _make_folder(folder, exist_ok=False):
            return folder
    raise AssertionError("unreachable")  # count() never ends


def _make_folder(folder: Path, *, exist_ok: bool = True) -> bool:
    """Create ``folder``; False when it exists and ``exist_ok`` is False."""
    try:
        folder.mkdir(parents=True, exist_ok=exist_ok)
    except FileExistsError:
        if exist_ok:
            raise ConfigError(f"--output {folder}: exists and is not a folder") from None
        return False
    except OSError as exc:
        raise ConfigError(
            f"--output {folder}: cannot create the folder: {exc.strerror or exc}"
        ) from None
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def load_data(config: Config) -> Dataset:
    from core.data import load_dataset
    from core.data.imagefolder import PROGRESS

    bars: dict[str, Any] = {}

    def progress(what: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = bars.get(what)
        if bar is None:
            files = what.startswith(PROGRESS)  # an image folder counts files, not bytes
            bar = bars[what] = tqdm(
                total=total or None,
                desc=what,
                unit="file" if files else "B",
                unit_scale=not files,
                leave=False,
                file=sys.stderr,
                disable=None,
            )
        bar.update(done - bar.n)

    try:
        return load_dataset(
            config.dataset,
            config.data_path,
            val_fraction=config.val_fraction,
            seed=config.seed,
            progress=progress,
            image_size=config.image_size,
            colour=config.colour,
        )
    finally:
        for bar in bars.values():
            bar.close()
