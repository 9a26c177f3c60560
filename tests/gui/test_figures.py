"""The command line's pictures: drawn by pyqtgraph offscreen into real PNG files."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from core.sweep.figure import sweep_figure
from core.sweep.results import TrialResult, summarize
from core.training.config import Config
from gui.shared.figures import sweep_picture


def result(lr: float, hidden: int, seed: int, acc: float, optimizer: str = "sgd") -> TrialResult:
    setting = {
        "learning_rate": lr,
        "hidden": hidden,
        "depth": 1,
        "batch_size": 64,
        "optimizer": optimizer,
        "dropout": 0.0,
    }
    config = Config(
        dataset="digits",
        learning_rate=lr,
        hidden=(hidden,),
        batch_size=64,
        optimizer=optimizer,
        seed=seed,
    ).to_dict()
    return TrialResult(
        f"{lr}-{hidden}-{seed}-{optimizer}",
        setting,
        seed,
        config,
        "completed",
        acc,
        acc,
        1 - acc,
        acc,
        1 - acc,
        3,
        0.5,
    )


def colours(path) -> set[int]:
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 300 and image.height() > 200
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.sizeInBytes() // 4)
    return set(np.unique(pixels).tolist())


def test_a_heatmap_png_has_a_colour_per_cell(tmp_path):
    results = [
        result(lr, h, s, 0.5 + lr + h / 100)
        for lr in (0.1, 0.3)
        for h in (8, 16, 32)
        for s in (0, 1)
    ]
    path = sweep_picture(tmp_path / "heat.png", sweep_figure(summarize(results)))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(colours(path)) >= 8  # six cells of the accuracy scale, text and paper


def test_parallel_coordinates_png_is_drawn(tmp_path):
    results = [
        result(lr, h, 0, 0.5 + lr, o) for lr in (0.1, 0.3) for h in (8, 16) for o in ("sgd", "adam")
    ]
    path = sweep_picture(tmp_path / "lines.png", sweep_figure(summarize(results)))
    assert len(colours(path)) >= 8
