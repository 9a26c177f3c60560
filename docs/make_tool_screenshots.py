"""Screenshots of the studio's tools for the README: canvas, health panel, runs comparison.

Trains two short runs on MNIST (the real files: set BACKPROP_DATA or keep them in
../shared/datasets), sends their events to the views exactly as the window's
worker would, and saves::

    docs/canvas.png    a digit drawn on the canvas, the framed image, the probabilities
    docs/health.png    the health panel after a few epochs of a two-hidden-layer network
    docs/compare.png   the Runs tab: both runs' rows (started → ended settings) and curves

Run it from the repository root: ``python docs/make_tool_screenshots.py`` (offscreen
by default; under ``xvfb-run -a -s "-screen 0 1920x1080x24"`` it uses the X server).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Seconds a view is given to draw its last value before it is grabbed (longest paced gap).
SETTLE_S = 2.5
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from core.data import load_dataset  # noqa: E402
from core.training.config import Config  # noqa: E402
from core.training.control import TrainingControl  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402
from gui.shared.bus import EventBus  # noqa: E402

SIGNALS = {
    "Started": "started",
    "BatchProgress": "batch",
    "EpochReport": "epoch",
    "HyperparameterChanged": "changed",
    "Snapshot": "snapshot",
    "Diverged": "diverged",
    "Paused": "paused",
    "Resumed": "resumed",
    "Finished": "finished",
}


def mnist_path() -> str:
    for base in (os.environ.get("BACKPROP_DATA"), str(ROOT.parent / "shared" / "datasets")):
        if base and (Path(base) / "mnist").is_dir():
            return str(Path(base) / "mnist")
        if base and Path(base).is_dir():
            return base
    raise SystemExit("MNIST not found: set BACKPROP_DATA to the folder holding it")


def train(bus: EventBus, app: QApplication, config: Config, dataset, lr_drop_at: int = -1):
    """Run ``config`` to the end, sending every event down the bus; returns the Trainer."""
    control = TrainingControl()
    trainer = Trainer(config, dataset, control)
    for ev in trainer.run():
        name = type(ev).__name__
        if name == "BatchProgress" and ev.batch % 8 and ev.batch + 1 < ev.batches:
            continue  # the window's worker thins them out too
        getattr(bus, SIGNALS[name]).emit(ev)
        if name == "EpochReport":
            if ev.epoch == lr_drop_at:
                control.set("learning_rate", config.learning_rate / 5)
            app.processEvents()
    return trainer


def three() -> list[list[tuple[float, float]]]:
    """A hand-drawn "3": two bowls, as one wobbly stroke in canvas pixels."""
    pts = []
    for t in range(0, 181, 12):  # upper bowl, from the top left round to the middle
        a = math.radians(200 - t * 1.45)
        pts.append((138 + 62 * math.cos(a), 92 - 48 * math.sin(a)))
    for t in range(0, 201, 12):  # lower bowl, larger
        a = math.radians(110 - t * 1.3)
        pts.append((136 + 72 * math.cos(a), 188 - 58 * math.sin(a)))
    return [pts]


def save(widget, path: Path) -> None:
    widget.show()
    # Views draw the latest value on a paced clock (gui.shared.pacing): let the last one land.
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    image = widget.grab()
    if not image.save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path} ({image.width()}x{image.height()})")


def main() -> None:
    app = QApplication.instance() or QApplication([])
    app.setApplicationName("Backprop Studio")
    from gui.app import load_style
    from gui.shared.theme import Theme

    load_style(app)
    Theme(app, "light")  # as the studio starts on a light desktop: dark text on the plots
    from gui.session import Session
    from gui.views.draw import CanvasView
    from gui.views.health import HealthView
    from gui.views.runs import RunsView

    ds = load_dataset("mnist", mnist_path(), seed=0)
    bus = EventBus()
    first = Config(dataset="mnist", hidden=(64,), learning_rate=0.1, batch_size=128, epochs=6)
    # The window's session keeps the run records the Runs tab shows; here it reads them off
    # the same events.
    session = Session(bus, first)
    compare = RunsView()
    session.changed.connect(lambda view: compare.show_runs(view.runs, view.current))
    compare.resize(1280, 800)
    health = HealthView(bus)
    health.resize(1280, 820)
    canvas = CanvasView(bus)
    canvas.resize(900, 380)
    for w in (compare, health, canvas):
        w.show()

    train(bus, app, first, ds)
    bus.run_reset.emit()
    second = Config(
        dataset="mnist",
        hidden=(256, 128),
        optimizer="adam",
        learning_rate=0.002,
        batch_size=128,
        epochs=6,
    )
    train(bus, app, second, ds, lr_drop_at=3)

    docs = ROOT / "docs"
    for stroke in three():
        canvas.draw_stroke(stroke)
    canvas.saliency_button.setChecked(True)
    save(canvas, docs / "canvas.png")
    # Hover a point of the map so the picture shows the inset with its digit.
    points = health.pca_points()
    i = int(points[:, 0].argmax())
    health.show()
    QApplication.processEvents()
    health.show_sample(i)
    save(health, docs / "health.png")
    save(compare, docs / "compare.png")


if __name__ == "__main__":
    main()
