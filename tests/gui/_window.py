"""Settings for window and worker tests: quick runs on the bundled digits."""

from __future__ import annotations

from core.config import Config


def window_config(**changes) -> Config:
    """Small and quick: the 8x8 digits, a narrow network, many epochs (stopped by the test)."""
    base = Config(dataset="digits", hidden=(32,), learning_rate=0.1, batch_size=8,
                  epochs=10_000, seed=0)
    return base.replace(**changes)
