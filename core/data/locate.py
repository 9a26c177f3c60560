"""Where a named dataset's files are found, in a fixed order.

1. an explicit path (when one is given, it is the only place looked at: asking for
   particular files and silently getting others would hide a mistake);
2. ``BACKPROP_DATA``: a folder of datasets (``$BACKPROP_DATA/mnist/...``) or straight
   the folder of one dataset's files;
3. our cache folder (``BACKPROP_CACHE``, else the user cache folder), where
   downloads land;
4. folders where system packages put data (Debian's ``dataset-fashion-mnist``);
5. a download of the official files into the cache, each checked against its pinned
   SHA-256 (from ``BACKPROP_MIRROR`` or ``mirror=`` instead of the official mirrors
   when one is set).

Folders that do not say which dataset they hold are checked by the hash of their
training labels, so MNIST is never taken for Fashion-MNIST. If nothing works, a
:class:`~core.errors.DatasetUnavailable` lists every place tried.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.data import cifar
from core.data.catalog import IDX_FILES, SOURCES, Source
from core.data.download import ChecksumMismatch, Progress, fetch, mirror_urls, pins_with
from core.data.files import check_listed, find_idx_files, sha256_file
from core.data.idxset import labels_fingerprint
from core.errors import ConfigError, DataError, DatasetUnavailable
from core.guard.paths import expand

SUGGESTION = (
    "The bundled 8x8 digits always work offline: choose the dataset 'digits' (--dataset digits)."
)


@dataclass(frozen=True)
class Found:
    """Where a dataset was found: the IDX files by role, or a CIFAR batch folder/archive."""

    location: Path
    origin: str
    files: dict[str, Path] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.location} ({self.origin})"


def cache_root() -> Path:
    """The folder downloads go to: ``BACKPROP_CACHE``, else the user's cache folder."""
    env = os.environ.get("BACKPROP_CACHE")
    if env:
        return expand(env, "BACKPROP_CACHE")
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("backprop-studio"))


def locate(
    source: Source,
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    mirror: str | None = None,
    progress: Progress | None = None,
    pins: Mapping[str, str] | None = None,
) -> Found:
    """Find ``source``'s files (downloading them if allowed) or say where we looked."""
    pinned = pins_with(source.pins, pins)
    tried: list[str] = []
    if path is not None:
        found = _search(source, expand(path, "--data-path"), "given path", tried)
        if found is None:
            raise DatasetUnavailable(_report(source, tried))
        return found
    env = os.environ.get("BACKPROP_DATA")
    if env:
        try:
            base = expand(env, "BACKPROP_DATA")
        except ConfigError as exc:
            tried.append(str(exc))
        else:
            found = _search(source, base, "BACKPROP_DATA", tried)
            if found is not None:
                return found
    else:
        tried.append("BACKPROP_DATA: not set")
    cache = cache_root() / source.key
    found = _from_cache(source, cache, pinned, tried)
    if found is not None:
        return found
    for folder in source.system_folders:
        found = _probe(source, Path(folder), "system package folder", tried)
        if found is not None:
            return found
    if not download:
        tried.append("download: turned off")
        raise DatasetUnavailable(_report(source, tried))
    return _download(source, cache, pinned, mirror, progress, tried)


def probe_folder(folder: Path) -> Found | None:
    """A folder named as the dataset itself: four IDX files or CIFAR-10 batches."""
    files, _ = find_idx_files(folder)
    if len(files) == len(IDX_FILES):
        return Found(folder, "folder", files)
    batches = cifar.find_batches(folder)
    return Found(batches, "folder") if batches is not None else None


def _search(source: Source, base: Path, origin: str, tried: list[str]) -> Found | None:
    """``base`` as a folder of datasets (its usual subfolder names), then as the dataset."""
    if not base.exists():
        tried.append(f"{origin} {base}: no such folder")
        return None
    for name in source.folders:
        sub = base / name
        if sub.is_dir():
            found = _probe(source, sub, origin, tried)
            if found is not None:
                return found
    return _probe(source, base, origin, tried)


def _probe(source: Source, folder: Path, origin: str, tried: list[str]) -> Found | None:
    if source.kind == "cifar":
        batches = cifar.find_batches(folder) if folder.exists() else None
        if batches is None:
            tried.append(f"{origin} {folder}: no {cifar.FOLDER}/ nor {cifar.ARCHIVE}")
            return None
        return Found(batches, origin)
    if not folder.is_dir():
        tried.append(
            f"{origin} {folder}: {'not a folder' if folder.exists() else 'no such folder'}"
        )
        return None
    files, missing = find_idx_files(folder)
    if missing:
        tried.append(f"{origin} {folder}: missing {', '.join(missing)}")
        return None
    other = _other_dataset(source, files["train_labels"])
    if other is not None:
        tried.append(f"{origin} {folder}: holds {other.title}, not {source.title}")
        return None
    return Found(folder, origin, files)


def verify_listed(found: Found) -> None:
    """Check the files about to be read against a ``SHA256SUMS`` beside them.

    Done here, once, for every way a folder is given (``--dataset FOLDER``,
    ``--data-path``, ``BACKPROP_DATA``, the cache), so none of them skips it.
    """
    if found.files:
        check_listed(list(found.files.values()))
    elif found.location.is_file():
        check_listed([found.location])
    else:
        names = (*cifar.TRAIN_BATCHES, cifar.TEST_BATCH, cifar.META)
        check_listed([found.location / n for n in names if (found.location / n).is_file()])


def _other_dataset(source: Source, labels: Path) -> Source | None:
    """The other known dataset whose training labels these are, if any."""
    if source.labels_sha256 is None:
        return None
    fingerprint = labels_fingerprint(labels)
    if fingerprint in (None, source.labels_sha256):
        return None
    return next((s for s in SOURCES.values() if s.labels_sha256 == fingerprint), None)


def _from_cache(
    source: Source, cache: Path, pinned: dict[str, str], tried: list[str]
) -> Found | None:
    """Our cache: pinned files that fail their checksum are removed (and fetched again)."""
    if not cache.is_dir():
        tried.append(f"cache {cache}: nothing there yet")
        return None
    for name, expected in pinned.items():
        path = cache / name
        if path.is_file() and sha256_file(path) != expected:
            path.unlink(missing_ok=True)
            tried.append(f"cache {path}: failed its checksum, removed")
    return _probe(source, cache, "cache", tried)


def _download(
    source: Source,
    cache: Path,
    pinned: dict[str, str],
    mirror: str | None,
    progress: Progress | None,
    tried: list[str],
) -> Found:
    mirror = mirror or os.environ.get("BACKPROP_MIRROR") or None
    mirrors = (mirror,) if mirror else source.mirrors
    needed = [name for name in pinned if not (cache / name).is_file()]
    for name in needed:
        urls = mirror_urls(mirrors, name, source.key)
        path, failures = fetch(name, pinned[name], urls, cache, progress)
        if path is None:
            tried.extend(f"download {url}: {e}" for url, e in failures)
            if any(isinstance(e, ChecksumMismatch) for _, e in failures):
                raise ChecksumMismatch(_report(source, tried))
            raise DatasetUnavailable(_report(source, tried))
    found = _probe(source, cache, "downloaded into the cache", tried)
    if found is None:
        raise DataError(_report(source, tried))
    base = mirrors[0].replace("{dataset}", source.key)
    return Found(found.location, f"downloaded from {base}", found.files)


def _report(source: Source, tried: list[str]) -> str:
    lines = "\n".join(f"  - {t}" for t in tried)
    return f"{source.title} is not available. Looked in:\n{lines}\n{SUGGESTION}"
