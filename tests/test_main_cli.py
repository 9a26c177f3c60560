"""`python main.py --headless` end to end on real MNIST: the seed's lines, files and pictures."""

from __future__ import annotations

import csv
import re

import pytest

import main
from core.training import checkpoint

SEED_LINE = re.compile(
    r"^Epoch {1,3}\d{1,3}: Train Loss: \d+\.\d{4}, Train Acc: \d\.\d{4}, "
    r"Val Loss: \d+\.\d{4}, Val Acc: \d\.\d{4}$"
)


def test_headless_mnist_with_the_seed_settings(mnist_dir, tmp_path, capsys):
    code = main.main(
        [
            "--headless",
            "--dataset",
            "mnist",
            "--data-path",
            str(mnist_dir),
            "--hidden",
            "128",
            "--optimizer",
            "sgd",
            "--lr",
            "0.1",
            "--batch-size",
            "128",
            "--epochs",
            "2",
            "-o",
            str(tmp_path),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("Epoch")]
    assert [line[:10] for line in epoch_lines] == ["Epoch   0:", "Epoch   1:"]
    assert all(SEED_LINE.match(line) for line in epoch_lines)
    assert "=== FINAL RESULTS ===" in lines
    accuracy = re.search(r"^Test Accuracy: (0\.\d{4}) \((\d+\.\d{2})%\)$", out, re.M)
    assert accuracy and float(accuracy[1]) >= 0.9
    assert f"{float(accuracy[1]) * 100:.2f}" == accuracy[2]
    assert re.search(r"^Test Loss: \d\.\d{4}$", out, re.M)

    ck = checkpoint.load(tmp_path / "model.npz")
    assert ck.model.sizes == [784, 128, 10] and ck.epoch == 2
    with open(tmp_path / "history.csv", newline="") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["0", "1"]
    for name, min_size in (
        ("training_curves.png", (800, 300)),
        ("sample_predictions.png", (600, 400)),
    ):
        assert f"Picture: {tmp_path / name}" in lines
        assert_png(tmp_path / name, min_size)


def assert_png(path, min_size) -> None:
    pytest.importorskip("PySide6")
    from PySide6.QtGui import QImage

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() >= min_size[0] and image.height() >= min_size[1]
    # Not a blank page: the picture has both light background and dark ink.
    colors = {
        image.pixelColor(x, y).lightness() // 64
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
    }
    assert len(colors) >= 3


def test_headless_flags_route_to_the_command_line():
    assert main.is_headless(["--headless"]) and main.is_headless(["train", "--lr", "1"])
    assert main.is_headless(["--evaluate", "m.npz"]) and main.is_headless(["--resume=m.npz"])
    assert not main.is_headless([]) and not main.is_headless(["--fullscreen"])
