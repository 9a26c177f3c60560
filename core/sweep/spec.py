"""What a sweep runs: the swept settings, their values, and the trials they make.

An :class:`Axis` is the values one setting takes (a list, or a range for a random
search); a :class:`SweepSpec` combines axes, seeds and a base configuration into
:class:`Trial` values, each a full configuration identified by a hash, so a resumed
sweep recognises what it has already done.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.sweep.results import LABELS, SETTING_NAMES, format_value
from core.training.config import Config

INTEGER_SETTINGS = ("hidden", "depth", "batch_size")
#: Most trials one sweep may plan. Far beyond any sweep worth running (at a second a
#: trial it is more than a day), and small enough to list and check in a moment:
#: a count past it is a slip of the keyboard, refused before anything is drawn.
MAX_TRIALS = 100_000
#: Settings sampled on a log scale in a random search (their effect is multiplicative).
LOG_SCALE = ("learning_rate", "hidden", "batch_size")


@dataclass(frozen=True)
class Axis:
    """The values one setting takes in a sweep: a list, or a ``[low, high]`` range.

    A range only makes sense for a random search, which samples it (log-uniformly
    for the learning rate, hidden width and batch size; uniformly otherwise).
    """

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @classmethod
    def parse(cls, name: str, text: str) -> Axis:
        """``"0.01,0.03,0.1"`` (a list) or ``"1e-3:1e-1"`` (a range), checked per value."""
        text = text.strip()
        if ":" in text:
            if name == "optimizer":
                raise ConfigError(f"{name}: {text!r}: a range needs numbers; list the choices")
            lo_text, _, hi_text = text.partition(":")
            lo, hi = _setting_value(name, lo_text), _setting_value(name, hi_text)
            if not lo < hi:
                raise ConfigError(f"{name}: range {text!r} needs low < high")
            return cls(name, low=lo, high=hi)
        parts = [p for p in text.split(",") if p.strip()]
        if not parts:
            raise ConfigError(f"{name}: no values given")
        values = tuple(dict.fromkeys(_setting_value(name, p) for p in parts))
        return cls(name, values=values)

    def sample(self, rng: np.random.Generator) -> Any:
        """One value for a random search."""
        if not self.is_range:
            return self.values[int(rng.integers(len(self.values)))]
        assert self.low is not None and self.high is not None  # a range has both ends
        lo, hi = float(self.low), float(self.high)
        if self.name in LOG_SCALE:
            x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        else:
            x = rng.uniform(lo, hi)
        if self.name in INTEGER_SETTINGS:
            return int(min(max(round(x), lo), hi))
        return float(f"{x:.3g}")


def _setting_value(name: str, text: str) -> Any:
    """One value of a swept setting from text, validated against Config's ranges."""
    text = text.strip()
    try:
        if name == "optimizer":
            value: Any = text.lower()
        elif name in INTEGER_SETTINGS:
            value = int(text)
        else:
            value = float(text)
    except ValueError:
        kind = "an integer" if name in INTEGER_SETTINGS else "a number"
        raise ConfigError(f"{name}: {text!r} is not {kind}") from None
    if name == "hidden":
        Config.check_value("hidden", (value,))
    elif name == "depth":
        if not 0 <= value <= 8:
            raise ConfigError(f"depth: {value} is out of range; allowed 0 to 8 hidden layers")
    else:
        Config.check_value(name, value)
    return value


def _setting_of(config: Config) -> dict[str, Any]:
    return {
        "learning_rate": config.learning_rate,
        "hidden": config.hidden[0] if config.hidden else 128,
        "depth": config.depth,
        "batch_size": config.batch_size,
        "optimizer": config.optimizer,
        "dropout": config.dropout,
    }


def _config_for(base: Config, setting: dict[str, Any], seed: int) -> Config:
    return base.replace(
        learning_rate=setting["learning_rate"],
        hidden=(setting["hidden"],) * setting["depth"],
        batch_size=setting["batch_size"],
        optimizer=setting["optimizer"],
        dropout=setting["dropout"],
        seed=seed,
    )


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: a setting, a seed and the full configuration they make.

    ``key`` identifies the run (a hash of its configuration and data split), so a
    resumed sweep recognises a trial it has already done, whatever order it comes in.
    """

    setting: dict[str, Any]
    seed: int
    config: dict[str, Any]
    data_seed: int = 0
    key: str = field(init=False)

    def __post_init__(self) -> None:
        text = json.dumps([self.config, self.data_seed], sort_keys=True)
        object.__setattr__(self, "key", hashlib.sha1(text.encode()).hexdigest()[:16])

    def describe(self) -> str:
        parts = [f"{LABELS[n]}={format_value(self.setting[n])}" for n in SETTING_NAMES]
        return " ".join(parts) + f" seed={self.seed}"


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: a base configuration, the axes, the seeds and how to search.

    ``search="grid"`` runs every combination of the axes' values; ``"random"`` draws
    ``trials`` distinct settings (reproducibly, from ``search_seed``). Every setting
    runs once per seed. Settings not on an axis keep the base configuration's value.
    """

    base: Config = field(default_factory=Config)
    axes: tuple[Axis, ...] = ()
    seeds: tuple[int, ...] = (0,)
    search: str = "grid"
    trials: int = 10
    search_seed: int = 0
    data_seed: int = 0

    def __post_init__(self) -> None:
        if self.search not in ("grid", "random"):
            raise ConfigError(f"search: {self.search!r} is not allowed; choose grid or random")
        if not self.seeds:
            raise ConfigError("seeds: at least one seed is needed")
        names = [a.name for a in self.axes]
        unknown = set(names) - set(SETTING_NAMES)
        if unknown:
            raise ConfigError(f"unknown swept setting(s): {', '.join(sorted(unknown))}")
        if len(set(names)) != len(names):
            raise ConfigError("a setting is swept twice")
        if self.search == "grid":
            ranged = [a.name for a in self.axes if a.is_range]
            if ranged:
                raise ConfigError(
                    f"{', '.join(ranged)}: a grid needs lists of values; "
                    "ranges (low:high) are for --search random"
                )
        elif self.trials < 1:
            raise ConfigError(f"trials: {self.trials} must be at least 1")
        planned = self.n_settings() * len(self.seeds)
        if planned > MAX_TRIALS:
            raise ConfigError(
                f"a sweep of {planned:,} trials ({self.n_settings():,} setting(s) x "
                f"{len(self.seeds):,} seed(s)); at most {MAX_TRIALS:,}: sweep fewer values"
            )
        for seed in self.seeds:
            Config.check_value("seed", seed)

    def n_settings(self) -> int:
        """How many settings :meth:`settings` gives at most, worked out without listing them."""
        if self.search == "random":
            return self.trials
        return math.prod(len(a.values) for a in self.axes)

    @property
    def swept(self) -> list[str]:
        """Settings that take more than one value."""
        return [a.name for a in self.axes if a.is_range or len(a.values) > 1]

    def settings(self) -> list[dict[str, Any]]:
        """The distinct settings to try, in a stable order."""
        default = _setting_of(self.base)
        if self.search == "grid":
            combos = itertools.product(*(a.values for a in self.axes))
            return [
                default | dict(zip([a.name for a in self.axes], c, strict=True)) for c in combos
            ]
        rng = np.random.default_rng(self.search_seed)
        seen: dict[str, dict[str, Any]] = {}
        # Lists alone allow only so many distinct settings: stop once all are drawn.
        wanted = self.trials
        if not any(a.is_range for a in self.axes):
            wanted = min(wanted, math.prod(len(a.values) for a in self.axes))
        for _ in range(self.trials * 50):
            if len(seen) == wanted:
                break
            setting = default | {a.name: a.sample(rng) for a in self.axes}
            seen.setdefault(json.dumps(setting, sort_keys=True), setting)
        return list(seen.values())

    def expand(self) -> list[Trial]:
        """Every trial of the sweep: each setting once per seed.

        Settings that make the same run (any hidden width with no hidden layer)
        are one trial, not several.
        """
        trials: dict[str, Trial] = {}
        for setting in self.settings():
            for seed in self.seeds:
                config = _config_for(self.base, setting, seed).to_dict()
                trial = Trial(setting, seed, config, self.data_seed)
                trials.setdefault(trial.key, trial)
        return list(trials.values())
