"""The loss landscape a run crossed: along the line from its start to its end, and over
the plane of its trajectory's two main directions, with the path drawn on it.

After Li et al. (2018), "Visualizing the Loss Landscape of Neural Nets", on a fixed
subset of the validation set:

- **Line**: ``L((1 - α) θ_0 + α θ_T)`` for ``α`` from -0.25 to 1.25, with ``θ_0`` the
  first state and ``θ_T`` the last: whether the loss falls all the way, and what lies
  beyond either end.
- **Plane**: ``L(θ_T + a d_1 + b d_2)``. ``d_1, d_2`` are the two main directions of
  the trajectory: the top right singular vectors of the matrix of offsets
  ``θ_i - θ_T`` (the paper's PCA of the optimisation path; not centred, so the
  plane through ``θ_T`` is the one that fits the offsets best). Each is then
  normalised per unit, as the paper normalises per filter: unit ``j`` of a layer
  (its incoming weights and its bias) is rescaled to the norm of the same unit in
  ``θ_T``, so a step of 1 moves every unit by its own size and the picture does not
  depend on how a ReLU network's layers happen to be scaled (``normalize=False``
  keeps the raw directions).
- **Path**: each state's coordinates on the plane (least squares in the basis
  ``d_1, d_2``) and its true loss. Normalised directions no longer hold the path
  exactly; ``Plane.residual`` says how much of each offset the plane misses.

Cost: the first layer's product is linear in the parameters, so on the plane
``X W_1(a, b) = X W_1T + a X D_1 + b X D_2``: the three products are made once and
each point costs only the layers above and element-wise work. Along the line the
same holds with one direction.

Every evaluation checks ``should_stop`` first (raising :class:`~core.errors.Cancelled`)
and reports ``progress(done, total)`` after, so a worker thread can show a progress
bar and stop at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import Cancelled, TrainingError
from core.nn.losses import softmax_cross_entropy
from core.nn.model import MLP
from core.training.health import sample_rows
from core.training.timeline import Moment, Timeline

Params = Sequence[np.ndarray]
Progress = Callable[[int, int], None]
ShouldStop = Callable[[], bool]

#: Where the line is evaluated: α = 0 is the first state, α = 1 the last.
LINE_ALPHAS = np.linspace(-0.25, 1.25, 31)
#: Grid points per side of the plane.
RESOLUTION = 25
#: Validation samples the landscape is evaluated on.
SUBSET = 2000
#: Most states the trajectory's directions are computed from (evenly chosen).
MAX_STATES = 60
#: Room left around the path on the plane, as a share of its extent on each side.
MARGIN = 0.25
#: Entries of a parameter array handled at a time when reducing over states.
_CHUNK = 1 << 16


@dataclass(frozen=True)
class LineProfile:
    """The loss ``(k,)`` and accuracy ``(k,)`` at ``alphas`` ``(k,)`` along θ_0 → θ_T."""

    alphas: np.ndarray
    losses: np.ndarray
    accuracies: np.ndarray


@dataclass(frozen=True)
class Plane:
    """The plane ``θ_T + a d_1 + b d_2`` and the path's place on it.

    ``origin`` is θ_T and ``directions`` the two directions (float64, shaped like
    the parameters); ``explained`` ``(2,)`` is the share of the offsets' squared
    length each raw direction holds; ``coords`` ``(n, 2)`` are the states' (a, b)
    and ``residual`` ``(n,)`` the share of each state's offset the plane misses (0
    for θ_T itself).
    """

    origin: tuple[np.ndarray, ...]
    directions: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]
    explained: np.ndarray
    coords: np.ndarray
    residual: np.ndarray


@dataclass(frozen=True)
class Surface:
    """Loss and accuracy ``(len(b), len(a))`` over the grid ``a`` × ``b``; row i is ``b[i]``."""

    a: np.ndarray
    b: np.ndarray
    losses: np.ndarray
    accuracies: np.ndarray


@dataclass(frozen=True)
class Landscape:
    """Everything a landscape view draws for one run.

    ``moments`` are the timeline's moments the path goes through, in order;
    ``path_losses`` and ``path_accuracies`` ``(n,)`` are each one's own figures on
    the subset, and ``plane.coords[i]`` its place on the plane.
    """

    line: LineProfile
    plane: Plane
    surface: Surface
    moments: tuple[Moment, ...]
    path_losses: np.ndarray
    path_accuracies: np.ndarray
    subset: np.ndarray


# -- the plane --------------------------------------------------------------------------
def trajectory_plane(states: Sequence[Params], *, normalize: bool = True) -> Plane:
    """The plane of ``states``' two main directions around the last one (see the module).

    ``states`` are parameter lists ``[W1, b1, ...]`` of one architecture, in order;
    at least three, not all on one line.
    """
    if len(states) < 3:
        raise TrainingError(
            f"a trajectory plane needs at least 3 recorded states of one network; got {len(states)}"
        )
    final = states[-1]
    for s in states:
        if len(s) != len(final) or any(a.shape != f.shape for a, f in zip(s, final, strict=True)):
            raise TrainingError("the states differ in shape: a plane needs one architecture")
    rows = len(states) - 1
    gram = np.zeros((rows, rows))
    for p in range(len(final)):
        for _, block in _offset_chunks(states, p):
            gram += block @ block.T
    eigenvalues, vectors = np.linalg.eigh(gram)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = np.maximum(eigenvalues[order], 0.0), vectors[:, order]
    # float32 rounding alone leaves a second direction some 1e-6 as long as the first
    if eigenvalues[1] <= 1e-9 * max(eigenvalues[0], 1e-300):
        raise TrainingError("the recorded states lie on one line: there is no plane to draw")
    # d_k = M^T u_k / sigma_k: unit vectors in parameter space.
    weights = vectors[:, :2] / np.sqrt(eigenvalues[:2])
    directions: list[list[np.ndarray]] = [[], []]
    for p, f in enumerate(final):
        parts = [np.empty(f.size), np.empty(f.size)]
        for lo, block in _offset_chunks(states, p):
            both = block.T @ weights  # (c, 2)
            parts[0][lo : lo + block.shape[1]] = both[:, 0]
            parts[1][lo : lo + block.shape[1]] = both[:, 1]
        directions[0].append(parts[0].reshape(f.shape))
        directions[1].append(parts[1].reshape(f.shape))
    if normalize:
        directions = [_normalize_per_unit(d, final) for d in directions]
    coords, residual = _project(states, directions)
    for k in range(2):  # point each axis so the path comes in from the negative side
        if coords[0, k] > 0:
            directions[k] = [-d for d in directions[k]]
            coords[:, k] = -coords[:, k]
    return Plane(
        origin=tuple(np.array(p, copy=True) for p in final),
        directions=(tuple(directions[0]), tuple(directions[1])),
        explained=eigenvalues[:2] / eigenvalues.sum(),
        coords=coords,
        residual=residual,
    )


def _offset_chunks(states: Sequence[Params], p: int) -> Iterator[tuple[int, np.ndarray]]:
    """Parameter ``p``'s offsets ``θ_i - θ_T`` as ``(start, float64 (n - 1, c) block)``,
    a few thousand entries at a time: a large network's offsets are never all in memory."""
    flats = [np.asarray(s[p]).reshape(-1) for s in states]
    for lo in range(0, flats[-1].size, _CHUNK):
        hi = lo + _CHUNK
        block = np.stack([f[lo:hi] for f in flats[:-1]]).astype(np.float64)
        block -= flats[-1][lo:hi]
        yield lo, block


def _normalize_per_unit(direction: list[np.ndarray], reference: Params) -> list[np.ndarray]:
    """Rescale each unit of ``direction`` (a column of W and its bias) to the unit's norm in
    ``reference``; a unit the direction does not move stays at zero."""
    out = []
    for l in range(0, len(direction), 2):
        W, b = direction[l], direction[l + 1]
        rW, rb = np.asarray(reference[l], np.float64), np.asarray(reference[l + 1], np.float64)
        norm_d = np.sqrt(np.square(W).sum(axis=0) + np.square(b))
        norm_r = np.sqrt(np.square(rW).sum(axis=0) + np.square(rb))
        scale = np.divide(norm_r, norm_d, out=np.zeros_like(norm_d), where=norm_d > 0)
        out += [W * scale, b * scale]
    return out


def _project(
    states: Sequence[Params], directions: list[list[np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares (a, b) of every state's offset in the basis of ``directions``, and the
    share of each offset's length left out."""
    final = states[-1]
    d1, d2 = directions
    basis = np.array([[_dot(d1, d1), _dot(d1, d2)], [_dot(d2, d1), _dot(d2, d2)]], dtype=np.float64)
    coords = np.zeros((len(states), 2))
    residual = np.zeros(len(states))
    for i, s in enumerate(states[:-1]):
        offset = [np.asarray(a, np.float64) - f for a, f in zip(s, final, strict=True)]
        rhs = np.array([_dot(d1, offset), _dot(d2, offset)])
        c = np.linalg.solve(basis, rhs)
        length2 = _dot(offset, offset)
        left = max(length2 - 2 * c @ rhs + c @ basis @ c, 0.0)
        coords[i] = c
        residual[i] = np.sqrt(left / length2) if length2 > 0 else 0.0
    return coords, residual


def _dot(a: Params, b: Params) -> float:
    """The dot product of two parameter lists, in float64."""
    return float(
        sum(
            np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
            for x, y in zip(a, b, strict=True)
        )
    )


# -- evaluating -------------------------------------------------------------------------
class _Evaluator:
    """Loss and accuracy of ``base + Σ c_k D_k`` on a fixed ``(X, y)``, the first layer shared.

    ``X W_1 = X W_1base + Σ c_k X D_k1`` is made of products taken once; the layers
    above are computed for each point from its parameters in float64, cast to the
    model's dtype.
    """

    def __init__(
        self,
        base: Params,
        directions: Sequence[Params],
        X: np.ndarray,
        y: np.ndarray,
        activation: str,
    ) -> None:
        self.dtype = np.asarray(base[0]).dtype
        self.model = MLP.from_params(base, activation)
        X = np.ascontiguousarray(X, dtype=self.dtype)
        self.y = np.asarray(y)
        self.base = [np.asarray(p, np.float64) for p in base]
        self.directions = [[np.asarray(p, np.float64) for p in d] for d in directions]
        self.first = X @ np.asarray(base[0], self.dtype)
        self.first_d = [X @ d[0].astype(self.dtype) for d in self.directions]

    def __call__(self, coefs: Sequence[float]) -> tuple[float, float]:
        t = self.dtype.type
        Z = self.first.copy()
        for c, P in zip(coefs, self.first_d, strict=True):
            Z += t(c) * P
        Z += self._param(1, coefs)
        for l in range(1, self.model.n_layers):
            A = self.model.act.forward(Z)
            Z = A @ self._param(2 * l, coefs)
            Z += self._param(2 * l + 1, coefs)
        correct = int(np.count_nonzero(Z.argmax(axis=1) == self.y))
        loss, _ = softmax_cross_entropy(Z, self.y, want_grad=False)
        return loss, correct / max(len(self.y), 1)

    def _param(self, i: int, coefs: Sequence[float]) -> np.ndarray:
        p = self.base[i].copy()
        for c, d in zip(coefs, self.directions, strict=True):
            p += c * d[i]
        return p.astype(self.dtype)


class _Counter:
    """Counts evaluations against a total, asks whether to stop, reports progress."""

    def __init__(self, total: int, progress: Progress | None, should_stop: ShouldStop | None):
        self.done, self.total = 0, total
        self.progress, self.should_stop = progress, should_stop

    def check(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise Cancelled(f"loss landscape stopped after {self.done} of {self.total} points")

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def loss_along_line(
    start: Params,
    end: Params,
    X: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "relu",
    alphas: np.ndarray = LINE_ALPHAS,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> LineProfile:
    """The loss and accuracy on ``X``, ``y`` at ``(1 - α) start + α end`` for each α."""
    return _line(start, end, X, y, activation, alphas, _Counter(len(alphas), progress, should_stop))


def _line(
    start: Params,
    end: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    alphas: np.ndarray,
    counter: _Counter,
) -> LineProfile:
    step = [
        np.asarray(e, np.float64) - np.asarray(s, np.float64)
        for s, e in zip(start, end, strict=True)
    ]
    evaluate = _Evaluator(start, [step], X, y, activation)
    alphas = np.asarray(alphas, dtype=np.float64)
    losses, accs = np.empty(len(alphas)), np.empty(len(alphas))
    for i, alpha in enumerate(alphas):
        counter.check()
        losses[i], accs[i] = evaluate((float(alpha),))
        counter.tick()
    return LineProfile(alphas=alphas, losses=losses, accuracies=accs)


def plane_grid(plane: Plane, resolution: int = RESOLUTION) -> tuple[np.ndarray, np.ndarray]:
    """Axes ``a``, ``b`` ``(resolution,)`` covering the path and the origin, with a margin."""
    axes = []
    for k in range(2):
        lo = min(float(plane.coords[:, k].min()), 0.0)
        hi = max(float(plane.coords[:, k].max()), 0.0)
        span = hi - lo if hi > lo else 1.0
        axes.append(np.linspace(lo - MARGIN * span, hi + MARGIN * span, resolution))
    return axes[0], axes[1]


def loss_on_plane(
    plane: Plane,
    points: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "relu",
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Loss and accuracy ``(k,)`` at ``points`` ``(k, 2)`` of the plane (a, b)."""
    counter = _Counter(len(points), progress, should_stop)
    return _on_plane(plane, np.asarray(points, np.float64), X, y, activation, counter)


def _on_plane(
    plane: Plane,
    points: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    counter: _Counter,
) -> tuple[np.ndarray, np.ndarray]:
    evaluate = _Evaluator(plane.origin, plane.directions, X, y, activation)
    losses, accs = np.empty(len(points)), np.empty(len(points))
    for i, (a, b) in enumerate(points):
        counter.check()
        losses[i], accs[i] = evaluate((float(a), float(b)))
        counter.tick()
    return losses, accs


def loss_surface(
    plane: Plane,
    X: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "relu",
    resolution: int = RESOLUTION,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> Surface:
    """The loss over a ``resolution`` × ``resolution`` grid of the plane (:func:`plane_grid`)."""
    counter = _Counter(resolution * resolution, progress, should_stop)
    return _surface(plane, X, y, activation, resolution, counter)


def _surface(
    plane: Plane, X: np.ndarray, y: np.ndarray, activation: str, resolution: int, counter: _Counter
) -> Surface:
    a, b = plane_grid(plane, resolution)
    grid = np.stack(np.meshgrid(a, b), axis=-1).reshape(-1, 2)  # row-major: b outer, a inner
    losses, accs = _on_plane(plane, grid, X, y, activation, counter)
    shape = (len(b), len(a))
    return Surface(a=a, b=b, losses=losses.reshape(shape), accuracies=accs.reshape(shape))


# -- from a timeline ----------------------------------------------------------------------
def validation_subset(y_val: np.ndarray, size: int = SUBSET, seed: int = 0) -> np.ndarray:
    """A fixed, sorted choice of ``min(size, n)`` validation rows (all of them, in order, when
    ``size`` covers the set: the figures then equal the recorded validation ones)."""
    return sample_rows(len(y_val), size, seed)


def path_moments(timeline: Timeline, limit: int = MAX_STATES) -> list[Moment]:
    """The moments a landscape goes through: the run's since its last change of
    architecture (a plane needs one parameter space), at most ``limit``, evenly chosen
    with the first and the last always in."""
    keep: list[Moment] = []
    for m in reversed(timeline.moments):
        if keep and m.architecture != keep[0].architecture:
            break
        keep.insert(0, m)
    if len(keep) > limit:
        picks = np.unique(np.linspace(0, len(keep) - 1, limit).round().astype(int))
        keep = [keep[i] for i in picks]
    return keep


def landscape(
    timeline: Timeline,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    moments: Sequence[Moment] | None = None,
    subset: int = SUBSET,
    resolution: int = RESOLUTION,
    alphas: np.ndarray = LINE_ALPHAS,
    normalize: bool = True,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
) -> Landscape:
    """The line, the plane, its surface and the path of a recorded run, on a validation subset.

    ``moments`` default to :func:`path_moments` (the GUI may pass those up to its
    cursor). Progress counts every network evaluated: the path's states, the line's
    points and the grid's.
    """
    chosen = list(moments) if moments is not None else path_moments(timeline)
    rows = validation_subset(y_val, subset)
    X, y = X_val[rows], y_val[rows]
    counter = _Counter(len(chosen) + len(alphas) + resolution * resolution, progress, should_stop)
    states = []
    activation = "relu"
    for m in chosen:
        counter.check()
        state = timeline.load(m)
        activation = state.config.activation
        states.append(state.params)
    plane = trajectory_plane(states, normalize=normalize)
    losses, accs = np.empty(len(states)), np.empty(len(states))
    for i, s in enumerate(states):
        counter.check()
        losses[i], accs[i] = MLP.from_params(s, activation).evaluate(X, y)
        counter.tick()
    line = _line(states[0], states[-1], X, y, activation, alphas, counter)
    surface = _surface(plane, X, y, activation, resolution, counter)
    return Landscape(
        line=line,
        plane=plane,
        surface=surface,
        moments=tuple(chosen),
        path_losses=losses,
        path_accuracies=accs,
        subset=rows,
    )
