"""Screenshots of the studio window for the README, made from the real window.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_screenshots.py
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py

The window opens the way it opens for a person: fitted to the screen it is on. It
trains the default network on MNIST (found through BACKPROP_DATA, else
../shared/datasets), widens the hidden layer while it trains, holds after the
next epoch (Step), and grabs the whole screen: docs/window-<width>x<height>.png,
so the picture shows the window fits. On a 1280x800 screen it then clicks the most
confused cell of the confusion matrix, selects the first mistake and grabs the
gallery filtered to that pair with the mistake's saliency map
(docs/window-gallery.png).
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
    p.add_argument("--epochs", type=int, default=3, help="epochs to train before the change")
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
    window.show()
    screen = window.screen().geometry()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def settle(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def shot(path: Path, whole_screen: bool) -> None:
        settle(1.5)
        image = window.screen().grabWindow(0) if whole_screen else window.grab()
        image.save(str(path))
        print(f"wrote {path} ({image.width()}x{image.height()})")

    settle(60, lambda: window.session.state is RunState.READY)
    if window.config().dataset != "mnist":
        print("MNIST not found: set BACKPROP_DATA to the folder holding it", file=sys.stderr)
        return 1
    session = window.session
    window.start()
    settle(300, lambda: session.view.epochs_done >= args.epochs)
    window.controls.set_hidden(192)  # live: the curves mark it, the status bar shows it
    settle(60, lambda: session.view.epochs_done >= args.epochs + 1)
    window.step()  # finish this epoch, then hold: every view shows the same one
    settle(60, lambda: session.state is RunState.PAUSED)
    shot(out / f"window-{screen.width()}x{screen.height()}.png", whole_screen=True)

    if (screen.width(), screen.height()) == (1280, 800):
        m = window.confusion.matrix()
        off = m - np.diag(np.diag(m))
        true, pred = np.unravel_index(int(off.argmax()), off.shape)
        window.confusion.click_cell(int(true), int(pred))
        settle(0.5)
        if window.gallery.tile_count():
            window.gallery.select_tile(0)  # the enlarged digit and its saliency map
        shot(out / "window-gallery.png", whole_screen=False)
    window.close()
    settle(5, lambda: not window.training)
    return 0


if __name__ == "__main__":
    sys.exit(main())
