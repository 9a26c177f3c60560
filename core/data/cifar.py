"""Our reader for CIFAR-10 in its official *binary* layout (never the pickled one).

``cifar-10-binary.tar.gz`` holds ``cifar-10-batches-bin/`` with ``data_batch_1.bin`` ..
``data_batch_5.bin``, ``test_batch.bin`` and ``batches.meta.txt`` (one class name per
line). Each batch is a run of 3,073-byte records: one label byte, then a 32x32 colour
image as 1,024 red, 1,024 green and 1,024 blue bytes, rows in order (channel-major).
Images are returned as (n, 32, 32, 3), channels last, as the views draw them.

Batches are read from the extracted folder or straight out of the archive (members
are looked up by name and read, never extracted, so an archive cannot write files).
Record lengths, label values and member sizes are validated; every problem is a
:class:`~core.errors.DataError` that names the file.
"""

from __future__ import annotations

import lzma
import os
import tarfile
import zlib
from pathlib import Path

import numpy as np

from core.data.raw import RawData
from core.errors import DataError
from core.guard.memory import require
from core.guard.paths import open_regular

ARCHIVE = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
META = "batches.meta.txt"
CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
SIDE = 32
CHANNELS = 3
RECORD = 1 + SIDE * SIDE * CHANNELS
# The official batches hold 10,000 records (30,730,000 bytes); a member claiming far
# more than that is not a CIFAR batch, and is refused before it is read.
_MAX_BATCH_BYTES = 1 << 30
_MAX_META_BYTES = 1 << 16


def find_batches(folder: Path) -> Path | None:
    """Where CIFAR-10 binaries are under ``folder`` (a batch folder or the archive), if any.

    ``folder`` may itself be the archive file.
    """
    if folder.is_file():
        return folder if folder.name.endswith((".tar.gz", ".tgz", ".tar")) else None
    for candidate in (folder, folder / FOLDER):
        if (candidate / TRAIN_BATCHES[0]).is_file() or (candidate / TEST_BATCH).is_file():
            return candidate
    archive = folder / ARCHIVE
    return archive if archive.is_file() else None


def read_cifar(location: Path) -> RawData:
    """Read all six batches (and the class names) from a batch folder or the archive.

    Images come back as (n, 32, 32, 3) uint8, labels as (n,) int64.
    """
    blobs = _read_archive(location) if location.is_file() else _read_folder(location)
    names = _class_names(blobs.get(META), location / META)
    train = [_decode(blobs[b], location / b, len(names)) for b in TRAIN_BATCHES]
    test_images, test_labels = _decode(blobs[TEST_BATCH], location / TEST_BATCH, len(names))
    return RawData(
        np.concatenate([images for images, _ in train]),
        np.concatenate([labels for _, labels in train]),
        test_images,
        test_labels,
        names,
    )


def _read_folder(folder: Path) -> dict[str, bytes]:
    missing = [b for b in (*TRAIN_BATCHES, TEST_BATCH) if not (folder / b).is_file()]
    if missing:
        raise DataError(f"{folder}: CIFAR-10 batch files missing: {', '.join(missing)}")
    blobs: dict[str, bytes] = {}
    kept = 0
    for name in (*TRAIN_BATCHES, TEST_BATCH, META):
        path = folder / name
        if not path.is_file():
            continue
        limit = _MAX_META_BYTES if name == META else _MAX_BATCH_BYTES
        try:
            with open_regular(path) as f:
                size = os.fstat(f.fileno()).st_size
                if size > limit:
                    raise DataError(f"{path}: {size:,} bytes, too large for a CIFAR-10 file")
                kept += size
                require(kept, f"{folder}: CIFAR-10 batches of {kept:,} bytes", error=DataError)
                blobs[name] = f.read(size)
        except OSError as e:
            raise DataError(f"{path}: cannot read: {e.strerror or e}") from e
    return blobs


def _read_archive(archive: Path) -> dict[str, bytes]:
    """The batch files inside the archive, read in archive order in one pass.

    A compressed archive of a few kilobytes can claim members of gigabytes: each
    member's size (from its header, before it is inflated) is checked against the
    batch limit and, with what was kept so far, against the memory available.
    """
    wanted = {f"{FOLDER}/{b}" for b in (*TRAIN_BATCHES, TEST_BATCH, META)}
    blobs: dict[str, bytes] = {}
    kept = 0
    try:
        with open_regular(archive) as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            for member in tar:
                if member.name.removeprefix("./") not in wanted:
                    continue
                short = member.name.rsplit("/", 1)[-1]
                limit = _MAX_META_BYTES if short == META else _MAX_BATCH_BYTES
                if not member.isfile() or member.size > limit:
                    raise DataError(
                        f"{archive}: member {member.name} is not a CIFAR-10 file "
                        f"({'not a regular file' if not member.isfile() else 'too large'})"
                    )
                kept += member.size
                require(
                    kept,
                    f"{archive}: members claiming {kept:,} bytes once decompressed",
                    error=DataError,
                )
                stream = tar.extractfile(member)
                data = stream.read(member.size) if stream else b""
                if len(data) != member.size:
                    raise DataError(
                        f"{archive}: member {member.name} truncated at byte {len(data):,}: "
                        f"expected {member.size:,} bytes"
                    )
                blobs[short] = data
                if len(blobs) == len(wanted):
                    break  # the rest of the archive is never inflated
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise DataError(f"{archive}: not a readable CIFAR-10 archive ({e})") from None
    except OSError as e:
        raise DataError(f"{archive}: cannot read: {e.strerror or e}") from None
    missing = [b for b in (*TRAIN_BATCHES, TEST_BATCH) if b not in blobs]
    if missing:
        raise DataError(
            f"{archive}: no {FOLDER}/{missing[0]} inside"
            + (f" (nor {', '.join(missing[1:])})" if missing[1:] else "")
            + f"; expected the official {ARCHIVE}"
        )
    return blobs


def _class_names(meta: bytes | None, where: Path) -> tuple[str, ...]:
    """Names from ``batches.meta.txt`` (one per line), or the standard ten without it."""
    if meta is None:
        return CLASS_NAMES
    try:
        names = tuple(line.strip() for line in meta.decode("utf-8").splitlines() if line.strip())
    except UnicodeDecodeError:
        raise DataError(f"{where}: not a text file of class names") from None
    if not names:
        raise DataError(f"{where}: holds no class names")
    return names


def _decode(blob: bytes, where: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch: (n, 3073) records -> images (n, 32, 32, 3) uint8 and labels (n,) int64."""
    if not blob:
        raise DataError(f"{where}: empty file: a CIFAR-10 batch holds {RECORD}-byte records")
    n, extra = divmod(len(blob), RECORD)
    if extra:
        raise DataError(
            f"{where}: {len(blob):,} bytes is not a whole number of {RECORD}-byte records "
            f"(1 label byte + {SIDE}x{SIDE}x{CHANNELS} pixels): record {n + 1} is cut short "
            f"at {extra} bytes"
        )
    records = np.frombuffer(blob, dtype=np.uint8).reshape(n, RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels >= n_classes)
    if bad.size:
        raise DataError(
            f"{where}: record {bad[0]} has label {labels[bad[0]]}, but there are only "
            f"{n_classes} classes"
        )
    images = records[:, 1:].reshape(n, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
