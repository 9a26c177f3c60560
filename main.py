"""Backprop Studio: the window by default, the command line with --headless or a subcommand.

python main.py                          open the studio window
python main.py --headless [opts]        train from the command line (same as `train`)
python main.py --resume CHECKPOINT      continue a saved run from the command line
python main.py --evaluate CHECKPOINT    report a saved model on the test set
python main.py train|evaluate|sweep ...
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADLESS_COMMANDS = ("train", "evaluate", "sweep")
HEADLESS_FLAGS = ("--headless", "--evaluate", "--resume")


#: Seconds the pictures of one command may take before they are given up.
PICTURE_TIMEOUT_S = 300
ROOT = Path(__file__).resolve().parent


class QtPictures:
    """The command line's pictures, drawn with pyqtgraph in a child process.

    Qt may be missing, may find no platform it can start on (no display, a broken
    plugin) or may crash on an unusual image. Any of that ends the child, never the
    run, which has saved everything before its pictures are drawn: the command says
    the pictures were skipped and goes on. The child draws offscreen whatever
    ``QT_QPA_PLATFORM`` says, since the pictures are files.
    """

    def run_pictures(self, folder: Path, **run: Any) -> Sequence[Path]:
        return [Path(p) for p in _draw_in_child("run", folder, run)]

    def sweep_picture(self, path: Path, figure: Any) -> Path | None:
        drawn = _draw_in_child("sweep", path, {"figure": figure})
        return Path(drawn[0]) if drawn else None


def _draw_in_child(kind: str, target: Path, data: dict[str, Any]) -> list[str]:
    """Have a child process draw ``kind`` into ``target``; the paths it wrote, or none."""
    import pickle
    import subprocess

    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import main; main.draw_request()"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            input=pickle.dumps((kind, str(target), data)),
            capture_output=True,
            env=env,
            timeout=PICTURE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return _skipped(f"drawing took more than {PICTURE_TIMEOUT_S} s")
    except OSError as exc:
        return _skipped(f"cannot start Python to draw them: {exc.strerror or exc}")
    if proc.returncode == 0:
        try:
            return list(json.loads(proc.stdout.decode("utf-8").strip().splitlines()[-1]))
        except (ValueError, IndexError):
            return _skipped("the drawing process said nothing of what it drew")
    if proc.returncode < 0:
        return _skipped(f"Qt crashed ({signal.Signals(-proc.returncode).name})")
    lines = [ln.strip() for ln in proc.stderr.decode("utf-8", "replace").splitlines()]
    return _skipped(next((ln for ln in reversed(lines) if ln), f"exit code {proc.returncode}"))


def _skipped(reason: str) -> list[str]:
    print(f"warning: pictures skipped (Qt could not draw them: {reason})", file=sys.stderr)
    return []


def draw_request() -> None:
    """In the child: read the request from stdin, draw, print the paths written as JSON."""
    import pickle

    kind, target, data = pickle.load(sys.stdin.buffer)  # from our own parent process
    from gui.shared import figures

    if kind == "run":
        paths = figures.render_run_pictures(target, **data)
    else:
        paths = [figures.sweep_picture(target, data["figure"])]
    print(json.dumps([str(p) for p in paths]))


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
