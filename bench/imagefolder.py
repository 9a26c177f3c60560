"""Image folders: ``load_dataset(folder)`` of 5,000 pictures, the first time and from the cache.

Two folders are written into a temporary directory and loaded end to end (listing,
decoding or reading the cache, the train/validation/test split, the float copies):

- ``digits``: 5,000 real MNIST test digits as 28x28 grey PNGs, one folder per digit
  (the target: under 10 s the first time, under 1 s from the cache);
- ``photos``: 5,000 colour JPEGs of 320x240, what a person's own pictures look like,
  shrunk to 32x24 RGB (the size chosen by the data).

Each round loads with an empty cache folder (the first load: decode every file, write
the cache) and then again (from the cache). The files were just written, so they are
in the system's file cache both times: this measures our work, not the disk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.context import Context
from bench.registry import section
from bench.timing import median

N_IMAGES = 5000


@section("imagefolder", "Image folders: 5,000 pictures loaded the first time and from the cache")
def run(ctx: Context) -> dict[str, Any]:
    n = 100 if ctx.quick else N_IMAGES
    work = Path(tempfile.mkdtemp(prefix="bench-imagefolder-"))
    saved = os.environ.get("BACKPROP_CACHE")
    try:
        rows = []
        for kind, writer in (("digits", _write_digits), ("photos", _write_photos)):
            folder = work / kind
            ctx.log(f"imagefolder: writing {n:,} {kind}")
            what = writer(ctx, folder, n)
            rows.append({"what": what, **_measure(ctx, kind, folder, work, n)})
        return {"rows": rows, "n": n}
    finally:
        if saved is None:
            os.environ.pop("BACKPROP_CACHE", None)
        else:
            os.environ["BACKPROP_CACHE"] = saved
        shutil.rmtree(work, ignore_errors=True)


def _measure(ctx: Context, kind: str, folder: Path, work: Path, n: int) -> dict[str, Any]:
    from core.data import load_dataset

    first, cached = [], []
    shape: tuple[int, ...] = ()
    for r in range(ctx.reps):
        os.environ["BACKPROP_CACHE"] = str(work / f"cache-{kind}-{r}")
        t0 = time.perf_counter()
        d = load_dataset(folder)
        first.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        again = load_dataset(folder)
        cached.append(time.perf_counter() - t0)
        assert again.image_folder is not None and again.image_folder.from_cache
        shape = d.image_shape
        shutil.rmtree(work / f"cache-{kind}-{r}", ignore_errors=True)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    ctx.log(f"imagefolder: {kind} first {median(first):.2f} s, cached {median(cached):.3f} s")
    return {
        "kind": kind,
        "n": n,
        "files_mb": size / 2**20,
        "image_shape": list(shape),
        "first_s": median(first),
        "cached_s": median(cached),
        "times": {"first": first, "cached": cached},
    }


def _write_digits(ctx: Context, folder: Path, n: int) -> str:
    from PIL import Image

    ds = ctx.dataset()
    images = np.rint(ds.images(ds.X_test[:n]) * 255).astype(np.uint8)
    for i, (image, label) in enumerate(zip(images, ds.y_test[:n], strict=True)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / str(label) / f"{i:05d}.png")
    return f"{ds.name} test images, {'x'.join(map(str, ds.image_shape))} PNG"


def _write_photos(ctx: Context, folder: Path, n: int) -> str:
    """Smooth colour pictures with grain, 320x240, in three classes, saved as camera JPEGs."""
    from PIL import Image

    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:240, 0:320] / 240.0
    bases = []
    for b in range(30):  # ten smooth patterns per class, each picture a shifted one
        phase = rng.uniform(0, 2 * np.pi, 3)
        waves = [np.sin(rows * (2 + c) + cols * (b % 3 + 1) + phase[c]) for c in range(3)]
        bases.append((np.stack(waves, -1) * 100 + 128).astype(np.int16))
    for i in range(n):
        label = i % 3
        base = np.roll(bases[(i // 3) % 10 * 3 + label], rng.integers(0, 320), axis=1)
        grain = rng.integers(-12, 13, base.shape, dtype=np.int16)
        pixels = np.clip(base + grain, 0, 255).astype(np.uint8)
        (folder / f"class{label}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"class{label}" / f"{i:05d}.jpg", quality=90)
    return "colour photos, 320x240 JPEG"
