"""What every section gets: repetition count, the data, a log line printer."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@contextmanager
def scratch_runs() -> Iterator[Path]:
    """Windows made meanwhile record their runs' timelines into a temporary folder
    (``BACKPROP_RUNS``), removed afterwards: a benchmark leaves nothing in the user's."""
    folder = Path(tempfile.mkdtemp(prefix="backprop-bench-runs-"))
    before = os.environ.get("BACKPROP_RUNS")
    os.environ["BACKPROP_RUNS"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("BACKPROP_RUNS", None)
        else:
            os.environ["BACKPROP_RUNS"] = before
        shutil.rmtree(folder, ignore_errors=True)


class Skip(Exception):
    """A section cannot run here (no data, no display stack, a missing package)."""


def find_mnist() -> Path | None:
    """The folder with the four MNIST files: ``BACKPROP_DATA`` or ``../shared/datasets``."""
    env = os.environ.get("BACKPROP_DATA")
    bases = [Path(env)] if env else []
    bases.append(ROOT.parent / "shared" / "datasets")
    for base in bases:
        for folder in (base / "mnist", base):
            if all((folder / f).is_file() for f in MNIST_FILES):
                return folder
    return None


@dataclass
class Context:
    """Shared state of one benchmark run."""

    reps: int = 5
    #: "mnist" for real measurements, "digits" for a smoke run that needs no files.
    dataset_name: str = "mnist"
    quick: bool = False
    verbose: bool = True
    _datasets: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def log(self, msg: str) -> None:
        """A progress line on stderr, stamped with the seconds since the start."""
        if self.verbose:
            stamp = time.perf_counter() - self.started
            print(f"[{stamp:6.1f}s] {msg}", file=sys.stderr, flush=True)

    def mnist_dir(self) -> Path:
        folder = find_mnist()
        if folder is None:
            raise Skip(
                "real MNIST not found: set BACKPROP_DATA to a folder with the four IDX files "
                "(or put them in ../shared/datasets/mnist)"
            )
        return folder

    def dataset(self):
        """The run's ``core.data.Dataset`` (real MNIST unless a smoke run), loaded once."""
        if self.dataset_name not in self._datasets:
            from core.data import load_dataset

            path = str(self.mnist_dir()) if self.dataset_name == "mnist" else None
            self._datasets[self.dataset_name] = load_dataset(self.dataset_name, path=path, seed=0)
        return self._datasets[self.dataset_name]
