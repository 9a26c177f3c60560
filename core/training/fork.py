"""Forking a run: a new run that continues from a recorded moment, with changed settings.

The new run starts from the moment's exact state (parameters, optimiser state,
step count, live settings, and inside an epoch the position in the epoch's order
and the generators' states), so with no change it repeats the original run from
there bit for bit, as long as the original took no live change after that moment
(and did not diverge after it: the copies a divergence restores are taken on each
run's own schedule, so the two may fall back to different steps). Its history and
changes are the original's up to the moment, so its curves continue the
original's; ``branch`` records where it came from.

What a fork may change (:data:`FORKABLE`):

- ``learning_rate``, ``momentum``, ``schedule``, ``min_lr_ratio``, ``epochs``,
  ``batch_size``, ``augment``, ``data_path``: from the next batch, as live changes are;
- ``optimizer``: a different optimiser starts with empty state (no velocity or
  moment estimates carry over between kinds); the same one keeps its state;
- ``hidden``: widths of the existing hidden layers, through ``resize_hidden`` (widened,
  the network computes the same function at the moment of the fork; narrowed, it
  keeps the units the next layer listens to most); new units' incoming weights are
  drawn from a generator seeded by ``(seed, step)``;
- ``l2`` and ``dropout``.

The activation, initialisation, dtype, dataset, validation split and seed define
the model's function or its data, so they stay.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ConfigError
from core.nn.optim import make_optimizer
from core.training import schedules
from core.training.config import Config
from core.training.timeline import RecordedState, json_value

if TYPE_CHECKING:
    from core.data import Dataset
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer

FORKABLE = (
    "learning_rate",
    "momentum",
    "schedule",
    "min_lr_ratio",
    "epochs",
    "batch_size",
    "augment",
    "data_path",
    "optimizer",
    "hidden",
    "l2",
    "dropout",
)
#: Settings whose change moves the learning rate of the epoch under way.
_RATE_SETTINGS = ("learning_rate", "schedule", "min_lr_ratio", "epochs")


def forked_config(state: RecordedState, changes: Mapping[str, Any]) -> Config:
    """The moment's config with ``changes`` applied, each checked; refuses what a fork keeps."""
    fixed = sorted(set(changes) - set(FORKABLE))
    if fixed:
        raise ConfigError(
            f"fork: {', '.join(fixed)} cannot change in a fork (they define the model's "
            f"function or its data); a fork may change {', '.join(FORKABLE)}"
        )
    old = state.config
    config = old.replace(**changes)
    if len(config.hidden) != len(old.hidden):
        raise ConfigError(
            f"hidden: a fork keeps the network's {len(old.hidden)} hidden layer(s); "
            "their widths may change"
        )
    m = state.moment
    if config.epochs <= m.epoch:
        raise ConfigError(
            f"epochs: {config.epochs} in all leaves nothing to train from the moment forked "
            f"({m.label}); epochs counts the epochs before the fork too"
        )
    return config


def fork(
    state: RecordedState,
    dataset: Dataset,
    control: TrainingControl | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    source: str | os.PathLike | None = None,
    **options: Any,
) -> Trainer:
    """A Trainer that continues from ``state`` with ``changes`` (Config field -> value).

    ``source`` is the folder of the run forked, kept in :attr:`Trainer.branch` with
    the moment and what changed. ``options`` go to the Trainer (``snapshots``,
    ``timeline``). ``dataset`` must be the one the state was recorded on.
    """
    from core.training.trainer import Trainer

    config = forked_config(state, dict(changes or {}))
    old, m = state.config, state.moment
    if len(dataset.y_train) != state.n_train:
        raise ConfigError(
            f"dataset: {dataset.name!r} has {len(dataset.y_train)} training samples; the run "
            f"was recorded on {state.n_train}: a fork needs the same data and split"
        )
    changed = {
        name: (getattr(old, name), getattr(config, name))
        for name in FORKABLE
        if getattr(old, name) != getattr(config, name)
    }
    model = state.model()
    model.dropout, model.l2 = config.dropout, config.l2
    if config.optimizer == state.optimizer_name:
        optimizer = state.optimizer(model.params, config)
    else:  # another kind of optimiser: its state has no meaning for this one
        optimizer = make_optimizer(
            config.optimizer, model.params, config.learning_rate, config.momentum
        )
    if "hidden" in changed:  # the epoch's own generators are set when training starts
        model.rng = np.random.default_rng([config.seed, m.step, 3])
        for layer, width in enumerate(config.hidden):
            if width != model.hidden[layer]:
                optimizer.remap(layer, model.resize_hidden(layer, width))
    position = state.position
    if position is not None:
        rate = position.learning_rate
        if any(name in changed for name in _RATE_SETTINGS):
            rate = schedules.learning_rate(
                config.learning_rate,
                config.schedule,
                position.epoch,
                config.epochs,
                config.min_lr_ratio,
            )
        position = dataclasses.replace(position, learning_rate=rate, batch_size=config.batch_size)
    records = [
        {
            "epoch": m.epoch,
            "batch": m.batch,
            "step": m.step,
            "name": name,
            "old": json_value(before),
            "new": json_value(after),
        }
        for name, (before, after) in changed.items()
    ]
    branch = {
        "source": str(Path(source).resolve()) if source is not None else None,
        "moment": m.label,
        "kind": m.kind,
        "epoch": m.epoch,
        "batch": m.batch,
        "step": m.step,
        "changed": {name: [json_value(a), json_value(b)] for name, (a, b) in changed.items()},
    }
    return Trainer(
        config,
        dataset,
        control,
        model=model,
        optimizer=optimizer,
        history=state.history,
        changes=[*state.changes, *records],
        position=position,
        branch=branch,
        **options,
    )
