"""Light and dark: follow the system's colour scheme, or the person's choice.

``Theme`` applies a palette to the whole application (Fusion style, so the
palette is honoured on every platform) and brings pyqtgraph along: its default
foreground becomes the palette's text colour and every axis, title and legend
already on screen is recoloured. The plots themselves have no background of
their own (the views set it to none), so they sit on the window's colour.

"system" follows ``QStyleHints.colorScheme()`` and its ``colorSchemeChanged``
signal; where the platform does not say (Qt.ColorScheme.Unknown), light.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from core.errors import SettingsError

CHOICES = ("system", "light", "dark")

_DARK = {
    QPalette.ColorRole.Window: QColor(45, 45, 48),
    QPalette.ColorRole.WindowText: QColor(225, 225, 225),
    QPalette.ColorRole.Base: QColor(30, 30, 32),
    QPalette.ColorRole.AlternateBase: QColor(52, 52, 56),
    QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64),
    QPalette.ColorRole.ToolTipText: QColor(235, 235, 235),
    QPalette.ColorRole.PlaceholderText: QColor(140, 140, 140),
    QPalette.ColorRole.Text: QColor(225, 225, 225),
    QPalette.ColorRole.Button: QColor(58, 58, 62),
    QPalette.ColorRole.ButtonText: QColor(225, 225, 225),
    QPalette.ColorRole.BrightText: QColor(255, 90, 90),
    QPalette.ColorRole.Light: QColor(80, 80, 84),
    QPalette.ColorRole.Midlight: QColor(66, 66, 70),
    QPalette.ColorRole.Mid: QColor(90, 90, 96),
    QPalette.ColorRole.Dark: QColor(25, 25, 27),
    QPalette.ColorRole.Shadow: QColor(10, 10, 10),
    QPalette.ColorRole.Highlight: QColor(45, 125, 210),
    QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
    QPalette.ColorRole.Link: QColor(110, 170, 255),
    QPalette.ColorRole.LinkVisited: QColor(170, 140, 255),
}


def system_scheme() -> str:
    """ "dark" when the platform says so, else "light"."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def palette_for(scheme: str) -> QPalette:
    """The application palette for "light" or "dark"."""
    fusion = QStyleFactory.create("Fusion")
    pal = QPalette(fusion.standardPalette())
    if scheme == "dark":
        for role, colour in _DARK.items():
            pal.setColor(QPalette.ColorGroup.All, role, colour)
        for role in (
            QPalette.ColorRole.Text,
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.ButtonText,
        ):
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return pal


def recolour_plots(foreground: QColor) -> None:
    """Axes, titles and legends of every pyqtgraph view on screen, in ``foreground``."""
    pg.setConfigOption("foreground", foreground)
    for top in QApplication.topLevelWidgets():
        views = top.findChildren(pg.GraphicsView)
        if isinstance(top, pg.GraphicsView):
            views.append(top)
        for view in views:
            for item in view.scene().items():
                if isinstance(item, pg.AxisItem):
                    item.setPen()
                    item.setTextPen()
                elif isinstance(item, pg.LabelItem) and item.opts.get("color") is None:
                    item.setText(item.text)


class Theme(QObject):
    """The application's theme: a choice ("system", "light", "dark") and what it resolves to."""

    changed = Signal(str)  # the scheme now applied: "light" or "dark"

    def __init__(self, app: QApplication, choice: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._choice = "system"
        self._applied = ""
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_changed)
        self.set_choice(choice)

    @property
    def choice(self) -> str:
        return self._choice

    @property
    def scheme(self) -> str:
        """ "light" or "dark": what is on screen."""
        return self._applied

    def set_choice(self, choice: str) -> None:
        if choice not in CHOICES:
            raise SettingsError(f"theme: {choice!r}; choose one of {', '.join(CHOICES)}")
        self._choice = choice
        self._apply(system_scheme() if choice == "system" else choice)

    def toggle(self) -> None:
        """Switch to the other scheme (a fixed choice from then on)."""
        self.set_choice("light" if self._applied == "dark" else "dark")

    def _on_system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice == "system":
            self._apply(system_scheme())

    def _apply(self, scheme: str) -> None:
        if scheme == self._applied:
            return
        if self._app.style().name().lower() != "fusion":
            self._app.setStyle("Fusion")
        pal = palette_for(scheme)
        self._app.setPalette(pal)
        # Style sheets that name palette colours (links, notes) are resolved when a
        # widget is polished: setting a sheet again repolishes with the new palette.
        self._app.setStyleSheet(self._app.styleSheet())
        for widget in self._app.allWidgets():
            sheet = widget.styleSheet()
            if sheet:
                widget.setStyleSheet("")
                widget.setStyleSheet(sheet)
        pg.setConfigOption("background", pal.color(QPalette.ColorRole.Window))
        recolour_plots(pal.color(QPalette.ColorRole.WindowText))
        self._applied = scheme
        self.changed.emit(scheme)
