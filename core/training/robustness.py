"""How a trained network holds up on the test set: per class, under perturbations, by confidence.

:func:`evaluate_test_set` gives, in one value (an :class:`Evaluation`):

- the plain test accuracy and loss, per-class accuracy and the confusion matrix;
- one accuracy curve per perturbation over a range of strengths, each starting at
  strength 0, where it *is* the plain accuracy (the same predictions, not a re-run):

  ``noise``     x + σ z, z ~ N(0, 1) per pixel, clipped to [0, 1]; σ in pixel values
  ``rotation``  turned by θ degrees about the centre, each image one way or the other
  ``shift``     moved by s pixels in a direction drawn per image (sub-pixel: bilinear)
  ``thicken``   strokes grown by r pixels: grey dilation with a disk of radius r
  ``thin``      strokes worn down by r pixels: grey erosion with a disk of radius r

  A fractional radius blends the two nearest whole ones, so thickness changes
  smoothly. Rotation and shift resample with :func:`core.training.augment.warp_images`
  (bilinear, zeros outside); dilation and erosion are ``scipy.ndimage``'s. Bright
  strokes on a dark ground are assumed, as in MNIST. Default strengths in pixels
  are for a 28-pixel image and scale with the image's larger side;

- coverage against accuracy (:class:`Coverage`): for every confidence threshold, the
  share of test images whose top probability reaches it (those the network would
  answer) and the accuracy of those answers.

Randomness (noise, turning directions, shift directions) is drawn from generators
seeded by ``(seed, kind)``, and for the noise also by the chunk, and the same draws
serve every strength, so a curve is smooth and a seed always gives the same figures.
The work is vectorised over chunks of :data:`CHUNK` images, and
``progress(what, done, total)`` is called after each chunk of each perturbation; it
may raise to cancel, which leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.errors import ConfigError, DataError
from core.nn.losses import softmax_with_loss
from core.training.augment import warp_images
from core.training.events import frozen
from core.training.metrics import confusion_matrix, per_class_accuracy

if TYPE_CHECKING:
    from core.data import Dataset
    from core.nn.model import MLP

Progress = Callable[[str, int, int], None]

#: Images perturbed and scored at a time: bounds the memory of the temporaries.
CHUNK = 1000


@dataclass(frozen=True)
class Perturbation:
    """One kind of perturbation: how it is named and its default strengths (first one 0)."""

    kind: str
    label: str
    unit: str
    strengths: tuple[float, ...]
    scales_with_size: bool  # default strengths are pixels at 28 px


PERTURBATIONS = {
    p.kind: p
    for p in (
        Perturbation("noise", "Gaussian noise", "σ", (0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1), False),
        Perturbation("rotation", "Rotation", "degrees", (0, 5, 10, 15, 20, 30, 45, 60, 90), False),
        Perturbation("shift", "Shift", "pixels", (0, 1, 2, 3, 4, 5, 6, 8), True),
        Perturbation("thicken", "Thicker strokes", "pixels", (0, 0.5, 1, 1.5, 2, 3), True),
        Perturbation("thin", "Thinner strokes", "pixels", (0, 0.25, 0.5, 0.75, 1, 1.5), True),
    )
}
KINDS = tuple(PERTURBATIONS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Curve:
    """Test accuracy under one perturbation: ``accuracy[i]`` at ``strengths[i]``.

    ``strengths`` ``(s,)`` start at 0; ``per_class`` ``(s, k)`` is each class's
    accuracy (NaN for a class the test set does not hold). Arrays are read-only.
    """

    kind: str
    label: str
    unit: str
    strengths: np.ndarray
    accuracy: np.ndarray
    per_class: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """Answer only when sure: at threshold ``thresholds[i]``, ``coverage[i]`` of the test
    images reach it and ``accuracy[i]`` of those are right.

    ``thresholds`` ``(t,)`` are the distinct top probabilities, highest first, so the
    curve holds every threshold at which something changes; :meth:`at` reads it at
    any threshold. Arrays are read-only.
    """

    thresholds: np.ndarray
    coverage: np.ndarray
    accuracy: np.ndarray

    def at(self, threshold: float) -> tuple[float, float]:
        """(share answered, accuracy of the answers) when answering at ``confidence >= threshold``.

        Nothing answered gives ``(0.0, nan)``.
        """
        answered = int(np.searchsorted(-self.thresholds, -threshold, side="right"))
        if answered == 0:
            return 0.0, float("nan")
        return float(self.coverage[answered - 1]), float(self.accuracy[answered - 1])


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    """A model on a test set: plain figures, per class, perturbation curves, coverage.

    ``per_class`` ``(k,)`` accuracy (NaN where a class is absent), ``counts`` ``(k,)``
    test images per class, ``confusion`` ``(k, k)`` (rows true, columns predicted).
    Every array is a read-only copy, so the value can cross threads.
    """

    n: int
    accuracy: float
    loss: float
    class_names: tuple[str, ...]
    per_class: np.ndarray
    counts: np.ndarray
    confusion: np.ndarray
    coverage: Coverage
    curves: tuple[Curve, ...]
    seed: int

    def curve(self, kind: str) -> Curve:
        """The curve of ``kind`` ("noise", "rotation", ...)."""
        for c in self.curves:
            if c.kind == kind:
                return c
        raise KeyError(f"no {kind!r} curve; evaluated: {', '.join(c.kind for c in self.curves)}")


def evaluate_test_set(
    model: MLP,
    dataset: Dataset,
    *,
    kinds: Sequence[str] = KINDS,
    strengths: Mapping[str, Sequence[float]] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> Evaluation:
    """Score ``model`` on ``dataset``'s test set, plainly and under each of ``kinds``.

    ``strengths`` replaces the default strengths of some kinds (non-negative; 0 is
    put first if missing). The model is only read (inference), never changed.
    """
    X, y = dataset.X_test, dataset.y_test
    if X.shape[1] != model.sizes[0]:
        raise DataError(f"test images have {X.shape[1]} values; the model takes {model.sizes[0]}")
    if len(y) == 0:
        raise DataError("the test set is empty")
    k = model.sizes[-1]
    plans = [(kind, _strengths(kind, strengths, dataset.image_shape)) for kind in kinds]
    probs, loss = _probabilities(model, X, y)
    pred = probs.argmax(axis=1)
    right = pred == y
    counts = np.bincount(y, minlength=k)
    cm = confusion_matrix(y, pred, k)
    total = sum(_chunks(len(y)) for _ in plans)
    done = 0
    curves = []
    for kind, levels in plans:
        correct = np.zeros((len(levels), k), dtype=np.int64)
        correct[0] = np.bincount(y[right], minlength=k)
        directions = _directions(kind, len(y), seed)
        for number, start in enumerate(range(0, len(y), CHUNK)):
            rows = slice(start, start + CHUNK)
            rng = np.random.default_rng([seed, KINDS.index(kind), number])
            noise = (
                rng.standard_normal(X[rows].shape, dtype=np.float32) if kind == "noise" else None
            )
            moved = _Perturber(X[rows], dataset.image_shape, kind, directions[rows], noise)
            for i, level in enumerate(levels[1:], 1):
                chunk_pred = _predict(model, moved(level))
                hit = chunk_pred == y[rows]
                correct[i] += np.bincount(y[rows][hit], minlength=k)
            done += 1
            if progress is not None:
                progress(f"{PERTURBATIONS[kind].label} on the test set", done, total)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_class = np.where(counts > 0, correct / counts, np.nan)
        p = PERTURBATIONS[kind]
        curves.append(
            Curve(
                kind=kind,
                label=p.label,
                unit=p.unit,
                strengths=frozen(np.asarray(levels, dtype=np.float64)),
                accuracy=frozen(correct.sum(axis=1) / len(y)),
                per_class=frozen(per_class),
            )
        )
    return Evaluation(
        n=len(y),
        accuracy=float(right.mean()),
        loss=loss,
        class_names=dataset.class_names,
        per_class=frozen(per_class_accuracy(cm)),
        counts=frozen(counts),
        confusion=frozen(cm),
        coverage=coverage_curve(probs, y),
        curves=tuple(curves),
        seed=seed,
    )


def coverage_curve(probs: np.ndarray, y: np.ndarray) -> Coverage:
    """Coverage and accuracy at every distinct top probability of ``probs`` ``(n, k)``.

    Sorting the images by confidence, highest first, the answered set at a threshold
    is a prefix: its size over n is the coverage and its share of right answers the
    accuracy (a cumulative sum). Ties are one threshold: all of them or none.
    """
    n = len(y)
    if n == 0:
        raise DataError("no test images to measure coverage on")
    confidence = probs.max(axis=1).astype(np.float64)
    right = probs.argmax(axis=1) == y
    order = np.argsort(-confidence, kind="stable")
    confidence, right = confidence[order], right[order]
    last_of_tie = np.flatnonzero(np.append(np.diff(confidence) != 0, True))
    answered = last_of_tie + 1
    correct = np.cumsum(right)[last_of_tie]
    return Coverage(
        thresholds=frozen(confidence[last_of_tie]),
        coverage=frozen(answered / n),
        accuracy=frozen(correct / answered),
    )


def perturb(
    X: np.ndarray,
    image_shape: tuple[int, ...],
    kind: str,
    strength: float,
    *,
    seed: int = 0,
) -> np.ndarray:
    """A perturbed copy of the images ``X`` ``(n, d)`` at one strength, as the curves see them.

    For a preview of what a strength means; the draws come from ``seed`` as in
    :func:`evaluate_test_set` for the first chunk, so the first :data:`CHUNK` rows
    match what the evaluation scored.
    """
    if kind not in PERTURBATIONS:
        raise ConfigError(f"perturbation: {kind!r} is not one of {', '.join(KINDS)}")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != int(np.prod(image_shape)):
        raise DataError(f"images: shape {X.shape} does not hold images of {image_shape}")
    _check_level(kind, strength)
    directions = _directions(kind, len(X), seed)
    out = np.empty_like(X)
    for number, start in enumerate(range(0, len(X), CHUNK)):
        rows = slice(start, start + CHUNK)
        rng = np.random.default_rng([seed, KINDS.index(kind), number])
        noise = rng.standard_normal(X[rows].shape, dtype=np.float32) if kind == "noise" else None
        out[rows] = _Perturber(X[rows], image_shape, kind, directions[rows], noise)(strength)
    return out


# -- pieces ---------------------------------------------------------------------------
def _strengths(
    kind: str, given: Mapping[str, Sequence[float]] | None, image_shape: tuple[int, ...]
) -> tuple[float, ...]:
    if kind not in PERTURBATIONS:
        raise ConfigError(f"perturbation: {kind!r} is not one of {', '.join(KINDS)}")
    p = PERTURBATIONS[kind]
    if given is not None and kind in given:
        levels = [float(s) for s in given[kind]]
        for s in levels:
            _check_level(kind, s)
        levels = sorted(set(levels) | {0.0})
    else:
        scale = max(image_shape[:2]) / 28 if p.scales_with_size else 1.0
        levels = [s * scale for s in p.strengths]
    return tuple(levels)


def _check_level(kind: str, strength: float) -> None:
    if not np.isfinite(strength) or strength < 0:
        raise ConfigError(f"{kind} strength: {strength!r} is not a number >= 0")


def _chunks(n: int) -> int:
    return -(-n // CHUNK)


def _probabilities(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    probs = np.empty((len(X), model.sizes[-1]), dtype=model.dtype)
    total = 0.0
    for start, logits, _ in model.forward_chunks(X, CHUNK):
        loss, p = softmax_with_loss(logits, y[start : start + len(logits)])
        probs[start : start + len(p)] = p
        total += loss * len(p)
    return probs, total / len(X)


def _predict(model: MLP, X: np.ndarray) -> np.ndarray:
    return np.concatenate([z.argmax(axis=1) for _, z, _ in model.forward_chunks(X, CHUNK)])


def _directions(kind: str, n: int, seed: int) -> np.ndarray:
    """Per image: +1/-1 (which way to turn) or an angle in radians (where to shift)."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    if kind == "rotation":
        return rng.choice(np.array([-1.0, 1.0]), size=n)
    if kind == "shift":
        return rng.uniform(0.0, 2 * np.pi, size=n)
    return np.zeros(n)


class _Perturber:
    """One chunk of images and its draws; called with a strength, gives the perturbed chunk.

    Dilations and erosions are kept per whole radius, so a chunk's strengths share them.
    """

    def __init__(
        self,
        X: np.ndarray,
        image_shape: tuple[int, ...],
        kind: str,
        directions: np.ndarray,
        noise: np.ndarray | None,
    ) -> None:
        self.X = X
        self.shape = tuple(image_shape)
        self.kind = kind
        self.directions = directions
        self.noise = noise
        self._morphed: dict[int, np.ndarray] = {0: X}

    def __call__(self, strength: float) -> np.ndarray:
        if strength == 0:
            return self.X
        if self.kind == "noise":
            assert self.noise is not None
            out = self.X + np.float32(strength) * self.noise
            return np.clip(out, 0.0, 1.0, out=out)
        if self.kind in ("rotation", "shift"):
            return self._warp(strength)
        lo, frac = int(np.floor(strength)), strength - np.floor(strength)
        low = self._morph(lo)
        if frac == 0:
            return low
        blend = low * np.float32(1 - frac)
        blend += np.float32(frac) * self._morph(lo + 1)
        return blend

    def _warp(self, strength: float) -> np.ndarray:
        n, (H, W) = len(self.X), self.shape[:2]
        centre = np.array([(H - 1) / 2.0, (W - 1) / 2.0])
        matrix = np.zeros((n, 2, 2))
        if self.kind == "rotation":
            theta = np.deg2rad(strength) * self.directions
            cos, sin = np.cos(theta), np.sin(theta)
            # the inverse map turns output pixels back by theta: q = R(-theta)(p - c) + c
            matrix[:, 0, 0], matrix[:, 0, 1] = cos, sin
            matrix[:, 1, 0], matrix[:, 1, 1] = -sin, cos
            offset = centre - np.einsum("nij,j->ni", matrix, centre)
        else:
            matrix[:, 0, 0] = matrix[:, 1, 1] = 1.0
            move = strength * np.stack([np.sin(self.directions), np.cos(self.directions)], -1)
            offset = -move  # content moves by +move: output p reads input p - move
        return warp_images(self.X, self.shape, matrix, offset)

    def _morph(self, radius: int) -> np.ndarray:
        """Grey dilation (thicken) or erosion (thin) with a disk of ``radius`` pixels."""
        if radius not in self._morphed:
            from scipy import ndimage

            r = np.arange(-radius, radius + 1)
            disk = r[:, None] ** 2 + r[None, :] ** 2 <= radius * radius
            images = self.X.reshape(len(self.X), *self.shape)
            footprint = disk.reshape(1, *disk.shape, *([1] * (len(self.shape) - 2)))
            op = ndimage.grey_dilation if self.kind == "thicken" else ndimage.grey_erosion
            # Outside the image is background (0): strokes neither grow from nor wear into it.
            morphed = op(images, footprint=footprint, mode="constant", cval=0.0)
            self._morphed[radius] = morphed.reshape(len(self.X), -1)
        return self._morphed[radius]
