"""Shared test set-up: offscreen Qt, the real MNIST files, no stray threads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _find_datasets() -> Path | None:
    env = os.environ.get("BACKPROP_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "datasets")
    for base in candidates:
        for folder in (base / "mnist", base):
            if all((folder / f).is_file() for f in MNIST_FILES):
                return folder
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four real MNIST files (skips when there is none)."""
    folder = _find_datasets()
    if folder is None:
        pytest.skip(
            "real MNIST not found: set BACKPROP_DATA to a folder holding the four "
            "IDX files (or ../shared/datasets/mnist)"
        )
    return folder


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """The real MNIST as a Dataset (loaded once per session)."""
    from core.data import load_dataset

    return load_dataset("mnist", path=str(mnist_dir), seed=0)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled 8x8 digits as a Dataset: always available offline."""
    from core.data import load_dataset

    return load_dataset("digits", seed=0)


def _checkout_entries() -> set[str]:
    """What the checkout holds at its top and in the folders a run could write into."""
    entries = {p.name for p in ROOT.iterdir()}
    for folder in ("runs", "docs", "resources", "tests"):
        if (ROOT / folder).is_dir():
            entries |= {f"{folder}/{p.name}" for p in (ROOT / folder).iterdir()}
    return entries - {".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache", ".venv"}


@pytest.fixture(scope="session", autouse=True)
def _checkout_left_as_found():
    """Fail the session if any test wrote into the checkout (a ``runs/`` folder, a file)."""
    before = _checkout_entries()
    yield
    added = sorted(_checkout_entries() - before - {"tests/__pycache__"})
    if added:
        pytest.fail(f"tests wrote into the checkout: {', '.join(added)}", pytrace=False)


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path, monkeypatch):
    """Every test runs in its own folder: a default output path lands there, not here,
    and the window's runs record their timelines under it (never in the home folder)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BACKPROP_RUNS", str(tmp_path / "runs"))


@pytest.fixture(autouse=True)
def _no_thread_left_running(request):
    """Fail any test that leaves a QThread running (only where Qt is in use)."""
    yield
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    running = [t for t in app.findChildren(QThread) if t.isRunning()]
    running += [t for t in _tracked_threads() if t.isRunning()]
    if running:
        for t in running:
            t.quit()
            t.wait(5000)
        pytest.fail(f"test left {len(running)} QThread(s) running")


def _tracked_threads():
    try:
        from gui.shared.threads import live_threads
    except ImportError:
        return []
    return live_threads()
