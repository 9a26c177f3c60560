"""The command line on an image folder (train, evaluate, sweep) and evaluate --robustness."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from data_fakes import isolate_data
from PIL import Image

from core.cli import main
from core.training import checkpoint

FAST = ["--hidden", "16", "--batch-size", "32", "--lr", "0.1", "--no-pictures"]


@pytest.fixture
def folder(monkeypatch, tmp_path, digits) -> Path:
    """The bundled 8x8 digits as PNG files, one folder per digit, and one broken file."""
    isolate_data(monkeypatch, tmp_path / "cache")
    root = tmp_path / "my digits"
    X = np.concatenate([digits.X_train, digits.X_test])
    y = np.concatenate([digits.y_train, digits.y_test])
    for i, (x, label) in enumerate(zip(X[:400], y[:400], strict=True)):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(x * 255).astype(np.uint8).reshape(8, 8)).save(
            root / str(label) / f"{i:04d}.png"
        )
    (root / "3" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off")
    return root


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_evaluate_and_robustness_on_an_image_folder(folder, tmp_path, capsys):
    out_dir = tmp_path / "run"
    code, out, err = run(
        ["train", "--dataset", str(folder), "--epochs", "2", *FAST, "-o", str(out_dir)], capsys
    )
    assert code == 0, err
    data_line = next(line for line in out.splitlines() if line.startswith("Data: "))
    assert f"image folder {folder.resolve()}: 400 images, 8x8 grey" in data_line
    assert "skipped 1 bad image: 3/scan.png (not an image)" in data_line
    test_line = next(line for line in out.splitlines() if line.startswith("Test Accuracy"))

    code, out, err = run(["evaluate", str(out_dir / "model.npz"), "--robustness"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert test_line in lines and "=== FINAL RESULTS ===" in out
    assert "=== ROBUSTNESS (80 test images, seed 0) ===" in lines
    plain = test_line.split()[2]
    for label in ("Gaussian noise (σ):", "Rotation (degrees):", "Shift (pixels):"):
        at = lines.index(label)
        assert lines[at + 1].split()[:2] == ["strength", "0"]
        assert lines[at + 2].split()[:2] == ["accuracy", plain]  # strength 0 is the plain score
    assert any(line.split()[:1] == ["threshold"] for line in lines)
    # The report and the table are the same with and without a terminal's progress bar.
    code, again, _ = run(["evaluate", str(out_dir / "model.npz"), "--robustness"], capsys)
    assert again == out


def test_folder_options_are_kept_in_the_checkpoint(folder, tmp_path, capsys):
    out_dir = tmp_path / "small"
    argv = ["train", "--dataset", str(folder), "--epochs", "1", "--image-size", "4"]
    code, _, err = run([*argv, "--colour", "rgb", *FAST, "-o", str(out_dir)], capsys)
    assert code == 0, err
    saved = checkpoint.load(out_dir / "model.npz")
    assert saved.model.sizes[0] == 4 * 4 * 3
    assert (saved.config.image_size, saved.config.colour) == (4, "rgb")
    code, out, err = run(["evaluate", str(out_dir / "model.npz")], capsys)
    assert code == 0 and "Test Accuracy" in out, err


def test_bad_folders_and_options_are_one_error_line(folder, tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    out = ["-o", str(tmp_path / "out"), *FAST]
    code, _, err = run(["train", "--dataset", str(empty), "--epochs", "1", *out], capsys)
    assert code == 1 and err.count("\n") == 1 and "nor images in one subfolder per class" in err
    code, _, err = run(["train", "--dataset", str(folder), "--colour", "sepia", *out], capsys)
    assert code == 2 and err.startswith("error: colour: 'sepia' is not allowed")
    code, _, err = run(["train", "--dataset", str(folder), "--image-size", "999", *out], capsys)
    assert code == 2 and err.startswith("error: image_size: 999 is out of range")


def test_a_sweep_over_an_image_folder(folder, tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    argv = ["sweep", "--dataset", str(folder), "--hidden", "8,16", "--epochs", "1"]
    code, text, err = run([*argv, "--jobs", "1", "--out", str(out), "--no-plot"], capsys)
    assert code == 0, err
    assert f"on {folder}" in text and "2 trial(s)" in text
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and {r["status"] for r in rows} == {"completed"}
