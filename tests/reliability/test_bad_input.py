"""Bad data from the person, and hostile files: a clear message, nothing lost, nothing run.

The command line is run for real (``python main.py ...`` in a child process, several
at once to keep the wall time down): each problem must end with a non-zero exit
code and an ``error: ...`` message on stderr, never a traceback. The window is
driven with pytest-qt and must say the same in its banner.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from data_fakes import LoopbackServer, fake_mnist, idx_files, write_files

from core.data.catalog import SOURCES
from core.data.download import fetch
from core.errors import CheckpointError
from core.nn.model import MLP
from core.nn.optim import make_optimizer
from core.training import checkpoint
from core.training.config import Config
from tests.reliability.conftest import ROOT

NON_ASCII = "données d'entrée ü 数字"


def write_checkpoint(path: Path, sizes: list[int], dataset: str) -> Path:
    model = MLP(sizes, seed=0)
    return checkpoint.save(
        path,
        model=model,
        optimizer=make_optimizer("sgd", model.params, 0.1),
        config=Config(dataset=dataset, hidden=tuple(sizes[1:-1])),
        history=[{"epoch": 0, "val_acc": 0.1, "val_loss": 2.3}],
    )


def partials(folder: Path) -> list[str]:
    """Anything in a cache folder that is not a whole, verified file."""
    if not folder.exists():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith((".", "tmp")) or p.name.endswith((".part", ".tmp"))
    )


# -- the command line, in child processes ---------------------------------------------
@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """Every bad-input command line, run at once; name -> (exit code, stdout, stderr)."""
    tmp = tmp_path_factory.mktemp("cli")
    fake = idx_files(fake_mnist(seed=4))
    garbage = write_files(
        tmp / "wrong files", {name: b"these are not images\n" * 40 for name in fake}
    )
    good = write_files(tmp / NON_ASCII / "mnist copy", fake)
    wide = write_checkpoint(tmp / "mnist model.npz", [784, 16, 10], "mnist")
    out = tmp / "sortie é" / "run 1"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        BACKPROP_CACHE=str(tmp / "cache"),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        QT_QPA_PLATFORM="offscreen",
    )
    cut = LoopbackServer(fake)
    cut.cut.update(fake)
    wrong = LoopbackServer(fake)  # whole files, but not the official ones
    runs = {
        "wrong files": ["--headless", "--dataset", "mnist", "--data-path", str(garbage)],
        "other architecture": ["--evaluate", str(wide), "--dataset", "digits"],
        "non-ascii": [
            "--headless",
            "--dataset",
            "mnist",
            "--data-path",
            str(good),
            "--epochs",
            "1",
            "--hidden",
            "16",
            "-o",
            str(out),
            "--no-pictures",
        ],
        "cut download": ["--headless", "--dataset", "mnist", "-o", str(tmp / "cut run")],
        "wrong download": ["--headless", "--dataset", "mnist", "-o", str(tmp / "wrong run")],
    }
    mirrors = {"cut download": cut, "wrong download": wrong}
    results, procs = {}, {}
    with cut, wrong:
        for name, argv in runs.items():
            run_env = dict(env)
            if name in mirrors:
                run_env["BACKPROP_MIRROR"] = mirrors[name].url
                run_env["BACKPROP_CACHE"] = str(tmp / f"cache {name}")
            procs[name] = subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), *argv],
                cwd=tmp,
                env=run_env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=180)
            results[name] = (proc.returncode, stdout, stderr)
    return results, tmp


def error_text(result) -> str:
    code, _, stderr = result
    assert code != 0 and "Traceback" not in stderr, stderr
    assert stderr.startswith("error: "), stderr
    return stderr


def test_cli_a_folder_of_the_wrong_files(cli):
    results, tmp = cli
    err = error_text(results["wrong files"])
    assert results["wrong files"][0] == 1 and len(err.strip().splitlines()) == 1
    assert str(tmp / "wrong files") in err and "bad magic number" in err


def test_cli_a_folder_of_pictures_in_process(tmp_path, capsys):
    from core.cli import main

    pictures = write_files(
        tmp_path / "my digits", {f"digit {i}.png": b"\x89PNG\r\n" for i in range(3)}
    )
    assert main(["--headless", "--dataset", str(pictures), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {pictures}") and "not in class subfolders" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_a_checkpoint_of_another_architecture(cli):
    results, tmp = cli
    err = error_text(results["other architecture"])
    assert results["other architecture"][0] == 2 and len(err.strip().splitlines()) == 1
    assert "has 64 inputs" in err and "takes 784" in err and str(tmp / "mnist model.npz") in err


def test_cli_resuming_a_checkpoint_that_does_not_fit_its_data(tmp_path, capsys):
    from core.cli import main

    misfit = write_checkpoint(tmp_path / "misfit.npz", [784, 16, 10], "digits")
    assert (
        main(["--headless", "--resume", str(misfit), "--epochs", "3", "-o", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "784-16-10 does not fit" in err and "64 inputs" in err


def test_cli_non_ascii_and_space_paths_work_both_ways(cli, capsys):
    from core.cli import main

    results, tmp = cli
    code, stdout, stderr = results["non-ascii"]
    assert code == 0, stderr
    out = tmp / "sortie é" / "run 1"
    assert f"Checkpoint: {out / 'model.npz'}" in stdout and str(tmp / NON_ASCII) in stdout
    assert checkpoint.load(out / "model.npz").epoch == 1
    assert main(["--evaluate", str(out / "model.npz")]) == 0  # and read back from there
    assert "Test Accuracy:" in capsys.readouterr().out


def test_cli_a_download_cut_halfway_leaves_nothing_in_the_cache(cli):
    results, tmp = cli
    err = error_text(results["cut download"])
    assert "the connection closed before the whole file arrived" in err
    cache = tmp / "cache cut download" / "mnist"
    assert partials(cache) == [] and not any(cache.glob("*.gz"))


def test_cli_a_download_that_is_not_the_official_file_is_refused_before_use(cli):
    results, tmp = cli
    err = error_text(results["wrong download"])
    # Refused for its hash, before any parser saw it (the fake files are valid IDX).
    assert "SHA-256 of the downloaded" in err and "discarded" in err
    cache = tmp / "cache wrong download" / "mnist"
    assert partials(cache) == [] and not any(cache.glob("*.gz"))


# -- security: nothing executes, nothing unverified is used ---------------------------------
class _Bomb:
    """Unpickling this creates a file: proof that something ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("entry", ["payload", "meta", "param.W1", "format_version"])
def test_a_pickled_object_in_a_checkpoint_is_refused_and_never_runs(
    small_checkpoint, tmp_path, entry
):
    marker = tmp_path / "ran"
    with np.load(small_checkpoint, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays[entry] = np.array([_Bomb(marker)], dtype=object)
    bad = tmp_path / "crafted.npz"
    np.savez(bad, **arrays)
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        checkpoint.load(bad)
    assert not marker.exists()
    # The file is a real bomb: numpy's own loader, allowed to unpickle, sets it off.
    with np.load(bad, allow_pickle=True) as npz:
        npz[entry]
    assert marker.exists()


def refused_within_8_mb(path, match: str) -> None:
    """Loading ``path`` fails with ``match`` having allocated under 8 MB on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=match):
            checkpoint.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_an_entry_claiming_terabytes_is_refused_before_numpy_allocates_it(
    small_checkpoint, tmp_path
):
    raw = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        raw, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)}
    )
    bad = tmp_path / "claims.npz"
    with zipfile.ZipFile(small_checkpoint) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = raw.getvalue() + bytes(64) if info.filename == "param.b1.npy" else src.read(info)
            dst.writestr(info.filename, data)
    refused_within_8_mb(bad, r"'param\.b1' claims shape \(1099511627776,\)")


def test_json_sizes_are_checked_against_the_arrays_before_a_model_is_built(
    small_checkpoint, tmp_path
):
    with np.load(small_checkpoint, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta["model"]["sizes"] = [64, 2**31, 2**31, 10]  # a model of 32 GB, if built
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "sizes.npz"
    np.savez(bad, **arrays)
    refused_within_8_mb(bad, r"'param\.W1' has shape \(64, 12\)")


def test_a_download_with_the_wrong_hash_is_never_kept(tmp_path):
    name = "train-labels-idx1-ubyte.gz"
    hostile = b"\x1f\x8b" + bytes(1000)  # would be a broken gzip if anything parsed it
    with LoopbackServer({name: hostile}) as server:
        path, failures = fetch(name, SOURCES["mnist"].pins[name], [server.url + name], tmp_path)
    assert path is None and "SHA-256" in str(failures[0][1])
    assert sorted(os.listdir(tmp_path)) == []


# -- the same mistakes in the window ------------------------------------------------------
WINDOW_WAIT = 30_000


def banner_error(window, qtbot) -> str:
    qtbot.waitUntil(
        lambda: window.banner.level == "error" and bool(window.banner.text()), timeout=WINDOW_WAIT
    )
    return window.banner.text()


def test_window_a_folder_of_the_wrong_files(make_window, qtbot, tmp_path):
    garbage = write_files(
        tmp_path / "wrong files",
        {name: b"these are not images\n" * 40 for name in idx_files(fake_mnist())},
    )
    w = make_window(preload=False)
    w.controls.set_dataset(str(garbage))
    w.start()
    text = banner_error(w, qtbot)
    assert str(garbage) in text and "bad magic number" in text
    assert "Use the bundled 8×8 digits" in w.banner.action_labels()
    qtbot.waitUntil(lambda: not w.training, timeout=WINDOW_WAIT)


def test_window_a_checkpoint_of_another_architecture(make_window, qtbot, tmp_path):
    w = make_window(preload=False)
    wide = write_checkpoint(tmp_path / "mnist model.npz", [784, 16, 10], "digits")
    w.open_checkpoint(wide)
    text = banner_error(w, qtbot)
    assert "mnist model.npz" in text and "784" in text and "64" in text
    qtbot.waitUntil(lambda: not w.training, timeout=WINDOW_WAIT)


def test_window_non_ascii_paths_for_data_and_checkpoints(make_window, qtbot, tmp_path):
    folder = write_files(tmp_path / NON_ASCII / "mnist copy", idx_files(fake_mnist(seed=2)))
    w = make_window(preload=False)
    w.controls.set_dataset(str(folder))
    with qtbot.waitSignal(w.bus.epoch, timeout=WINDOW_WAIT):
        w.start()
    with qtbot.waitSignal(w.bus.paused, timeout=WINDOW_WAIT):
        w.toggle_pause()
    path = tmp_path / NON_ASCII / "réseau 1.npz"
    assert w.save_checkpoint(path)
    assert checkpoint.load(path).model.sizes[0] == 30  # the fake images are 6x5
    # A folder that cannot exist (its parent is a file): the banner says so, nothing lost.
    assert not w.save_checkpoint(path / "inside a file.npz")
    assert w.banner.level == "error" and "Could not save the checkpoint" in w.banner.text()
    assert checkpoint.load(path).model.sizes[0] == 30


def test_window_a_download_cut_halfway(make_window, qtbot, tmp_path, monkeypatch):
    fake = idx_files(fake_mnist(seed=5))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("BACKPROP_DATA", raising=False)
    w = make_window(preload=False)
    with LoopbackServer(fake) as server:
        server.cut.update(fake)
        monkeypatch.setenv("BACKPROP_MIRROR", server.url)
        w.download_mnist()
        text = banner_error(w, qtbot)
    assert "the connection closed before the whole file arrived" in text
    assert partials(tmp_path / "cache" / "mnist") == []
