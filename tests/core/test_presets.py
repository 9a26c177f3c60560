"""Named presets: valid settings, and the seed's own settings reach its promised accuracy."""

from __future__ import annotations

import pytest

from core.config import Config
from core.errors import ConfigError
from core.events import EpochReport
from core.presets import PRESETS, get_preset, preset_config


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
        (128,), "relu", "sgd", 0.1, 128, 20
    )
    assert preset_config("seed-adam").hidden == (128,)
    assert get_preset("SEED_ADAM") is get_preset("seed-adam")


def test_changes_go_on_top_and_are_validated():
    assert preset_config("wide", epochs=2, data_path="/tmp/x").epochs == 2
    with pytest.raises(ConfigError, match="epochs"):
        preset_config("fast", epochs=0)
    with pytest.raises(ConfigError, match=r"preset: 'huge'.*seed, seed-adam"):
        get_preset("huge")


def test_seed_preset_reaches_97_3_percent_on_mnist(mnist):
    """The seed's own network and settings, run by the Trainer as the app runs them."""
    from core.trainer import Trainer

    trainer = Trainer(preset_config("seed"), mnist)
    reports = [e for e in trainer.run() if isinstance(e, EpochReport)]
    assert len(reports) == 20
    _, test_acc = trainer.model.evaluate(mnist.X_test, mnist.y_test)
    assert test_acc >= 0.973
