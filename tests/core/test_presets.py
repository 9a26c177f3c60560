"""Named presets: valid settings, and the seed's own settings reach its promised accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from core.errors import ConfigError
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.config import Config
from core.training.presets import PRESETS, get_preset, preset_config
from core.training.schedules import learning_rate

#: These runs train on all of MNIST. One BLAS thread gives the same result, and on a
#: busy shared machine it is several times faster than two threads spinning while
#: they wait for each other.
ONE_BLAS_THREAD = threadpool_limits.wrap(limits=1, user_api="blas")


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_is_a_valid_config(name):
    preset = get_preset(name)
    config = preset.config()
    assert isinstance(config, Config)
    assert config.dataset == "mnist"
    assert len(preset.description) > 40
    for key, value in preset.overrides.items():
        assert getattr(config, key) == value


def test_seed_preset_is_the_seed_network():
    c = preset_config("seed")
    assert (c.hidden, c.activation, c.optimizer, c.learning_rate, c.batch_size, c.epochs) == (
        (128,),
        "relu",
        "sgd",
        0.1,
        128,
        20,
    )
    assert preset_config("seed-adam").hidden == (128,)
    assert get_preset("SEED_ADAM") is get_preset("seed-adam")


def test_changes_go_on_top_and_are_validated():
    assert preset_config("wide", epochs=2, data_path="/tmp/x").epochs == 2
    with pytest.raises(ConfigError, match="epochs"):
        preset_config("fast", epochs=0)
    with pytest.raises(ConfigError, match=r"preset: 'huge'.*seed, seed-adam"):
        get_preset("huge")


@pytest.mark.slow
@ONE_BLAS_THREAD
def test_seed_preset_reaches_97_3_percent_on_mnist(mnist):
    """The seed's own network and settings, trained as the engine trains them."""
    c = preset_config("seed")
    model = MLP(
        (784, *c.hidden, 10), activation=c.activation, init=c.init, dtype=c.dtype, seed=c.seed
    )
    opt = make_optimizer(c.optimizer, model.params, c.learning_rate, c.momentum)
    sampler = BatchSampler(
        mnist.X_train, mnist.y_train, c.batch_size, np.random.default_rng(c.seed)
    )
    for epoch in range(c.epochs):
        opt.learning_rate = learning_rate(
            c.learning_rate, c.schedule, epoch, c.epochs, c.min_lr_ratio
        )
        for Xb, yb in sampler.epoch():
            train_step(model, opt, Xb, yb)
    _, test_acc = model.evaluate(mnist.X_test, mnist.y_test)
    assert test_acc >= 0.973
