"""Results files, the printed table and the README's markdown, all from the same dicts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def save_results(doc: dict[str, Any], name: str, folder: Path = RESULTS_DIR) -> Path:
    """Write ``doc`` as ``folder/name.json`` (through a temporary file, then a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=False, default=float) + "\n")
    os.replace(tmp, path)
    return path


def text_report(doc: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in doc["sections"].items()}, indent=1, default=str)[:4000]


def markdown(folder: Path = RESULTS_DIR) -> str:
    return ""
