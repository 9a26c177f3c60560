"""Checkpoints: exact round trips, exact resumption, clear errors, crash-safe writes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.errors import CheckpointError
from core.training import checkpoint
from core.training.config import Config
from core.training.control import TrainingControl
from core.training.events import EpochReport
from core.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
CFG = Config(
    hidden=(24,),
    epochs=4,
    batch_size=32,
    optimizer="adam",
    learning_rate=0.01,
    dropout=0.1,
    schedule="cosine",
    min_lr_ratio=0.1,
    seed=3,
)


@pytest.fixture(scope="module")
def saved(digits, tmp_path_factory):
    """A checkpoint of a 2-epoch run, and the trainer that wrote it."""
    trainer = Trainer(CFG.replace(epochs=2), digits)
    list(trainer.run())
    path = checkpoint.save(tmp_path_factory.mktemp("ck") / "model.npz", trainer)
    return path, trainer


def test_round_trip_keeps_predictions_state_and_records(saved, digits):
    path, trainer = saved
    ck = checkpoint.load(path)
    assert np.array_equal(
        ck.model.predict_proba(digits.X_test), trainer.model.predict_proba(digits.X_test)
    )
    assert ck.model.sizes == trainer.model.sizes and ck.model.dropout == 0.1
    assert ck.optimizer.name == "adam" and ck.optimizer.t == trainer.optimizer.t
    for slot in ("m", "v"):
        for a, b in zip(ck.optimizer.state[slot], trainer.optimizer.state[slot], strict=True):
            assert np.array_equal(a, b)
    assert ck.history == trainer.history and ck.epoch == 2 and ck.step == trainer.step
    assert ck.config == trainer.config


def test_a_resumed_run_repeats_an_uninterrupted_one_epoch_for_epoch(digits, tmp_path):
    straight = Trainer(CFG, digits)
    list(straight.run())

    control = TrainingControl()
    first = Trainer(CFG, digits, control)
    for ev in first.run():
        if isinstance(ev, EpochReport) and ev.epoch == 1:
            control.stop()  # same config, stopped after two of its four epochs
    assert first.epoch == 2
    path = checkpoint.save(tmp_path / "half.npz", first)

    resumed = checkpoint.load(path).trainer(digits)
    events = list(resumed.run())
    assert events[0].first_epoch == 2 and events[-1].reason == "completed"
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "learning_rate", "step")
    assert [{k: r[k] for k in keys} for r in resumed.history] == [
        {k: r[k] for k in keys} for r in straight.history
    ]
    for a, b in zip(resumed.model.params, straight.model.params, strict=True):
        assert np.array_equal(a, b)


def test_live_changes_are_kept_and_resumed(digits, tmp_path):
    control = TrainingControl()
    trainer = Trainer(CFG.replace(epochs=2, optimizer="momentum"), digits, control)
    control.set_hidden_size(40)
    control.set_batch_size(64)
    list(trainer.run())
    ck = checkpoint.load(checkpoint.save(tmp_path / "m.npz", trainer))
    assert ck.config.hidden == (40,) and ck.config.batch_size == 64
    assert [c["name"] for c in ck.changes] == [c["name"] for c in trainer.changes]
    assert len(ck.changes) == 2
    resumed = ck.trainer(digits, config=ck.config.replace(epochs=3))
    list(resumed.run())
    assert len(resumed.history) == 3 and resumed.history[-1]["architecture"] == [64, 40, 10]


def _rewrite(src: Path, dst: Path, change) -> Path:
    with np.load(src) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(dst, **arrays)
    return dst


def test_truncated_file_is_refused(saved, tmp_path):
    data = saved[0].read_bytes()
    bad = tmp_path / "cut.npz"
    for keep in (len(data) // 2, len(data) - 30, 10):
        bad.write_bytes(data[:keep])
        with pytest.raises(CheckpointError, match="truncated or corrupt"):
            checkpoint.load(bad)


def test_an_extra_pickled_object_is_refused_without_unpickling(saved, tmp_path):
    def add_object(arrays):
        arrays["payload"] = np.array([{"run": "os.system"}], dtype=object)

    bad = _rewrite(saved[0], tmp_path / "obj.npz", add_object)
    with pytest.raises(CheckpointError, match="'payload' holds pickled Python objects"):
        checkpoint.load(bad)


def test_wrong_shapes_and_dtypes_are_named(saved, tmp_path):
    bad = _rewrite(
        saved[0], tmp_path / "shape.npz", lambda a: a.update({"param.W1": a["param.W1"].T.copy()})
    )
    with pytest.raises(CheckpointError, match=r"'param\.W1' has shape \(24, 64\).*\(64, 24\)"):
        checkpoint.load(bad)
    bad = _rewrite(saved[0], tmp_path / "opt.npz", lambda a: a.pop("opt.m.1"))
    with pytest.raises(CheckpointError, match=r"missing entry 'opt\.m\.1'"):
        checkpoint.load(bad)
    bad = _rewrite(
        saved[0],
        tmp_path / "dtype.npz",
        lambda a: a.update({"param.b2": a["param.b2"].astype(np.float64)}),
    )
    with pytest.raises(CheckpointError, match=r"'param\.b2' has dtype float64"):
        checkpoint.load(bad)


def test_future_version_and_bad_metadata_are_explained(saved, tmp_path):
    bad = _rewrite(
        saved[0], tmp_path / "future.npz", lambda a: a.update({"format_version": np.asarray(99)})
    )
    with pytest.raises(CheckpointError, match="format version 99 is newer"):
        checkpoint.load(bad)

    def bad_config(arrays):
        meta = json.loads(arrays["meta"].tobytes())
        meta["config"]["learning_rate"] = -3
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    bad = _rewrite(saved[0], tmp_path / "cfg.npz", bad_config)
    with pytest.raises(CheckpointError, match="config: learning_rate"):
        checkpoint.load(bad)
    bad = _rewrite(
        saved[0],
        tmp_path / "json.npz",
        lambda a: a.update({"meta": np.frombuffer(b"{not json", dtype=np.uint8)}),
    )
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoint.load(bad)


HUGE = 10**400  # a valid JSON integer that no float can hold


@pytest.mark.parametrize(
    ("where", "key", "value", "problem"),
    [
        ("optimizer", "t", HUGE, "meta field 'optimizer t'"),
        ("meta", "step", HUGE, "meta field 'step'"),
        ("config", "learning_rate", HUGE, "config: learning_rate"),
        ("model", "dropout", HUGE, "model description is not valid"),
        ("history", "val_loss", HUGE, "history row 0: val_loss"),
        ("meta", "extra", "deep", "nests too deeply"),
    ],
)
def test_numbers_no_float_holds_and_deep_nesting_are_refused(
    saved, tmp_path, where, key, value, problem
):
    def change(arrays):
        meta = json.loads(arrays["meta"].tobytes())
        target = {"meta": meta, "history": meta["history"][0]}.get(where) or meta[where]
        target[key] = value
        text = json.dumps(meta)
        if value == "deep":  # nested past what the JSON parser can recurse into
            text = text.replace('"deep"', "[" * 100_000 + "]" * 100_000)
        arrays["meta"] = np.frombuffer(text.encode(), dtype=np.uint8)

    bad = _rewrite(saved[0], tmp_path / "numbers.npz", change)
    with pytest.raises(CheckpointError, match=re.escape(problem)):
        checkpoint.load(bad)


def test_files_that_are_not_checkpoints(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match=r"not an \.npz archive"):
        checkpoint.load(text)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        checkpoint.load(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="missing entry 'format_version'"):
        checkpoint.load(other)
    assert zipfile.is_zipfile(other)


_SAVER = """
import sys
from core.training import checkpoint
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training.config import Config
model = MLP([784, 1024, 512, 10], seed=0)
opt = make_optimizer("adam", model.params, 0.001)
cfg = Config(hidden=(1024, 512))
history = []
i = 0
while True:
    model.params[1][:] = i
    history.append({"epoch": i, "val_acc": 0.5})
    checkpoint.save(sys.argv[1], model=model, optimizer=opt, config=cfg, history=history)
    print(i, flush=True)
    i += 1
"""


def test_sigkill_while_saving_leaves_the_previous_checkpoint_loadable(tmp_path):
    path = tmp_path / "model.npz"
    for delay in (0.05, 0.17, 0.31):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout.readline().strip() == "0"  # one complete save exists
            time.sleep(delay)  # then kill it somewhere in a later save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc.stdout.close()
        ck = checkpoint.load(path)
        assert ck.model.sizes == [784, 1024, 512, 10]
        assert np.all(ck.model.params[1] == ck.epoch - 1)  # a whole save, never a mix
    # The killed writers' temporary files are cleared by the next save.
    checkpoint.save(path, model=ck.model, optimizer=ck.optimizer, config=ck.config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
