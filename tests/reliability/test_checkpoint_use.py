"""A checkpoint that loads can be used: resumed, evaluated, shown in the window.

Fields that used to pass the loader and break later (change records, step counts,
history rows), zip features the reader does not support, archives of tens of
thousands of entries and datasets of another class count are all refused by
``checkpoint.load`` (or ``evaluate``) with a CheckpointError or one error line.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.errors import CheckpointError
from core.training import checkpoint
from tests.reliability.conftest import error_lines


def arrays_of(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def with_meta(source: Path, target: Path, change) -> Path:
    """A copy of the checkpoint ``source`` whose JSON ``change(meta)`` has edited."""
    arrays = arrays_of(source)
    meta = json.loads(arrays["meta"].tobytes())
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(target, **arrays)
    return target


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(meta):
        node = meta
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("changes", [1]), "change record 0 is 1"),
        (_set("changes", [{"epoch": "a", "batch": 0, "step": 0, "name": "lr"}]), "epoch is 'a'"),
        (_set("changes", [{"epoch": 0, "batch": 0, "step": 1, "name": 7, "old": 1}]), "name 7"),
        (_set("history", -1, "step", float("nan")), "step is nan"),
        (_set("history", -1, "step", float("inf")), "step is inf"),
        (_set("history", -1, "step", 1e300), "step is 1e+300"),
        (_set("history", -1, "step", -3), "step is -3"),
        (_set("history", -1, "epoch", 0.5), "epoch is 0.5"),
        (_set("history", -1, "architecture", "junk"), "architecture 'junk'"),
        (_set("history", -1, "architecture", [64, 0, 10]), "architecture [64, 0, 10]"),
        (_set("optimizer", "t", 1e300), "'optimizer t' is 1e+300"),
        (_set("optimizer", "t", 2.5), "'optimizer t' is 2.5"),
    ],
)
def test_records_that_would_break_a_resume_or_the_window_are_refused_at_load(
    small_checkpoint, tmp_path, change, message
):
    bad = with_meta(small_checkpoint, tmp_path / "edited.npz", change)
    with pytest.raises(CheckpointError) as caught:
        checkpoint.load(bad)
    assert message in str(caught.value)


def _rewrite(source: Path, target: Path, **options) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", **options) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    return target


def _flag_encrypted(path: Path) -> Path:
    """Set the 'encrypted' bit of every entry, in the local and the central headers."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset] |= 0x1
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s, t: _flag_encrypted(_rewrite(s, t)), "is encrypted"),
        (lambda s, t: _rewrite(s, t, compression=zipfile.ZIP_BZIP2), "compression method 12"),
        (lambda s, t: _rewrite(s, t, compression=zipfile.ZIP_LZMA), "compression method 14"),
    ],
    ids=["encrypted", "bzip2", "lzma"],
)
def test_zip_features_checkpoints_never_use_are_refused(small_checkpoint, tmp_path, make, message):
    bad = make(small_checkpoint, tmp_path / "odd.npz")
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(bad)


def test_tens_of_thousands_of_entries_are_refused_from_the_directory_alone(
    small_checkpoint, tmp_path, monkeypatch
):
    bad = tmp_path / "many.npz"
    empty = zipfile.ZipFile(small_checkpoint).read("format_version.npy")
    with zipfile.ZipFile(small_checkpoint) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for i in range(20_000):
            dst.writestr(f"x{i}.npy", empty)
    opened = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, *args, **kwargs):
        opened.append(name)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    with pytest.raises(CheckpointError) as caught:
        checkpoint.load(bad)
    message = str(caught.value)
    assert "20,014 entries" in message and len(message) < 300, message[:300]
    assert opened == []  # refused before a single entry was read: time linear in the entries


def _folder_of_classes(folder: Path, classes: int) -> Path:
    from data_fakes import fake_mnist, idx_files, write_files

    return write_files(folder, idx_files(fake_mnist(shape=(8, 8), classes=classes, seed=1)))


@pytest.mark.parametrize("classes", [3, 12])
def test_evaluating_on_a_dataset_of_another_class_count_is_one_error_line(
    small_checkpoint, tmp_path, capsys, classes
):
    folder = _folder_of_classes(tmp_path / f"{classes} classes", classes)
    assert main(["evaluate", str(small_checkpoint), "--dataset", str(folder)]) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert f"{classes} classes" in line and "gives 10 classes" in line, line
