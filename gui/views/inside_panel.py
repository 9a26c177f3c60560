"""One array of a step on screen, an image, bars or a number, reading out the cell under the mouse.

A :class:`ArrayPanel` shows a :class:`~gui.views.inside_pictures.Picture` prepared in
the tracing worker: the image is already coloured (RGBA), so showing it costs one
``setImage``; bars are ten rectangles; a number is a label. Hovering names the
element under the mouse and its value on :attr:`ArrayPanel.hovered`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.shared import style
from gui.shared.header import help_button
from gui.shared.pacing import cache_static_parts
from gui.views.inside_cells import Picture

MIN_SIDE = 110  # the smallest a panel's picture gets, in pixels


class ArrayPanel(QWidget):
    """A titled picture of one array; ``hovered`` carries what the mouse points at ("" off it),
    ``clicked`` a click on the picture (to see it large)."""

    hovered = Signal(str)
    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture: Picture | None = None
        self._title = QLabel()
        self._title.setWordWrap(True)
        self._title.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._title.setTextFormat(Qt.TextFormat.RichText)

        self._glw = pg.GraphicsLayoutWidget()
        self._glw.setMinimumSize(MIN_SIDE, MIN_SIDE)
        self._vb = self._glw.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self._vb.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._image)
        self._glw.scene().sigMouseMoved.connect(self._on_image_hover)
        self._glw.scene().sigMouseClicked.connect(lambda _ev: self.clicked.emit())
        style.style_view(self._glw, "Inside: a step's picture")

        self._plot = pg.PlotWidget()
        self._plot.setMinimumSize(MIN_SIDE, MIN_SIDE)
        item = self._plot.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.hideButtons()
        style.grid(item, x=False)
        style.style_view(self._plot, "Inside: a step's bars")
        cache_static_parts(item)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self._plot.addItem(self._bars)
        self._zero = pg.InfiniteLine(pos=0, angle=0)
        self._plot.addItem(self._zero)
        self._plot.scene().sigMouseMoved.connect(self._on_bars_hover)
        self._plot.scene().sigMouseClicked.connect(lambda _ev: self.clicked.emit())

        self._number = QLabel()
        self._number.setObjectName("cardValue")
        self._number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._stack = QStackedWidget()
        for w in (self._glw, self._plot, self._number):
            self._stack.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(style.SPACE_S)
        layout.addWidget(self._title)
        layout.addWidget(self._stack, 1)
        self._shape: tuple[int, ...] = ()
        self._ticks: tuple[str, ...] | None = None  # the class names the bars' axis shows
        self._y_range: tuple[float, float] | None = None
        self._restyle(style.palette())
        style.on_change(self, self._restyle)

    def _restyle(self, p: style.Palette) -> None:
        self._zero.setPen(style.pen(p.muted, style.WIDTH_THIN))
        if self.picture is not None and self.picture.kind == "bars":
            self._draw_bars(self.picture)

    # -- public ---------------------------------------------------------------------
    def show_picture(self, p: Picture | None) -> None:
        """Draw ``p`` (None: hide the panel)."""
        self.picture = p
        self.setVisible(p is not None)
        if p is None:
            return
        self._title.setText(f"<b>{p.name}</b> <small>{p.caption}</small>")
        if p.kind == "number":
            self._number.setText(f"{float(p.array):.6g}")
            self._stack.setCurrentWidget(self._number)
        elif p.kind == "bars":
            self._draw_bars(p)
            self._stack.setCurrentWidget(self._plot)
        else:
            self._image.setImage(p.rgba, autoLevels=False, levels=(0, 255))
            if p.rgba.shape != self._shape:  # fit the view only when the shape changes
                self._shape = p.rgba.shape
                self._vb.autoRange(padding=0.02)
            self._stack.setCurrentWidget(self._glw)

    def title(self) -> str:
        return self._title.text()

    # -- drawing ------------------------------------------------------------------
    def _draw_bars(self, p: Picture) -> None:
        values = np.asarray(p.values, dtype=np.float64)
        k = values.size
        s = style.palette()
        brushes = [
            pg.mkBrush(s.good if c == p.label else s.bad if c == p.prediction else s.neutral)
            for c in range(k)
        ]
        self._bars.setOpts(x=np.arange(k), height=values, brushes=brushes, pens=[None] * k)
        # The axes are laid out again only when what they show changes.
        item = self._plot.getPlotItem()
        if p.classes != self._ticks:
            self._ticks = p.classes
            item.getAxis("bottom").setTicks(
                [[(i, n if len(n) <= 3 else str(i)) for i, n in enumerate(p.classes)]]
            )
            item.setXRange(-0.6, k - 0.4, padding=0)
        lo, hi = min(0.0, float(values.min(initial=0.0))), max(0.0, float(values.max(initial=0.0)))
        pad = 0.08 * ((hi - lo) or 1.0)
        y_range = (lo - (pad if lo < 0 else 0), hi + pad)
        if y_range != self._y_range:
            self._y_range = y_range
            item.setYRange(*y_range, padding=0)

    # -- hovering -----------------------------------------------------------------
    def _on_image_hover(self, pos: QPointF) -> None:
        p = self.picture
        if p is None or p.kind != "image" or not self._vb.sceneBoundingRect().contains(pos):
            self.hovered.emit("")
            return
        at = self._image.mapFromScene(pos)
        self.hovered.emit(p.read(at.x(), at.y()) or "")

    def _on_bars_hover(self, pos: QPointF) -> None:
        p = self.picture
        vb = self._plot.getPlotItem().vb
        if p is None or p.kind != "bars" or not vb.sceneBoundingRect().contains(pos):
            self.hovered.emit("")
            return
        self.hovered.emit(p.read(vb.mapSceneToView(pos).x(), 0.0) or "")


class PictureDialog(QDialog):
    """One picture of a step, large (to project it), reading out the cell under the mouse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Inside: a closer look")
        self.panel = ArrayPanel()
        self._hover = QLabel(" ")
        self._hover.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.panel.hovered.connect(lambda text: self._hover.setText(text or " "))
        foot = QHBoxLayout()
        foot.addWidget(self._hover, 1)
        foot.addWidget(help_button("inside", self))
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addLayout(foot)
        self.resize(760, 800)

    def show_picture(self, p: Picture, where: str) -> None:
        self.setWindowTitle(f"Inside: {p.name} · {where}")
        self.panel.show_picture(p)
        self.show()
        self.raise_()
