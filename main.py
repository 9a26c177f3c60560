"""Backprop Studio: the window by default, the command line with --headless or a subcommand.

    python main.py                      open the studio window
    python main.py --headless [opts]    train from the command line (same as `train`)
    python main.py train|evaluate|sweep ...
"""

from __future__ import annotations

import sys

HEADLESS_COMMANDS = ("train", "evaluate", "sweep")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--headless" in argv or (argv and argv[0] in HEADLESS_COMMANDS):
        from core.cli import main as cli_main

        return cli_main(argv)
    from gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
