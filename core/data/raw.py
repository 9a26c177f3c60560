"""The decoded contents of a dataset's files, before scaling and splitting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RawData:
    """Images as stored (uint8, ``(n, *image_shape)``) and int64 labels, per official split."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
