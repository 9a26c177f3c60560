"""The loss landscape of a recorded run: the line, the plane, the path on it, and stopping."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import Cancelled, TrainingError
from core.nn.model import MLP
from core.training import landscape as ls
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import EpochReport
from core.training.recorder import TimelineWriter
from core.training.timeline import Timeline
from core.training.trainer import Trainer

CFG = Config(dataset="digits", hidden=(16,), epochs=5, batch_size=32, learning_rate=0.1, seed=2)


@pytest.fixture(scope="module")
def run(digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    trainer = Trainer(CFG, digits, timeline=TimelineWriter(folder), snapshots=False)
    list(trainer.run())
    return Timeline(folder), trainer


@pytest.fixture(scope="module")
def whole(run, digits):
    """The landscape on the whole validation set (so its figures are the recorded ones)."""
    tl, _ = run
    return ls.landscape(tl, digits.X_val, digits.y_val, subset=len(digits.y_val), resolution=9)


def test_the_landscape_at_the_paths_own_points_matches_the_recorded_losses(whole, run, digits):
    tl, trainer = run
    assert [m.id for m in whole.moments] == [m.id for m in tl.moments]
    ends = [i for i, m in enumerate(whole.moments) if m.kind == "epoch"]
    recorded = [r["val_loss"] for r in trainer.history]
    assert np.allclose(whole.path_losses[ends], recorded, rtol=1e-6, atol=0)
    assert np.allclose(whole.path_accuracies[ends], [r["val_acc"] for r in trainer.history])
    # The line starts and ends at the path's first and last states ...
    alphas = whole.line.alphas
    at = {a: i for i, a in enumerate(np.round(alphas, 6))}
    assert whole.line.losses[at[0.0]] == pytest.approx(whole.path_losses[0], rel=1e-5)
    assert whole.line.losses[at[1.0]] == pytest.approx(recorded[-1], rel=1e-5)
    assert alphas[0] == -0.25 and alphas[-1] == 1.25
    # ... and the plane's origin is the last state.
    origin = ls.loss_on_plane(whole.plane, np.zeros((1, 2)), digits.X_val, digits.y_val)[0]
    assert origin[0] == pytest.approx(recorded[-1], rel=1e-5)


def test_a_path_in_its_plane_gives_the_plane_its_recorded_losses(run, digits):
    tl, trainer = run
    picks = [tl.at_epoch(0), tl.at_epoch(2), tl.at_epoch(5)]
    states = [tl.load(m).params for m in picks]
    plane = ls.trajectory_plane(states, normalize=False)  # three states span their plane
    assert np.allclose(plane.residual, 0, atol=1e-6) and np.array_equal(plane.coords[-1], [0, 0])
    losses, accs = ls.loss_on_plane(plane, plane.coords, digits.X_val, digits.y_val)
    own = [MLP.from_params(s).evaluate(digits.X_val, digits.y_val) for s in states]
    assert np.allclose(losses, [o[0] for o in own], rtol=1e-5)
    assert np.allclose(accs, [o[1] for o in own], atol=1 / len(digits.y_val))
    assert losses[1] == pytest.approx(trainer.history[1]["val_loss"], rel=1e-5)


def test_directions_are_normalised_unit_by_unit_as_li_et_al(whole):
    plane = whole.plane
    final = plane.origin
    for direction in plane.directions:
        for layer in range(0, len(final), 2):
            W, b = direction[layer], direction[layer + 1]
            moved = np.sqrt(np.square(W).sum(axis=0) + np.square(b))
            size = np.sqrt(np.square(final[layer]).sum(axis=0) + np.square(final[layer + 1]))
            live = moved > 0
            assert np.allclose(moved[live], size[live], rtol=1e-6)
    assert 0 < plane.explained[1] <= plane.explained[0] < 1
    assert np.all(plane.residual >= 0) and np.all(plane.residual <= 1)
    assert np.all(plane.coords[0] <= 0)  # the path comes in from the negative side


def test_the_grid_covers_the_path_and_the_origin(whole):
    s, coords = whole.surface, whole.plane.coords
    assert s.losses.shape == s.accuracies.shape == (9, 9)
    assert s.a[0] < min(coords[:, 0].min(), 0) and s.a[-1] > max(coords[:, 0].max(), 0)
    assert s.b[0] < min(coords[:, 1].min(), 0) and s.b[-1] > max(coords[:, 1].max(), 0)
    assert np.isfinite(s.losses).all() and s.losses.min() < whole.line.losses.max()


def test_progress_counts_every_network_and_a_stop_ends_it(run, digits):
    tl, _ = run
    reports: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        reports.append((done, total))

    ls.landscape(tl, digits.X_val, digits.y_val, resolution=4, progress=progress, subset=200)
    total = len(tl) + len(ls.LINE_ALPHAS) + 16
    assert reports == [(i, total) for i in range(1, total + 1)]

    reports.clear()
    with pytest.raises(Cancelled, match="stopped after 20 of"):
        ls.landscape(
            tl,
            digits.X_val,
            digits.y_val,
            resolution=4,
            progress=progress,
            should_stop=lambda: len(reports) >= 20,
        )
    assert len(reports) == 20


def test_a_plane_needs_three_states_off_one_line(run):
    tl, _ = run
    states = [tl.load(m).params for m in tl.moments[:2]]
    with pytest.raises(TrainingError, match="at least 3 recorded states"):
        ls.trajectory_plane(states)
    start, end = states
    middle = [(a + b) / 2 for a, b in zip(start, end, strict=True)]
    with pytest.raises(TrainingError, match="lie on one line"):
        ls.trajectory_plane([start, middle, end])


def test_the_path_follows_the_last_architecture(digits, tmp_path):
    control = TrainingControl()
    trainer = Trainer(CFG.replace(epochs=4), digits, control, timeline=TimelineWriter(tmp_path))
    for ev in trainer.run():
        if isinstance(ev, EpochReport) and ev.epoch == 1:
            control.set_hidden_size(24)
    tl = Timeline(tmp_path)
    path = ls.path_moments(tl)
    assert {m.architecture for m in path} == {(64, 24, 10)}
    assert path[-1] == tl.moments[-1] and len(path) == 2
    assert len(ls.path_moments(Timeline(tmp_path), limit=1)) == 1
