"""Shared pieces of the reliability suite: a small real checkpoint, the data fakes, fuzz
budgets, and child processes (the command line, code under a memory limit).

Each fuzz target runs a few hundred generated cases in the normal suite and at
least 2,000 under ``pytest -m slow`` (the long runs the README quotes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The data fakes (IDX and CIFAR writers, the loopback HTTP server) live beside the core tests.
if str(HERE.parent / "core") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "core"))

#: Generated cases per reader: in every run, and in the slow (``-m slow``) run.
NORMAL_EXAMPLES = 250
SLOW_EXAMPLES = 2000


def fuzz_settings(slow: bool, normal: int = NORMAL_EXAMPLES) -> settings:
    """Hypothesis settings: deterministic and bounded normally, random and long when slow."""
    return settings(
        max_examples=SLOW_EXAMPLES if slow else normal,
        deadline=None,
        derandomize=not slow,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@pytest.fixture(scope="session")
def small_checkpoint(tmp_path_factory, digits) -> Path:
    """A real checkpoint of a short Adam run on the bundled digits (64-12-10)."""
    from core.training import checkpoint
    from core.training.config import Config
    from core.training.trainer import Trainer

    trainer = Trainer(
        Config(hidden=(12,), epochs=1, batch_size=64, optimizer="adam", learning_rate=0.01, seed=1),
        digits,
    )
    list(trainer.run())
    return checkpoint.save(tmp_path_factory.mktemp("ckpt") / "small.npz", trainer)


@pytest.fixture
def make_window(qtbot, monkeypatch, tmp_path):
    """Build studio windows on the bundled digits; each is closed (threads ended) afterwards."""
    from core.training.config import Config
    from tests.gui._window import open_windows

    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    default = Config(
        dataset="digits", hidden=(32,), learning_rate=0.1, batch_size=32, epochs=10_000, seed=0
    )
    with open_windows(qtbot, default, close_timeout_ms=20_000) as make:
        yield make


def qt_thread_complaints(qtlog) -> list[str]:
    """Qt's own messages about threads (e.g. "QThread: Destroyed while thread is still running")."""
    return [r.message for r in qtlog.records if "QThread" in r.message or "thread" in r.message]


#: Python run after a child's imports: from here on its address space may grow by only
#: ``HEADROOM`` bytes (``sys.argv[1]``), so anything that tries to allocate more than that
#: fails with MemoryError instead of taking the machine's memory.
LIMIT_AS = """
import resource, sys
_vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (_vm + int(sys.argv[1]), _vm + int(sys.argv[1])))
"""


def run_python(
    code: str, *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``python -c code args...`` from the checkout's code, in ``cwd``; output as text."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli(
    *argv: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """``python main.py argv...`` in a child process, in ``cwd`` (so stray output stays there)."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(stderr: str) -> list[str]:
    """The ``error: ...`` lines of a command's stderr, after checking it shows no traceback."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error: ")]
