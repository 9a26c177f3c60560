"""Themes: palettes for the whole application, plots recoloured with them."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from core.errors import SettingsError
from gui.shared import style
from gui.shared.style import contrast
from gui.shared.theme import Theme, palette_for, system_scheme


def lightness(colour) -> float:
    return colour.lightnessF()


@pytest.fixture
def theme(qtbot):
    app = QApplication.instance()
    before = app.palette()
    fg = pg.getConfigOption("foreground")
    bg = pg.getConfigOption("background")
    sheet = app.styleSheet()
    t = Theme(app, "light")
    yield t
    style.set_scheme("light")
    app.setStyleSheet(sheet)
    app.setPalette(before)
    pg.setConfigOption("foreground", fg)
    pg.setConfigOption("background", bg)
    t.deleteLater()


def test_dark_and_light_palettes_read_well():
    for scheme in ("light", "dark"):
        pal = palette_for(scheme)
        text, window = pal.color(QPalette.ColorRole.Text), pal.color(QPalette.ColorRole.Base)
        assert abs(lightness(text) - lightness(window)) > 0.6  # high contrast either way
    assert lightness(palette_for("dark").color(QPalette.ColorRole.Window)) < 0.3
    assert lightness(palette_for("light").color(QPalette.ColorRole.Window)) > 0.7


def test_toggle_recolours_the_application_and_open_plots(theme, qtbot):
    plot = pg.PlotWidget(title="loss")
    style.style_view(plot, "Loss")  # as every view of the studio does
    qtbot.addWidget(plot)
    plot.show()
    axis = plot.getPlotItem().getAxis("left")
    seen = []
    theme.changed.connect(seen.append)
    theme.toggle()
    assert theme.scheme == "dark" and theme.choice == "dark" and seen == ["dark"]
    app = QApplication.instance()
    assert lightness(app.palette().color(QPalette.ColorRole.Window)) < 0.3
    background = plot.backgroundBrush().color()
    assert lightness(background) < 0.3 and lightness(axis.textPen().color()) > 0.5
    assert contrast(axis.textPen().color(), background) >= 4.5
    assert style.palette().text.name() in plot.getPlotItem().titleLabel.item.toHtml().lower()
    theme.toggle()
    assert theme.scheme == "light" and lightness(axis.textPen().color()) < 0.4
    assert contrast(axis.textPen().color(), plot.backgroundBrush().color()) >= 4.5


def test_system_choice_follows_the_platform(theme):
    theme.set_choice("system")
    assert theme.scheme == system_scheme()
    with pytest.raises(SettingsError, match="theme"):
        theme.set_choice("neon")
