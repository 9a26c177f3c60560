"""The studio's design system: palettes, type sizes, spacing and plot styles, in one place.

Every colour a widget or a plot paints with comes from :func:`palette`, the
:class:`Palette` of the scheme now applied ("light" or "dark"): neutral greys for
the window, its panels and text, one accent colour (a warm amber) for what wants
the eye (the Start button, the headline accuracy, the selected cell or tile),
and the semantic and categorical colours of the plots (runs, classes, right and
wrong answers, changes). Type sizes are steps of the desktop's own font size, so
a person who set a larger font, or a scale factor (``QT_SCALE_FACTOR``), gets a
larger studio; spacing is a few fixed steps.

Plots are styled here too. :func:`style_view` gives a pyqtgraph view the
panel's background, muted axes and tick labels in the small type, titles and
legends in the text colour; :func:`set_scheme` (called by the theme) switches
the palette and restyles every pyqtgraph view of the application at once,
whether its tab is shown or not, then emits :attr:`Notifier.changed` so that
views repaint what they colour themselves (colour maps, bars, tiles).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QApplication

SCHEMES = ("light", "dark")

#: Spacing steps in (device-independent) pixels: inside a card, between widgets, around panels.
SPACE_S, SPACE_M, SPACE_L = 4, 8, 12
#: Corner radius of panels, cards and buttons.
RADIUS = 6
#: Type sizes as multiples of the desktop's font size.
TYPE_STEPS = {"small": 0.9, "body": 1.0, "title": 1.1, "value": 1.45, "headline": 2.1}
#: Line widths: the live run, any other curve, faint helper lines.
WIDTH_LIVE, WIDTH_LINE, WIDTH_THIN = 2.6, 1.6, 1.0
#: Opacity of the grid lines (a share of the axis colour) and of earlier runs' curves.
GRID_ALPHA, FADED_ALPHA = 0.14, 0.55


def _c(hex_colour: str) -> QColor:
    return QColor(hex_colour)


@dataclass(frozen=True)
class Palette:
    """The colours of one scheme. ``muted`` text reads at 4.5:1 or more on ``surface``."""

    scheme: str
    window: QColor  # behind the panels
    surface: QColor  # panels, cards, and every plot's background
    base: QColor  # inputs, lists and tables
    raised: QColor  # buttons, hovered rows
    text: QColor
    muted: QColor  # secondary text, axis ticks and labels
    border: QColor
    accent: QColor
    on_accent: QColor  # text on the accent colour
    good: QColor  # right answers, the true class
    bad: QColor  # wrong answers, divergence
    warn: QColor
    marker: QColor  # where a setting changed
    neutral: QColor  # anything else (other classes' bars)
    runs: tuple[QColor, ...]  # one per run of the session, cycled
    classes: tuple[QColor, ...]  # one per class, or per layer

    def run(self, index: int) -> QColor:
        """The colour of the run with colour index ``index``."""
        return QColor(self.runs[index % len(self.runs)])

    def category(self, index: int) -> QColor:
        """The colour of class (or layer) ``index``."""
        return QColor(self.classes[index % len(self.classes)])

    def faded(self, colour: QColor, alpha: float = FADED_ALPHA) -> QColor:
        """``colour`` made see-through, for earlier runs."""
        c = QColor(colour)
        c.setAlphaF(alpha)
        return c


LIGHT = Palette(
    scheme="light",
    window=_c("#eef0f3"),
    surface=_c("#ffffff"),
    base=_c("#ffffff"),
    raised=_c("#f4f5f7"),
    text=_c("#1c212b"),
    muted=_c("#586170"),
    border=_c("#d3d8df"),
    accent=_c("#c2540a"),
    on_accent=_c("#ffffff"),
    good=_c("#2b8a3e"),
    bad=_c("#c92a2a"),
    warn=_c("#a26100"),
    marker=_c("#7048e8"),
    neutral=_c("#9aa1ab"),
    runs=tuple(
        _c(c) for c in ("#1c6dd0", "#d6336c", "#2b8a3e", "#7048e8", "#0b7285", "#a26100", "#5c7cfa")
    ),
    classes=tuple(
        _c(c)
        for c in (
            "#1f77b4",
            "#ff7f0e",
            "#2ca02c",
            "#d62728",
            "#9467bd",
            "#8c564b",
            "#e377c2",
            "#7f7f7f",
            "#bcbd22",
            "#17becf",
        )
    ),
)

DARK = Palette(
    scheme="dark",
    window=_c("#16191e"),
    surface=_c("#20242b"),
    base=_c("#1a1d23"),
    raised=_c("#2b3039"),
    text=_c("#e4e7ec"),
    muted=_c("#a1a9b6"),
    border=_c("#363c47"),
    accent=_c("#ffa94d"),
    on_accent=_c("#1c1300"),
    good=_c("#51cf66"),
    bad=_c("#ff6b6b"),
    warn=_c("#fcc419"),
    marker=_c("#b197fc"),
    neutral=_c("#6c7480"),
    runs=tuple(
        _c(c) for c in ("#4dabf7", "#f783ac", "#69db7c", "#b197fc", "#3bc9db", "#ffd43b", "#91a7ff")
    ),
    classes=tuple(
        _c(c)
        for c in (
            "#4dabf7",
            "#ffa94d",
            "#69db7c",
            "#ff6b6b",
            "#b197fc",
            "#e0a47a",
            "#f783ac",
            "#adb5bd",
            "#d8e04a",
            "#3bc9db",
        )
    ),
)

_PALETTES = {"light": LIGHT, "dark": DARK}
_current = LIGHT


def palette() -> Palette:
    """The palette of the scheme now applied."""
    return _current


def palette_of(scheme: str) -> Palette:
    """The palette of ``scheme`` ("light" or "dark")."""
    return _PALETTES[scheme]


# -- contrast ----------------------------------------------------------------------------
def luminance(colour: QColor) -> float:
    """WCAG relative luminance of an opaque colour, 0 (black) to 1 (white)."""

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours: 1 (same) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_on(background: QColor) -> QColor:
    """Near-black or white, whichever reads better on ``background``."""
    dark, light = QColor(20, 22, 26), QColor(255, 255, 255)
    return dark if contrast(dark, background) >= contrast(light, background) else light


# -- type --------------------------------------------------------------------------------
def base_points() -> float:
    """The desktop's font size in points (what the application font says)."""
    font = QApplication.font()
    if font.pointSizeF() > 0:
        return font.pointSizeF()
    return max(font.pixelSize(), 1) * 0.75


def points(role: str) -> float:
    """The size in points of a type role: small, body, title, value or headline."""
    return round(base_points() * TYPE_STEPS[role], 1)


def font(role: str, bold: bool = False) -> QFont:
    """The application's font at the size of ``role``."""
    f = QFont(QApplication.font())
    f.setPointSizeF(points(role))
    f.setBold(bold)
    return f


# -- pens --------------------------------------------------------------------------------
def pen(colour: QColor, width: float = WIDTH_LINE, style: str = "solid") -> QPen:
    """A cosmetic pen: ``style`` "solid", "dash" or "dot"."""
    p = pg.mkPen(colour, width=width)
    p.setStyle(
        {
            "solid": Qt.PenStyle.SolidLine,
            "dash": Qt.PenStyle.DashLine,
            "dot": Qt.PenStyle.DotLine,
        }[style]
    )
    p.setCosmetic(True)
    return p


# -- plots -------------------------------------------------------------------------------
class Notifier(QObject):
    """Emits :attr:`changed` after the palette switched and every plot was restyled."""

    changed = Signal(object)  # the Palette now applied


_NOTIFIER: Notifier | None = None


def notifier() -> Notifier:
    """The application's one :class:`Notifier` (made on first use)."""
    global _NOTIFIER
    if _NOTIFIER is None:
        _NOTIFIER = Notifier(QApplication.instance())
        _NOTIFIER.destroyed.connect(_forget_notifier)
    return _NOTIFIER


def _forget_notifier() -> None:
    global _NOTIFIER
    _NOTIFIER = None


class _Relay(QObject):
    """Calls a view's callable on every switch, for as long as the view lives."""

    def __init__(self, owner: QObject, slot: Callable[[Palette], object]) -> None:
        super().__init__(owner)
        self._slot = slot

    @Slot(object)
    def fire(self, p: Palette) -> None:
        self._slot(p)


def on_change(owner: QObject, slot: Callable[[Palette], object]) -> None:
    """Call ``slot(palette)`` after every switch of scheme, until ``owner`` is destroyed."""
    notifier().changed.connect(_Relay(owner, slot).fire)


#: Every view :func:`style_view` has styled (weakly: a view that goes is forgotten).
_VIEWS: weakref.WeakSet[pg.GraphicsView] = weakref.WeakSet()


def style_view(view: pg.GraphicsView, export_name: str | None = None) -> None:
    """Style a pyqtgraph view and everything in it with the palette now applied.

    ``export_name`` is how the Export dialog lists the view ("Loss curves").
    """
    if export_name is not None:
        view.setProperty("exportName", export_name)
    _VIEWS.add(view)
    p = _current
    view.setBackground(p.surface)
    # The background is opaque and fills the view: nothing behind it need be painted first.
    view.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            style_axis(item)
        elif isinstance(item, pg.PlotItem):
            _style_title(item)
        elif isinstance(item, pg.LegendItem):
            style_legend(item)


def style_axis(axis: pg.AxisItem) -> None:
    """Muted axis line, ticks and labels in the small type."""
    p = _current
    axis.labelStyle["font-size"] = f"{points('small')}pt"
    axis.setTickFont(font("small"))
    axis.setPen(p.muted)
    axis.setTextPen(p.muted)


def style_legend(legend: pg.LegendItem) -> None:
    p = _current
    legend.setLabelTextColor(p.text)
    legend.setLabelTextSize(f"{points('small')}pt")
    legend.setBrush(p.faded(p.surface, 0.85))
    legend.setPen(pg.mkPen(p.border))


def _style_title(plot: pg.PlotItem) -> None:
    label = plot.titleLabel
    if label.text:
        label.setText(label.text, color=_current.text, size=f"{points('body')}pt")


def set_title(plot: pg.PlotItem, text: str) -> None:
    """A plot's title in the text colour and body size (kept through theme switches)."""
    plot.setTitle(text, color=_current.text, size=f"{points('body')}pt")


def grid(plot: pg.PlotItem, x: bool = True, y: bool = True) -> None:
    """Faint grid lines (the axis colour at :data:`GRID_ALPHA`)."""
    plot.showGrid(x=x, y=y, alpha=GRID_ALPHA)


def set_scheme(scheme: str) -> None:
    """Apply ``scheme``'s palette: pyqtgraph's defaults, every view of the application,
    then :attr:`Notifier.changed` for what views colour themselves."""
    global _current
    _current = _PALETTES[scheme]
    pg.setConfigOption("foreground", _current.muted)
    pg.setConfigOption("background", _current.surface)
    restyle_all()
    notifier().changed.emit(_current)


def restyle_all() -> None:
    """Style every pyqtgraph view styled so far that still lives, shown or hidden.

    The views are the ones :func:`style_view` saw (every view of the studio goes
    through it), not ``QApplication.allWidgets()``: walking every widget of the
    application can meet one whose C++ side is being destroyed.
    """
    for view in list(_VIEWS):
        if shiboken6.isValid(view):
            style_view(view)
