"""Without a usable display or Qt, the command line trains, saves and says what it skipped.

Each case runs ``python main.py train`` in a child: a Qt that cannot start (no
display for the platform asked for), a Qt that aborts the process as it starts (a
stand-in PySide6 on ``PYTHONPATH``), and images of channel counts the pictures
cannot show as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from core.training import checkpoint
from tests.reliability.conftest import run_cli

TRAIN = ["train", "--dataset", "digits", "--hidden", "8", "--epochs", "1"]


def no_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return env


def assert_run_saved(out: Path, epochs: int = 1) -> None:
    assert checkpoint.load(out / "model.npz").epoch == epochs
    assert (out / "history.csv").is_file()


def test_a_platform_with_no_display_does_not_stop_the_run(tmp_path):
    env = {**no_display(), "QT_QPA_PLATFORM": "xcb"}
    proc = run_cli(*TRAIN, "-o", "out", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert_run_saved(tmp_path / "out")
    for name in ("training_curves.png", "sample_predictions.png"):  # drawn offscreen
        assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"


def test_a_qt_that_aborts_as_it_starts_costs_only_the_pictures(tmp_path):
    fake = tmp_path / "fake qt" / "PySide6"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import os\nos.abort()\n")
    env = {**no_display(), "PYTHONPATH": str(fake.parent)}
    proc = run_cli(*TRAIN, "-o", "out", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "warning: pictures skipped (Qt could not draw them" in proc.stderr
    assert_run_saved(tmp_path / "out")
    assert not (tmp_path / "out" / "training_curves.png").exists()


def _folder_of_channels(folder: Path, channels: int) -> Path:
    from data_fakes import fake_mnist, idx_files, write_files

    return write_files(folder, idx_files(fake_mnist(shape=(6, 6, channels), seed=2)))


@pytest.mark.parametrize(("channels", "shown"), [(2, "the first"), (7, "the first 3")])
def test_images_of_more_channels_than_a_picture_shows(tmp_path, channels, shown):
    data = _folder_of_channels(tmp_path / f"{channels} channels", channels)
    proc = run_cli("train", "--dataset", str(data), "--hidden", "8", "--epochs", "1",
                   "-o", "out", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert f"warning: images have {channels} channels; the pictures show {shown}" in proc.stderr
    assert_run_saved(tmp_path / "out")
    picture = (tmp_path / "out" / "sample_predictions.png").read_bytes()
    assert picture[:4] == b"\x89PNG" and len(picture) > 1000
    assert np.frombuffer(picture[16:24], ">u4").min() > 100  # a real grid, not an empty page
