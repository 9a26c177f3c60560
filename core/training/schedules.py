"""Learning-rate schedules: the rate for each epoch, from a base rate.

A schedule is a factor in (0, 1] per epoch that multiplies the base rate, so a
live change of the rate can rescale the base and keep the schedule's shape:
``base = new_rate / factor(epoch)`` makes the current epoch run at exactly the
rate a person asked for.

- ``constant``: factor 1.
- ``cosine``: from 1 at epoch 0 down towards ``min_lr_ratio`` at the last epoch,
  along half a cosine.
- ``step``: a tenth at half the run and a hundredth at three quarters, never
  below ``min_lr_ratio``.
"""

from __future__ import annotations

import math

from core.errors import ConfigError
from core.training.config import SCHEDULES

#: The smallest factor a schedule returns, so ``new_rate / factor`` stays finite.
MIN_FACTOR = 1e-6


def lr_factor(schedule: str, epoch: int, epochs: int, min_lr_ratio: float) -> float:
    """The multiplier of the base rate at ``epoch`` (0-based) of a run of ``epochs``."""
    if schedule not in SCHEDULES:
        raise ConfigError(
            f"schedule: {schedule!r} is not allowed; choose one of {', '.join(SCHEDULES)}"
        )
    epochs = max(int(epochs), 1)
    epoch = min(max(int(epoch), 0), epochs - 1)
    if schedule == "constant":
        factor = 1.0
    elif schedule == "cosine":
        progress = epoch / (epochs - 1) if epochs > 1 else 0.0
        factor = min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        drops = (epoch >= max(1, epochs // 2)) + (epoch >= max(2, (3 * epochs) // 4))
        factor = max(min_lr_ratio, 0.1**drops) if drops else 1.0
    return max(factor, MIN_FACTOR)


def learning_rate(
    base: float, schedule: str, epoch: int, epochs: int, min_lr_ratio: float
) -> float:
    """The learning rate for ``epoch``: ``base * lr_factor(...)``."""
    return base * lr_factor(schedule, epoch, epochs, min_lr_ratio)
