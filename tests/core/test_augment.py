"""Train-time augmentation: what each kind does to an image, and that training still works."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from core.errors import ConfigError, DataError
from core.nn.batches import BatchSampler, train_step
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.augment import (
    KINDS,
    AffineRanges,
    augment_batch,
    random_affine,
    random_bend,
    shift_images,
    warp_images,
)

SHAPES = [(28, 28), (8, 8), (32, 32, 3)]


def blobs(n: int, shape: tuple[int, ...], margin: int, seed: int = 0) -> np.ndarray:
    """``(n, d)`` random images in [0, 1] whose ink keeps ``margin`` pixels from the edges."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, *shape), dtype=np.float32)
    inner = images[:, margin : shape[0] - margin, margin : shape[1] - margin]
    inner[...] = rng.random(inner.shape) * (rng.random(inner.shape) < 0.4)
    return images.reshape(n, -1)


def centre_of_mass(images: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(n, 2)`` (row, col) centres of mass of grayscale images ``(n, H*W)``."""
    im = images.reshape(-1, *shape).astype(np.float64)
    mass = im.sum(axis=(1, 2))
    rows = im.sum(axis=2) @ np.arange(shape[0]) / mass
    cols = im.sum(axis=1) @ np.arange(shape[1]) / mass
    return np.stack([rows, cols], axis=1)


def reference_shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """One image ``(H, W[, C])`` moved by ``(dy, dx)`` with zero fill, the slow obvious way."""
    H, W = image.shape[:2]
    out = np.zeros_like(image)
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[r, c] = image[r - dy, c - dx]
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_shape_dtype_and_range_kept(kind, shape):
    X = blobs(40, shape, margin=0)
    before = X.copy()
    Y = augment_batch(X, shape, kind, np.random.default_rng(0))
    assert Y.shape == X.shape and Y.dtype == np.float32
    assert np.isfinite(Y).all() and Y.min() >= 0.0 and Y.max() <= 1.0
    np.testing.assert_array_equal(X, before)  # the input is left alone
    if kind != "none":
        assert not np.array_equal(Y, X)


@pytest.mark.parametrize("kind", ["shift", "affine"])
def test_same_seed_same_batch_and_out_buffers_agree(kind):
    X = blobs(64, (28, 28), margin=2)
    a = augment_batch(X, (28, 28), kind, np.random.default_rng(7))
    b = np.full_like(X, np.nan)
    returned = augment_batch(X, (28, 28), kind, np.random.default_rng(7), out=b)
    in_place = X.copy()
    augment_batch(in_place, (28, 28), kind, np.random.default_rng(7), out=in_place)
    other = augment_batch(X, (28, 28), kind, np.random.default_rng(8))
    assert returned is b
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, in_place)
    assert not np.array_equal(a, other)


def test_none_returns_the_batch_or_copies_it_into_out():
    X = blobs(5, (8, 8), margin=0)
    assert augment_batch(X, (8, 8), "none", np.random.default_rng(0)) is X
    out = np.zeros_like(X)
    assert augment_batch(X, (8, 8), "none", np.random.default_rng(0), out=out) is out
    np.testing.assert_array_equal(out, X)


@pytest.mark.parametrize("shape", SHAPES)
def test_shift_images_matches_a_plain_loop(shape):
    rng = np.random.default_rng(3)
    X = blobs(30, shape, margin=0)
    shifts = rng.integers(-10, 11, size=(30, 2))  # some move an 8x8 image right out
    Y = shift_images(X, shape, shifts).reshape(30, *shape)
    for image, moved, (dy, dx) in zip(X.reshape(30, *shape), Y, shifts, strict=True):
        np.testing.assert_array_equal(moved, reference_shift(image, dy, dx))


def test_shift_moves_mass_by_at_most_two_pixels_and_keeps_the_ink():
    X = blobs(300, (28, 28), margin=2)
    Y = augment_batch(X, (28, 28), "shift", np.random.default_rng(1))
    moved = centre_of_mass(Y, (28, 28)) - centre_of_mass(X, (28, 28))
    np.testing.assert_allclose(moved, np.round(moved), atol=1e-6)  # whole pixels
    assert np.abs(moved).max() == pytest.approx(2.0, abs=1e-6)
    assert len(np.unique(np.round(moved), axis=0)) == 25  # every shift in -2..2 x -2..2 used
    np.testing.assert_allclose(Y.sum(axis=1), X.sum(axis=1), rtol=1e-6)


def test_shift_is_scaled_down_for_small_images():
    X = blobs(200, (8, 8), margin=1)
    Y = augment_batch(X, (8, 8), "shift", np.random.default_rng(2))
    moved = centre_of_mass(Y, (8, 8)) - centre_of_mass(X, (8, 8))
    assert np.abs(moved).max() == pytest.approx(1.0, abs=1e-6)


def test_colour_channels_move_together():
    gray = blobs(20, (32, 32), margin=0)
    X = np.ascontiguousarray(
        (gray.reshape(20, 32, 32, 1) * np.array([1.0, 0.5, 0.25], dtype=np.float32)).reshape(20, -1)
    )
    for kind in ("shift", "affine"):
        Y = augment_batch(X, (32, 32, 3), kind, np.random.default_rng(4)).reshape(20, 32, 32, 3)
        np.testing.assert_allclose(Y[..., 1], 0.5 * Y[..., 0], atol=1e-6)
        np.testing.assert_allclose(Y[..., 2], 0.25 * Y[..., 0], atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_identity_warp_returns_the_images_exactly(shape):
    X = blobs(10, shape, margin=0)
    eye = np.broadcast_to(np.eye(2), (10, 2, 2))
    no_bend = np.zeros((10, 2, 4, 4))
    np.testing.assert_array_equal(warp_images(X, shape, eye, np.zeros((10, 2))), X)
    np.testing.assert_array_equal(warp_images(X, shape, eye, np.zeros((10, 2)), no_bend), X)


def test_warp_by_whole_pixels_is_a_shift_and_a_quarter_turn_is_rot90():
    X = blobs(12, (28, 28), margin=0)
    rng = np.random.default_rng(5)
    shifts = rng.integers(-4, 5, size=(12, 2))
    eye = np.broadcast_to(np.eye(2), (12, 2, 2))
    # output p reads input p - shift
    np.testing.assert_allclose(
        warp_images(X, (28, 28), eye, -shifts), shift_images(X, (28, 28), shifts), atol=1e-6
    )
    # q = (col, 27 - row): out[r, c] = in[c, 27 - r], a quarter turn anticlockwise
    turn = np.broadcast_to(np.array([[0.0, 1.0], [-1.0, 0.0]]), (12, 2, 2))
    turned = warp_images(X, (28, 28), turn, np.broadcast_to([0.0, 27.0], (12, 2)))
    expected = np.rot90(X.reshape(12, 28, 28), k=1, axes=(1, 2)).reshape(12, -1)
    np.testing.assert_allclose(turned, expected, atol=1e-5)


def test_half_pixel_warp_interpolates_linearly():
    X = np.zeros((1, 16), dtype=np.float32)
    X[0, 5] = 1.0  # pixel (1, 1) of a 4x4 image
    eye = np.eye(2)[None]
    Y = warp_images(X, (4, 4), eye, np.array([[0.0, 0.5]])).reshape(4, 4)
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[1, 0] = expected[1, 1] = 0.5
    np.testing.assert_allclose(Y, expected, atol=1e-7)


def test_random_affine_stays_within_its_ranges():
    ranges = AffineRanges()
    matrix, offset = random_affine(2000, (28, 28), np.random.default_rng(6), ranges)
    det = np.linalg.det(matrix)  # 1 / scale², shear and rotation keep area
    lo, hi = 1 / (1 + ranges.scale) ** 2, 1 / (1 - ranges.scale) ** 2
    assert det.min() >= lo - 1e-9 and det.max() <= hi + 1e-9
    assert det.min() < 0.85 and det.max() > 1.2  # the whole range is drawn from
    # the output centre c reads q(c) = M c + e = c - M t: recover the translation t
    centre = np.array([13.5, 13.5])
    source = np.einsum("nij,j->ni", matrix, centre) + offset
    t = np.linalg.solve(matrix, (centre - source)[..., None])[..., 0]
    assert np.abs(t).max() <= ranges.translate + 1e-9
    assert np.abs(t).max() > 0.95 * ranges.translate


def test_elastic_bends_are_smooth_and_small():
    bend = random_bend(500, (28, 28), np.random.default_rng(9), sigma=0.7)
    assert bend.shape == (500, 2, 4, 4) and bend.dtype == np.float32
    assert 0.6 < bend.std() < 0.8


def test_bad_requests_are_refused_with_our_errors():
    X = blobs(3, (8, 8), margin=0)
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError, match="rotate"):
        augment_batch(X, (8, 8), "rotate", rng)
    with pytest.raises(DataError, match="image_shape"):
        augment_batch(X, (28, 28), "shift", rng)
    with pytest.raises(DataError, match="out"):
        augment_batch(X, (8, 8), "shift", rng, out=np.empty((3, 63), dtype=np.float32))


@pytest.mark.parametrize("kind", ["shift", "affine"])
def test_a_model_trained_on_augmented_digits_still_learns(digits, kind):
    rng = np.random.default_rng(0)
    model = MLP([digits.n_features, 64, digits.n_classes], seed=0)
    optimizer = make_optimizer("sgd", model.params, 0.1)
    sampler = BatchSampler(digits.X_train, digits.y_train, 32, rng)
    buffer = np.empty((32, digits.n_features), dtype=np.float32)
    with threadpool_limits(limits=1, user_api="blas"):  # small products: one thread is enough
        for _ in range(30):
            for xb, yb in sampler.epoch():
                xa = augment_batch(xb, digits.image_shape, kind, rng, out=buffer[: len(xb)])
                train_step(model, optimizer, xa, yb)
    _, accuracy = model.evaluate(digits.X_test, digits.y_test)
    assert accuracy >= 0.85
