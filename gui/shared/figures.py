"""The command line's pictures, drawn with pyqtgraph into PNG files.

``training_curves.png``: loss and accuracy per epoch, train and validation, with
a dashed line where a hyperparameter changed. ``sample_predictions.png``: a grid
of test images with their true and predicted labels, mistakes framed in red.
``sweep.png``: a sweep's heatmap or parallel-coordinates plot
(:func:`draw_sweep`, which the sweep dialog uses too, in the window's colours).

The command line reaches these through ``main.py`` (core/ never draws). Without a
running window a QApplication starts on Qt's offscreen platform, so they work on a
machine with no display.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import displayable
from core.guard.files import write_atomic
from core.sweep.figure import Heatmap, Parallel, SweepFigure

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
        sample_predictions(
            folder / "sample_predictions.png", images, labels, predictions, class_names
        ),
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
        legend = plot.addLegend(
            offset=(-10, -10) if key == "acc" else (-10, 10), labelTextColor="#222"
        )
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        for name, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR)):
            values = np.array([r[f"{name}_{key}"] for r in history], dtype=float)
            plot.plot(
                epochs,
                values,
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=color,
                symbolPen=None,
                name=name,
            )
        for x in marks:
            plot.addItem(
                pg.InfiniteLine(x, angle=90, pen=pg.mkPen(CHANGE_COLOR, width=1, style=_dash()))
            )
    return _export(win, path)


def sample_predictions(
    path: Path,
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    class_names: Sequence[str],
    columns: int = 8,
) -> Path:
    """A grid of ``images`` ``(n, h, w)`` or ``(n, h, w, c)`` titled "true -> predicted".

    Images of other than 1 or 3 channels are shown as ``displayable`` says (their
    first channel, or first three), never handed to Qt as they are.
    """
    import pyqtgraph as pg

    ensure_app()
    images, _ = displayable(np.asarray(images))
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


def sweep_picture(path: str | os.PathLike, figure: SweepFigure) -> Path:
    """Write a sweep's figure as a PNG (dark ink on white, as the other pictures)."""
    import pyqtgraph as pg

    ensure_app()
    win = pg.GraphicsLayoutWidget()
    win.setBackground("w")
    draw_sweep(win, figure, ink="#222222", paper="#ffffff")
    w, h = sweep_size(figure)
    win.resize(w, h)
    return _export(win, Path(path))


def sweep_size(figure: SweepFigure) -> tuple[int, int]:
    """A size in pixels at which ``figure``'s text fits its cells and axes."""
    if isinstance(figure, Heatmap):
        rows, cols = figure.mean.shape
        return max(520, 110 * cols + 200), max(300, 70 * rows + 170)
    return max(640, 170 * len(figure.axis_labels) + 120), 520


def draw_sweep(win: Any, figure: SweepFigure, *, ink: str, paper: str) -> None:
    """Draw ``figure`` into the pyqtgraph layout ``win`` (cleared first)."""
    import pyqtgraph as pg

    win.clear()
    plot = win.addPlot(row=0, col=0)
    plot.setTitle(figure.title, color=ink, size="11pt")
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(ink))
        axis.setTextPen(pg.mkPen(ink))
    if isinstance(figure, Heatmap):
        _draw_heatmap(plot, figure, ink, paper)
    else:
        _draw_parallel(plot, figure, ink, paper)


def _accuracy_colour(t: float) -> Any:
    import pyqtgraph as pg

    t = 0.0 if not math.isfinite(t) else min(max(t, 0.0), 1.0)
    return pg.colormap.get("viridis").map(t, mode="qcolor")


def _draw_heatmap(plot: Any, fig: Heatmap, ink: str, paper: str) -> None:
    import pyqtgraph as pg

    rows, cols = fig.mean.shape
    span = fig.hi - fig.lo
    for i in range(rows):
        for j in range(cols):
            m = float(fig.mean[i, j])
            y = rows - 1 - i  # first row on top
            if not math.isfinite(m):
                colour = pg.mkColor(ink)
                colour.setAlphaF(0.08)
            else:
                colour = _accuracy_colour((m - fig.lo) / span if span > 0 else 1.0)
            cell = pg.QtWidgets.QGraphicsRectItem(j + 0.03, y + 0.03, 0.94, 0.94)
            cell.setBrush(pg.mkBrush(colour))
            cell.setPen(pg.mkPen(None))
            plot.addItem(cell)
            if not math.isfinite(m):
                continue
            text_colour = "#111111" if colour.lightnessF() > 0.55 else "#ffffff"
            label = f"{m:.4f}"
            if fig.spread and math.isfinite(float(fig.std[i, j])):
                label += f"<br>± {float(fig.std[i, j]):.4f}"
            text = pg.TextItem(
                html=f"<div style='color:{text_colour};text-align:center'>{label}</div>",
                anchor=(0.5, 0.5),
            )
            text.setPos(j + 0.5, y + 0.5)
            plot.addItem(text)
    bottom, left = plot.getAxis("bottom"), plot.getAxis("left")
    bottom.setTicks([[(j + 0.5, lab) for j, lab in enumerate(fig.col_labels)], []])
    bottom.setLabel(_name(fig.col_name), color=ink)
    if fig.row_name is None:
        plot.hideAxis("left")
    else:
        left.setTicks([[(rows - 1 - i + 0.5, lab) for i, lab in enumerate(fig.row_labels)], []])
        left.setLabel(_name(fig.row_name), color=ink)
    plot.setXRange(0, cols, padding=0.02)
    plot.setYRange(0, rows, padding=0.02)


def _draw_parallel(plot: Any, fig: Parallel, ink: str, paper: str) -> None:
    import pyqtgraph as pg

    n = len(fig.axis_labels)
    for x in range(n):
        plot.addItem(pg.InfiniteLine(x, angle=90, pen=pg.mkPen(ink, width=2)))
    xs = np.arange(n, dtype=float)
    for k, (points, t) in enumerate(fig.lines):
        best = k == len(fig.lines) - 1
        plot.plot(
            xs, np.asarray(points, float), pen=pg.mkPen(_accuracy_colour(t), width=4 if best else 2)
        )
    for x, ticks in enumerate(fig.ticks):
        for pos, label in ticks:
            text = pg.TextItem(
                html=f"<span style='color:{ink};background:{paper}'>&nbsp;{label}&nbsp;</span>",
                anchor=(1.0, 0.5),
            )
            text.setPos(x - 0.03, pos)
            plot.addItem(text)
    plot.hideAxis("left")
    plot.getAxis("bottom").setTicks([[(x, lab) for x, lab in enumerate(fig.axis_labels)], []])
    plot.setXRange(-0.6, n - 0.6, padding=0.02)
    plot.setYRange(-0.05, 1.05, padding=0)


def _name(setting: str) -> str:
    from core.sweep.results import LABELS

    return LABELS.get(setting, setting)


def _dash() -> Any:
    from PySide6.QtCore import Qt

    return Qt.PenStyle.DashLine


def _export(win: Any, path: Path) -> Path:
    """Lay the widget out offscreen and write its scene to ``path`` as PNG.

    The PNG is encoded in memory and written whole (``write_atomic``): never half
    a picture, and never over a device or FIFO that has the picture's name.
    """
    import pyqtgraph.exporters as exporters
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtWidgets import QApplication

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    win.ci.setGeometry(0, 0, win.width(), win.height())
    QApplication.processEvents()
    exporter = exporters.ImageExporter(win.scene())
    exporter.parameters()["width"] = win.width()
    image = exporter.export(toBytes=True)
    win.close()
    win.deleteLater()
    encoded = QByteArray()
    buffer = QBuffer(encoded)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image is None or image.isNull() or not image.save(buffer, "PNG"):
        raise OSError(f"{path}: the image exporter drew nothing")
    data = bytes(encoded.data())
    return write_atomic(path, lambda f: f.write(data))
