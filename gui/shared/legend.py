"""A legend on a line of its own, beside the plot rather than over its data.

Each entry is a coloured sample (a line, a dashed line, a dot, a square, a star)
and a name; entries wrap between one another when the line is full.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: How each kind of sample is written.
SAMPLES = {"line": "━━", "dash": "╍╍", "dot": "●", "box": "■", "star": "★", "thin": "──"}

Entry = tuple[QColor, str, str]  # colour, name, kind (a key of SAMPLES)


class Legend(QLabel):
    """Coloured samples and names, wrapped; ``entries()`` says what it shows."""

    def __init__(self, wrap: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("legend")
        self.setWordWrap(wrap)  # one line that clips, where a taller legend would squeeze plots
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._entries: list[Entry] = []

    def entries(self) -> list[str]:
        """The names shown, in order."""
        return [name for _c, name, _k in self._entries]

    def set_entries(self, entries: list[Entry]) -> None:
        if [(c.name(QColor.NameFormat.HexArgb), n, k) for c, n, k in entries] == [
            (c.name(QColor.NameFormat.HexArgb), n, k) for c, n, k in self._entries
        ]:
            return
        self._entries = list(entries)
        self.setText(
            " &nbsp; ".join(
                f"<span style='white-space:nowrap'><span style='color:{c.name()}'>"
                f"{SAMPLES[k]}</span>&nbsp;{escape(n)}</span>"
                for c, n, k in entries
            )
        )
