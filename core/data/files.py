"""What a folder of dataset files looks like, and whether its files are the right ones.

An IDX dataset is four files under their usual names, each raw or gzip-compressed
(``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``; the spelling
``train-images.idx3-ubyte`` of some redistributions is accepted too). A folder may
carry a ``SHA256SUMS`` file (``<sha256>  <name>`` per line, as ``sha256sum`` writes
it); when it does, every file we read that it lists must match.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from core.data.catalog import IDX_FILES
from core.errors import DataError
from core.guard.paths import open_regular

SUMS_FILE = "SHA256SUMS"
#: A SHA256SUMS file lists a few files; one this large is not one.
_MAX_SUMS_BYTES = 1 << 20
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def idx_candidates(stem: str) -> tuple[str, ...]:
    """File names one IDX file may have, in order of preference."""
    dotted = stem.replace("-idx", ".idx", 1)
    return (f"{stem}.gz", stem, f"{dotted}.gz", dotted)


def find_idx_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The four IDX files in ``folder`` by role, and the roles' names that are missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role, stem in IDX_FILES.items():
        path = next((folder / n for n in idx_candidates(stem) if (folder / n).is_file()), None)
        if path is None:
            missing.append(f"{stem}[.gz]")
        else:
            found[role] = path
    return found, missing


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    try:
        with open_regular(path) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from e
    return digest.hexdigest()


def listed_sums(folder: Path) -> dict[str, str]:
    """The ``SHA256SUMS`` of a folder (file name -> hash), empty when there is none."""
    path = folder / SUMS_FILE
    if not path.is_file():
        return {}
    try:
        with open_regular(path) as f:
            data = f.read(_MAX_SUMS_BYTES + 1)
        if len(data) > _MAX_SUMS_BYTES:
            raise DataError(f"{path}: larger than {_MAX_SUMS_BYTES:,} bytes: not a list of sums")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _SUM_LINE.match(line.strip())
        if match is None:
            raise DataError(f"{path}: line {number} is not '<sha256>  <file name>': {line!r}")
        sums[match.group(2)] = match.group(1).lower()
    return sums


def check_listed(files: list[Path]) -> None:
    """Refuse any of ``files`` whose hash differs from its folder's ``SHA256SUMS``."""
    sums_by_folder: dict[Path, dict[str, str]] = {}
    for path in files:
        sums = sums_by_folder.setdefault(path.parent, listed_sums(path.parent))
        expected = sums.get(path.name)
        if expected is None:
            continue
        actual = sha256_file(path)
        if actual != expected:
            raise DataError(
                f"{path}: SHA-256 is {actual}, but {SUMS_FILE} beside it says {expected}: "
                "the file is damaged or was replaced"
            )
