"""The engine of Backprop Studio: pure NumPy, no Qt.

``from core import NeuralNetwork`` gives the seed project's API; ``from core import
trace`` follows one example forward and backward through a model. Names are imported
lazily so that ``import core`` stays cheap for the window's start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "NeuralNetwork": "core.network",
    "MLP": "core.nn.model",
    "Config": "core.training.config",
    "Dataset": "core.data",
    "load_dataset": "core.data",
    "Trainer": "core.training.trainer",
    "TrainingControl": "core.training.control",
    "trace": "core.training.trace",
    "Trace": "core.training.trace",
    "evaluate_test_set": "core.training.robustness",
    "make_it_read_as": "core.training.adversarial",
    "BackpropError": "core.errors",
    "ConfigError": "core.errors",
    "DataError": "core.errors",
    "DatasetUnavailable": "core.errors",
    "CheckpointError": "core.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
