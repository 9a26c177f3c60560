"""Test-set evaluation: per class, accuracy under perturbations, coverage against accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.nn.model import MLP
from core.training.config import Config
from core.training.metrics import confusion_matrix, per_class_accuracy
from core.training.robustness import (
    KINDS,
    coverage_curve,
    evaluate_test_set,
    perturb,
)
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def trained(digits) -> MLP:
    """A 64-32-10 network trained for a few epochs on the bundled 8x8 digits."""
    trainer = Trainer(Config(hidden=(32,), epochs=8, batch_size=32, seed=2), digits)
    list(trainer.run())
    assert trainer.model is not None
    return trainer.model


@pytest.fixture(scope="module")
def evaluation(trained, digits):
    return evaluate_test_set(trained, digits, seed=5)


def test_every_curve_starts_at_the_plain_test_accuracy(trained, digits, evaluation):
    loss, accuracy = trained.evaluate(digits.X_test, digits.y_test)
    assert evaluation.accuracy == accuracy and evaluation.loss == pytest.approx(loss, rel=1e-6)
    assert evaluation.n == len(digits.y_test)
    assert [c.kind for c in evaluation.curves] == list(KINDS)
    cm = confusion_matrix(digits.y_test, trained.predict(digits.X_test), 10)
    np.testing.assert_array_equal(evaluation.confusion, cm)
    np.testing.assert_array_equal(evaluation.per_class, per_class_accuracy(cm))
    np.testing.assert_array_equal(evaluation.counts, np.bincount(digits.y_test, minlength=10))
    for curve in evaluation.curves:
        assert curve.strengths[0] == 0 and np.all(np.diff(curve.strengths) > 0)
        assert curve.accuracy[0] == accuracy
        np.testing.assert_array_equal(curve.per_class[0], evaluation.per_class)
        assert curve.accuracy.shape == curve.strengths.shape
        assert curve.per_class.shape == (len(curve.strengths), 10)
        # the strongest perturbation costs accuracy
        assert curve.accuracy[-1] < curve.accuracy[0]


def test_curves_are_reproducible_for_a_seed(trained, digits, evaluation):
    again = evaluate_test_set(trained, digits, seed=5)
    for a, b in zip(evaluation.curves, again.curves, strict=True):
        np.testing.assert_array_equal(a.accuracy, b.accuracy)
        np.testing.assert_array_equal(a.per_class, b.per_class)
    other = evaluate_test_set(trained, digits, seed=6, kinds=("noise", "shift"))
    assert not np.array_equal(other.curve("noise").accuracy, evaluation.curve("noise").accuracy)


def test_results_are_read_only_values(evaluation):
    arrays = [evaluation.per_class, evaluation.counts, evaluation.confusion]
    arrays += [evaluation.coverage.thresholds, evaluation.coverage.accuracy]
    for c in evaluation.curves:
        arrays += [c.strengths, c.accuracy, c.per_class]
    for a in arrays:
        with pytest.raises(ValueError):
            a[0] = 0
    with pytest.raises(AttributeError):
        evaluation.accuracy = 1.0  # type: ignore[misc]


def test_chosen_strengths_and_kinds(trained, digits):
    ev = evaluate_test_set(trained, digits, kinds=("rotation",), strengths={"rotation": [30, 10]})
    (curve,) = ev.curves
    assert curve.strengths.tolist() == [0.0, 10.0, 30.0] and curve.unit == "degrees"
    with pytest.raises(KeyError, match="no 'noise' curve"):
        ev.curve("noise")


def test_default_pixel_strengths_scale_with_the_image(trained, digits):
    ev = evaluate_test_set(trained, digits, kinds=("shift",))
    assert ev.curve("shift").strengths[1] == pytest.approx(8 / 28)


def test_bad_requests_are_refused(trained, digits):
    with pytest.raises(ConfigError, match="'blur' is not one of"):
        evaluate_test_set(trained, digits, kinds=("blur",))
    with pytest.raises(ConfigError, match="noise strength"):
        evaluate_test_set(trained, digits, kinds=("noise",), strengths={"noise": [-0.1]})
    with pytest.raises(DataError, match="the model takes 784"):
        evaluate_test_set(MLP((784, 10)), digits)


def test_progress_counts_every_chunk_and_may_cancel(trained, digits):
    seen = []
    evaluate_test_set(trained, digits, kinds=("noise", "thin"), progress=lambda *a: seen.append(a))
    assert [done for _, done, _ in seen] == [1, 2] and {total for _, _, total in seen} == {2}
    assert seen[0][0] == "Gaussian noise on the test set"

    class Stop(Exception):
        pass

    def stop(*_):
        raise Stop

    with pytest.raises(Stop):
        evaluate_test_set(trained, digits, progress=stop)


# -- the perturbations themselves --------------------------------------------------------
def one_pixel(row: int, col: int, side: int = 28) -> np.ndarray:
    x = np.zeros((1, side * side), dtype=np.float32)
    x[0, row * side + col] = 1.0
    return x


def centroid(x: np.ndarray, side: int = 28) -> np.ndarray:
    img = x.reshape(side, side)
    rows, cols = np.indices(img.shape)
    return np.array([(rows * img).sum(), (cols * img).sum()]) / img.sum()


def test_strength_zero_changes_nothing():
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    for kind in KINDS:
        np.testing.assert_array_equal(perturb(x, (28, 28), kind, 0.0), x)


def test_shift_moves_content_by_its_strength():
    x = one_pixel(13, 14)
    for strength in (1.0, 2.5, 4.0):
        moved = perturb(x, (28, 28), "shift", strength, seed=3)
        assert np.linalg.norm(centroid(moved) - centroid(x)) == pytest.approx(strength, abs=1e-4)


def test_rotation_turns_content_about_the_centre():
    x = one_pixel(13, 13 + 8)  # the centre is (13.5, 13.5)
    turned = perturb(x, (28, 28), "rotation", 90.0, seed=1)
    before, after = centroid(x) - 13.5, centroid(turned) - 13.5
    assert np.linalg.norm(after) == pytest.approx(np.linalg.norm(before), rel=1e-3)
    assert abs(before @ after) < 1e-3 * (before @ before)  # a quarter turn


def test_noise_stays_in_range_and_grows_with_its_strength():
    x = np.full((3, 784), 0.5, dtype=np.float32)
    small, large = (perturb(x, (28, 28), "noise", s) for s in (0.05, 0.3))
    assert small.min() >= 0 and large.max() <= 1
    assert np.std(small - x) < np.std(large - x)


def test_thicken_and_thin_grow_and_wear_strokes():
    x = np.zeros((1, 28, 28), dtype=np.float32)
    x[0, 10:18, 12:15] = 1.0  # a stroke 3 pixels wide
    flat = x.reshape(1, -1)
    thick = perturb(flat, (28, 28), "thicken", 1.0).reshape(28, 28)
    thin = perturb(flat, (28, 28), "thin", 1.0).reshape(28, 28)
    assert thick.sum() > x.sum() > thin.sum() > 0
    assert (thick >= x[0]).all() and (thin <= x[0]).all()
    half = perturb(flat, (28, 28), "thicken", 0.5).reshape(28, 28)
    np.testing.assert_allclose(half, (x[0] + thick) / 2)  # half a pixel: halfway between


def test_colour_images_are_perturbed_per_channel():
    x = np.random.default_rng(1).random((2, 8 * 8 * 3), dtype=np.float32)
    for kind in KINDS:
        out = perturb(x, (8, 8, 3), kind, 1.0)
        assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


# -- coverage against accuracy -----------------------------------------------------------
def test_coverage_is_exact_at_every_distinct_confidence():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2], [0.4, 0.6]])
    y = np.array([0, 0, 0, 0])  # right, wrong, right, wrong
    cov = coverage_curve(probs, y)
    np.testing.assert_allclose(cov.thresholds, [0.9, 0.8, 0.6])
    np.testing.assert_allclose(cov.coverage, [0.25, 0.75, 1.0])
    np.testing.assert_allclose(cov.accuracy, [1.0, 2 / 3, 0.5])
    assert cov.at(0.85) == (0.25, 1.0) and cov.at(0.8) == (0.75, pytest.approx(2 / 3))
    assert cov.at(0.0) == (1.0, 0.5)
    share, acc = cov.at(0.95)
    assert share == 0.0 and np.isnan(acc)


def test_the_coverage_of_a_real_model_ends_at_its_accuracy(evaluation):
    cov = evaluation.coverage
    assert cov.coverage[-1] == 1.0 and cov.accuracy[-1] == evaluation.accuracy
    assert np.all(np.diff(cov.thresholds) < 0) and np.all(np.diff(cov.coverage) > 0)
    assert cov.accuracy[0] >= evaluation.accuracy  # the surest answers are the best
