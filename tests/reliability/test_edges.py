"""Numbers at the edge: a typed error that blames the right thing, never NaN or a default.

Pixels too large for float32, complex pixels, fractional depths, and options given
as empty strings (an unset shell variable, typically) are refused at the door.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import NeuralNetwork
from core.cli import main
from core.errors import ConfigError, DataError
from tests.reliability.conftest import error_lines

RNG = np.random.default_rng(0)
X = RNG.random((40, 4))
Y = RNG.integers(0, 2, 40)


def small() -> NeuralNetwork:
    return NeuralNetwork(input_size=4, hidden_size=6, output_size=2)


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.full((40, 4), 1e39), r"X_train: values up to 1e\+39 do not fit the model's float32"),
        (-np.full((40, 4), 1e39), r"X_train: values up to 1e\+39 do not fit"),
        (X + 1j, r"X_train: complex numbers \(complex128\) are not pixels"),
    ],
    ids=["1e39", "-1e39", "complex"],
)
def test_pixels_the_model_cannot_hold_are_a_data_error_naming_the_array(pixels, message):
    with pytest.raises(DataError, match=message):
        small().train(pixels, Y, X, Y, epochs=1, verbose=False)


def test_prediction_refuses_overflowing_pixels_too():
    with pytest.raises(DataError, match="X: values up to 3e"):
        small().predict(np.full((2, 4), 3e38 * 10))


@pytest.mark.parametrize("depth", [1.5, 2.0, "2"])
def test_a_depth_that_is_not_a_whole_number_is_refused(depth):
    with pytest.raises(ConfigError, match=f"depth: {depth!r} is not allowed"):
        NeuralNetwork(input_size=4, depth=depth)


@pytest.mark.parametrize(
    ("option", "flag"),
    [
        (["--hidden", ""], "--hidden"),
        (["--hidden", " "], "--hidden"),
        (["--resume", ""], "--resume"),
        (["--data-path", ""], "--data-path"),
        (["-o", ""], "--output"),
    ],
)
def test_an_empty_option_value_is_an_error_naming_the_option(
    tmp_path, monkeypatch, capsys, option, flag
):
    monkeypatch.chdir(tmp_path)  # whatever happens, nothing lands outside tmp_path
    argv = ["train", "--dataset", "digits", "--epochs", "1", "--no-pictures", *option]
    if "-o" not in option:
        argv += ["-o", "out"]
    assert main(argv) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith(f"error: {flag}: the value is empty"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_checkpoint_for_evaluate_is_an_error_naming_it(capsys):
    assert main(["evaluate", ""]) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith("error: CHECKPOINT: the value is empty"), line
