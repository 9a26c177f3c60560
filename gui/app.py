"""Start the studio: the application object, its look and its last-resort error dialog.

``main(argv)`` is what ``python main.py`` calls. It gets a window on screen
quickly (scikit-learn and pooch are imported only when data is loaded, in the
worker thread) and makes sure that nothing a person does ends in a traceback in a
terminal: an unexpected exception becomes a dialog (its details kept in a log
file), and a bad command-line value becomes a one-line message.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from core.data.catalog import DATASET_CHOICES

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
APP_NAME = "Backprop Studio"

#: Command-line options that set the controls (Config field names).
OPTIONS = {
    "dataset": f"dataset: {DATASET_CHOICES}",
    "data_path": "folder holding the dataset's files",
    "hidden": "hidden layer widths, e.g. 128 or 256,128",
    "learning_rate": "learning rate",
    "batch_size": "mini-batch size",
    "epochs": "epochs to train",
    "optimizer": "sgd, momentum, nesterov, rmsprop or adam",
    "activation": "relu, leaky_relu, sigmoid or tanh",
    "augment": "none, shift or affine",
    "seed": "random seed",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    from core.cli.common import OneLineParser

    p = OneLineParser(prog="main.py", description=f"Open the {APP_NAME} window.")
    for name, help_text in OPTIONS.items():
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, help=help_text)
    p.add_argument("--start", action="store_true", help="start training as soon as it opens")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace):
    """The window's first settings: the defaults with the options given on top."""
    from core.training.config import Config
    from core.training.presets import default_config

    given = {k: v for k, v in vars(args).items() if k in OPTIONS and v is not None}
    parsed = Config.from_strings(given)  # validates each value and names a bad one
    return default_config().replace(**{k: getattr(parsed, k) for k in given})


def load_icon(app: QApplication) -> None:
    """The application icon (optional). The look itself is the theme's (gui.shared.theme)."""
    icon = RESOURCES / "icon.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def log_path() -> Path:
    """Where the details of unexpected errors are written."""
    from platformdirs import user_log_path

    return user_log_path("backprop-studio", appauthor=False) / "errors.log"


def install_excepthook() -> None:
    """Turn uncaught exceptions into a dialog (details in the log), not a terminal traceback."""
    showing = False

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(kind, exc, tb))
        where = _append_log(details)
        from core.errors import BackpropError

        if isinstance(exc, BackpropError):
            text = str(exc)
        else:
            text = (
                f"Something went wrong inside {APP_NAME}: {kind.__name__}: {exc}\n\n"
                "The window keeps working; your run is not lost."
            )
        if where:
            text += f"\n\nDetails were saved to {where}."
        if showing or QApplication.instance() is None:
            return
        showing = True
        try:
            box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, text)
            box.setDetailedText(details)
            box.exec()
        finally:
            showing = False

    sys.excepthook = hook


def _append_log(details: str) -> Path | None:
    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(details + "\n")
        return path
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    """Open the window and run until it is closed; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    from core.errors import BackpropError

    try:
        config = build_config(args)
    except BackpropError as e:
        print(f"main.py: {e}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("Backprop Studio")
    app.setDesktopFileName("backprop-studio")
    load_icon(app)
    install_excepthook()
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    # Options given on the command line win; without any, the last session's settings.
    given = any(getattr(args, name) is not None for name in OPTIONS)
    window = MainWindow(config if given else None, settings=QSettings())
    window.show()
    if args.start:
        QTimer.singleShot(0, window.start)
    # Ctrl+C in the terminal closes the window like the close button does.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python see the signal while Qt waits
    wake.start(250)
    return app.exec()
