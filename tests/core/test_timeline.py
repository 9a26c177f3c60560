"""The timeline: what a run records and when, on disk, capped, safe to read while written."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cli import main
from core.errors import TimelineError
from core.training import checkpoint
from core.training import recorder as recorder_module
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import EpochReport, Snapshot
from core.training.recorder import TimelineWriter
from core.training.timeline import JOURNAL, TIMELINE_DIR, Timeline, compare
from core.training.trainer import Trainer

#: 1,317 digits at batch 32: 42 batches an epoch, so 1, 2, 4, 8, 16, 32 are recorded.
CFG = Config(
    dataset="digits",
    hidden=(16,),
    epochs=3,
    batch_size=32,
    optimizer="adam",
    learning_rate=0.01,
    dropout=0.2,
    augment="shift",
    seed=5,
)
FIRST_EPOCH_BATCHES = [1, 2, 4, 8, 16, 32]


def quiet_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def recorded(digits, tmp_path_factory):
    """A 3-epoch run recorded into its folder, with the live snapshots it sent."""
    folder = tmp_path_factory.mktemp("run")
    trainer = Trainer(CFG, digits, timeline=TimelineWriter(folder))
    events = list(trainer.run())
    return folder, trainer, events


def test_a_run_records_its_start_the_log_spaced_first_batches_and_every_epoch_end(recorded):
    folder, trainer, _ = recorded
    tl = Timeline(folder)
    kinds = [(m.kind, m.epoch, m.batch) for m in tl.moments]
    assert kinds == [
        ("start", 0, 0),
        *(("batch", 0, b) for b in FIRST_EPOCH_BATCHES),
        ("epoch", 1, 0),
        ("epoch", 2, 0),
        ("epoch", 3, 0),
    ]
    moments = tl.moments
    assert [m.step for m in moments] == [0, *FIRST_EPOCH_BATCHES, 42, 84, 126]
    assert [m.label for m in moments[:2]] == ["start", "epoch 0, batch 1"]
    assert moments[-1].label == "after 3 epochs"
    assert moments[3].progress == pytest.approx(4 * 32 / 1317)
    for m, row in zip(moments[-3:], trainer.history, strict=True):
        assert (m.val_loss, m.val_acc, m.train_loss) == (
            row["val_loss"],
            row["val_acc"],
            row["train_loss"],
        )
    assert moments[0].val_loss is None and moments[1].train_loss is not None
    assert tl.history == trainer.history and tl.branch is None
    assert tl.run["config"]["hidden"] == [16] and tl.run["n_train"] == 1317
    files = sorted(p.name for p in (folder / TIMELINE_DIR).glob("state-*.npz"))
    assert files == sorted(m.file for m in moments)
    assert tl.nbytes == sum(p.stat().st_size for p in (folder / TIMELINE_DIR).glob("state-*"))


def test_a_recorded_state_holds_what_continuing_needs(recorded):
    folder, trainer, _ = recorded
    tl = Timeline(folder)
    last = tl.load(tl.moments[-1])
    for a, b in zip(last.params, trainer.model.params, strict=True):
        assert np.array_equal(a, b) and not a.flags.writeable
    assert last.optimizer_name == "adam" and last.optimizer_t == trainer.optimizer.t
    for slot in ("m", "v"):
        for a, b in zip(last.optimizer_state[slot], trainer.optimizer.state[slot], strict=True):
            assert np.array_equal(a, b)
    assert last.config == trainer.config and last.position is None
    assert list(last.history) == trainer.history and last.grad_norms == trainer.grad_norms

    mid = tl.load(tl.at_batch(8))
    p = mid.position
    assert p is not None and (p.epoch, p.batch, p.sample, p.step) == (0, 8, 8 * 32, 8)
    assert p.seen == 8 * 32 and 0 <= p.correct <= p.seen and p.loss_sum > 0
    assert p.dropout_rng["bit_generator"] == "PCG64" and p.augment_rng != p.dropout_rng
    assert mid.history == () and mid.learning_rate == 0.01 and mid.batch_size == 32
    model = mid.model()
    assert model.dropout == 0.2 and model.params[0].flags.writeable
    assert not np.array_equal(model.params[0], last.params[0])


def test_recording_and_scrubbing_never_change_the_live_run(recorded, digits, tmp_path):
    _, unrecorded_twin, _ = recorded
    plain = Trainer(CFG, digits, snapshots=False)
    list(plain.run())
    start_written = threading.Event()
    control = TrainingControl()
    control.pause()  # held before its first batch until the first look
    writer = TimelineWriter(tmp_path, on_recorded=lambda moment: start_written.set())
    trainer = Trainer(CFG, digits, control, timeline=writer, snapshots=False)
    worker = threading.Thread(target=lambda: list(trainer.run()))
    worker.start()
    looked = 0

    def scrub() -> None:  # to the first and the latest moment, as a slider does
        nonlocal looked
        tl = Timeline(tmp_path)
        for m in tl.moments[:1] + tl.moments[-1:]:
            model = tl.load(m).model()
            model.params[0][:] = 0  # the copy is the viewer's own
            model.predict(digits.X_val[:10])
            looked += 1

    assert start_written.wait(20)
    scrub()
    control.resume()
    while worker.is_alive():  # and to and fro while it trains
        worker.join(0.005)
        scrub()
    assert looked >= 2
    keys = ("train_loss", "train_acc", "val_loss", "val_acc", "step")
    for a, b, c in zip(trainer.history, plain.history, unrecorded_twin.history, strict=True):
        assert [a[k] for k in keys] == [b[k] for k in keys] == [c[k] for k in keys]
    for a, b in zip(trainer.model.params, plain.model.params, strict=True):
        assert np.array_equal(a, b)


def test_a_moment_shows_what_the_live_views_showed(recorded, digits):
    folder, _, events = recorded
    tl = Timeline(folder)
    live = [ev for ev in events if isinstance(ev, Snapshot)][1]  # end of epoch 1
    again = tl.load(tl.at_epoch(2)).snapshot(digits)
    assert again.epoch == live.epoch == 1
    assert np.array_equal(again.confusion, live.confusion)
    assert np.array_equal(again.sample_index, live.sample_index)
    assert again.dead_fraction == live.dead_fraction

    first, last = tl.load(tl.at_epoch(0)), tl.load(tl.at_epoch(3))
    diff = compare(first, last, digits.X_val, digits.y_val)
    right_first = diff.pred_a == digits.y_val
    right_last = diff.pred_b == digits.y_val
    assert np.array_equal(diff.fixed, np.flatnonzero(~right_first & right_last))
    assert np.array_equal(diff.broken, np.flatnonzero(right_first & ~right_last))
    assert len(diff.fixed) > len(diff.broken)


def test_the_size_cap_holds_for_a_long_run_and_keeps_the_first_epoch_and_the_last_ten(
    digits, tmp_path
):
    config = Config(dataset="digits", hidden=(4,), epochs=80, batch_size=256, seed=1)
    probe = tmp_path / "probe"
    list(Trainer(config.replace(epochs=1), digits, timeline=TimelineWriter(probe)).run())
    state_bytes = max(m.bytes for m in Timeline(probe).moments)
    cap = 24 * state_bytes
    writer = TimelineWriter(tmp_path / "long", cap_bytes=cap)
    trainer = Trainer(config, digits, timeline=writer)
    list(trainer.run())
    assert writer.error is None
    tl = Timeline(tmp_path / "long")
    assert tl.nbytes <= cap
    kinds = [(m.kind, m.epoch, m.batch) for m in tl.moments]
    first = [("start", 0, 0), ("batch", 0, 1), ("batch", 0, 2), ("batch", 0, 4), ("epoch", 1, 0)]
    assert kinds[:5] == first
    ends = [m.epoch for m in tl.moments if m.kind == "epoch"]
    assert ends[-10:] == list(range(71, 81))
    kept = ends[1:-10]  # what thinning chose among epochs 2-70: spread, not bunched
    assert len(kept) >= 2 and max(np.diff([1, *kept, 71])) <= 3 * (70 / (len(kept) + 1))
    files = sorted(p.name for p in (tmp_path / "long" / TIMELINE_DIR).glob("*.npz"))
    assert files == sorted(m.file for m in tl.moments)  # thinned files are gone
    assert len(tl.history) == 80  # the history is whole, whatever was thinned


def test_a_cap_below_the_protected_states_keeps_only_them(digits, tmp_path):
    config = Config(dataset="digits", hidden=(4,), epochs=14, batch_size=512, seed=1)
    list(Trainer(config, digits, timeline=TimelineWriter(tmp_path, cap_bytes=1)).run())
    kinds = [(m.kind, m.epoch) for m in Timeline(tmp_path).moments]
    # 3 batches an epoch: the start, batches 1 and 2, the first epoch end, the last ten.
    assert kinds == [
        ("start", 0),
        ("batch", 0),
        ("batch", 0),
        ("epoch", 1),
        *(("epoch", e) for e in range(5, 15)),
    ]


def test_a_damaged_timeline_is_refused_clearly_and_the_checkpoint_still_loads(tmp_path):
    run = tmp_path / "run"
    code, _, err = quiet_main(
        [
            "train",
            "--dataset",
            "digits",
            "--hidden",
            "8",
            "--epochs",
            "2",
            "-o",
            str(run),
            "--no-pictures",
        ]
    )
    assert code == 0, err
    journal = run / TIMELINE_DIR / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    tl = Timeline(run)
    state = run / TIMELINE_DIR / tl.moments[-1].file
    good_state = state.read_bytes()

    def refused(match: str) -> None:
        with pytest.raises(TimelineError, match=match):
            Timeline(run).load(Timeline(run).moments[-1])
        assert checkpoint.load(run / "model.npz").epoch == 2
        code, _, err = quiet_main(["train", "--fork", str(run), "--at-epoch", "2", "--epochs", "3"])
        error = err.strip().splitlines()
        assert code == 1 and len(error) == 1 and error[0].startswith("error: "), err
        assert "Traceback" not in err

    journal.write_bytes(b"".join([*lines[:3], b"{not json\n", *lines[3:]]))
    refused(r"line 4: not valid JSON .*damaged")
    journal.write_bytes(b"".join([*lines[:1], b'{"record": "state", "id": 1}\n', *lines[1:]]))
    refused("line 2: state kind")
    journal.write_bytes(b"".join(lines))

    flipped = bytearray(good_state)
    flipped[len(flipped) // 2] ^= 0xFF  # inside a weight array: its CRC no longer matches
    state.write_bytes(bytes(flipped))
    refused("corrupt")
    state.write_bytes(good_state[: len(good_state) // 2])
    refused("truncated or corrupt")
    state.write_bytes(b"not a zip at all")
    refused("not a timeline state")
    state.unlink()
    refused("missing")
    state.write_bytes(good_state)
    assert Timeline(run).load(Timeline(run).moments[-1]).moment.epoch == 2


def test_a_hostile_journal_cannot_point_outside_its_folder(recorded, tmp_path):
    folder = tmp_path / "run"
    (folder / TIMELINE_DIR).mkdir(parents=True)
    head = (recorded[0] / TIMELINE_DIR / JOURNAL).read_text().splitlines()[0]
    sneaky = {
        "record": "state",
        "id": 0,
        "file": "../../model.npz",
        "kind": "epoch",
        "epoch": 1,
        "batch": 0,
        "step": 1,
        "bytes": 1,
        "progress": 1.0,
        "learning_rate": 0.1,
        "batch_size": 1,
        "architecture": [64, 10],
    }
    (folder / TIMELINE_DIR / JOURNAL).write_text(head + "\n" + json.dumps(sneaky) + "\n")
    with pytest.raises(TimelineError, match="not a state's"):
        Timeline(folder)


def test_a_reader_follows_the_run_while_it_writes(digits, tmp_path):
    seen: list = []
    first_end = threading.Event()

    def on_recorded(moment):
        seen.append(moment)
        if moment.kind == "epoch":
            first_end.set()

    control = TrainingControl()
    writer = TimelineWriter(tmp_path, on_recorded=on_recorded)
    trainer = Trainer(CFG.replace(epochs=3), digits, control, timeline=writer)
    reader = None
    for ev in trainer.run():
        if isinstance(ev, EpochReport) and ev.epoch == 0:
            assert first_end.wait(20)  # the writer's handshake: epoch 0's state is on disk
            reader = Timeline(tmp_path)
            assert reader.moments[-1].kind == "epoch" and reader.moments[-1].epoch == 1
            assert reader.load(reader.moments[-1]).moment.step == 42
            assert not reader.refresh() or len(reader) >= 8
    assert reader is not None and reader.refresh()
    assert [m.id for m in reader.moments] == [m.id for m in seen] == list(range(10))
    journal = tmp_path / TIMELINE_DIR / JOURNAL
    with open(journal, "ab") as f:  # what a crash in the middle of an append leaves
        f.write(b'{"record": "drop", "id"')
    assert not reader.refresh() and len(Timeline(tmp_path)) == 10


def test_resuming_into_the_same_folder_continues_its_timeline(tmp_path):
    args = ["train", "-o", str(tmp_path), "--no-pictures"]
    assert quiet_main([*args, "--dataset", "digits", "--hidden", "8", "--epochs", "2"])[0] == 0
    before = Timeline(tmp_path).moments
    resume = ["--resume", str(tmp_path / "model.npz"), "--epochs", "4"]
    code, out, err = quiet_main([*args, *resume])
    assert code == 0, err
    tl = Timeline(tmp_path)
    assert tl.moments[: len(before)] == before  # the first epoch's states are still there
    assert [m.epoch for m in tl.moments if m.kind == "epoch"] == [1, 2, 3, 4]
    assert [m.kind for m in tl.moments].count("start") == 1
    assert len(tl.history) == 4 and "Timeline: " in out


def test_a_new_run_in_a_used_folder_replaces_its_timeline(digits, tmp_path):
    list(Trainer(CFG.replace(epochs=2), digits, timeline=TimelineWriter(tmp_path)).run())
    other = CFG.replace(epochs=1, seed=9)
    list(Trainer(other, digits, timeline=TimelineWriter(tmp_path)).run())
    tl = Timeline(tmp_path)
    assert tl.run["config"]["seed"] == 9 and [m.epoch for m in tl.moments][-1] == 1
    assert len(list((tmp_path / TIMELINE_DIR).glob("state-*.npz"))) == len(tl)


def test_two_runs_never_record_into_one_folder(digits, tmp_path):
    holder = TimelineWriter(tmp_path)
    holder.open(Trainer(CFG, digits))
    try:
        events = list(Trainer(CFG, digits, timeline=TimelineWriter(tmp_path)).run())
    finally:
        holder.close()
    assert events[-1].reason == "error" and "another run is recording" in events[-1].message


def test_a_writer_that_is_not_required_lets_a_run_train_where_it_cannot_record(digits, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    writer = TimelineWriter(blocker / "run", required=False)
    events = list(Trainer(CFG.replace(epochs=1), digits, timeline=writer).run())
    assert events[-1].reason == "completed"
    assert writer.error is not None and "cannot record the timeline" in writer.error
    assert not writer.recording
    held = TimelineWriter(tmp_path / "held")  # a folder another run records into
    held.open(Trainer(CFG, digits))
    try:
        second = TimelineWriter(tmp_path / "held", required=False)
        events = list(Trainer(CFG.replace(epochs=1), digits, timeline=second).run())
    finally:
        held.close()
    assert events[-1].reason == "completed" and "another run is recording" in second.error


def test_a_failed_write_stops_recording_but_not_training(tmp_path, monkeypatch):
    real = recorder_module._write_atomic
    written = []

    def disk_fills_up(path, arrays):
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(path)
        return real(path, arrays)

    monkeypatch.setattr(recorder_module, "_write_atomic", disk_fills_up)
    argv = ["train", "--dataset", "digits", "--hidden", "8", "--epochs", "2", "--no-pictures"]
    code, out, err = quiet_main([*argv, "-o", str(tmp_path)])
    assert code == 0 and "Epoch   1:" in out
    assert "warning: timeline: " in err and "No space left on device" in err
    assert len(Timeline(tmp_path)) == 3 and checkpoint.load(tmp_path / "model.npz").epoch == 2


def test_no_timeline_records_nothing(tmp_path):
    argv = ["train", "--dataset", "digits", "--hidden", "8", "--epochs", "1", "--no-pictures"]
    code, out, _ = quiet_main([*argv, "--no-timeline", "-o", str(tmp_path)])
    assert code == 0 and "Timeline: not recorded (--no-timeline)" in out
    assert not (tmp_path / TIMELINE_DIR).exists()
    with pytest.raises(TimelineError, match="no timeline here"):
        Timeline(tmp_path)


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """``data`` with a few bytes changed, some cut out, or cut short."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip" and out:
            out[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del out[at:]
    return bytes(out)


@pytest.fixture(scope="module")
def fuzz_folder(recorded, tmp_path_factory):
    """A copy of the recorded run's timeline to damage case after case."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(recorded[0] / TIMELINE_DIR, folder / TIMELINE_DIR)
    journal = (folder / TIMELINE_DIR / JOURNAL).read_bytes()
    state = Timeline(folder).moments[4].file
    return folder, journal, state, (folder / TIMELINE_DIR / state).read_bytes()


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_a_damaged_timeline_only_ever_raises_timeline_errors(fuzz_folder, data):
    folder, journal, state, state_bytes = fuzz_folder
    which = data.draw(st.sampled_from(["journal", "state"]))
    bad = data.draw(damaged(journal if which == "journal" else state_bytes))
    (folder / TIMELINE_DIR / JOURNAL).write_bytes(bad if which == "journal" else journal)
    (folder / TIMELINE_DIR / state).write_bytes(bad if which == "state" else state_bytes)
    try:
        tl = Timeline(folder)
        for m in tl.moments:
            tl.load(m)
    except TimelineError:
        pass
