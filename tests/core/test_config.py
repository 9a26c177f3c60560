"""Config: every field is checked, and a refusal names the field, the value and what is allowed."""

from __future__ import annotations

import dataclasses
import math

import pytest

from core.errors import ConfigError
from core.training.config import Config

# (field, bad value, text the message must hold besides the field name)
BAD_VALUES = [
    ("dataset", "", "dataset name"),
    ("dataset", 3, "dataset name"),
    ("data_path", 5, "path"),
    ("val_fraction", 0.0, "(0, 0.5]"),
    ("val_fraction", 0.6, "(0, 0.5]"),
    ("image_size", 257, "[0, 256]"),
    ("image_size", 28.5, "an integer"),
    ("colour", "sepia", "auto, grey, rgb"),
    ("hidden", (0,), "[1, 8192]"),
    ("hidden", (128, 9000), "[1, 8192]"),
    ("hidden", (64.5,), "an integer"),
    ("hidden", (8,) * 9, "0 to 8"),
    ("activation", "swish", "relu, leaky_relu, sigmoid, tanh"),
    ("init", "lecun", "auto, he, xavier"),
    ("optimizer", "lbfgs", "sgd, momentum, nesterov, rmsprop, adam"),
    ("learning_rate", 0.0, "(0, 100]"),
    ("learning_rate", 1e3, "(0, 100]"),
    ("learning_rate", math.nan, "(0, 100]"),
    ("learning_rate", "0.1", "a number"),
    ("learning_rate", 10**400, "a number"),  # an int beyond any float, as JSON allows
    ("momentum", 1.0, "[0, 0.999]"),
    ("schedule", "exponential", "constant, cosine, step"),
    ("min_lr_ratio", 1.5, "[0, 1]"),
    ("batch_size", 0, "[1, 65536]"),
    ("batch_size", 12.5, "an integer"),
    ("batch_size", True, "an integer"),
    ("epochs", 0, "[1, 100000]"),
    ("l2", -0.1, "[0, 1]"),
    ("dropout", 0.99, "[0, 0.95]"),
    ("augment", "mixup", "none, shift, affine"),
    ("seed", -1, "[0, 4.29497e+09]"),
    ("dtype", "float16", "float32, float64"),
]


def test_every_field_has_a_bad_value_case():
    assert {f.name for f in dataclasses.fields(Config)} == {name for name, _, _ in BAD_VALUES}


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_VALUES)
def test_bad_value_names_field_value_and_range(name, value, allowed):
    with pytest.raises(ConfigError) as info:
        Config(**{name: value})
    message = str(info.value)
    assert message.startswith(name)
    assert allowed in message
    shown = value
    if name == "hidden":  # the offending width, or the number of layers
        shown = len(value) if len(value) > 8 else value[-1]
    assert repr(shown) in message or str(shown) in message


def test_defaults_are_the_seed_network():
    c = Config()
    assert (c.hidden, c.activation, c.optimizer, c.learning_rate, c.batch_size) == (
        (128,),
        "relu",
        "sgd",
        0.1,
        128,
    )
    assert c.depth == 1
    assert Config(hidden=()).depth == 0


def test_from_strings_parses_and_refuses():
    c = Config.from_strings(
        {
            "hidden": "256x128",
            "learning_rate": "0.05",
            "optimizer": "Adam",
            "epochs": "3",
            "activation": "leaky-relu",
        }
    )
    assert c.hidden == (256, 128) and c.learning_rate == 0.05 and c.optimizer == "adam"
    assert c.activation == "leaky_relu" and c.epochs == 3
    with pytest.raises(ConfigError, match=r"learning_rate: 'fast' is not a number in \(0, 100\]"):
        Config.from_strings({"learning_rate": "fast"})
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.from_strings({"hiden": "12"})


def test_dict_round_trip_and_replace():
    c = Config(hidden=(64, 32), optimizer="nesterov", dropout=0.25, seed=9)
    assert Config.from_dict(c.to_dict()) == c
    assert c.to_dict()["hidden"] == [64, 32]
    assert c.replace(learning_rate=0.5).learning_rate == 0.5
    with pytest.raises(ConfigError, match="dropout"):
        c.replace(dropout=2.0)
    with pytest.raises(ConfigError, match="unknown setting"):
        c.replace(lr=0.5)


def test_single_field_checks_for_live_changes():
    assert Config.check_value("hidden", 256) == (256,)
    assert Config.check_value("learning_rate", 0.3) == 0.3
    with pytest.raises(ConfigError, match=r"batch_size: 0 is out of range"):
        Config.check_value("batch_size", 0)
    assert Config.field_range("learning_rate") == (0.0, 100.0)
    with pytest.raises(ConfigError, match="not a numeric setting"):
        Config.field_range("activation")
