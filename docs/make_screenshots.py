"""Screenshots of the studio window for the README, made from the real window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py

It trains the default network on MNIST (found through BACKPROP_DATA, else
../shared/datasets), grabs the window mid-training (docs/window-mnist.png, 1280x800,
and a 1920x1080 copy in --extra when given), then clicks the most confused cell
of the confusion matrix, selects the first mistake and grabs the gallery filtered
to that pair with the mistake's saliency map (docs/window-gallery.png).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs"), help="folder for the README's pictures")
    p.add_argument("--extra", default=None, help="folder for the 1920x1080 copies")
    p.add_argument("--epochs", type=int, default=3, help="epochs to train before the shots")
    args = p.parse_args(argv)
    os.environ.setdefault("BACKPROP_DATA", str(ROOT.parent / "shared" / "datasets"))
    os.environ["BACKPROP_ON_UNSAVED_CLOSE"] = "discard"

    import numpy as np
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from core.training.presets import default_config
    from gui.app import load_style
    from gui.main_window import MainWindow
    from gui.session import RunState

    load_style(app)
    window = MainWindow(default_config().replace(epochs=20))
    window.resize(1280, 800)
    window.show()

    def settle(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def shot(name: str, folder: str | None, size: tuple[int, int]) -> None:
        if folder is None:
            return
        window.resize(*size)
        settle(1.5)
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(path))
        print(f"wrote {path} ({size[0]}x{size[1]})")

    epochs, snapshots = [], []
    window.bus.epoch.connect(epochs.append)
    window.bus.snapshot.connect(snapshots.append)
    settle(60, lambda: window.session.state is RunState.READY)
    if window.config().dataset != "mnist":
        print("MNIST not found: set BACKPROP_DATA to the folder holding it", file=sys.stderr)
        return 1
    window.start()
    settle(300, lambda: len(epochs) >= args.epochs and len(snapshots) >= args.epochs)
    settle(1.0)  # into the next epoch: the running loss and progress move on
    shot("window-mnist.png", args.out, (1280, 800))
    shot("window-mnist-1920.png", args.extra, (1920, 1080))

    window.toggle_pause()
    settle(10, lambda: window.session.state is RunState.PAUSED)
    m = window.confusion.matrix()
    off = m - np.diag(np.diag(m))
    true, pred = np.unravel_index(int(off.argmax()), off.shape)
    window.confusion.click_cell(int(true), int(pred))
    settle(0.5)
    if window.gallery.tile_count():
        window.gallery.select_tile(0)  # the enlarged digit and its saliency map
    shot("window-gallery.png", args.out, (1280, 800))
    shot("window-gallery-1920.png", args.extra, (1920, 1080))
    window.close()
    settle(5, lambda: not window.training)
    return 0


if __name__ == "__main__":
    sys.exit(main())
