"""Light and dark: follow the system's colour scheme, or the person's choice.

``Theme`` applies one of the design system's palettes (:mod:`gui.shared.style`) to
the whole application: the Qt palette (Fusion style, so it is honoured on every
platform), the style sheet that shapes panels, cards, headers and banners, and
every pyqtgraph plot, shown or not (:func:`gui.shared.style.set_scheme`). A
change of the desktop's font is followed the same way: sizes are steps of it.

"system" follows ``QStyleHints.colorScheme()`` and its ``colorSchemeChanged``
signal; where the platform does not say (Qt.ColorScheme.Unknown), light.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from core.errors import SettingsError
from gui.shared import style
from gui.shared.style import RADIUS, SPACE_M, SPACE_S, Palette, palette_of, points

CHOICES = ("system", "light", "dark")

#: Banner colours per level and scheme: background, border, text.
BANNERS = {
    "light": {
        "info": ("#e7f1ff", "#a5c8f5", "#0b3a75"),
        "warning": ("#fff4e0", "#f0c274", "#5c3b00"),
        "error": ("#ffe8e8", "#efa0a0", "#7d1a1a"),
    },
    "dark": {
        "info": ("#1b2a3d", "#2f5688", "#cfe3ff"),
        "warning": ("#33290f", "#7a5b12", "#ffe3a3"),
        "error": ("#3a1d1f", "#80383c", "#ffd0d0"),
    },
}


def system_scheme() -> str:
    """ "dark" when the platform says so, else "light"."""
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def palette_for(scheme: str) -> QPalette:
    """The application palette for "light" or "dark", from the design system's colours."""
    p = palette_of(scheme)
    fusion = QStyleFactory.create("Fusion")
    pal = QPalette(fusion.standardPalette())
    roles = {
        QPalette.ColorRole.Window: p.window,
        QPalette.ColorRole.WindowText: p.text,
        QPalette.ColorRole.Base: p.base,
        QPalette.ColorRole.AlternateBase: p.raised,
        QPalette.ColorRole.ToolTipBase: p.surface,
        QPalette.ColorRole.ToolTipText: p.text,
        QPalette.ColorRole.PlaceholderText: p.muted,
        QPalette.ColorRole.Text: p.text,
        QPalette.ColorRole.Button: p.raised,
        QPalette.ColorRole.ButtonText: p.text,
        QPalette.ColorRole.BrightText: p.bad,
        QPalette.ColorRole.Light: p.surface.lighter(110),
        QPalette.ColorRole.Midlight: p.raised,
        QPalette.ColorRole.Mid: p.border,
        QPalette.ColorRole.Dark: p.border.darker(130),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
        QPalette.ColorRole.Highlight: p.accent,
        QPalette.ColorRole.HighlightedText: p.on_accent,
        QPalette.ColorRole.Link: p.run(0),
        QPalette.ColorRole.LinkVisited: p.run(3),
    }
    for role, colour in roles.items():
        pal.setColor(QPalette.ColorGroup.All, role, colour)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, p.faded(p.muted, 0.7))
    return pal


def _rgba(c: QColor) -> str:
    return f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})"


def stylesheet(p: Palette) -> str:
    """The application's style sheet in palette ``p``: panels, cards, headers, banners."""
    small, title, value, headline = (points(r) for r in ("small", "title", "value", "headline"))
    rules = [
        f"#panel {{ background: {p.surface.name()}; border: 1px solid {p.border.name()};"
        f" border-radius: {RADIUS}px; }}",
        f"#card {{ background: {p.surface.name()}; border: 1px solid {p.border.name()};"
        f" border-radius: {RADIUS}px; }}",
        f"#cardLabel {{ color: {p.muted.name()}; font-size: {small}pt; }}",
        f"#cardValue {{ color: {p.text.name()}; font-size: {value}pt; font-weight: 600; }}",
        f"#cardValue[headline='true'] {{ color: {p.accent.name()}; font-size: {headline}pt; }}",
        f"#cardNote {{ color: {p.muted.name()}; font-size: {small}pt; }}",
        f"#viewTitle {{ color: {p.text.name()}; font-size: {title}pt; font-weight: 600; }}",
        f"#viewSummary, #viewStatus, #readout {{ color: {p.muted.name()}; }}",
        f"#emptyState {{ color: {p.muted.name()}; font-size: {title}pt; }}",
        f"#helpButton {{ color: {p.muted.name()}; background: {p.raised.name()};"
        f" border: 1px solid {p.border.name()}; border-radius: 9px; min-width: 16px;"
        f" max-width: 16px; min-height: 16px; max-height: 16px; font-weight: 600;"
        f" padding: 0px; }}",
        f"#helpButton:hover {{ color: {p.on_accent.name()}; background: {p.accent.name()}; }}",
        f"#popover {{ background: {p.surface.name()}; border: 1px solid {p.border.name()};"
        f" border-radius: {RADIUS}px; }}",
        f"#popoverTitle {{ color: {p.text.name()}; font-size: {title}pt; font-weight: 600; }}",
        f"#startButton {{ background: {p.accent.name()}; color: {p.on_accent.name()};"
        f" font-weight: 600; border: 1px solid {p.accent.darker(115).name()};"
        f" border-radius: 4px; padding: {SPACE_S}px {SPACE_M}px; }}",
        f"#startButton:disabled {{ background: {p.raised.name()}; color: {p.muted.name()};"
        f" border: 1px solid {p.border.name()}; }}",
        "#sliderValue { font-family: monospace; font-weight: bold; }",
        f"#controlsNote {{ color: {p.warn.name()}; font-style: italic; }}",
        f"#errorText {{ color: {p.bad.name()}; }}",
        f"#timelineBar {{ border: 1px solid transparent; border-radius: {RADIUS}px; }}",
        f"#timelineBar[viewing='true'] {{ background: {_rgba(p.faded(p.accent, 0.16))};"
        f" border: 1px solid {p.accent.name()}; }}",
        f"QTabBar::tab {{ padding: {SPACE_S + 2}px {SPACE_M + 6}px; color: {p.muted.name()};"
        f" background: transparent; border: none; border-bottom: 2px solid transparent; }}",
        f"QTabBar::tab:selected {{ color: {p.text.name()};"
        f" border-bottom: 2px solid {p.accent.name()}; }}",
        f"QTabBar::tab:hover {{ color: {p.text.name()}; }}",
        f"QToolTip {{ color: {p.text.name()}; background: {p.surface.name()};"
        f" border: 1px solid {p.border.name()}; }}",
    ]
    for level, (bg, border, text) in BANNERS[p.scheme].items():
        rules.append(
            f"#banner[level='{level}'] {{ background: {bg}; border: 1px solid {border};"
            f" border-radius: 4px; }}"
        )
        rules.append(f"#banner[level='{level}'] #bannerText {{ color: {text}; }}")
    return "\n".join(rules)


class Theme(QObject):
    """The application's theme: a choice ("system", "light", "dark") and what it resolves to."""

    changed = Signal(str)  # the scheme now applied: "light" or "dark"

    def __init__(self, app: QApplication, choice: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._choice = "system"
        self._applied = ""
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_changed)
        app.fontChanged.connect(self._on_font_changed)
        self.set_choice(choice)

    @classmethod
    def of(cls, app: QApplication) -> Theme:
        """The application's theme: the one made before, or a new one following the system."""
        found = app.findChild(Theme)
        return found if found is not None else cls(app)

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

    def _on_font_changed(self, _font: object) -> None:
        scheme, self._applied = self._applied, ""
        self._apply(scheme)  # sizes are steps of the desktop's font: everything again

    def _apply(self, scheme: str) -> None:
        if scheme == self._applied:
            return
        if self._app.style().name().lower() != "fusion":
            self._app.setStyle("Fusion")
        self._app.setPalette(palette_for(scheme))
        style.set_scheme(scheme)
        self._app.setStyleSheet(stylesheet(style.palette()))
        self._applied = scheme
        self.changed.emit(scheme)
