"""Settings for window and worker tests: quick runs on the bundled digits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from core.training.config import Config


def window_config(**changes) -> Config:
    """Small and quick: the 8x8 digits, a narrow network, many epochs (stopped by the test)."""
    base = Config(
        dataset="digits", hidden=(32,), learning_rate=0.1, batch_size=8, epochs=10_000, seed=0
    )
    return base.replace(**changes)


@contextmanager
def open_windows(qtbot, default: Config, close_timeout_ms: int) -> Iterator[Callable[..., Any]]:
    """A factory of shown 1280x800 studio windows; each is closed, threads ended, on exit."""
    from gui.main_window import MainWindow

    made = []

    def make(config: Config | None = None, **kwargs) -> MainWindow:
        w = MainWindow(config or default, **kwargs)
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
        qtbot.waitUntil(lambda w=w: not w.isVisible() and not w.training, timeout=close_timeout_ms)
