"""Growing and shrinking a hidden layer without forgetting what it learned."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from core.errors import ConfigError
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer

#: These runs train on all of MNIST. One BLAS thread gives the same result, and on a
#: busy shared machine it is several times faster than two threads spinning while
#: they wait for each other.
ONE_BLAS_THREAD = threadpool_limits.wrap(limits=1, user_api="blas")


def _trained(sizes, steps: int = 20, seed: int = 0):
    model = MLP(sizes, seed=seed)
    opt = make_optimizer("momentum", model.params, 0.05)
    rng = np.random.default_rng(seed)
    X = rng.random((64, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], 64)
    for _ in range(steps):
        model.train_batch(X, y, opt)
    return model, opt


@pytest.mark.parametrize("layer", [0, 1])
def test_widening_leaves_predictions_unchanged(layer):
    model, opt = _trained((30, 12, 9, 4))
    X = np.random.default_rng(5).random((100, 30), dtype=np.float32)
    before = model.predict_proba(X)
    index = model.resize_hidden(layer, 40)
    opt.remap(layer, index)
    assert model.hidden[layer] == 40
    assert list(index[: 12 if layer == 0 else 9]) == list(range(12 if layer == 0 else 9))
    assert np.all(index[12 if layer == 0 else 9 :] == -1)
    assert np.abs(model.predict_proba(X) - before).max() < 1e-6
    # The new units have fresh incoming weights, so they can learn.
    assert np.any(model.params[2 * layer][:, -1] != 0)
    assert np.all(model.params[2 * layer + 2][-1] == 0)


def test_narrowing_keeps_the_units_with_the_largest_outgoing_norm():
    model = MLP((5, 6, 3), seed=0)
    norms = np.array([0.5, 3.0, 0.1, 2.0, 1.0, 4.0])
    model.params[2][:] = 0
    model.params[2][:, 1] = norms  # row i's norm is norms[i]
    W1, b1, W2 = (p.copy() for p in model.params[:3])
    index = model.resize_hidden(0, 3)
    assert list(index) == [1, 3, 5]
    np.testing.assert_array_equal(model.params[0], W1[:, [1, 3, 5]])
    np.testing.assert_array_equal(model.params[1], b1[[1, 3, 5]])
    np.testing.assert_array_equal(model.params[2], W2[[1, 3, 5]])
    assert model.sizes == [5, 3, 3]


def test_resize_keeps_the_parameter_list_and_training_goes_on():
    model, opt = _trained((8, 6, 3))
    params = model.params
    for width in (9, 2, 5):
        opt.remap(0, model.resize_hidden(0, width))
        assert model.params is params
        X = np.random.default_rng(1).random((16, 8), dtype=np.float32)
        loss = model.train_batch(X, np.zeros(16, dtype=np.int64), opt)
        assert np.isfinite(loss)


@pytest.mark.parametrize(
    ("layer", "width", "field"), [(1, 4, "layer"), (0, 0, "hidden"), (0, 10**6, "hidden")]
)
def test_bad_resizes_are_config_errors(layer, width, field):
    model = MLP((8, 6, 3), seed=0)
    with pytest.raises(ConfigError, match=field):
        model.resize_hidden(layer, width)


@ONE_BLAS_THREAD
def test_narrowing_then_one_epoch_recovers_on_mnist(mnist):
    model = MLP((784, 128, 10), seed=0)
    opt = make_optimizer("sgd", model.params, 0.1)
    sampler = BatchSampler(mnist.X_train, mnist.y_train, 128, np.random.default_rng(0))

    def epoch():
        for Xb, yb in sampler.epoch():
            train_step(model, opt, Xb, yb)

    for _ in range(3):
        epoch()
    _, before = model.evaluate(mnist.X_test, mnist.y_test)
    opt.remap(0, model.resize_hidden(0, 64))
    _, narrowed = model.evaluate(mnist.X_test, mnist.y_test)
    epoch()
    _, after = model.evaluate(mnist.X_test, mnist.y_test)
    assert before > 0.93
    assert narrowed < before  # half the units are gone...
    assert after >= before - 0.005  # ...and one epoch wins the accuracy back
