"""One validated description of a training run.

The command line, the window and the library all build a :class:`Config`; it checks
every field when it is made, so a bad value is refused at the door with a message
that names the field, the value and what is allowed, instead of failing deep inside
the training loop.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.data.catalog import COLOURS, MAX_IMAGE_SIDE
from core.errors import ConfigError

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
INITS = ("auto", "he", "xavier")
SCHEDULES = ("constant", "cosine", "step")
AUGMENTATIONS = ("none", "shift", "affine")
DTYPES = ("float32", "float64")


def _num(lo: float, hi: float, *, integer: bool = False, lo_open: bool = False) -> dict:
    return {"range": (lo, hi), "integer": integer, "lo_open": lo_open}


def _choice(options: tuple[str, ...]) -> dict:
    return {"choices": options}


@dataclass(frozen=True)
class Config:
    """Everything that defines a run: data, architecture, optimisation, seed.

    ``hidden`` lists the hidden layer widths, so ``(128,)`` is the seed's
    784-128-10 network and ``(512, 256)`` a deeper one. ``depth`` is ``len(hidden)``.
    ``image_size`` (a square side, 0 for the images' own size) and ``colour`` say what
    the images of an image-folder dataset become; other datasets ignore them.
    """

    dataset: str = field(default="digits", metadata={"doc": "dataset name or folder"})
    data_path: str | None = field(default=None, metadata={"doc": "explicit data folder"})
    val_fraction: float = field(default=1 / 12, metadata=_num(0.0, 0.5, lo_open=True))
    image_size: int = field(default=0, metadata=_num(0, MAX_IMAGE_SIDE, integer=True))
    colour: str = field(default="auto", metadata=_choice(COLOURS))
    hidden: tuple[int, ...] = field(default=(128,), metadata=_num(1, 8192, integer=True))
    activation: str = field(default="relu", metadata=_choice(ACTIVATIONS))
    init: str = field(default="auto", metadata=_choice(INITS))
    optimizer: str = field(default="sgd", metadata=_choice(OPTIMIZERS))
    learning_rate: float = field(default=0.1, metadata=_num(0.0, 100.0, lo_open=True))
    momentum: float = field(default=0.9, metadata=_num(0.0, 0.999))
    schedule: str = field(default="constant", metadata=_choice(SCHEDULES))
    min_lr_ratio: float = field(default=0.01, metadata=_num(0.0, 1.0))
    batch_size: int = field(default=128, metadata=_num(1, 65536, integer=True))
    epochs: int = field(default=20, metadata=_num(1, 100000, integer=True))
    l2: float = field(default=0.0, metadata=_num(0.0, 1.0))
    dropout: float = field(default=0.0, metadata=_num(0.0, 0.95))
    augment: str = field(default="none", metadata=_choice(AUGMENTATIONS))
    seed: int = field(default=0, metadata=_num(0, 2**32 - 1, integer=True))
    dtype: str = field(default="float32", metadata=_choice(DTYPES))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        if not isinstance(self.dataset, str) or not self.dataset.strip():
            raise ConfigError(f"dataset: {self.dataset!r} is not a dataset name or folder")
        if self.data_path is not None and not isinstance(self.data_path, str):
            raise ConfigError(f"data_path: {self.data_path!r} is not a path")
        if len(self.hidden) > 8:
            raise ConfigError(f"hidden: {len(self.hidden)} hidden layers; allowed 0 to 8")

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed, validated like a new one."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly values (tuples become lists)."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Config:
        """Build from typed values (as :meth:`to_dict` gives); unknown keys are refused."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(map(str, unknown)))}")
        kw = dict(values)
        if "hidden" in kw:
            kw["hidden"] = _as_hidden(kw["hidden"])
        return cls(**kw)

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> Config:
        """Build from text, as typed on a command line or read from a settings file."""
        kw: dict[str, Any] = {}
        types = {f.name: f for f in dataclasses.fields(cls)}
        for name, text in values.items():
            if name not in types:
                raise ConfigError(f"unknown setting: {name!r}")
            kw[name] = _parse(types[name], text)
        return cls.from_dict(kw)

    @staticmethod
    def field_range(name: str) -> tuple[float, float]:
        """The allowed (low, high) of a numeric field, for sliders and messages."""
        for f in dataclasses.fields(Config):
            if f.name == name and "range" in f.metadata:
                return f.metadata["range"]
        raise ConfigError(f"{name!r} is not a numeric setting")

    @staticmethod
    def check_value(name: str, value: Any) -> Any:
        """Validate one field's value on its own (used for live changes)."""
        for f in dataclasses.fields(Config):
            if f.name == name:
                if name == "hidden":
                    value = _as_hidden(value)
                _check(f, value)
                return value
        raise ConfigError(f"unknown setting: {name!r}")


def _as_hidden(value: Any) -> tuple[int, ...]:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        raise ConfigError(f"hidden: {value!r} is not a list of layer widths") from None


def _describe(meta: Mapping[str, Any]) -> str:
    lo, hi = meta["range"]
    left = "(" if meta.get("lo_open") else "["
    kind = "an integer" if meta.get("integer") else "a number"
    return f"{kind} in {left}{lo:g}, {hi:g}]"


def _check(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    if "choices" in meta:
        if value not in meta["choices"]:
            raise ConfigError(
                f"{f.name}: {value!r} is not allowed; choose one of {', '.join(meta['choices'])}"
            )
        return
    if "range" not in meta:
        return
    values = value if f.name == "hidden" else (value,)
    if f.name == "hidden" and not isinstance(value, tuple):
        raise ConfigError(f"hidden: {value!r} is not a tuple of layer widths")
    for v in values:
        if not _is_number(v, integer=bool(meta.get("integer"))):
            raise ConfigError(f"{f.name}: {v!r} is not {_describe(meta)}")
        lo, hi = meta["range"]
        below = v <= lo if meta.get("lo_open") else v < lo
        if below or v > hi:
            raise ConfigError(f"{f.name}: {v!r} is out of range; allowed {_describe(meta)}")


def _is_number(v: Any, *, integer: bool) -> bool:
    if isinstance(v, bool):
        return False
    if integer:
        return isinstance(v, (int, np.integer))
    if not isinstance(v, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an int too large for any float (JSON allows one)
        return False


def _parse(f: dataclasses.Field, text: str) -> Any:
    if not isinstance(text, str):
        raise ConfigError(f"{f.name}: {text!r} is not text")
    text = text.strip()
    meta = f.metadata
    try:
        if f.name == "hidden":
            parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
            if not parts:
                return ()
            return tuple(int(p) for p in parts)
        if f.name == "data_path":
            return text or None
        if "choices" in meta or f.name == "dataset":
            return text.lower().replace("-", "_") if "choices" in meta else text
        if meta.get("integer"):
            return int(text)
        return float(text)
    except ValueError:
        kind = _describe(meta) if "range" in meta else "a valid value"
        raise ConfigError(f"{f.name}: {text!r} is not {kind}") from None
