"""The small "?" beside a view or a dialog: two to four plain sentences on what it shows.

The texts live in ``resources/help/explanations.toml`` (``[views.<key>]`` with a
``title`` and a ``text``), so a teacher can reword them without touching code.
The file is read once, on first use; a key it does not have, or a file that
cannot be read, gives a button that says so rather than failing the window.
"""

from __future__ import annotations

import html
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolButton, QWidget

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

EXPLANATIONS = Path(__file__).resolve().parents[2] / "resources" / "help" / "explanations.toml"


@cache
def _views() -> dict[str, dict[str, str]]:
    """``{key: {"title": ..., "text": ...}}`` from the explanations file ({} if unreadable)."""
    try:
        doc = tomllib.loads(EXPLANATIONS.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    views = doc.get("views", {})
    return {
        str(k): {"title": str(v.get("title", k)), "text": str(v.get("text", ""))}
        for k, v in views.items()
        if isinstance(v, dict)
    }


def explanation(key: str) -> tuple[str, str]:
    """``(title, text)`` of the view ``key``; the text is one paragraph, as a person reads it."""
    entry = _views().get(key)
    if entry is None:
        return key, f"No explanation for “{key}” in {EXPLANATIONS.name}."
    return entry["title"], " ".join(entry["text"].split())


def help_button(key: str, parent: QWidget | None = None) -> QToolButton:
    """A small "?" that shows the explanation of ``key``: its text as the tooltip, and
    in a message box when clicked."""
    title, text = explanation(key)
    button = QToolButton(parent)
    button.setText("?")
    button.setObjectName("helpButton")
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.WhatsThisCursor)
    button.setToolTip(f"<b>{html.escape(title)}</b><br>{html.escape(text)}")
    button.setAccessibleName(f"What is this: {title}")
    button.clicked.connect(lambda: QMessageBox.information(button.window(), title, text))
    return button
