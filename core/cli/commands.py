"""Parsing the command line and dispatching to one command; errors become one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli.common import (
    COMMANDS,
    EXIT_FAILED,
    EXIT_USAGE,
    OPTIONS,
    OneLineParser,
    Pictures,
    one_line,
)
from core.cli.evaluate import evaluate_command
from core.cli.signals import Stop, stop_signals
from core.cli.sweep import AXIS_FLAGS, add_sweep_parser, run_sweep_command
from core.cli.timeline import add_timeline_options
from core.cli.train import train_command
from core.errors import BackpropError, ConfigError
from core.guard.streams import safe_std_streams
from core.training.presets import PRESETS


def main(argv: Sequence[str] | None = None, pictures: Pictures | None = None) -> int:
    """Run one command; returns the process exit code.

    Standard output and error may close or fill up under the command
    (:func:`~core.guard.streams.safe_std_streams`): the command goes on regardless.
    SIGINT and SIGTERM stop it as :mod:`core.cli.signals` says.
    """
    argv = _normalise(list(sys.argv[1:] if argv is None else argv))
    with safe_std_streams(), stop_signals() as stop:
        try:
            return _run(argv, pictures, stop)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return stop.exit_code


def _run(argv: list[str], pictures: Pictures | None, stop: Stop) -> int:
    parser = build_parser()
    if argv and argv[0] in COMMANDS:  # what the top level refuses belongs to the command
        parser.see = f"python main.py {argv[0]} --help"
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line error or the help
        return int(exc.code or 0)
    try:
        _refuse_empty(args)
        if args.command == "evaluate":
            return evaluate_command(args)
        if args.command == "sweep":
            return run_sweep_command(args, pictures, stop)
        return train_command(args, pictures, stop)
    except ConfigError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BackpropError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_FAILED


def _refuse_empty(args: argparse.Namespace) -> None:
    """An option given as ``''`` is a mistake (an unset shell variable, say), never a default."""
    for dest, value in vars(args).items():
        if isinstance(value, str) and not value.strip():
            raise ConfigError(
                f"{_FLAGS.get(dest, '--' + dest.replace('_', '-'))}: the value is empty; "
                "leave the option out to use its default"
            )


#: Options whose flag is not ``--`` + their name with dashes.
_FLAGS = {
    "checkpoint": "CHECKPOINT",
    "learning_rate": "--lr",
    **{f"axis_{name}": flag for flag, name, _ in AXIS_FLAGS},
}


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


def build_parser() -> OneLineParser:
    parser = OneLineParser(
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
    ev.add_argument(
        "--robustness",
        action="store_true",
        help="also test under noise, rotation, shift and stroke thickness, and report "
        "coverage against accuracy for confidence thresholds",
    )
    add_sweep_parser(sub)
    return parser
