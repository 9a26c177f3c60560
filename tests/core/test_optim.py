"""Optimisers against updates worked out by hand, and their state across a resize."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.errors import ConfigError
from core.nn.blas import add_outer
from core.nn.model import MLP
from core.nn.optim import OPTIMIZERS, make_optimizer

P0 = [1.0, -2.0]
G = [0.5, 0.1]


def _two_steps(name: str, lr: float = 0.1, momentum: float = 0.9) -> np.ndarray:
    p = np.array(P0, dtype=np.float64)
    opt = make_optimizer(name, [p], lr, momentum)
    for _ in range(2):
        opt.step([p], [np.array(G, dtype=np.float64)])
    return p


def test_sgd():
    # p - lr g, twice
    np.testing.assert_allclose(_two_steps("sgd"), [1.0 - 2 * 0.05, -2.0 - 2 * 0.01])


def test_momentum():
    # v1 = -0.05, p1 = 0.95; v2 = 0.9 * -0.05 - 0.05 = -0.095, p2 = 0.855
    # v1 = -0.01, p1 = -2.01; v2 = -0.019, p2 = -2.029
    np.testing.assert_allclose(_two_steps("momentum"), [0.855, -2.029])


def test_nesterov():
    # p += mu * v_new - lr g.  x: v1 = -0.05, p1 = 1 - 0.045 - 0.05 = 0.905;
    # v2 = -0.095, p2 = 0.905 - 0.0855 - 0.05 = 0.7695
    # y: v1 = -0.01, p1 = -2.019; v2 = -0.019, p2 = -2.019 - 0.0171 - 0.01 = -2.0461
    np.testing.assert_allclose(_two_steps("nesterov"), [0.7695, -2.0461])


def test_rmsprop():
    rho, eps, lr = 0.9, 1e-8, 0.1
    expected = []
    for p, g in zip(P0, G, strict=True):
        s = 0.0
        for _ in range(2):
            s = rho * s + (1 - rho) * g * g
            p -= lr * g / (math.sqrt(s) + eps)
        expected.append(p)
    np.testing.assert_allclose(_two_steps("rmsprop"), expected, rtol=1e-12)


def test_adam_first_step_moves_each_parameter_by_lr():
    # After bias correction m_hat / sqrt(v_hat) = g / |g| on the first step.
    p = np.array(P0)
    make_optimizer("adam", [p], 0.1).step([p], [np.array(G)])
    np.testing.assert_allclose(p, [0.9, -2.1], rtol=1e-5)


def test_adam_second_step():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    expected = []
    for p, g in zip(P0, G, strict=True):
        m = v = 0.0
        for t in (1, 2):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            step = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            p -= step * m / (math.sqrt(v) + eps)
        expected.append(p)
    np.testing.assert_allclose(_two_steps("adam"), expected, rtol=1e-12)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_learning_rate_is_mutable(name):
    p = np.array(P0)
    opt = make_optimizer(name, [p], 0.1)
    opt.learning_rate = 0.0 + 1e-12
    opt.step([p], [np.array(G)])
    np.testing.assert_allclose(p, P0, atol=1e-9)
    opt.learning_rate = 0.5
    opt.step([p], [np.array(G)])
    assert np.all(np.abs(p - P0) > 1e-3)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("l2", [0.0, 1e-3])
def test_layer_updates_equal_a_step_on_the_full_gradient(name, l2):
    """update_weight/update (the training loop's path) give the same step as step()."""
    rng = np.random.default_rng(0)
    A, dZ = rng.normal(size=(16, 5)), rng.normal(size=(16, 3))
    W1, b1 = rng.normal(size=(5, 3)), rng.normal(size=3)
    W2, b2 = W1.copy(), b1.copy()
    o1 = make_optimizer(name, [W1, b1], 0.05)
    o2 = make_optimizer(name, [W2, b2], 0.05)
    for _ in range(3):
        o1.step([W1, b1], [A.T @ dZ + l2 * W1, dZ.sum(axis=0)])
        o2.begin_step()
        o2.update_weight(0, W2, A, dZ, l2)
        o2.update(1, b2, dZ.sum(axis=0))
    np.testing.assert_allclose(W2, W1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b2, b1, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_outer_accumulates_in_place(dtype):
    rng = np.random.default_rng(1)
    C = rng.normal(size=(7, 4)).astype(dtype)
    A, B = rng.normal(size=(5, 7)).astype(dtype), rng.normal(size=(5, 4)).astype(dtype)
    expected = C + np.asarray(-0.3, dtype) * (A.T @ B)
    before = C.ctypes.data
    add_outer(C, A, B, -0.3)
    assert C.ctypes.data == before and C.dtype == dtype
    np.testing.assert_allclose(C, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_add_outer_handles_non_contiguous_factors():
    rng = np.random.default_rng(2)
    C = rng.normal(size=(7, 4))
    A, B = rng.normal(size=(7, 5)).T, rng.normal(size=(5, 8))[:, ::2]
    expected = C + 2.0 * (A.T @ B)
    add_outer(C, A, B, 2.0)
    np.testing.assert_allclose(C, expected, rtol=1e-12)


def test_add_outer_with_swapped_byte_order_is_right():
    """BLAS reads native byte order: other orders must go through NumPy."""
    rng = np.random.default_rng(3)
    swapped = np.dtype(np.float32).newbyteorder()
    C = rng.normal(size=(160, 128)).astype(swapped)  # big enough for the direct BLAS call
    A, B = rng.normal(size=(24, 160)).astype(swapped), rng.normal(size=(24, 128)).astype(swapped)
    expected = C.astype(np.float64) - 0.5 * (A.astype(np.float64).T @ B.astype(np.float64))
    add_outer(C, A, B, -0.5)
    np.testing.assert_allclose(C, expected, rtol=1e-4, atol=1e-4)


# Large enough (k * n >= 16384) for the direct BLAS call, where the platform has it.
K, N, M = 160, 128, 24


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["c-ordered", "fortran C", "strided C", "views of A, B"])
def test_add_outer_on_large_arrays_matches_numpy(dtype, layout):
    rng = np.random.default_rng(3)
    C = rng.normal(size=(K, N)).astype(dtype)
    A, B = rng.normal(size=(M, K)).astype(dtype), rng.normal(size=(M, N)).astype(dtype)
    if layout == "fortran C":
        C = np.asfortranarray(C)
    elif layout == "strided C":
        C = np.repeat(C, 2, axis=1)[:, ::2]
    elif layout == "views of A, B":
        A, B = np.asfortranarray(A), np.repeat(B, 2, axis=1)[:, 1::2]
    expected = C.astype(np.float64) - 0.7 * (A.T.astype(np.float64) @ B)
    add_outer(C, A, B, -0.7)
    np.testing.assert_allclose(
        C,
        expected,
        rtol=1e-4 if dtype == np.float32 else 1e-12,
        atol=1e-4 if dtype == np.float32 else 1e-12,
    )


def test_add_outer_refuses_shapes_that_do_not_agree_instead_of_writing_past_them():
    C = np.zeros((K, N), np.float32)
    A, B = np.ones((M, K + 1), np.float32), np.ones((M, N), np.float32)
    with pytest.raises(ValueError):
        add_outer(C, A, B, 1.0)
    assert not C.any()


def test_add_outer_into_its_own_factor_is_still_right():
    rng = np.random.default_rng(4)
    C = rng.normal(size=(K, K))
    B = C[:M]  # B is a view of the rows C is about to change
    expected = C + 0.5 * (C[:M].T @ C[:M])
    add_outer(C, B.copy(), B, 0.5)
    np.testing.assert_allclose(C, expected, rtol=1e-12, atol=1e-12)


def test_add_outer_without_a_loadable_blas_falls_back_to_numpy(tmp_path, monkeypatch):
    from core.nn import blas

    fake_numpy = tmp_path / "numpy"
    fake_numpy.mkdir()
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "numpy.libs" / "libscipy_openblas64_-fake.so").write_bytes(b"not a library")
    monkeypatch.setattr(blas.np, "__file__", str(fake_numpy / "__init__.py"))
    monkeypatch.setattr(blas, "_GEMM", {})
    assert blas._cblas_gemm(np.float32) is None and blas._cblas_gemm(np.int32) is None
    rng = np.random.default_rng(5)
    C = rng.normal(size=(K, N)).astype(np.float32)
    A, B = rng.normal(size=(M, K)).astype(np.float32), rng.normal(size=(M, N)).astype(np.float32)
    expected = C + np.float32(2.0) * (A.T @ B)
    add_outer(C, A, B, 2.0)
    np.testing.assert_allclose(C, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_state_follows_resize(name):
    model = MLP((6, 5, 3), seed=0)
    opt = make_optimizer(name, model.params, 0.01)
    rng = np.random.default_rng(0)
    X, y = rng.random((8, 6), dtype=np.float32), rng.integers(0, 3, 8)
    for _ in range(2):
        model.train_batch(X, y, opt)
    slot = opt.slots[0]
    before = [a.copy() for a in opt.state[slot]]
    index = model.resize_hidden(0, 7)
    opt.remap(0, index)
    after = opt.state[slot]
    assert [a.shape for a in after] == [p.shape for p in model.params]
    np.testing.assert_array_equal(after[0][:, :5], before[0])
    np.testing.assert_array_equal(after[0][:, 5:], 0)
    np.testing.assert_array_equal(after[2][5:], 0)
    model.train_batch(X, y, opt)  # and the step works at the new shapes
    index = model.resize_hidden(0, 2)
    opt.remap(0, index)
    np.testing.assert_array_equal(opt.state[slot][2], after[2][index])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_arrays_round_trip(name):
    model = MLP((6, 5, 3), seed=0)
    opt = make_optimizer(name, model.params, 0.01)
    rng = np.random.default_rng(0)
    X, y = rng.random((8, 6), dtype=np.float32), rng.integers(0, 3, 8)
    model.train_batch(X, y, opt)
    saved = {k: v.copy() for k, v in opt.state_arrays().items()}
    clone = make_optimizer(name, model.params, 0.01)
    clone.load_state_arrays(saved, model.params)
    assert clone.t == opt.t == 1
    for s in opt.slots:
        for a, b in zip(opt.state[s], clone.state[s], strict=True):
            np.testing.assert_array_equal(a, b)


def test_unknown_optimizer_is_a_config_error():
    with pytest.raises(ConfigError, match=r"optimizer: 'lbfgs'.*sgd"):
        make_optimizer("lbfgs", [], 0.1)
