"""Paths a person gives: ``~user``, special files, outputs that clash, runs already there.

- ``~user`` for a user this machine does not have, in an option, an environment
  variable or the window's settings file, is an error that names the path (or, in
  the settings, a default and a banner), never a traceback and never a folder
  literally called ``~user``.
- A character device is never replaced by a regular file; a FIFO never blocks a
  reader (each FIFO case runs in a child with a timeout, so a hang fails the test).
- The outputs of one command are different files; an earlier run is not overwritten.

Character devices are made with ``os.mknod`` inside ``tmp_path`` (root only); the
machine's own devices are never touched.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from core.cli import main
from core.training import checkpoint
from tests.reliability.conftest import error_lines, run_cli

NO_USER = "~nosuchuser-bps"
DIGITS = ["--dataset", "digits", "--hidden", "8", "--epochs", "1", "--no-pictures"]


def one_error(capsys) -> str:
    (line,) = error_lines(capsys.readouterr().err)
    return line


def char_device(path: Path) -> Path:
    """A character device node of our own at ``path`` (the null device's numbers)."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    return path


def is_char_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


# -- ~user ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--dataset", f"{NO_USER}/mnist", "-o", "out"],
        ["train", "--dataset", "mnist", "--data-path", f"{NO_USER}/data", "-o", "out"],
        ["train", *DIGITS, "-o", f"{NO_USER}/run"],
        ["train", *DIGITS, "--resume", f"{NO_USER}/model.npz", "-o", "out"],
        ["evaluate", f"{NO_USER}/model.npz"],
        ["sweep", "--dataset", "digits", "--lr", "0.1", "--out", f"{NO_USER}/sweep.csv"],
    ],
    ids=["--dataset", "--data-path", "--output", "--resume", "evaluate", "sweep --out"],
)
def test_a_home_folder_of_an_unknown_user_is_a_clear_error(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = one_error(capsys)
    assert NO_USER in line and "there is no user 'nosuchuser-bps'" in line, line
    assert sorted(os.listdir(tmp_path)) == []  # no folder called "~nosuchuser-bps", no run


def test_unknown_users_in_the_environment_are_named_not_raised(tmp_path, monkeypatch, capsys):
    from data_fakes import closed_port_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKPROP_DATA", f"{NO_USER}/datasets")
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BACKPROP_MIRROR", closed_port_url())
    assert main(["train", "--dataset", "mnist", "-o", "out"]) == 1
    line = one_error(capsys)
    assert line.startswith("error: MNIST is not available. Looked in: BACKPROP_DATA")
    assert "there is no user 'nosuchuser-bps'" in line

    monkeypatch.setenv("BACKPROP_CACHE", f"{NO_USER}/cache")
    assert main(["train", "--dataset", "mnist", "-o", "out"]) == 2
    assert "BACKPROP_CACHE" in one_error(capsys)


def test_an_unknown_user_in_the_settings_file_falls_back_and_says_so(tmp_path):
    from PySide6.QtCore import QSettings

    from core.training.config import Config
    from gui.settings import Settings

    store = QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)
    store.setValue("files/last_folder", f"{NO_USER}/runs")
    store.setValue("run/data_path", f"{NO_USER}/data")
    store.setValue("run/dataset", f"{NO_USER}/mnist")
    settings = Settings(store)
    assert settings.last_folder == Path.home()
    default = Config(dataset="digits")
    assert settings.load_config(default) == default
    keys = sorted(str(e).split(": ")[1].split(" = ")[0] for e in settings.errors)
    assert keys == ["files/last_folder", "run/data_path", "run/dataset"], settings.errors


# -- devices and FIFOs ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["model.npz", "history.csv"])
def test_a_device_in_the_run_folder_is_never_replaced(tmp_path, capsys, name):
    device = char_device(tmp_path / "out" / name)
    assert main(["train", *DIGITS, "-o", str(tmp_path / "out")]) == 2
    assert f"{name} is a character device" in one_error(capsys)
    assert is_char_device(device)


def test_a_device_as_the_sweep_results_file_is_never_replaced(tmp_path, capsys):
    device = char_device(tmp_path / "sweep.csv")
    argv = ["sweep", "--dataset", "digits", "--lr", "0.1", "--out", str(device), "--no-plot"]
    assert main(argv) == 2
    assert "character device" in one_error(capsys)
    assert is_char_device(device)


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "FIFO"],
        ["train", *DIGITS, "--resume", "FIFO", "-o", "out"],
        ["sweep", "--dataset", "digits", "--lr", "0.1", "--no-plot", "--out", "FIFO"],
    ],
    ids=["evaluate", "--resume", "sweep --out"],
)
def test_a_fifo_given_as_a_file_never_blocks(tmp_path, argv):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    proc = run_cli(*[str(fifo) if a == "FIFO" else a for a in argv], cwd=tmp_path, timeout=60)
    (line,) = error_lines(proc.stderr)
    assert proc.returncode in (1, 2) and "FIFO" in line, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- outputs that clash, runs already there -----------------------------------------------
def _two_trials(*out: str) -> list[str]:
    return ["sweep", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--jobs", "1",
            "--lr", "0.1,0.2", *out]  # fmt: skip


class _Pictures:
    """Writes a stand-in PNG where the plot goes, as the real drawing does."""

    def run_pictures(self, folder, **run):
        return []

    def sweep_picture(self, path, figure):
        Path(path).write_bytes(b"\x89PNG picture")
        return Path(path)


@pytest.mark.parametrize(
    "outputs",
    [
        ["--out", "s.csv", "--plot", "s.csv"],
        ["--out", "s.png"],
        ["--out", "s.csv", "--plot", "./x/../s.csv"],
    ],
    ids=["--plot = --out", "--out *.png", "another spelling"],
)
def test_the_plot_never_overwrites_the_results(tmp_path, monkeypatch, capsys, outputs):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    assert main(_two_trials(*outputs), pictures=_Pictures()) == 2
    assert "same file" in one_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]  # refused before any trial


def test_an_earlier_run_is_not_overwritten_but_can_be_continued_in_place(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *DIGITS, "-o", str(out)]) == 0
    capsys.readouterr()
    before = (out / "model.npz").read_bytes()
    assert main(["train", *DIGITS, "--lr", "0.5", "-o", str(out)]) == 2
    line = one_error(capsys)
    assert "already holds a run" in line and f"--resume {out / 'model.npz'}" in line
    assert (out / "model.npz").read_bytes() == before
    resume = ["train", "--resume", str(out / "model.npz"), "--epochs", "2", "--no-pictures"]
    assert main([*resume, "-o", str(out)]) == 0
    assert checkpoint.load(out / "model.npz").epoch == 2


# -- folders that cannot take files ---------------------------------------------------------
@pytest.fixture
def read_only(tmp_path):
    """A function making a folder nobody may write into, even root (``chattr +i``)."""
    frozen: list[Path] = []

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            folder.chmod(0o555)
        elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("root writes anywhere, and chattr +i is not available here")
        frozen.append(folder)
        return folder

    yield make
    for folder in frozen:  # writable again, so that pytest can remove tmp_path
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


@pytest.mark.parametrize("timeline", [[], ["--no-timeline"]], ids=["timeline", "no timeline"])
def test_an_output_folder_that_cannot_take_files_is_refused_before_training(
    read_only, tmp_path, capsys, timeline
):
    folder = read_only(tmp_path / "outs" / "ro")
    code = main(["train", *DIGITS, *timeline, "-o", str(folder)])
    out, err = capsys.readouterr()
    (line,) = error_lines(err)
    assert code == 2 and line.startswith(f"error: {folder}: cannot write here: "), err
    assert "Epoch" not in out  # refused before training


def test_a_timeline_folder_that_cannot_take_files_is_refused_before_training(
    read_only, tmp_path, capsys
):
    run = tmp_path / "run"
    read_only(run / "timeline")
    assert main(["train", *DIGITS, "-o", str(run)]) == 2
    out, err = capsys.readouterr()
    (line,) = error_lines(err)
    assert line.startswith(f"error: {run / 'timeline'}: cannot write here: ")
    assert "Epoch" not in out
    assert main(["train", *DIGITS, "--no-timeline", "-o", str(run)]) == 0  # not recorded


def test_a_sweep_whose_folder_cannot_take_files_is_refused_before_any_trial(
    read_only, tmp_path, capsys
):
    folder = read_only(tmp_path / "ro")
    argv = ["sweep", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--lr", "0.1",
            "--jobs", "1", "--no-plot", "--out", str(folder / "sweep.csv")]  # fmt: skip
    assert main(argv) == 2
    (line,) = error_lines(capsys.readouterr().err)
    assert line.startswith(f"error: {folder}: cannot write here: ")
