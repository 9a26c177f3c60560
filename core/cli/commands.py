"""Parsing the command line and dispatching to one command; errors become one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli.common import (
    COMMANDS,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    OPTIONS,
    Pictures,
    one_line,
)
from core.cli.evaluate import evaluate_command
from core.cli.sweep import add_sweep_parser, run_sweep_command
from core.cli.timeline import add_timeline_options
from core.cli.train import train_command
from core.errors import BackpropError, ConfigError
from core.training.presets import PRESETS


def main(argv: Sequence[str] | None = None, pictures: Pictures | None = None) -> int:
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
            return run_sweep_command(args, pictures)
        return train_command(args, pictures)
    except ConfigError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BackpropError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


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
        "train",
        help="train a network and report on the test set",
        description="Train and report. Prints one line per epoch and a final report; "
        "writes model.npz, history.csv and the pictures to the output folder.",
    )
    group = train.add_argument_group(
        "settings (defaults: the seed's 784-128-10, sgd 0.1, batch 128)"
    )
    group.add_argument(
        "--preset",
        metavar="NAME",
        help=f"start from a named preset: {', '.join(PRESETS)}; options given as well override it",
    )
    for flag, metavar, name, text in OPTIONS:
        group.add_argument(flag, dest=name, metavar=metavar, help=text)
    group.add_argument("--learning-rate", dest="learning_rate", help=argparse.SUPPRESS)
    group.add_argument("--batch", dest="batch_size", help=argparse.SUPPRESS)
    out = train.add_argument_group("files")
    out.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue the run saved in CHECKPOINT (up to --epochs in all)",
    )
    out.add_argument(
        "-o",
        "--output",
        metavar="FOLDER",
        help="where to write model.npz, history.csv and pictures (default runs/<date-time>)",
    )
    out.add_argument("--no-pictures", action="store_true", help="do not draw the two PNGs")
    add_timeline_options(train)
    ev = sub.add_parser(
        "evaluate",
        help="report a checkpoint's accuracy on the test set",
        description="Load a checkpoint and report on its dataset's test set.",
    )
    ev.add_argument("checkpoint", metavar="CHECKPOINT")
    ev.add_argument("--dataset", help="evaluate on another dataset of the same shape")
    ev.add_argument("--data-path", dest="data_path", help="folder holding the dataset's files")
    add_sweep_parser(sub)
    return parser
