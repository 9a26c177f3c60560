"""Guards on the training step that need no stopwatch.

The step must stay float32 from end to end (a float64 intermediate turns the big
products into double precision at half the speed) and must not allocate anything
the size of the dataset (a silent full copy per batch or per epoch).
"""

from __future__ import annotations

import tracemalloc
import types

import numpy as np
import pytest

import core.nn.activations
import core.nn.batches
import core.nn.losses
import core.nn.model
import core.nn.optim
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer

HOT_MODULES = (core.nn.model, core.nn.losses, core.nn.optim, core.nn.activations, core.nn.batches)


class _Spy:
    """Stands in for ``numpy`` inside a module and records every float64 array made."""

    def __init__(self, target, seen: list[str], name: str = "np") -> None:
        self._target, self._seen, self._name = target, seen, name

    def __getattr__(self, attr: str):
        value = getattr(self._target, attr)
        if isinstance(value, (type, types.ModuleType)) or not callable(value):
            return value
        return _Spy(value, self._seen, f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        out = self._target(*args, **kwargs)
        for a in out if isinstance(out, tuple) else (out,):
            if isinstance(a, np.ndarray) and a.dtype == np.float64:
                self._seen.append(f"{self._name} -> float64 {a.shape}")
        return out


@pytest.fixture
def float64_made(monkeypatch):
    seen: list[str] = []
    for module in HOT_MODULES:
        monkeypatch.setattr(module, "np", _Spy(np, seen))
    return seen


SETTINGS = [
    dict(optimizer="sgd"),
    dict(optimizer="momentum", l2=1e-4),
    dict(optimizer="nesterov", activation="leaky_relu"),
    dict(optimizer="rmsprop", activation="sigmoid", dropout=0.2),
    dict(optimizer="adam", activation="tanh", dropout=0.5, l2=1e-4),
]


def _run(setting: dict, n: int = 600, d: int = 200, hidden=(160, 48), batch: int = 128):
    opt_name = setting.get("optimizer", "sgd")
    model_kw = {k: v for k, v in setting.items() if k != "optimizer"}
    rng = np.random.default_rng(0)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, 10, n)
    model = MLP((d, *hidden, 10), seed=0, **model_kw)
    opt = make_optimizer(opt_name, model.params, 0.01)
    sampler = BatchSampler(X, y, batch, np.random.default_rng(1))
    return model, opt, sampler


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_step_makes_no_float64_array(setting, float64_made):
    model, opt, sampler = _run(setting)
    losses = [train_step(model, opt, Xb, yb) for Xb, yb in sampler.epoch()]
    assert float64_made == []
    assert all(isinstance(v, float) and np.isfinite(v) for v in losses)
    kept = list(model.params) + [a for arrays in opt.state.values() for a in arrays]
    for ws in model._workspaces.values():
        kept += ws.Z + ws.dA + ws.A + ws.mask + ws.db
    assert kept and all(a.dtype == np.float32 for a in kept)


def test_the_spy_sees_an_upcast(float64_made):
    """The guard itself: a float64 product inside the hot modules is caught."""
    core.nn.model.np.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float64))
    assert float64_made and "float64" in float64_made[0]


@pytest.mark.parametrize("setting", [SETTINGS[0], SETTINGS[-1]])
def test_an_epoch_allocates_nothing_the_size_of_the_data(setting):
    model, opt, sampler = _run(setting, n=8192, d=256, hidden=(64,))
    for Xb, yb in sampler.epoch():  # first epoch: buffers are made once
        train_step(model, opt, Xb, yb)
    tracemalloc.start()
    try:
        for Xb, yb in sampler.epoch():
            train_step(model, opt, Xb, yb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    data_bytes = sampler.X.nbytes
    assert peak < data_bytes / 40, f"peak {peak} bytes for {data_bytes} bytes of data"
    if setting["optimizer"] == "sgd":
        # Plain SGD allocates less than one batch of inputs (the permutation of
        # the epoch is the largest thing made).
        assert peak < 128 * 256 * 4


def test_parameters_are_updated_in_place():
    model, opt, sampler = _run(SETTINGS[1])
    addresses = [p.ctypes.data for p in model.params]
    before = [p.copy() for p in model.params]
    for Xb, yb in sampler.epoch():
        train_step(model, opt, Xb, yb)
    assert [p.ctypes.data for p in model.params] == addresses
    assert all(np.any(p != b) for p, b in zip(model.params, before, strict=True))
