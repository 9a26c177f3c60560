"""Fixtures for the window tests: a real studio window on the bundled digits."""

from __future__ import annotations

import pytest

from core.config import Config
from tests.gui._window import window_config


@pytest.fixture
def make_window(qtbot, monkeypatch, tmp_path):
    """Build a MainWindow; every one made is closed (threads finished) after the test."""
    from gui.main_window import MainWindow

    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    made = []

    def make(config: Config | None = None, **kwargs) -> MainWindow:
        w = MainWindow(config or window_config(), **kwargs)
        w.on_unsaved_close = "discard"
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.on_unsaved_close = "discard"
        w.close()
        qtbot.waitUntil(lambda w=w: not w.isVisible() and not w.training, timeout=10_000)


@pytest.fixture
def window(make_window):
    """A window on the bundled digits with the dataset already loading."""
    return make_window()
