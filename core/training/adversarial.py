"""Fool the network: the smallest change to an image that makes it read as class k.

Targeted projected gradient ascent (iterative FGSM) on ``log P(k | x)``, bounded per
pixel by ``ε`` (the L∞ norm of the change) and keeping pixels in [0, 1]::

    x_0 = x,   x_{t+1} = clip( x_t + α sign(∇_x log P(k | x_t)),  [x - ε, x + ε] ∩ [0, 1] )

with ``α = ε / 8``, stopping as soon as the network's answer is ``k``. The smallest
``ε`` that works is searched for in two rounds, each a single batch with one row per
candidate bound (so a search costs a few dozen forward and backward passes of a few
rows): first :data:`CANDIDATES` bounds spaced geometrically from 1/255 to
``max_epsilon``, then as many evenly spaced between the last bound that failed and
the first that worked. Nothing is random: the same model and image always give the
same change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.errors import ConfigError, DataError
from core.training.events import frozen

if TYPE_CHECKING:
    from core.nn.model import MLP

#: Candidate bounds tried at once in each of the two rounds of the search.
CANDIDATES = 16
#: Gradient steps each candidate may take, and the step as a share of its bound.
STEPS, STEP_SHARE = 40, 1 / 8
#: The smallest bound tried: one grey level.
MIN_EPSILON = 1 / 255


@dataclass(frozen=True, slots=True, kw_only=True)
class Adversarial:
    """A changed image and what it did; arrays are read-only ``(d,)`` rows like the input.

    ``change = image - original``; ``l2`` and ``linf`` are its norms (``linf <=
    epsilon``, the bound the search settled on). ``success`` is whether the
    network now answers ``target``; when it is false, the image is the attempt at
    ``max_epsilon``.
    """

    target: int
    success: bool
    epsilon: float
    original: np.ndarray
    image: np.ndarray
    change: np.ndarray
    l2: float
    linf: float
    probs_before: np.ndarray
    probs_after: np.ndarray
    predicted_before: int
    predicted_after: int
    steps: int


def make_it_read_as(
    model: MLP, x: np.ndarray, target: int, *, max_epsilon: float = 1.0
) -> Adversarial:
    """The smallest per-pixel change (up to ``max_epsilon``) that makes ``model`` read ``x`` as
    ``target``; see the module docstring.

    ``x`` is one image with values in [0, 1], any shape of ``n_in`` values. The model's
    parameters are never changed. Like :meth:`MLP.input_gradient`, this uses the
    model's backward pass, so it must not run on a model another thread trains.
    """
    original = _one_image(model, x)
    k = model.sizes[-1]
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ConfigError(f"target: {target!r} is not a class index")
    if not 0 <= target < k:
        raise ConfigError(f"target: {target} is not a class of this network (0 to {k - 1})")
    if not 0.0 < max_epsilon <= 1.0:
        raise ConfigError(f"max_epsilon: {max_epsilon!r} is not in (0, 1]")
    target = int(target)
    before = model.predict_proba(original[None])[0]
    if int(before.argmax()) == target:
        return _result(model, target, 0.0, original, original, before, 0)
    low = min(MIN_EPSILON, max_epsilon)
    bounds = np.geomspace(low, max_epsilon, CANDIDATES)
    images, hit, steps = _attack(model, original, target, bounds)
    if not hit.any():
        return _result(model, target, max_epsilon, original, images[-1], before, STEPS)
    first = int(np.argmax(hit))
    below = bounds[first - 1] if first else 0.0
    finer = np.linspace(below, bounds[first], CANDIDATES + 1)[1:]
    fine_images, fine_hit, fine_steps = _attack(model, original, target, finer)
    found = [(finer[i], fine_images[i], fine_steps[i]) for i in np.flatnonzero(fine_hit)]
    found.append((bounds[first], images[first], steps[first]))
    for epsilon, image, taken in found:
        result = _result(model, target, float(epsilon), original, image, before, int(taken))
        # The batch and a single row may round differently: keep what holds on its own.
        if result.success:
            return result
    return result


def _one_image(model: MLP, x: np.ndarray) -> np.ndarray:
    flat = np.asarray(x, dtype=model.dtype).reshape(-1)
    if flat.size != model.sizes[0]:
        raise DataError(
            f"image: {np.shape(x)} holds {flat.size} values; the network takes {model.sizes[0]}"
        )
    if not np.isfinite(flat).all() or flat.min() < 0 or flat.max() > 1:
        raise DataError("image: pixel values must be finite and within [0, 1]")
    return flat


def _attack(
    model: MLP, x: np.ndarray, target: int, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targeted PGD from ``x`` under each bound at once: one row per bound.

    Returns the images ``(b, d)``, which rows are read as ``target`` ``(b,)`` and the
    steps each took. A row that reaches the target stops moving.
    """
    eps = bounds.astype(model.dtype)[:, None]
    lo, hi = np.maximum(x - eps, 0), np.minimum(x + eps, 1)
    step = eps * model.dtype.type(STEP_SHARE)
    images = np.repeat(x[None], len(bounds), axis=0)
    hit = np.zeros(len(bounds), dtype=bool)
    steps = np.zeros(len(bounds), dtype=np.int64)
    for t in range(STEPS + 1):
        active = np.flatnonzero(~hit)
        if active.size == 0:
            break
        probs, grad = model.log_prob_gradient(images[active], target)
        reached = probs.argmax(axis=1) == target
        hit[active[reached]] = True
        steps[active[reached]] = t
        moving = active[~reached]
        if t == STEPS or moving.size == 0:
            break
        moved = images[moving] + step[moving] * np.sign(grad[~reached])
        images[moving] = np.clip(moved, lo[moving], hi[moving])
    return images, hit, steps


def _result(
    model: MLP,
    target: int,
    epsilon: float,
    original: np.ndarray,
    image: np.ndarray,
    before: np.ndarray,
    steps: int,
) -> Adversarial:
    after = model.predict_proba(image[None])[0]
    change = image - original
    return Adversarial(
        target=target,
        success=int(after.argmax()) == target,
        epsilon=epsilon,
        original=frozen(original),
        image=frozen(image),
        change=frozen(change),
        l2=float(np.linalg.norm(change.astype(np.float64))),
        linf=float(np.abs(change).max(initial=0.0)),
        probs_before=frozen(before),
        probs_after=frozen(after),
        predicted_before=int(before.argmax()),
        predicted_after=int(after.argmax()),
        steps=steps,
    )
