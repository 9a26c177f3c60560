"""Datasets: real digits from wherever they are, as one validated value.

``load_dataset(name)`` finds the files (explicit path, ``BACKPROP_DATA``, the cache,
known system folders, a verified download), parses them with our own readers and
returns a :class:`Dataset` with float32 pixels in [0, 1] and int64 labels.
"""

from __future__ import annotations

from core.data.dataset import Dataset, displayable, load_dataset
from core.data.idx import read_idx
from core.data.locate import cache_root
from core.data.progress import tqdm_progress

__all__ = ["Dataset", "cache_root", "displayable", "load_dataset", "read_idx", "tqdm_progress"]
