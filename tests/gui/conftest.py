"""Fixtures for the window tests: a real studio window on the bundled digits."""

from __future__ import annotations

import pytest

from tests.gui._window import open_windows, window_config


@pytest.fixture
def make_window(qtbot, monkeypatch, tmp_path):
    """Build a MainWindow; every one made is closed (threads finished) after the test."""
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    with open_windows(qtbot, window_config(), close_timeout_ms=10_000) as make:
        yield make


@pytest.fixture
def window(make_window):
    """A window on the bundled digits with the dataset already loading."""
    return make_window()
