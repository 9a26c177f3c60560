"""The seed project's two pictures of a run, drawn with pyqtgraph into PNG files.

``training_curves.png``: loss and accuracy per epoch, train and validation, with
a dashed line where a hyperparameter changed. ``sample_predictions.png``: a grid
of test images with their true and predicted labels, mistakes framed in red.

The command line calls :func:`render_run_pictures` (``main.py`` passes it in,
since core/ never draws). Without a running window it starts a QApplication on
Qt's offscreen platform, so it works on a machine with no display.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_app: Any = None  # the QApplication started here, kept alive for later calls

TRAIN_COLOR, VAL_COLOR, CHANGE_COLOR = "#1f77b4", "#ff7f0e", "#888888"
WRONG_COLOR, RIGHT_COLOR = "#d62728", "#222222"


def ensure_app() -> Any:
    """The running QApplication, or a new offscreen one when there is none."""
    global _app
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = _app = QApplication([])
    return app


def render_run_pictures(
    folder: str | os.PathLike,
    *,
    history: Sequence[dict[str, Any]],
    changes: Sequence[dict[str, Any]] = (),
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    class_names: Sequence[str],
) -> list[Path]:
    """Write both pictures into ``folder``; returns their paths."""
    ensure_app()
    folder = Path(folder)
    return [
        training_curves(folder / "training_curves.png", history, changes),
        sample_predictions(folder / "sample_predictions.png", images, labels, predictions,
                           class_names),
    ]


def training_curves(
    path: Path, history: Sequence[dict[str, Any]], changes: Sequence[dict[str, Any]] = ()
) -> Path:
    """Loss (left) and accuracy (right) per epoch, train and validation."""
    import pyqtgraph as pg

    ensure_app()
    win = pg.GraphicsLayoutWidget()
    win.setBackground("w")
    win.resize(1200, 450)
    epochs = np.array([r["epoch"] for r in history], dtype=float)
    # A change at (epoch e, batch b) lands between the points of epochs e-1 and e.
    marks = sorted({c["epoch"] - 0.5 for c in changes})
    for col, (title, key) in enumerate((("Loss", "loss"), ("Accuracy", "acc"))):
        plot = win.addPlot(row=0, col=col, title=f"<span style='color:#222'>{title}</span>")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setLabel("bottom", "epoch")
        step = max(1, math.ceil(len(history) / 10))  # whole epochs on the axis
        plot.getAxis("bottom").setTickSpacing(step, step)
        # Loss falls and accuracy rises, so the free corner is top-right or bottom-right.
        legend = plot.addLegend(offset=(-10, -10) if key == "acc" else (-10, 10),
                                labelTextColor="#222")
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        for name, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR)):
            values = np.array([r[f"{name}_{key}"] for r in history], dtype=float)
            plot.plot(epochs, values, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                      symbolBrush=color, symbolPen=None, name=name)
        for x in marks:
            plot.addItem(pg.InfiniteLine(x, angle=90, pen=pg.mkPen(
                CHANGE_COLOR, width=1, style=_dash())))
    return _export(win, path)


def sample_predictions(
    path: Path,
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    class_names: Sequence[str],
    columns: int = 8,
) -> Path:
    """A grid of ``images`` ``(n, h, w)`` or ``(n, h, w, 3)`` titled "true -> predicted"."""
    import pyqtgraph as pg

    ensure_app()
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    win = pg.GraphicsLayoutWidget()
    win.setBackground("w")
    win.resize(columns * 130, rows * 150)
    for i in range(n):
        right = int(labels[i]) == int(predictions[i])
        color = RIGHT_COLOR if right else WRONG_COLOR
        title = f"{class_names[int(labels[i])]} → {class_names[int(predictions[i])]}"
        plot = win.addPlot(row=i // columns, col=i % columns)
        plot.setTitle(title, color=color, size="10pt")
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMouseEnabled(False, False)
        view = plot.getViewBox()
        view.setAspectLocked(True)
        view.invertY(True)
        if not right:
            view.setBorder(pg.mkPen(WRONG_COLOR, width=3))
        item = pg.ImageItem(np.asarray(images[i], dtype=np.float32), axisOrder="row-major")
        item.setLevels((0.0, 1.0))
        plot.addItem(item)
    return _export(win, path)


def _dash() -> Any:
    from PySide6.QtCore import Qt

    return Qt.PenStyle.DashLine


def _export(win: Any, path: Path) -> Path:
    """Lay the widget out offscreen and write its scene to ``path`` as PNG."""
    import pyqtgraph.exporters as exporters
    from PySide6.QtWidgets import QApplication

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    win.ci.setGeometry(0, 0, win.width(), win.height())
    QApplication.processEvents()
    exporter = exporters.ImageExporter(win.scene())
    exporter.parameters()["width"] = win.width()
    exporter.export(str(path))
    win.close()
    win.deleteLater()
    if not path.is_file():
        raise OSError(f"{path}: the image exporter wrote nothing")
    return path
