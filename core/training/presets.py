"""Named starting points: a few settings worth knowing, each with what it reaches.

A preset is a set of :class:`~core.training.config.Config` overrides plus a sentence saying
what it is for. ``preset_config("seed")`` is the seed project's own network and
settings on MNIST; the others trade time for accuracy. The figures in the
descriptions were measured on real MNIST (test set, 10,000 images) on a 2-core
machine; the README gives the commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError
from core.training.config import Config


@dataclass(frozen=True)
class Preset:
    """A named set of settings: ``overrides`` on top of the :class:`Config` defaults."""

    name: str
    description: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def config(self, **changes: Any) -> Config:
        """The preset's Config, with ``changes`` (e.g. ``data_path``) applied on top."""
        return Config.from_dict({**self.overrides, **changes})


_MNIST = {"dataset": "mnist"}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "seed",
            "The seed project's network and settings: 784-128-10, ReLU, plain SGD at "
            "0.1, batch 128, 20 epochs. About 97.6% test accuracy.",
            {
                **_MNIST,
                "hidden": (128,),
                "activation": "relu",
                "optimizer": "sgd",
                "learning_rate": 0.1,
                "schedule": "constant",
                "batch_size": 128,
                "epochs": 20,
            },
        ),
        Preset(
            "seed-adam",
            "The same 784-128-10 network with Adam, a cosine decay of the learning rate "
            "and light dropout: about 98.1% test accuracy in 30 epochs.",
            {
                **_MNIST,
                "hidden": (128,),
                "activation": "relu",
                "optimizer": "adam",
                "learning_rate": 0.001,
                "schedule": "cosine",
                "min_lr_ratio": 0.01,
                "dropout": 0.2,
                "batch_size": 128,
                "epochs": 30,
            },
        ),
        Preset(
            "wide",
            "Two hidden layers of 1024 with dropout, momentum and a cosine decay: "
            "about 98.6% test accuracy.",
            {
                **_MNIST,
                "hidden": (1024, 1024),
                "activation": "relu",
                "optimizer": "momentum",
                "learning_rate": 0.05,
                "momentum": 0.9,
                "schedule": "cosine",
                "min_lr_ratio": 0.01,
                "dropout": 0.3,
                "batch_size": 128,
                "epochs": 30,
            },
        ),
        Preset(
            "fast",
            "The quickest way past 97%: 784-256-10, momentum, big steps decaying over "
            "4 epochs; past 97% after the second epoch, 97.8% at the end.",
            {
                **_MNIST,
                "hidden": (256,),
                "activation": "relu",
                "optimizer": "momentum",
                "learning_rate": 0.1,
                "momentum": 0.9,
                "schedule": "cosine",
                "min_lr_ratio": 0.01,
                "batch_size": 128,
                "epochs": 4,
            },
        ),
        Preset(
            "best",
            "The most accurate MLP here: two hidden layers of 1024 with dropout, trained "
            "on randomly moved, turned and bent digits (augment 'affine'): above 99% test "
            "accuracy from epoch 11 on, 99.35% at the end.",
            {
                **_MNIST,
                "hidden": (1024, 1024),
                "activation": "relu",
                "optimizer": "momentum",
                "learning_rate": 0.05,
                "momentum": 0.9,
                "schedule": "cosine",
                "min_lr_ratio": 0.01,
                "dropout": 0.2,
                "augment": "affine",
                "batch_size": 128,
                "epochs": 40,
            },
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name is a ConfigError listing the known ones."""
    key = name.strip().lower().replace("_", "-")
    if key not in PRESETS:
        raise ConfigError(f"preset: {name!r} is not known; choose one of {', '.join(PRESETS)}")
    return PRESETS[key]


def preset_config(name: str, **changes: Any) -> Config:
    """The Config of preset ``name`` with ``changes`` applied on top."""
    return get_preset(name).config(**changes)


def default_config() -> Config:
    """What a run is when nothing is chosen: the seed preset (784-128-10, SGD 0.1 on MNIST).

    The command line, the window's first launch and the settings file's fallbacks
    all start here, so the defaults are written once.
    """
    return PRESETS["seed"].config()
