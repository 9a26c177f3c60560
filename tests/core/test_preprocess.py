"""Framing drawn digits like MNIST: real digits redrawn at other sizes and places still read."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage
from threadpoolctl import threadpool_limits

from core.data.preprocess import fit_box, is_empty, to_mnist, to_shape
from core.errors import DataError
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer

N_DIGITS = 300


def train(X: np.ndarray, y: np.ndarray, hidden: int, epochs: int, batch: int) -> MLP:
    """A quickly trained MLP; one BLAS thread, which is at least as fast for these small
    products and far faster while other processes compete for the cores."""
    rng = np.random.default_rng(0)
    model = MLP([X.shape[1], hidden, int(y.max()) + 1], seed=0)
    optimizer = make_optimizer("sgd", model.params, 0.1)
    sampler = BatchSampler(X, y, batch, rng)
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(epochs):
            for xb, yb in sampler.epoch():
                train_step(model, optimizer, xb, yb)
    return model


@pytest.fixture(scope="module")
def mnist_model(mnist):
    return train(mnist.X_train, mnist.y_train, hidden=128, epochs=2, batch=128)


@pytest.fixture(scope="module")
def sample(mnist):
    pick = np.random.default_rng(1).choice(len(mnist.y_test), N_DIGITS, replace=False)
    return mnist.X_test[pick], mnist.y_test[pick]


def redraw(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small image ``(h, w)`` enlarged 2-10x, maybe thickened, at a random place on a canvas."""
    factor = rng.uniform(2.0, 10.0)
    big = np.clip(ndimage.zoom(image, factor, order=int(rng.integers(0, 2))), 0.0, 1.0)
    if rng.random() < 0.3:
        big = ndimage.grey_dilation(big, size=(3, 3))
    canvas = np.zeros((300, int(rng.integers(300, 420))))
    top = int(rng.integers(0, canvas.shape[0] - big.shape[0] + 1))
    left = int(rng.integers(0, canvas.shape[1] - big.shape[1] + 1))
    canvas[top : top + big.shape[0], left : left + big.shape[1]] = big
    return canvas


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    mass = image.sum()
    return np.array(
        [
            np.arange(image.shape[0]) @ image.sum(axis=1) / mass,
            np.arange(image.shape[1]) @ image.sum(axis=0) / mass,
        ]
    )


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def stroke_canvas(rng: np.random.Generator, shape=(240, 320)) -> np.ndarray:
    """A random scribble: a few thick anti-aliased line segments somewhere on a canvas."""
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]]
    canvas = np.zeros(shape)
    points = rng.uniform([40, 40], [shape[0] - 40, shape[1] - 40], size=(4, 2))
    for (r0, c0), (r1, c1) in itertools.pairwise(points):
        d = np.array([r1 - r0, c1 - c0])
        t = np.clip(((rr - r0) * d[0] + (cc - c0) * d[1]) / (d @ d), 0.0, 1.0)
        dist = np.hypot(rr - (r0 + t * d[0]), cc - (c0 + t * d[1]))
        canvas = np.maximum(canvas, np.clip(6.0 - dist, 0.0, 1.0))
    return canvas


def test_redrawn_mnist_digits_are_still_recognised(mnist_model, sample):
    X, y = sample
    rng = np.random.default_rng(2)
    framed = np.stack([to_mnist(redraw(x.reshape(28, 28), rng)).ravel() for x in X])
    own = np.mean(mnist_model.predict(X) == y)
    redrawn = np.mean(mnist_model.predict(framed) == y)
    assert own > 0.9
    assert redrawn >= 0.95 * own, f"{redrawn:.3f} on redrawn digits vs {own:.3f} on the originals"


def test_mnist_digits_are_already_framed_the_mnist_way(sample):
    X, _ = sample
    framed = np.stack([to_mnist(x.reshape(28, 28)).ravel() for x in X])
    # same box size, same centre of mass: the pixels barely change
    assert np.abs(framed - X).mean(axis=1).max() < 0.02
    assert np.abs(framed - X).mean() < 0.002


@pytest.mark.parametrize("shape", [(1, 1), (5, 300), (280, 280), (600, 400)])
def test_output_is_a_28x28_float32_image_in_range(shape):
    rng = np.random.default_rng(sum(shape))
    canvas = rng.random(shape) * 1.5 - 0.2  # out-of-range values are clipped, not passed on
    out = to_mnist(canvas)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and 0.0 < out.max() <= 1.0


@pytest.mark.parametrize("seed", range(8))
def test_centre_of_mass_lands_on_the_middle(seed):
    canvas = stroke_canvas(np.random.default_rng(seed))
    out = to_mnist(canvas)
    assert out.sum() == pytest.approx(fit_box(canvas, (20, 20)).sum(), rel=1e-5)  # nothing cut
    assert np.abs(centre_of_mass(out) - 14.0).max() <= 0.5 + 1e-9


@pytest.mark.parametrize(
    ("height", "width", "expected"), [(120, 40, (20, 7)), (30, 150, (4, 20)), (90, 90, (20, 20))]
)
def test_aspect_ratio_is_kept(height, width, expected):
    canvas = np.zeros((300, 300))
    canvas[17 : 17 + height, 101 : 101 + width] = 1.0
    assert ink_box(to_mnist(canvas) > 0.01) == expected


def test_shrinking_averages_areas_instead_of_sampling():
    stripes = np.zeros((100, 100))
    stripes[20:80, 30:90] = 1.0
    stripes[21:80:3, 30:90] = 0.0  # every third row blank: 60 rows, 40 of them ink
    np.testing.assert_allclose(fit_box(stripes, (20, 20)), np.full((20, 20), 2 / 3), atol=1e-6)


def test_place_size_and_strength_of_the_drawing_do_not_matter():
    rng = np.random.default_rng(3)
    scribble = stroke_canvas(rng, shape=(200, 200))
    canvas_a = np.zeros((400, 500))
    canvas_a[10:210, 20:220] = scribble
    canvas_b = np.zeros((400, 500))
    canvas_b[190:390, 290:490] = 0.4 * scribble  # a grey pen elsewhere
    canvas_b[5, 5] = 0.015  # a faint smudge far away is not ink
    a, b = to_mnist(canvas_a), to_mnist(canvas_b)
    np.testing.assert_allclose(a, b, atol=1e-5)
    bigger = to_mnist(ndimage.zoom(canvas_a, 1.5, order=1))
    assert np.abs(bigger - a).mean() < 0.03


def test_empty_canvas_gives_zeros():
    assert is_empty(np.zeros((280, 280)))
    assert is_empty(np.full((50, 50), 0.01))
    np.testing.assert_array_equal(to_mnist(np.zeros((280, 280))), np.zeros((28, 28)))
    dot = np.zeros((280, 280))
    dot[100, 100] = 1.0
    assert not is_empty(dot)
    with pytest.raises(DataError, match="empty"):
        fit_box(np.zeros((10, 10)), (20, 20))


def test_digits_style_matches_the_8x8_dataset(digits):
    model = train(digits.X_train, digits.y_train, hidden=64, epochs=30, batch=32)
    rng = np.random.default_rng(4)
    redrawn, direct = [], []
    for x in digits.X_test.reshape(-1, 8, 8):
        k = int(rng.integers(5, 30))  # each 8x8 cell as a k x k block of the canvas
        canvas = np.zeros((260, 300))
        top, left = rng.integers(0, 260 - 8 * k), rng.integers(0, 300 - 8 * k)
        canvas[top : top + 8 * k, left : left + 8 * k] = np.kron(x, np.ones((k, k)))
        redrawn.append(to_shape(canvas, (8, 8)).ravel())
        direct.append(to_shape(x, (8, 8)).ravel())
    redrawn, direct = np.array(redrawn), np.array(direct)
    assert redrawn.shape == digits.X_test.shape and redrawn.dtype == np.float32
    np.testing.assert_allclose(redrawn, direct, atol=0.1)
    own = np.mean(model.predict(digits.X_test) == digits.y_test)
    assert np.mean(model.predict(redrawn) == digits.y_test) >= 0.9 * own
    # the digit fills all 8 rows like the dataset's, and a thin "1" is widened
    bar = np.zeros((200, 200))
    bar[20:180, 95:105] = 1.0
    assert ink_box(to_shape(bar, (8, 8)) > 0.01) == (8, 4)


def test_other_grayscale_sizes_scale_the_mnist_framing():
    canvas = stroke_canvas(np.random.default_rng(5))
    out = to_shape(canvas, (56, 56))
    assert out.shape == (56, 56)
    assert max(ink_box(out > 0.01)) == 40
    assert np.abs(centre_of_mass(out) - 28.0).max() <= 0.5 + 1e-9


def test_bad_drawings_are_refused_with_our_errors():
    with pytest.raises(DataError, match="grayscale"):
        to_mnist(np.zeros((28, 28, 3)))
    with pytest.raises(DataError, match="NaN"):
        to_mnist(np.full((28, 28), np.nan))
    with pytest.raises(DataError, match="grayscale"):
        to_shape(np.ones((28, 28)), (32, 32, 3))
