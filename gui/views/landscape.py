"""The loss landscape the current run crossed, with its path drawn on it.

Two pictures (``core.training.landscape``, after Li et al. 2018), on a fixed subset of
the validation set:

- the loss along the straight line from the run's first recorded weights (α = 0) to
  its newest (α = 1), and a little beyond either end;
- the loss over the plane of the two directions the run moved in most (its recorded
  states' main directions, normalised unit by unit), as a map with contour lines, and
  the run's path on it: each recorded state where it projects, the start and the end
  marked, and the moment the timeline shows ringed.

It is computed when asked (*Compute*), in a worker thread, with a progress bar and
*Cancel*; never in the GUI thread. Before three states are recorded there is nothing to
span a plane, and the view says so. It shows the run as it was when computed; once the
run has moved on it says so, and *Compute* again takes in the newer states.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.training import landscape as core_landscape
from core.training.landscape import Landscape
from core.training.timeline import Moment, Timeline
from gui.shared import colormaps as cm
from gui.shared import jobs, style
from gui.shared.empty import EmptyState
from gui.shared.header import ViewHeader
from gui.shared.state import SessionView, TimelineView, moment_text
from gui.views.curves import LogAxis

#: Recorded states a plane needs at least.
MIN_STATES = 3
#: Contour lines drawn on the map.
CONTOURS = 8
EMPTY = (
    "Compute draws the loss along the line from the run's first weights to its newest, "
    "and over the plane of its path, here."
)


def _plot(
    title: str, x_label: str, y_label: str, export_name: str, log_y: bool = False
) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"left": LogAxis("left")} if log_y else None)
    p = w.getPlotItem()
    style.set_title(p, title)
    p.setLabel("bottom", x_label)
    p.setLabel("left", y_label)
    style.grid(p)
    p.setLogMode(y=log_y)
    p.setMenuEnabled(False)
    for axis in ("bottom", "left"):
        p.getAxis(axis).enableAutoSIPrefix(False)
    style.style_view(w, export_name)
    return w


class LandscapeView(QWidget):
    """Compute, progress and Cancel; the line and the plane with the path; see the module doc."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timeline = TimelineView()
        self._dataset: Any = None
        self._job: jobs.Job | None = None
        self._result: Landscape | None = None
        self._computed_with = 0  # moments recorded when the result was computed
        self._summary = ""  # what the result is, for the status line
        self._message = ""  # how the last computation ended when it gave no result
        self._cancelled = False
        #: Grid points per side of the plane, and validation images used.
        self.resolution = core_landscape.RESOLUTION
        self.subset = core_landscape.SUBSET

        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip(
            "Evaluate the loss along the line and over the plane of the run's path (in the "
            "background)"
        )
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.header = ViewHeader(
            "landscape", self.progress, self.compute_button, self.cancel_button
        )
        self.status = QLabel()
        self.status.setObjectName("readout")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self._line_w = _plot(
            "Loss from the first weights (α = 0) to the newest (1)",
            "α: along the straight line between them",
            "loss (log scale)",
            "Landscape: loss along the line",
            log_y=True,
        )
        self._line = self._line_w.getPlotItem().plot()
        self._line_ends = pg.ScatterPlotItem(size=9)
        self._line_w.getPlotItem().addItem(self._line_ends)
        self._plane_w = _plot(
            "Loss over the plane of the run's path",
            "",
            "",
            "Landscape: loss over the plane",
        )
        plane = self._plane_w.getPlotItem()
        self._image = pg.ImageItem()
        plane.addItem(self._image)
        self._contours: list[pg.IsocurveItem] = []
        for _ in range(CONTOURS):
            iso = pg.IsocurveItem()
            iso.setParentItem(self._image)
            self._contours.append(iso)
        self._path = plane.plot(symbol="o", symbolSize=5, symbolPen=None)
        self._ends = pg.ScatterPlotItem()
        self._cursor = pg.ScatterPlotItem(size=18, brush=None, symbol="o")
        plane.addItem(self._ends)
        plane.addItem(self._cursor)
        plane.setAspectLocked(False)
        self._key = QLabel()
        self._key.setObjectName("readout")
        self._key.setWordWrap(True)
        self._key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        plots = QSplitter(Qt.Orientation.Vertical)
        plots.setHandleWidth(style.SPACE_M)
        plots.addWidget(self._line_w)
        plots.addWidget(self._plane_w)
        plots.setStretchFactor(0, 1)
        plots.setStretchFactor(1, 3)
        plots.setChildrenCollapsible(False)
        self._box = EmptyState(plots, EMPTY)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(style.SPACE_M, style.SPACE_M, style.SPACE_M, style.SPACE_S)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self.header)
        layout.addWidget(self.status)
        layout.addWidget(self._box, 1)
        layout.addWidget(self._key)
        self._restyle(style.palette())
        style.on_change(self, self._restyle)
        self._show_state()

    def _restyle(self, p: style.Palette) -> None:
        self._line.setPen(style.pen(p.run(0), style.WIDTH_LINE))
        self._line_ends.setBrush(pg.mkBrush(p.accent))
        self._line_ends.setPen(pg.mkPen(p.surface))
        self._image.setLookupTable(cm.lut("sequential"))
        for iso in self._contours:
            iso.setPen(style.pen(p.faded(p.muted, 0.6), style.WIDTH_THIN))
        # Low losses are the map's pale end in light and its dark end in dark: the path in
        # the text colour stands out from both.
        self._path.setPen(style.pen(p.text, style.WIDTH_LINE))
        self._path.setSymbolBrush(p.text)
        self._ends.setPen(pg.mkPen(p.text, width=1))
        self._cursor.setPen(style.pen(p.accent, 3.0))
        if self._result is not None:
            self._draw(self._result)

    # -- reading ---------------------------------------------------------------------
    def landscape(self) -> Landscape | None:
        """The landscape shown (None before one was computed)."""
        return self._result

    def busy(self) -> bool:
        return self._job is not None

    def plot_widgets(self) -> list[pg.PlotWidget]:
        """The line and the plane, for export as images."""
        return [self._line_w, self._plane_w]

    def marked(self) -> Moment | None:
        """The path's moment ringed as the timeline's (None before a landscape)."""
        i = self._marked_index()
        return None if i is None or self._result is None else self._result.moments[i]

    # -- from the session ---------------------------------------------------------------
    def show_session(self, view: SessionView) -> None:
        timeline = view.timeline
        if view.run_data is not self._dataset or timeline.folder != self._timeline.folder:
            self.cancel()
            self._dataset = view.run_data
            self._result = None
            self._message = ""
            self._clear_plots()
        self._timeline = timeline
        self._show_state()
        self._mark_cursor()

    # -- computing -------------------------------------------------------------------
    def compute(self) -> None:
        """Compute the landscape of the moments recorded so far, in a worker thread."""
        folder, dataset = self._timeline.folder, self._dataset
        if self._job is not None or folder is None or dataset is None:
            return
        if len(self._timeline.moments) < MIN_STATES:
            return
        X, y = dataset.X_val, dataset.y_val
        resolution, subset = self.resolution, self.subset
        n = len(self._timeline.moments)

        def work(progress: jobs.Progress) -> tuple[Landscape, float]:
            t0 = time.perf_counter()
            land = core_landscape.landscape(
                Timeline(folder),
                X,
                y,
                subset=subset,
                resolution=resolution,
                progress=lambda done, total: progress("landscape", done, total),
            )
            return land, time.perf_counter() - t0

        self._cancelled = False
        self._message = ""
        self._computed_with = n
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.compute_button.setEnabled(False)
        self.status.setText("Computing the loss around the run's path…")
        self._job = jobs.run_job(
            work,
            "loss landscape",
            self,
            done=self._on_done,
            failed=self._on_failed,
            progress=self._on_progress,
            ended=self._on_ended,
        )

    def cancel(self) -> None:
        """Stop the computation under way (nothing of it is shown)."""
        if self._job is not None:
            self._job.cancel()
            self._cancelled = True

    def _on_progress(self, _what: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_failed(self, message: str, _details: str) -> None:
        self._message = f"Could not compute the landscape: {message}"

    def _on_ended(self) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_button.hide()
        if self._cancelled:
            self._cancelled = False
            before = " (what is shown was computed before)" if self._result is not None else ""
            self._message = f"Cancelled{before}: Compute starts again."
        self._show_state()

    def _on_done(self, result: tuple[Landscape, float]) -> None:
        land, seconds = result
        self._result = land
        self._draw(land)
        self._mark_cursor()
        last = land.moments[-1]
        grid = len(land.surface.a)
        self._summary = (
            f"Up to {moment_text(last, self._timeline.total_epochs)}: {len(land.moments)} "
            f"states, a {grid} × {grid} grid on {len(land.subset):,} validation images, "
            f"in {seconds:.1f} s."
        )
        self.status.setText(self._summary)

    # -- drawing ----------------------------------------------------------------------
    def _draw(self, land: Landscape) -> None:
        line = land.line
        ok = np.isfinite(line.losses) & (line.losses > 0)
        self._line.setData(line.alphas[ok], line.losses[ok])
        ends = [i for i, a in enumerate(line.alphas) if a in (0.0, 1.0) and ok[i]]
        self._line_ends.setData(
            [float(line.alphas[i]) for i in ends], [float(np.log10(line.losses[i])) for i in ends]
        )
        self._line_w.getPlotItem().enableAutoRange()
        s = land.surface
        logs = np.log10(np.clip(s.losses, 1e-12, None))
        finite = np.isfinite(logs)
        lo = float(logs[finite].min()) if finite.any() else 0.0
        hi = float(logs[finite].max()) if finite.any() else 1.0
        logs = np.where(finite, logs, hi)
        self._image.setImage(logs.T, levels=(lo, hi))  # ImageItem takes (x, y)
        da = (s.a[-1] - s.a[0]) / max(len(s.a) - 1, 1)
        db = (s.b[-1] - s.b[0]) / max(len(s.b) - 1, 1)
        self._image.setRect(
            QRectF(s.a[0] - da / 2, s.b[0] - db / 2, s.a[-1] - s.a[0] + da, s.b[-1] - s.b[0] + db)
        )
        for k, iso in enumerate(self._contours):
            iso.setData(logs.T)
            iso.setLevel(lo + (hi - lo) * (k + 1) / (CONTOURS + 1))
        coords = land.plane.coords
        p = style.palette()
        self._path.setData(coords[:, 0], coords[:, 1])
        self._ends.setData(
            [float(coords[0, 0]), float(coords[-1, 0])],
            [float(coords[0, 1]), float(coords[-1, 1])],
            symbol=["s", "star"],
            size=[11, 16],
            brush=[pg.mkBrush(p.surface), pg.mkBrush(p.accent)],
        )
        e1, e2 = (100 * float(v) for v in land.plane.explained)
        plane = self._plane_w.getPlotItem()
        plane.setLabel("bottom", f"direction 1 ({e1:.0f}% of the path's movement)")
        plane.setLabel("left", f"direction 2 ({e2:.0f}%)")
        plane.enableAutoRange()
        low, high = ("pale", "deep blue") if p.scheme == "light" else ("dark", "pale blue")
        self._key.setText(
            f"Map: loss from {10**lo:.3g} ({low}) to {10**hi:.3g} ({high}), log scale, with "
            "contour lines. Path: every recorded state (dots), from the start (square) to "
            "the newest (star); the ring is the moment the timeline shows."
        )

    def _clear_plots(self) -> None:
        self._line.setData([], [])
        self._line_ends.setData([], [])
        self._image.clear()
        for iso in self._contours:
            iso.setData(None)
        self._path.setData([], [])
        self._ends.setData([], [])
        self._cursor.setData([], [])
        self._key.setText("")

    def _marked_index(self) -> int | None:
        land = self._result
        if land is None:
            return None
        wanted = self._timeline.moment
        if wanted is None:  # live: the newest state of the path
            return len(land.moments) - 1
        steps = [m.step for m in land.moments]
        exact = next((i for i, m in enumerate(land.moments) if m.id == wanted.id), None)
        if exact is not None:
            return exact
        return int(np.argmin([abs(s - wanted.step) for s in steps]))

    def _mark_cursor(self) -> None:
        i = self._marked_index()
        if i is None or self._result is None:
            self._cursor.setData([], [])
            return
        a, b = self._result.plane.coords[i]
        self._cursor.setData([float(a)], [float(b)])

    def _show_state(self) -> None:
        n = len(self._timeline.moments)
        ready = n >= MIN_STATES and self._dataset is not None and self._timeline.folder
        self.compute_button.setEnabled(bool(ready) and self._job is None)
        if self._result is not None:
            self._box.show_content()
        else:
            self._box.show_message(EMPTY)
        if self._job is not None:
            return
        if self._message:  # a cancellation or a failure: said until the next Compute
            self.status.setText(self._message)
        elif self._result is not None:
            moved = n > self._computed_with
            self.status.setText(
                self._summary
                + (
                    " The run has moved on: Compute again to take in its newer states."
                    if moved
                    else ""
                )
            )
        elif self._timeline.folder is None:
            self.status.setText(
                self._timeline.note
                or "The landscape is drawn from the states a run records as it trains: press Start."
            )
        elif n < MIN_STATES:
            self.status.setText(
                f"The landscape needs at least {MIN_STATES} recorded states of the run "
                f"({n} so far): train a little, then Compute."
            )
        else:
            self.status.setText(
                "Compute evaluates the loss along the line from the first weights to the "
                "newest and over the plane of the run's path, on "
                f"{self.subset:,} validation images (at most)."
            )
