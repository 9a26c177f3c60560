"""`make run` picks how to open the window from the system it runs on (a fake `uname`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def launch(tmp_path: Path, system: str, display: str = "") -> list[str]:
    """The lines `make launch` prints when `uname -s` says ``system`` (nothing is started)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "uname"
    fake.write_text(f"#!/bin/sh\necho {system}\n")
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    if display:
        env["DISPLAY"] = display
    out = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "launch", "PY=echo python", "XVFB_RUN=echo xvfb-run"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.splitlines()


def test_macos_opens_the_window_directly(tmp_path):
    assert launch(tmp_path, "Darwin") == ["python main.py"]


def test_linux_without_a_display_uses_a_virtual_screen(tmp_path):
    lines = launch(tmp_path, "Linux")
    assert lines[0].startswith("No display found") and lines[1] == "xvfb-run echo python main.py"


def test_linux_with_a_display_opens_the_window_there(tmp_path):
    assert launch(tmp_path, "Linux", display=":7") == ["python main.py"]
