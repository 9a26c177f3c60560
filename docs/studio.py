"""What the screenshot scripts share: the real window on MNIST, driven and grabbed.

Each script makes a :class:`Studio`, waits for MNIST (:meth:`Studio.ready`), drives
the window through its public methods and session, and grabs it with
:meth:`Studio.shot`. MNIST is found through BACKPROP_DATA, else ../shared/datasets;
runs record their timelines into a temporary folder that goes when the script ends.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def three() -> list[tuple[float, float]]:
    """A hand-drawn "3": two bowls as one stroke, in canvas pixels (0..280)."""
    pts = []
    for t in range(0, 181, 12):  # upper bowl, from the top left round to the middle
        a = math.radians(200 - t * 1.45)
        pts.append((140 + 62 * math.cos(a) * 1.1, 88 - 52 * math.sin(a)))
    for t in range(0, 200, 12):  # lower bowl, from the middle round to the bottom left
        a = math.radians(100 - t * 1.3)
        pts.append((140 + 70 * math.cos(a) * 1.1, 190 - 56 * math.sin(a)))
    return pts


class Studio:
    """A QApplication and the studio window, shown; ``out`` is where :meth:`shot` writes."""

    def __init__(self, out: str | os.PathLike, size: str = "", **settings: Any) -> None:
        os.environ.setdefault("BACKPROP_DATA", str(ROOT.parent / "shared" / "datasets"))
        os.environ["BACKPROP_ON_UNSAVED_CLOSE"] = "discard"
        self._runs = tempfile.mkdtemp(prefix="backprop-shots-")
        os.environ["BACKPROP_RUNS"] = self._runs
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        from gui.app import load_icon

        load_icon(self.app)
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.window = self.new_window(size, **settings)

    def new_window(self, size: str = "", **settings: Any) -> Any:
        """A new window of the default settings changed by ``settings``, shown."""
        from core.training.presets import default_config
        from gui.main_window import MainWindow

        window = MainWindow(default_config().replace(**settings))
        window.show()
        if size:
            width, height = (int(v) for v in size.lower().split("x"))
            window.resize(width, height)
        self.window = window
        return window

    @property
    def session(self) -> Any:
        return self.window.session

    def settle(self, seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        """Run the event loop for ``seconds``, or until ``until()`` holds."""
        from PySide6.QtCore import QEventLoop

        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def ready(self) -> bool:
        """Wait for the dataset; False (and a line on stderr) when it is not MNIST."""
        from gui.session import RunState

        self.settle(90, lambda: self.session.state is RunState.READY)
        if self.window.config().dataset != "mnist":
            print("MNIST not found: set BACKPROP_DATA to the folder holding it", file=sys.stderr)
            return False
        return True

    def shot(self, name: str, wait: float = 1.5) -> Path:
        """Let the paced views catch up for ``wait`` seconds, then grab the window."""
        self.settle(wait)
        image = self.window.grab()
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path))
        print(f"wrote {path} ({image.width()}x{image.height()})")
        return path

    def close(self) -> None:
        """Close the window (its runs end), then forget the recorded timelines."""
        self.window.close()
        self.settle(10, lambda: not self.window.training)
        shutil.rmtree(self._runs, ignore_errors=True)
