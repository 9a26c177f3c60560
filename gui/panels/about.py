"""The About box: what Backprop Studio is, its version, and what it runs on."""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import PySide6
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

ROOT = Path(__file__).resolve().parents[1]


def version() -> str:
    """The program's version: the installed package's, else pyproject.toml's, else "?"."""
    try:
        return metadata.version("backprop-studio")
    except metadata.PackageNotFoundError:
        pass
    try:
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return "?"
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return found.group(1) if found else "?"


def about_html() -> str:
    return (
        f"<h2>Backprop Studio {version()}</h2>"
        "<p>A neural network written from scratch in NumPy, trained while you watch. "
        "Change the learning rate, the width of a layer or the batch size while it "
        "learns; see its weights, its mistakes and its health; draw a digit and ask it.</p>"
        "<p>Every forward and backward pass is our own matrix arithmetic: no deep-learning "
        "framework inside.</p>"
        f"<p style='color:gray'>Python {platform.python_version()} · NumPy {np.__version__} · "
        f"PySide6 {PySide6.__version__} · pyqtgraph {pg.__version__}</p>"
    )


class AboutDialog(QDialog):
    """Name, version, one paragraph of what it does, and the libraries it stands on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Backprop Studio")
        icon = QLabel()
        svg = ROOT / "resources" / "icon.svg"
        if svg.is_file():
            icon.setPixmap(QIcon(str(svg)).pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel(about_html())
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(380)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
