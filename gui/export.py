"""Taking the studio's figures away: CSV tables and plot images, and the dialog that picks one.

- the history, one row per epoch (``core.training.history``'s columns, as the command line
  writes it);
- the confusion matrix, ``k x k`` counts with the class names as headers;
- any plot as PNG (pyqtgraph's ImageExporter) or SVG, found as the
  ``pg.GraphicsView`` widgets inside a view. pyqtgraph's own SVG exporter cannot
  read the paths this Qt writes, so SVG comes from Qt's ``QSvgGenerator``
  rendering the view: vector lines and text, as on screen;
- the gallery's current tiles as one PNG sheet.

Every write problem ends in an :class:`ExportError` that names the file.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGraphicsItem,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from core.errors import BackpropError
from core.training.history import write_history_csv

IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


class ExportError(BackpropError):
    """A figure or table could not be written; the message names the file."""


def _fail(path: Path, exc: OSError | str) -> ExportError:
    why = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    return ExportError(f"{path}: cannot export: {why}")


def history_csv(path: str | os.PathLike, rows: Sequence[dict[str, Any]]) -> Path:
    """Write the epochs ``rows`` (EpochReport fields; architecture as sizes or "784-128-10")."""
    plain = []
    for row in rows:
        row = dict(row)
        arch = row.get("architecture", ())
        if isinstance(arch, str):
            row["architecture"] = [int(s) for s in arch.split("-") if s]
        plain.append(row)
    try:
        return write_history_csv(path, plain)
    except BackpropError as exc:
        raise ExportError(str(exc)) from None


def confusion_csv(
    path: str | os.PathLike, matrix: np.ndarray, class_names: Sequence[str] = ()
) -> Path:
    """Write ``matrix`` ``(k, k)`` (rows true, columns predicted) with named rows and columns."""
    path = Path(path)
    m = np.asarray(matrix)
    k = m.shape[0]
    names = [class_names[i] if i < len(class_names) else str(i) for i in range(k)]
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["true \\ predicted", *names])
            for i in range(k):
                w.writerow([names[i], *(int(v) for v in m[i])])
    except OSError as exc:
        raise _fail(path, exc) from None
    return path


def plot_image(view: pg.GraphicsView, path: str | os.PathLike, width: int | None = None) -> Path:
    """Write what ``view`` shows as PNG, or as SVG when ``path`` ends in ``.svg``.

    A PNG is ``width`` pixels wide (default: the widget's width), on the
    plot's own background colour so it reads outside the app too.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _uncached(view):
            _render(view, path, width)
    except OSError as exc:
        raise _fail(path, exc) from None
    if not path.is_file() or path.stat().st_size == 0:
        raise _fail(path, "nothing was written (is the folder writable?)")
    return path


@contextmanager
def _uncached(view: pg.GraphicsView) -> Iterator[None]:
    """Items drawn from cached pixmaps on screen (gui.shared.pacing) are drawn afresh meanwhile,
    so an SVG gets vector axes and a PNG of another width sharp ones."""
    cached = [
        (item, item.cacheMode())
        for item in view.scene().items()
        if item.cacheMode() != QGraphicsItem.CacheMode.NoCache
    ]
    for item, _mode in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)


def _render(view: pg.GraphicsView, path: Path, width: int | None) -> None:
    if path.suffix.lower() == ".svg":
        _svg(view, path)
        return
    source = view.getPlotItem() if isinstance(view, pg.PlotWidget) else view.scene()
    exporter = exporters.ImageExporter(source)
    exporter.parameters()["width"] = int(width or max(view.width(), 1))
    exporter.parameters()["background"] = view.backgroundBrush().color()
    exporter.export(str(path))


def _svg(view: pg.GraphicsView, path: Path) -> None:
    """Render ``view`` into an SVG file, one user unit per screen pixel."""
    size = view.viewport().size()
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(size)
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle("Backprop Studio plot")
    painter = QPainter(gen)
    try:
        painter.fillRect(QRect(0, 0, size.width(), size.height()), view.backgroundBrush().color())
        view.render(painter)
    finally:
        painter.end()


def image_file(image: Any, path: str | os.PathLike) -> Path:
    """Save a QImage (the gallery's sheet) as PNG."""
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise _fail(path, "the image could not be written (is the folder writable?)")
    return path


def plots_in(widget: QWidget) -> list[tuple[str, pg.GraphicsView]]:
    """The pyqtgraph views inside ``widget``, each with the name it is exported under.

    The name is the view's ``exportName`` (set by the design system, "Loss curves"),
    else its plot's title (markup and colour keys dropped), else the widget's class
    and a number.
    """
    found = []
    for i, view in enumerate(widget.findChildren(pg.GraphicsView)):
        title = view.property("exportName") or ""
        if not title and isinstance(view, pg.PlotWidget):
            text = re.sub(r"<[^>]*>|■", "", view.getPlotItem().titleLabel.text)
            title = " ".join(text.split())
        found.append((title or f"{type(widget).__name__} {i + 1}", view))
    return found


@dataclass(frozen=True)
class Target:
    """One thing the Export dialog offers: its name, file filter, default name and writer."""

    name: str
    file_filter: str
    default_name: str
    write: Callable[[str], object]


class ExportDialog(QDialog):
    """A list of what can be exported; "Export…" asks for a file and writes it."""

    def __init__(
        self, targets: Sequence[Target], folder: str | os.PathLike, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.targets = list(targets)
        self.folder = Path(folder)
        self.written: list[Path] = []
        self.list = QListWidget()
        for t in self.targets:
            self.list.addItem(t.name)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.export_current())
        self.list.setToolTip("What to export: tables as CSV, plots as PNG or SVG")
        self._message = QLabel("")
        self._message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        export = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.ActionRole)
        export.setToolTip("Choose a file and write the selected item to it")
        export.clicked.connect(lambda: self.export_current())
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Choose what to export:"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self._message)
        layout.addWidget(buttons)
        self.resize(420, 420)

    def message(self) -> str:
        return self._message.text()

    def export_current(self, path: str | os.PathLike | None = None) -> Path | None:
        """Write the selected item to ``path`` (asks for one when None)."""
        row = self.list.currentRow()
        if row < 0:
            return None
        t = self.targets[row]
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, f"Export {t.name}", str(self.folder / t.default_name), t.file_filter
            )
            if not path:
                return None
        try:
            t.write(str(path))
        except BackpropError as exc:
            self._message.setText(str(exc))
            return None
        written = Path(path)
        self.folder = written.parent
        self.written.append(written)
        self._message.setText(f"Wrote {written}")
        return written
