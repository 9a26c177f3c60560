"""What each view shows, in plain words: the texts behind the headers and their "?" buttons.

``resources/help/explanations.toml`` holds them: one ``[views.<key>]`` table per
view (a title, an optional one-line ``summary`` and two to four sentences of
``text``) and a ``[glossary]`` of terms. The file is read once, on first use.
A view asks for its texts by key (:func:`explanation`); the Help menu lists the
glossary (:func:`glossary`).
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import BackpropError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

HELP_FILE = Path(__file__).resolve().parents[2] / "resources" / "help" / "explanations.toml"


class HelpError(BackpropError):
    """The help file is missing or malformed, or a view asked for a key it does not have."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """A view's title, its one-sentence summary and the longer text of its "?"."""

    key: str
    title: str
    summary: str
    text: str


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.?!])(\s|$)", text)
    return match.group(1) if match else text


def _plain(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _document() -> dict[str, Any]:
    try:
        raw = HELP_FILE.read_bytes()
    except OSError as exc:
        raise HelpError(f"{HELP_FILE}: cannot read the help texts: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HelpError(f"{HELP_FILE}: not a valid help file: {exc}") from None


def keys() -> tuple[str, ...]:
    """The views the help file explains."""
    return tuple(_document().get("views", {}))


def explanation(key: str) -> Explanation:
    """The texts of view ``key`` (``loss``, ``weights``, ``inside``, ...)."""
    views = _document().get("views", {})
    if key not in views:
        raise HelpError(f"no help text for view {key!r}; the file has {', '.join(views)}")
    entry = views[key]
    text = _plain(str(entry.get("text", "")))
    summary = _plain(str(entry.get("summary", ""))) or _first_sentence(text)
    return Explanation(key=key, title=str(entry.get("title", key)), summary=summary, text=text)


def glossary() -> list[tuple[str, str]]:
    """``(term, definition)`` pairs, alphabetically (case aside)."""
    terms = _document().get("glossary", {})
    return sorted(((str(k), _plain(str(v))) for k, v in terms.items()), key=lambda t: t[0].lower())
