"""Help > Glossary: the words the studio uses, each in a sentence, with a filter.

The terms come from the help file's ``[glossary]`` (:func:`gui.shared.explain.glossary`);
typing in the box keeps those whose name or definition contains what was typed.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.shared.explain import glossary


class GlossaryDialog(QDialog):
    """Every glossary term and its definition, filtered as one types."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Glossary")
        self._all = glossary()
        self._shown: list[str] = []
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: a word of the term or of its definition")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._show)
        self._text = QTextBrowser()
        self._text.setOpenLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self._text, 1)
        layout.addWidget(buttons)
        self.resize(560, 620)
        self._show("")

    def terms(self) -> list[str]:
        """The terms listed now, alphabetically."""
        return list(self._shown)

    def _show(self, typed: str) -> None:
        words = typed.strip().lower()
        kept = [(t, d) for t, d in self._all if words in t.lower() or words in d.lower()]
        self._shown = [t for t, _d in kept]
        if not kept:
            self._text.setHtml(f"<p>No term mentions “{escape(typed)}”.</p>")
            return
        self._text.setHtml("".join(f"<p><b>{escape(t)}</b><br>{escape(d)}</p>" for t, d in kept))
