"""Screenshots of the Data tab, the Evaluation tab and a fooled digit, from the real window.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python docs/make_data_screenshots.py

The window opens fitted to the screen, on MNIST (found through BACKPROP_DATA, else
../shared/datasets) with the affine + elastic augmentation chosen, and trains the
default network for a few epochs. Then it grabs, each from the window as a person
sees it:

    docs/data-tab.png          the Data tab: samples and mean image of every class, the
                               class counts per split, the pixel histogram, the
                               augmentation preview
    docs/evaluation-tab.png    the Evaluation tab after Evaluate: test accuracy per class,
                               the robustness curves, coverage against accuracy at 0.99
    docs/fooled-digit.png      the Draw tab: a hand-drawn 3 made to read as 8

``--size WxH`` resizes the window first (the same pictures at another size, to look at).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def three() -> list[tuple[float, float]]:
    """A hand-drawn "3": two bowls as one wobbly stroke, in canvas pixels."""
    pts = []
    for t in range(0, 181, 12):  # upper bowl, from the top left round to the middle
        a = math.radians(200 - t * 1.45)
        pts.append((138 + 62 * math.cos(a), 92 - 48 * math.sin(a)))
    for t in range(0, 201, 12):  # lower bowl, larger
        a = math.radians(110 - t * 1.3)
        pts.append((136 + 72 * math.cos(a), 188 - 58 * math.sin(a)))
    return pts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs"), help="folder for the pictures")
    p.add_argument("--epochs", type=int, default=4, help="epochs to train")
    p.add_argument("--size", default="", help="resize the window to WxH first")
    p.add_argument("--target", type=int, default=8, help="the class the drawn 3 is made to read")
    args = p.parse_args(argv)
    os.environ.setdefault("BACKPROP_DATA", str(ROOT.parent / "shared" / "datasets"))
    os.environ["BACKPROP_ON_UNSAVED_CLOSE"] = "discard"

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from core.training.presets import default_config
    from gui.app import load_style
    from gui.main_window import MainWindow
    from gui.session import RunState

    load_style(app)
    window = MainWindow(default_config().replace(epochs=args.epochs, augment="affine"))
    window.show()
    if args.size:
        width, height = (int(v) for v in args.size.lower().split("x"))
        window.resize(width, height)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def settle(seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def shot(name: str) -> None:
        settle(1.5)
        image = window.grab()
        path = out / name
        image.save(str(path))
        print(f"wrote {path} ({image.width()}x{image.height()})")

    settle(60, lambda: window.session.state is RunState.READY)
    if window.config().dataset != "mnist":
        print("MNIST not found: set BACKPROP_DATA to the folder holding it", file=sys.stderr)
        return 1
    session = window.session
    window.start()
    settle(600, lambda: session.state is RunState.FINISHED)

    window.tabs.setCurrentWidget(window.data)
    settle(60, lambda: window.data.summary() is not None)
    shot("data-tab.png")

    evaluation = window.evaluation
    window.tabs.setCurrentWidget(evaluation)
    evaluation.evaluate()
    settle(300, lambda: evaluation.evaluation() is not None)
    evaluation.coverage.slider.setValue(200)  # answer only when at least 0.99 sure
    shot("evaluation-tab.png")

    canvas = window.canvas
    window.tabs.setCurrentWidget(canvas)
    canvas.draw_stroke(three())
    canvas.fool.target.setCurrentIndex(args.target)
    canvas.fool.run()
    settle(60, lambda: canvas.fool.result() is not None)
    shot("fooled-digit.png")

    window.close()
    settle(5, lambda: not window.training)
    return 0


if __name__ == "__main__":
    sys.exit(main())
