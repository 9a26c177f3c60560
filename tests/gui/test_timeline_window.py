"""The timeline in the window: scrub back, play, what changed, fork, landscape, run folders.

Real runs on the bundled digits in a real window; every wait is a handshake on what
the window shows (never a sleep). The runs record into ``BACKPROP_RUNS``, which the
suite points into each test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.training.timeline import Timeline, compare
from gui.run_folders import MARKER, RunFolder, RunFolders, runs_root
from gui.session import RunState
from gui.shared.state import SessionView
from tests.gui._window import window_config

LONG = 30_000  # ms: generous, for a busy 2-core machine
SEVEN = [(70, 60), (200, 60), (120, 230)]


def ready(qtbot, w):
    qtbot.waitUntil(lambda: w.session.state is RunState.READY, timeout=LONG)
    return w.session


def finished(qtbot, w, epochs: int):
    """Start a run, wait for its end and for its timeline to list its last epoch's end."""
    s = ready(qtbot, w)
    w.start()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    return recorded(qtbot, w, epochs)


def recorded(qtbot, w, epochs: int):
    qtbot.waitUntil(lambda: after(w.session.view.timeline, epochs) is not None, timeout=LONG)
    return w.session.view.timeline


def after(timeline, epochs: int) -> int | None:
    """The index of the state after ``epochs`` epochs (None: not recorded yet)."""
    found = [i for i, m in enumerate(timeline.moments) if m.batch == 0 and m.epoch == epochs]
    return found[-1] if found else None


def live_parameters(s):
    return s.run.submit(lambda trainer: [p.copy() for p in trainer.model.params])


def live_history(s):
    rows = s.run.submit(lambda trainer: [dict(r) for r in trainer.history])
    return [(r["train_loss"], r["train_acc"], r["val_loss"], r["val_acc"]) for r in rows]


def test_scrubbing_back_sets_every_snapshot_view_to_that_moment_and_live_comes_back(
    make_window, qtbot
):
    w = make_window(window_config(epochs=5))
    timeline = finished(qtbot, w, 5)
    s = w.session
    w.tabs.setCurrentWidget(w.canvas)
    w.canvas.draw_stroke(SEVEN)
    live_probs = w.canvas.probabilities()
    w.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: w.weights.shown_epoch() == 5, timeout=LONG)
    norms_x = w.health.epochs().tolist()
    assert norms_x[-1] == 5

    i = after(timeline, 2)
    s.view_moment(i)
    qtbot.waitUntil(lambda: s.view.timeline.shown == i, timeout=LONG)
    for view in (w.weights, w.confusion, w.gallery, w.health):
        qtbot.waitUntil(lambda view=view: view.shown_epoch() == 2, timeout=LONG)
    state = Timeline(timeline.folder).load(timeline.moments[i])
    data = s.view.run_data
    assert np.array_equal(w.confusion.matrix(), state.snapshot(data).confusion)
    assert w.health.epochs().tolist() == norms_x  # a look back adds no point to the series
    assert "network of epoch 2" in w.evaluation.status.text()
    assert w.curves.cursor() == 2.0
    bar = w.timeline_bar
    assert bar.viewing and bar.text().startswith("Viewing epoch 2 of 5")
    assert bar.live_button.isEnabled()
    w.tabs.setCurrentWidget(w.canvas)  # the Draw tab answers with that moment's network
    x = w.canvas.processed_image().reshape(1, -1)
    expected = state.model().predict_proba(x.astype(np.float32))[0]
    np.testing.assert_allclose(w.canvas.probabilities(), expected, rtol=1e-5)

    s.back_to_live()
    assert w.curves.cursor() is None and not bar.viewing
    np.testing.assert_array_equal(w.canvas.probabilities(), live_probs)
    w.tabs.setCurrentIndex(0)
    for view in (w.weights, w.confusion, w.gallery, w.health):
        qtbot.waitUntil(lambda view=view: view.shown_epoch() == 5, timeout=LONG)
    assert w.health.epochs().tolist() == norms_x


def test_scrubbing_while_training_never_changes_the_live_run(make_window, qtbot):
    epochs = 5
    w = make_window(window_config(epochs=epochs))
    s = ready(qtbot, w)
    w.start()  # the reference: nobody looks back
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    reference, history = live_parameters(s), live_history(s)
    w.reset()

    # The same run again, one epoch at a time: before each, a drag across every moment
    # recorded so far (the newest request wins), then the epoch trains while the views
    # show a recorded moment and its live snapshots are held back.
    s.step_epoch()
    qtbot.waitUntil(lambda: s.state is RunState.PAUSED, timeout=LONG)
    for done in range(1, epochs):
        recorded(qtbot, w, done)
        n = len(s.view.timeline.moments)
        for i in (*range(n), n // 2):
            s.view_moment(i)
        qtbot.waitUntil(lambda n=n: s.view.timeline.shown == n // 2, timeout=LONG)
        s.step_epoch()
        assert s.view.timeline.viewing == n // 2 and s.state.live
        qtbot.waitUntil(lambda: s.state in (RunState.PAUSED, RunState.FINISHED), timeout=LONG)
        assert w.weights.shown_epoch() != done + 1  # the live epoch waits behind the moment
    assert s.state is RunState.FINISHED
    assert live_history(s) == history
    for a, b in zip(live_parameters(s), reference, strict=True):
        np.testing.assert_array_equal(a, b)
    s.back_to_live()  # the newest live snapshot, held back all along, is drawn
    qtbot.waitUntil(lambda: w.weights.shown_epoch() == epochs, timeout=LONG)
    assert [(p.val_loss, p.val_acc) for p in s.view.runs[-1].history] == [
        (h[2], h[3]) for h in history
    ]


def test_play_walks_the_moments_in_order_from_the_start(make_window, qtbot):
    w = make_window(window_config(epochs=3))
    timeline = finished(qtbot, w, 3)
    s = w.session
    n = len(timeline.moments)
    assert [m.batch for m in timeline.moments[1:5]] == [1, 2, 4, 8]  # the first epoch, slowly
    shown: list[int] = []

    def on_changed(view: SessionView) -> None:
        i = view.timeline.shown
        if i is not None and (not shown or shown[-1] != i):
            shown.append(i)

    s.changed.connect(on_changed)
    s.play(500.0)  # moments a second: as fast as they load
    assert s.view.timeline.playing == 500.0
    qtbot.waitUntil(lambda: not s.view.timeline.playing, timeout=LONG)
    assert shown == list(range(n))
    assert s.view.timeline.viewing == n - 1  # it stays on the last moment
    assert w.timeline_bar.play_button.text() == "▶ Play"


def test_what_changed_matches_the_timeline_s_compare(make_window, qtbot):
    w = make_window(window_config(epochs=4))
    timeline = finished(qtbot, w, 4)
    view = w.what_changed
    first, last = after(timeline, 1), after(timeline, 4)
    view.pick(first, last)
    view.compare()
    assert view.busy()  # in a worker thread
    qtbot.waitUntil(lambda: view.result() is not None and not view.busy(), timeout=LONG)
    a, b, got = view.result()
    assert (a, b) == (timeline.moments[first], timeline.moments[last])
    tl = Timeline(timeline.folder)
    data = w.session.view.run_data
    want = compare(tl.load(a), tl.load(b), data.X_val, data.y_val)
    np.testing.assert_array_equal(got.fixed, want.fixed)
    np.testing.assert_array_equal(got.broken, want.broken)
    assert len(view.learned.captions()) == min(len(want.fixed), 60)
    assert len(view.unlearned.captions()) == min(len(want.broken), 60)
    if len(want.fixed):
        r = int(want.fixed[0])
        names = data.class_names
        assert view.learned.captions()[0] == (
            f"{names[data.y_val[r]]}: {names[want.pred_a[r]]}→{names[want.pred_b[r]]}"
        )


def test_a_fork_repeats_the_original_and_a_changed_one_is_a_branch(make_window, qtbot):
    w = make_window(window_config(epochs=6))
    timeline = finished(qtbot, w, 6)
    s = w.session
    original = live_history(s)
    reports: list = []
    w.bus.epoch.connect(reports.append)

    s.continue_from(after(timeline, 3), changes={})  # no change: the same epochs again
    qtbot.waitUntil(lambda: len(s.view.runs) == 2, timeout=LONG)
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert [r.epoch for r in reports] == [3, 4, 5]
    assert [(r.train_loss, r.train_acc, r.val_loss, r.val_acc) for r in reports] == original[3:]
    same = s.view.runs[1]
    assert same.branch is not None and same.branch.parent == 1
    assert same.branch.changed == "no change" and same.branch.x == 3.0

    # From the fork's own first moment (after 3 epochs), now with a higher rate.
    fork_timeline = recorded(qtbot, w, 6)
    start = fork_timeline.moments[0]
    assert (start.kind, start.epoch, start.batch) == ("start", 3, 0)
    s.continue_from(0, changes={"learning_rate": 0.3})
    qtbot.waitUntil(lambda: len(s.view.runs) == 3, timeout=LONG)
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    branch = s.view.runs[2]
    assert branch.branch is not None
    assert branch.branch.parent == same.number and branch.branch.parent_name == "Run 2"
    assert branch.branch.changed == "learning rate 0.1→0.3"
    assert branch.started.learning_rate == 0.3
    assert [p.epoch for p in branch.history] == [2, 3, 4, 5]  # starts at the original's point
    assert branch.history[0].val_loss == original[2][2]
    assert "fork of Run 2" in w.curves.marker_labels()
    assert "lr 0.1→0.3" in w.curves.marker_labels()
    x, _y = w.curves.series("val_loss")
    assert x[0] == 3.0  # the branch's curves leave the original's at the fork
    w.tabs.setCurrentWidget(w.runs)
    row = [r.name for r in w.runs.runs()].index("Run 3")
    assert w.runs.cell_text(row, "Run") == "Run 3 · fork of Run 2"
    assert "fork of Run 2 after 3 epochs" in w.runs.row_tooltip(row)
    xs, _acc = w.runs.curve(row)
    assert xs[0] == 3.0
    # The fork's timeline and checkpoint keep where it branched from.
    assert Timeline(s.view.timeline.folder).branch["epoch"] == 3


def test_the_landscape_is_computed_in_a_worker_can_be_cancelled_and_matches_the_path(
    make_window, qtbot
):
    w = make_window(window_config(epochs=4))
    view = w.landscape
    s = ready(qtbot, w)
    assert not view.compute_button.isEnabled()
    assert "records as it trains" in view.status.text()
    s.step_batch()  # the start and one batch: not enough for a plane
    qtbot.waitUntil(lambda: len(s.view.timeline.moments) == 2, timeout=LONG)
    assert not view.compute_button.isEnabled()
    assert "needs at least 3 recorded states of the run (2 so far)" in view.status.text()
    s.resume()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    timeline = recorded(qtbot, w, 4)
    assert view.compute_button.isEnabled()

    view.compute()
    assert view.busy() and view.landscape() is None  # the GUI thread goes on meanwhile
    qtbot.waitUntil(lambda: view.landscape() is not None and not view.busy(), timeout=LONG)
    land = view.landscape()
    assert len(land.subset) == len(s.view.run_data.y_val)  # the whole (small) validation set
    ends = [i for i, m in enumerate(land.moments) if m.kind == "epoch"]
    assert ends
    for i in ends:
        np.testing.assert_allclose(land.path_losses[i], land.moments[i].val_loss, rtol=1e-4)
    assert view.marked() == land.moments[-1]  # live: the newest state is ringed
    s.view_moment(after(timeline, 2))
    assert view.marked() == timeline.moments[after(timeline, 2)]

    view.resolution = 400  # long enough to be stopped on the way
    view.compute()
    qtbot.waitUntil(lambda: view.progress.value() > 0, timeout=LONG)
    view.cancel()
    qtbot.waitUntil(lambda: not view.busy(), timeout=LONG)
    assert view.landscape() is land  # nothing of the cancelled one is shown
    assert view.status.text().startswith("Cancelled")


def test_the_runs_record_where_the_variable_says_and_old_folders_are_cleaned_up(
    make_window, qtbot, tmp_path
):
    root = runs_root()
    assert root == tmp_path / "runs" and os.environ["BACKPROP_RUNS"] == str(root)
    root.mkdir()
    foreign = root / "notes"
    foreign.mkdir()
    lookalike = root / "20000101-000000-1"  # named like a run folder, not made as one
    lookalike.mkdir()
    kept = root / "20000101-000000-2"
    kept.mkdir()
    (kept / MARKER).write_bytes(b"")
    (kept / "kept.json").write_text('{"checkpoints": ["/elsewhere/run.npz"]}')
    held = root / "20000101-000000-3"  # another window shows this one
    held.mkdir()
    (held / MARKER).write_bytes(b"")
    other_window = RunFolder(held)
    other_window.hold()
    old = root / "20000101-000000-4"
    old.mkdir()
    (old / MARKER).write_bytes(b"")

    w = make_window(window_config(epochs=2))
    s = w.session
    s.run_folders = RunFolders(root, keep=2)
    folders = []
    for _ in range(3):
        finished(qtbot, w, 2)
        folders.append(Path(s.view.timeline.folder))
        w.reset()
    other_window.close()
    assert all(f.parent == root for f in folders)
    left = set(root.iterdir())
    assert not old.exists() and not folders[0].exists()  # beyond the two most recent
    assert {folders[1], folders[2], kept, held, foreign, lookalike} == left


def test_a_run_that_cannot_record_trains_anyway_and_says_so_once(
    make_window, qtbot, tmp_path, monkeypatch
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BACKPROP_RUNS", str(blocker / "runs"))
    w = make_window(window_config(epochs=3))
    s = w.session
    s.run_folders = RunFolders(runs_root())
    notices: list[str] = []
    s.changed.connect(
        lambda v: (
            notices.append(v.notice.text)
            if v.notice is not None and (not notices or notices[-1] != v.notice.text)
            else None
        )
    )
    ready(qtbot, w)
    w.start()
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert s.view.epochs_done == 3
    said = [n for n in notices if "records no timeline" in n]
    assert len(said) == 1 and "a-file" in said[0]
    assert s.view.timeline.folder is None
    assert "records no timeline" in w.timeline_bar.text()
    assert not w.timeline_bar.slider.isEnabled()


def test_the_fork_dialog_offers_the_moment_s_settings_and_names_a_bad_value(make_window, qtbot):
    from gui.panels.fork_dialog import ForkDialog

    w = make_window(window_config(epochs=3))
    timeline = finished(qtbot, w, 3)
    state = Timeline(timeline.folder).load(after(timeline, 2))
    dialog = ForkDialog(state, w)
    qtbot.addWidget(dialog)
    assert dialog.edits["learning_rate"].text() == "0.1"
    assert dialog.edits["hidden"].text() == "32"
    dialog.accept()  # nothing changed: the fork repeats the run
    assert dialog.result() and dialog.changes() == {}

    dialog = ForkDialog(state, w)
    qtbot.addWidget(dialog)
    dialog.set_value("learning_rate", "-1")
    dialog.accept()
    assert not dialog.result() and "learning_rate" in dialog.error.text()
    dialog.set_value("learning_rate", "0.3")
    dialog.set_value("hidden", "48")
    dialog.set_value("optimizer", "adam")
    dialog.accept()
    assert dialog.changes() == {"learning_rate": 0.3, "hidden": (48,), "optimizer": "adam"}


def test_a_fork_saved_opened_and_continued_stays_a_branch(make_window, qtbot, tmp_path):
    from core.training import checkpoint

    w = make_window(window_config(epochs=3))
    timeline = finished(qtbot, w, 3)
    s = w.session
    s.continue_from(after(timeline, 1), changes={"batch_size": 16})
    qtbot.waitUntil(lambda: len(s.view.runs) == 2, timeout=LONG)
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert w.save_checkpoint(tmp_path / "fork.npz")
    saved = checkpoint.load(tmp_path / "fork.npz").meta["branch"]
    assert saved["epoch"] == 1 and saved["changed"] == {"batch_size": [8, 16]}
    assert Path(saved["source"]) == Path(timeline.folder)
    assert (Path(s.view.timeline.folder) / "kept.json").is_file()  # saved: never cleaned up

    w.reset()
    assert w.open_checkpoint(tmp_path / "fork.npz")
    qtbot.waitUntil(lambda: s.state is RunState.LOADED, timeout=LONG)
    opened = next(r for r in s.view.runs if r.number == s.view.current)
    assert opened.branch is not None and opened.branch.changed == "batch size 8→16"
    w.set_config(w.config().replace(epochs=4))
    w.start()  # Continue: goes on training the fork
    qtbot.waitUntil(lambda: s.state is RunState.FINISHED, timeout=LONG)
    assert w.save_checkpoint(tmp_path / "more.npz")
    more = checkpoint.load(tmp_path / "more.npz")
    assert more.epoch == 4 and more.meta["branch"] == saved


def test_a_damaged_moment_is_refused_with_a_message_and_the_views_stay_live(make_window, qtbot):
    w = make_window(window_config(epochs=3))
    timeline = finished(qtbot, w, 3)
    s = w.session
    qtbot.waitUntil(lambda: w.weights.shown_epoch() == 3, timeout=LONG)
    i = after(timeline, 1)
    state_file = Path(timeline.folder) / "timeline" / timeline.moments[i].file
    state_file.write_bytes(state_file.read_bytes()[:100])  # cut short
    s.view_moment(i)
    qtbot.waitUntil(lambda: s.view.notice is not None, timeout=LONG)
    assert "Could not show that moment" in s.view.notice.text
    assert state_file.name in s.view.notice.text
    assert s.view.timeline.viewing is None and not w.timeline_bar.viewing
    assert w.weights.shown_epoch() == 3 and w.curves.cursor() is None
    s.view_moment(after(timeline, 2))  # the others still show
    qtbot.waitUntil(lambda: w.weights.shown_epoch() == 2, timeout=LONG)
