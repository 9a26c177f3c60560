"""Backprop Studio: the window by default, the command line with --headless or a subcommand.

python main.py                          open the studio window
python main.py --headless [opts]        train from the command line (same as `train`)
python main.py --resume CHECKPOINT      continue a saved run from the command line
python main.py --evaluate CHECKPOINT    report a saved model on the test set
python main.py train|evaluate|sweep ...
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADLESS_COMMANDS = ("train", "evaluate", "sweep")
HEADLESS_FLAGS = ("--headless", "--evaluate", "--resume")


class QtPictures:
    """The command line's pictures, drawn with pyqtgraph; if Qt cannot start, skipped."""

    def run_pictures(self, folder: Path, **run: Any) -> Sequence[Path]:
        figures = _figures()
        return [] if figures is None else figures.render_run_pictures(folder, **run)

    def sweep_picture(self, path: Path, figure: Any) -> Path | None:
        figures = _figures()
        return None if figures is None else figures.sweep_picture(path, figure)


def _figures() -> Any:
    try:
        from gui.shared import figures
    except ImportError as exc:
        print(f"warning: pictures skipped (Qt is not available: {exc})", file=sys.stderr)
        return None
    return figures


def is_headless(argv: Sequence[str]) -> bool:
    return bool(argv) and (
        argv[0] in HEADLESS_COMMANDS
        or any(a in HEADLESS_FLAGS or a.split("=")[0] in HEADLESS_FLAGS for a in argv)
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if is_headless(argv):
        from core.cli import main as cli_main

        return cli_main(argv, pictures=QtPictures())
    from gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
