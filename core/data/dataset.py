"""The :class:`Dataset` value and the entry point that builds one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.data.catalog import DATASET_CHOICES, DIGIT_NAMES, source_for
from core.data.cifar import read_cifar
from core.data.idxset import read_idx_set
from core.data.imagefolder import (
    TEST,
    VAL,
    ImageFolder,
    ImageFolderReport,
    Progress,
    read_image_folder,
)
from core.data.locate import locate, probe_folder, verify_listed
from core.data.raw import RawData
from core.errors import ConfigError, DataError
from core.guard.memory import require
from core.guard.paths import expand


@dataclass(frozen=True)
class Dataset:
    """Train / validation / test splits of one image-classification dataset.

    Images are flattened: ``X_*`` is ``(n, prod(image_shape))`` float32 in [0, 1];
    ``y_*`` is ``(n,)`` int64 class indices into ``class_names``. ``image_shape`` is
    ``(rows, cols)`` for grey images and ``(rows, cols, 3)`` for colour ones, so
    views and augmentation can put a row of ``X`` back into an image. ``source`` says
    where the data came from in a sentence or two; for an image folder it includes
    what was skipped and why, and ``image_folder`` holds the same as values.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    source: str
    image_folder: ImageFolderReport | None = None

    @property
    def n_features(self) -> int:
        return int(np.prod(self.image_shape))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def images(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` (n, n_features) as images (n, *image_shape), without copying."""
        return X.reshape(len(X), *self.image_shape)


def displayable(images: np.ndarray) -> tuple[np.ndarray, str]:
    """Images ``(n, h, w)`` or ``(n, h, w, c)`` as a picture can show them, and a note.

    Pictures are grey ``(n, h, w)`` or colour ``(n, h, w, 3)``. One channel is grey;
    two show their first as grey; more than three show their first three as red,
    green and blue. The note says what was left out ("" when nothing was).
    """
    if images.ndim != 4 or images.shape[-1] == 3:
        return images, ""
    channels = images.shape[-1]
    if channels == 1:
        return images[..., 0], ""
    if channels == 2:
        return images[..., 0], "images have 2 channels; the pictures show the first"
    return (
        images[..., :3],
        f"images have {channels} channels; the pictures show the first 3 as red, green and blue",
    )


def split_validation(
    X: np.ndarray, y: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/validation split, stratified by class whenever the counts allow it.

    A tiny dataset (a class with one example, fewer validation slots than classes)
    cannot be stratified; it is then split at random with the same seed.
    """
    from sklearn.model_selection import train_test_split

    if len(y) < 2:
        raise DataError(f"only {len(y)} training example(s): too few to set some aside")
    try:
        X_tr, X_val, y_tr, y_val = train_test_split(
            X, y, test_size=val_fraction, random_state=seed, stratify=y
        )
    except ValueError:
        X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=val_fraction, random_state=seed)
    return X_tr, y_tr, X_val, y_val


def to_unit_float(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, ...) -> float32 rows (n, prod(...)) in [0, 1]."""
    flat = images.reshape(len(images), -1)
    return np.multiply(flat, np.float32(1 / 255), dtype=np.float32)


def load_digits_dataset(val_fraction: float = 1 / 12, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits: 1,797 images, always available offline."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y
    )
    X_tr, y_tr, X_val, y_val = split_validation(X_rest, y_rest, val_fraction, seed)
    return Dataset(
        "digits", X_tr, y_tr, X_val, y_val, X_test, y_test, (8, 8),
        DIGIT_NAMES, "scikit-learn bundled 8x8 digits",
    )  # fmt: skip


def load_dataset(
    name: str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    *,
    val_fraction: float = 1 / 12,
    seed: int = 0,
    progress: Progress | None = None,
    download: bool = True,
    mirror: str | None = None,
    pins: Mapping[str, str] | None = None,
    image_size: int | tuple[int, int] | None = None,
    colour: str = "auto",
    test_fraction: float = 0.2,
) -> Dataset:
    """Load ``name`` ("mnist", "fashion_mnist", "digits", "cifar10" or a folder).

    ``path`` is an explicit folder for a named dataset (the only place then looked
    at). Otherwise the files are looked for in ``BACKPROP_DATA``, the cache and system
    folders, then downloaded when ``download`` is true; ``progress(what, done, total)``
    follows the downloads (in bytes) and the reading of an image folder (in files,
    ``what`` starting with "image folder "), and may raise to cancel. ``mirror``
    replaces the official download sites (as ``BACKPROP_MIRROR`` does) and ``pins``
    replaces some pinned SHA-256 values, by file name, for a mirror that serves
    recompressed files. The validation set is ``val_fraction`` of the training set,
    stratified and seeded.

    A folder holds the four IDX files, CIFAR-10 batches, or images in one subfolder
    per class (see :mod:`core.data.imagefolder`): for those, ``image_size`` (a side,
    ``(rows, cols)``, or None for the images' own) and ``colour`` ("auto", "grey",
    "rgb") say what every image becomes, and without a ``test/`` subfolder
    ``test_fraction`` of the images is set aside as the test set, stratified and seeded.

    Raises :class:`~core.errors.DatasetUnavailable` when no copy can be found or
    fetched, and :class:`~core.errors.DataError` when the files are damaged or the
    folder holds no usable images.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"val_fraction: {val_fraction!r} is not between 0 and 1 (exclusive)")
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction: {test_fraction!r} is not between 0 and 1 (exclusive)")
    name = os.fspath(name)
    if name.strip().lower() == "digits":
        return load_digits_dataset(val_fraction, seed)
    source = source_for(name)
    if source is None:
        folder = _named_folder(name)
        found = probe_folder(folder)
        if found is None:
            images = read_image_folder(
                folder, image_size=image_size, colour=colour, progress=progress
            )
            label = Path(images.report.folder).name or name
            return _from_image_folder(images, label, val_fraction, test_fraction, seed)
        label, class_names = folder.name or name, None
    else:
        found = locate(source, path, download=download, mirror=mirror, progress=progress, pins=pins)
        label, class_names = source.key, source.class_names
    verify_listed(found)
    if found.files:
        raw = read_idx_set(found.files, class_names)
        description = f"{source.title if source else 'IDX files'} from {found.describe()}"
    else:
        raw = read_cifar(found.location)
        description = f"CIFAR-10 from {found.describe()}"
    return _assemble(label, raw, description, val_fraction, seed)


def _named_folder(name: str) -> Path:
    folder = expand(name, "--dataset")
    if not folder.exists():
        raise DataError(f"unknown dataset {name!r}: choose {DATASET_CHOICES}")
    return folder


def _from_image_folder(
    images: ImageFolder, name: str, val_fraction: float, test_fraction: float, seed: int
) -> Dataset:
    """Train / validation / test from the folder's own split, the rest carved out, seeded.

    The test set is the ``test/`` images when there are any, else ``test_fraction``
    of the others; the validation set likewise from ``val/`` or ``val_fraction`` of
    what is left for training. Each carving is stratified by class when the counts allow.
    """
    X, y, splits = images.images, images.labels, images.splits
    notes = []
    test, val = splits == TEST, splits == VAL
    pool = ~(test | val)
    if test.any():
        X_test, y_test = X[test], y[test]
        X_pool, y_pool = X[pool], y[pool]
    else:
        X_pool, y_pool, X_test, y_test = split_validation(X[pool], y[pool], test_fraction, seed)
        notes.append(f"test set: {test_fraction:.0%} of the images (stratified, seed {seed})")
    if val.any():
        X_tr, y_tr, X_val, y_val = X_pool, y_pool, X[val], y[val]
    else:
        X_tr, y_tr, X_val, y_val = split_validation(X_pool, y_pool, val_fraction, seed)
    report = images.report
    return Dataset(
        name,
        to_unit_float(X_tr), y_tr,
        to_unit_float(X_val), y_val,
        to_unit_float(X_test), y_test,
        tuple(X.shape[1:]), images.class_names,
        "; ".join([report.summary(), *notes]), report,
    )  # fmt: skip


def _assemble(name: str, raw: RawData, source: str, val_fraction: float, seed: int) -> Dataset:
    """Split the training images, then scale: splitting bytes copies a quarter as much."""
    pixels = raw.train_images.size + raw.test_images.size
    require(
        pixels * (4 + 1),
        f"{name}: {len(raw.train_labels) + len(raw.test_labels):,} images as float32",
        error=DataError,
    )
    tr_images, tr_labels, val_images, val_labels = split_validation(
        raw.train_images, raw.train_labels, val_fraction, seed
    )
    return Dataset(
        name,
        to_unit_float(tr_images), tr_labels,
        to_unit_float(val_images), val_labels,
        to_unit_float(raw.test_images), raw.test_labels,
        tuple(raw.train_images.shape[1:]), raw.class_names, source,
    )  # fmt: skip
