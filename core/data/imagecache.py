"""Decoded image folders kept as arrays, so the second load of a folder reads one file.

An entry is one uncompressed ``.npz`` in ``cache_root()/image-folders/`` (plain arrays,
read with ``allow_pickle=False``)::

    images   uint8 (n, rows, cols) or (n, rows, cols, 3)
    labels   int64 (n,)     class indices into meta's class_names
    splits   int8  (n,)     the folder's own split of each image (see imagefolder)
    meta     uint8 (m,)     UTF-8 JSON: class_names, skipped files, colour, version

Its name is ``<folder>-<contents>.npz``: a hash of the folder's path and the options,
then a hash of everything the arrays depend on (every candidate file's relative path,
size and modification time, the options, Pillow's version, this layout's version). A
changed, added or removed image makes a new name; writing it removes the folder's
older entries for the same options, so the cache holds one entry per folder and
option set.

Writing goes to a temporary file, then a rename: a crash leaves the old entry or
the new one, never half of one. An entry that cannot be read back as exactly this
layout (damaged, cut short, a header claiming more than the file holds) is a miss,
and the folder is decoded again. The cache is only ever a speed-up: failing to write
it is reported and loading goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.data.locate import cache_root
from core.guard.files import process_alive

#: Bump when the layout or the decoding changes: older entries are then never read.
CACHE_VERSION = 1
FOLDER = "image-folders"
_ARRAYS = {"images": np.uint8, "labels": np.int64, "splits": np.int8, "meta": np.uint8}


@dataclass(frozen=True)
class Decoded:
    """An image folder's usable images, as cached (before any train/test split)."""

    images: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    class_names: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (path relative to the folder, why)
    colour: str  # "grey" or "rgb"


def entry_path(folder: Path, options: dict[str, Any], fingerprint: list[Any]) -> Path:
    """Where the entry for ``folder`` read with ``options`` and these files lives."""
    from PIL import __version__ as pillow

    owner = _digest([str(folder), options])[:16]
    contents = _digest([CACHE_VERSION, pillow, str(folder), options, fingerprint])[:32]
    return cache_root() / FOLDER / f"{owner}-{contents}.npz"


def read(path: Path) -> Decoded | None:
    """The entry at ``path``, or None when there is none or it is not exactly our layout."""
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {name: _member(archive, name, dtype) for name, dtype in _ARRAYS.items()}
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        decoded = Decoded(
            images=arrays["images"],
            labels=arrays["labels"],
            splits=arrays["splits"],
            class_names=tuple(str(n) for n in meta["class_names"]),
            skipped=tuple((str(p), str(why)) for p, why in meta["skipped"]),
            colour=str(meta["colour"]),
        )
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile, MemoryError):
        return None
    return decoded if meta.get("version") == CACHE_VERSION and _consistent(decoded) else None


def write(path: Path, decoded: Decoded) -> str:
    """Store ``decoded`` at ``path`` atomically; "" when done, else why it was not."""
    meta = {
        "version": CACHE_VERSION,
        "class_names": list(decoded.class_names),
        "skipped": [list(s) for s in decoded.skipped],
        "colour": decoded.colour,
    }
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.savez(
                f,
                images=decoded.images,
                labels=decoded.labels,
                splits=decoded.splits,
                meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return f"cannot write {path}: {e.strerror or e}"
    _remove_older(path)
    return ""


def _remove_older(path: Path) -> None:
    """Delete the folder's earlier entries (same owner prefix) and dead writers' leftovers."""
    owner = path.name.split("-", 1)[0]
    for other in path.parent.glob(f"{owner}-*.npz"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
    for tmp in path.parent.glob(f".{owner}-*.tmp"):
        parts = tmp.name.split(".")
        pid = parts[-3] if len(parts) >= 4 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _member(archive: zipfile.ZipFile, name: str, dtype: type) -> np.ndarray:
    """One array, its header checked before NumPy allocates what the header claims."""
    info = archive.getinfo(f"{name}.npy")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version != (1, 0):
            raise ValueError(f"{name}: .npy format {version}")
        shape, fortran, stored = np.lib.format.read_array_header_1_0(f)
        if stored != np.dtype(dtype) or fortran:
            raise ValueError(f"{name}: {stored} array")
        if math.prod(shape) * stored.itemsize > info.file_size:
            raise ValueError(f"{name}: header claims more than the entry holds")
        data = f.read()
    count = math.prod(shape)
    if len(data) < count * stored.itemsize:
        raise ValueError(f"{name}: cut short")
    return np.frombuffer(data, dtype=stored, count=count).reshape(shape)


def _consistent(d: Decoded) -> bool:
    n = len(d.labels)
    channels = {3: 1, 4: 3}.get(d.images.ndim)
    return (
        channels is not None
        and (d.images.ndim == 3 or d.images.shape[3] == 3)
        and d.colour == ("grey" if channels == 1 else "rgb")
        and d.images.shape[0] == n == len(d.splits)
        and len(d.class_names) >= 1
        and (n == 0 or 0 <= int(d.labels.min()) <= int(d.labels.max()) < len(d.class_names))
    )


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()
