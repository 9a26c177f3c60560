"""Four IDX files read as one dataset, checked against each other.

Each file is valid on its own terms (see :mod:`core.data.idx`); here they must also
agree: as many labels as images, the same image size in train and test, byte
pixels, labels that are class indices.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from core.data.idx import read_idx, read_idx_header
from core.data.raw import RawData
from core.errors import DataError
from core.guard.memory import require

#: Classes a folder of IDX files may number (its labels 0..k-1 become the output layer).
MAX_CLASSES = 10_000


def read_idx_set(files: dict[str, Path], class_names: tuple[str, ...] | None) -> RawData:
    """Read the four files by role; ``class_names=None`` numbers the classes 0..k-1.

    Images are (n, rows, cols) or (n, rows, cols, channels) uint8; labels (n,) int64.
    The memory the whole dataset will take is estimated from the headers first.
    """
    require_dataset_memory(files)
    train_images = _images(files["train_images"])
    train_labels = _labels(files["train_labels"], train_images, files["train_images"])
    test_images = _images(files["test_images"])
    test_labels = _labels(files["test_labels"], test_images, files["test_images"])
    if test_images.shape[1:] != train_images.shape[1:]:
        raise DataError(
            f"{files['test_images']}: images are {_size(test_images)}, but the training "
            f"images in {files['train_images'].name} are {_size(train_images)}"
        )
    if class_names is None:
        top = int(max(train_labels.max(), test_labels.max()))
        if top >= MAX_CLASSES:
            where = files["train_labels" if train_labels.max() == top else "test_labels"]
            raise DataError(
                f"{where}: label {top} would make {top + 1:,} classes; a folder "
                f"dataset may have at most {MAX_CLASSES:,}"
            )
        class_names = tuple(str(i) for i in range(top + 1))
    for role, labels in (("train_labels", train_labels), ("test_labels", test_labels)):
        bad = np.flatnonzero(labels >= len(class_names))
        if bad.size:
            raise DataError(
                f"{files[role]}: label {labels[bad[0]]} at index {bad[0]} is not one of the "
                f"{len(class_names)} classes (0..{len(class_names) - 1})"
            )
    return RawData(train_images, train_labels, test_images, test_labels, class_names)


#: Bytes the loaded dataset takes per byte of stored pixels: the bytes read, the copies
#: the validation split makes, and float32 pixels (4 bytes) in the Dataset itself.
BYTES_PER_PIXEL = 1 + 1 + 4
#: ... and per label: the label read, int64 labels, and the split's int64 copies.
BYTES_PER_LABEL = 1 + 8 + 8


def require_dataset_memory(files: dict[str, Path]) -> None:
    """Refuse, from the four headers alone, a dataset that will not fit in memory."""
    pixels = labels = 0
    for role in ("train_images", "test_images"):
        _, shape = read_idx_header(files[role], ndim=(3, 4))
        pixels += math.prod(shape)
        labels += shape[0]
    folder = files["train_images"].parent
    require(
        pixels * BYTES_PER_PIXEL + labels * BYTES_PER_LABEL,
        f"{folder}: {labels:,} images of {pixels // labels:,} pixels",
        error=DataError,
    )


def labels_fingerprint(path: Path) -> str | None:
    """SHA-256 of a label file's uncompressed bytes (None if it is not plain byte labels).

    Rebuilt from the parsed values, so a gzip and a raw copy of the same file agree
    and match the published hash of the uncompressed file.
    """
    labels = read_idx(path, ndim=1)
    if labels.dtype != np.uint8:
        return None
    header = bytes([0, 0, 0x08, 1]) + len(labels).to_bytes(4, "big")
    return hashlib.sha256(header + labels.tobytes()).hexdigest()


def _images(path: Path) -> np.ndarray:
    images = read_idx(path, ndim=(3, 4))
    if images.dtype != np.uint8:
        raise DataError(
            f"{path}: pixels are {images.dtype} values; images must be unsigned bytes "
            "(IDX type 0x08)"
        )
    return images


def _labels(path: Path, images: np.ndarray, images_path: Path) -> np.ndarray:
    labels = read_idx(path, ndim=1)
    if labels.dtype.kind not in "iu":
        raise DataError(f"{path}: labels are {labels.dtype} values; they must be integers")
    if len(labels) != len(images):
        raise DataError(
            f"{path}: label count {len(labels):,} differs from image count "
            f"{len(images):,} in {images_path.name}"
        )
    labels = labels.astype(np.int64)
    negative = np.flatnonzero(labels < 0)
    if negative.size:
        index = negative[0]
        raise DataError(f"{path}: label {labels[index]} at index {index} is negative")
    return labels


def _size(images: np.ndarray) -> str:
    return " x ".join(map(str, images.shape[1:]))
