"""Image folders as datasets: layouts, bad files, options, the cache, and MNIST as PNGs."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from data_fakes import idx_bytes, isolate_data, write_files
from PIL import Image, ImageFile

import core.data.images as images_module
from core.data import load_dataset
from core.data.idx import read_idx
from core.data.imagefolder import read_image_folder
from core.errors import ConfigError, DataError, DatasetUnavailable


@pytest.fixture
def cache(monkeypatch, tmp_path) -> Path:
    """A private, empty cache folder (and no data folders from the outside)."""
    isolate_data(monkeypatch, tmp_path / "cache")
    return tmp_path / "cache"


def grey(rng, shape=(8, 8)) -> np.ndarray:
    return rng.integers(0, 256, shape, dtype=np.uint8)


def save(path: Path, pixels: np.ndarray, fmt: str | None = None, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format=fmt, **kw)
    return path


def make_folder(root: Path, classes=("a", "b"), per_class=5, shape=(8, 8), seed=0) -> Path:
    rng = np.random.default_rng(seed)
    for c in classes:
        for i in range(per_class):
            save(root / c / f"{i:03d}.png", grey(rng, shape))
    return root


def png_bytes(width: int, height: int, colour_type: int = 0) -> bytes:
    """A PNG whose header claims ``width x height`` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(pixels: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", **kw)
    return buf.getvalue()


# -- layouts ---------------------------------------------------------------------------
def test_a_folder_of_class_folders_is_a_dataset(cache, tmp_path):
    root = make_folder(tmp_path / "shapes", classes=("circle", "square", "star"), per_class=10)
    d = load_dataset(root, seed=3)
    assert d.name == "shapes" and d.class_names == ("circle", "square", "star")
    assert d.image_shape == (8, 8) and d.n_features == 64
    assert len(d.X_train) + len(d.X_val) + len(d.X_test) == 30
    assert np.bincount(d.y_test).tolist() == [2, 2, 2]  # 20% of each class, stratified
    assert d.X_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.X_train.min() >= 0.0 and d.X_train.max() <= 1.0
    report = d.image_folder
    assert report is not None and report.images == 30 and report.layout == "classes"
    assert report.colour == "grey" and report.colour_from == "data"
    assert report.skipped == 0 and report.ignored == 0 and not report.from_cache
    assert f"image folder {root}: 30 images, 8x8 grey" in d.source
    assert "test set: 20% of the images (stratified, seed 3)" in d.source


def test_the_carved_test_set_is_seeded(cache, tmp_path):
    root = make_folder(tmp_path / "f", per_class=20)
    first, again, other = (load_dataset(root, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_test, other.X_test)


def test_train_val_and_test_subfolders_are_the_splits(cache, tmp_path):
    root = tmp_path / "split"
    for split, n in (("train", 8), ("val", 3), ("test", 4)):
        make_folder(root / split, per_class=n, seed=len(split))
    d = load_dataset(root)
    assert (len(d.X_train), len(d.X_val), len(d.X_test)) == (16, 6, 8)
    assert d.image_folder is not None and d.image_folder.layout == "splits"
    expected = np.stack([np.asarray(Image.open(p)) for p in sorted((root / "test").rglob("*.png"))])
    np.testing.assert_array_equal(np.rint(d.X_test * 255).astype(np.uint8), expected.reshape(8, -1))
    # Without val/, the validation set is carved out of train/.
    no_val = tmp_path / "no_val"
    for split, n in (("Train", 12), ("test", 4)):
        make_folder(no_val / split, per_class=n)
    d = load_dataset(no_val, val_fraction=0.25)
    assert (len(d.X_train), len(d.X_val), len(d.X_test)) == (18, 6, 8)


def test_a_class_called_train_beside_others_is_just_a_class(cache, tmp_path):
    root = make_folder(tmp_path / "vehicles", classes=("bus", "car", "train"))
    assert load_dataset(root).class_names == ("bus", "car", "train")


def test_classes_are_in_natural_order_and_may_have_subfolders(cache, tmp_path):
    rng = np.random.default_rng(0)
    for name in ("10", "2", "b", "A"):
        for i in range(3):
            save(tmp_path / "n" / name / "deeper" / f"{i}.png", grey(rng))
    d = load_dataset(tmp_path / "n")
    assert d.class_names == ("2", "10", "A", "b")
    assert np.bincount(np.concatenate([d.y_train, d.y_val, d.y_test])).tolist() == [3, 3, 3, 3]


def test_hidden_files_junk_folders_non_images_and_link_loops(cache, tmp_path):
    root = make_folder(tmp_path / "messy", per_class=4)
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "a" / "README.txt").write_text("my cats")
    make_folder(root / "a" / ".thumbnails", classes=("x",), per_class=3)  # hidden: not read
    make_folder(root / "__MACOSX", classes=("a",), per_class=3)  # zip leftovers: not a class
    os.symlink("..", root / "a" / "loop")  # a/loop/a/loop/... would never end
    os.symlink(root / "b", root / "b" / "again")
    report = read_image_folder(root).report
    assert report.images == 8 and report.skipped == 0
    assert report.ignored == 1 and report.ignored_files == (("a/README.txt", "not an image file"),)


def test_nothing_usable_is_refused_with_what_was_found(cache, tmp_path):
    empty = tmp_path / "empty"
    (empty / "cats").mkdir(parents=True)
    (empty / "cats" / "notes.txt").write_text("todo")
    with pytest.raises(DatasetUnavailable, match=r"nor images in one subfolder per class") as info:
        load_dataset(empty)
    assert "found only 1 other file" in str(info.value) and "--dataset digits" in str(info.value)

    flat = tmp_path / "flat"
    save(flat / "one.png", grey(np.random.default_rng(0)))
    save(flat / "two.png", grey(np.random.default_rng(1)))
    with pytest.raises(DataError, match="its 2 images are not in class subfolders"):
        load_dataset(flat)

    single = make_folder(tmp_path / "single", classes=("cats",))
    with pytest.raises(DataError, match=r"only one class \(cats\).*give that folder instead"):
        load_dataset(single)

    broken = tmp_path / "broken"
    for c in ("a", "b"):
        (broken / c).mkdir(parents=True)
        (broken / c / "x.png").write_bytes(b"not a picture")
    with pytest.raises(DataError, match=r"none of its 2 image files could be used: a/x.png \(not"):
        load_dataset(broken)


def test_too_many_class_folders_are_refused_before_decoding(cache, tmp_path, monkeypatch):
    import core.data.imagefolder as imagefolder

    monkeypatch.setattr(imagefolder, "MAX_CLASSES", 3)
    root = make_folder(tmp_path / "home", classes=("a", "b", "c", "d"), per_class=1)
    with pytest.raises(DataError, match="4 class folders; a dataset may have at most 3"):
        load_dataset(root)


def test_names_that_are_not_utf8_are_shown_with_a_replacement_character(cache, tmp_path):
    root = make_folder(tmp_path / "f")
    os.rename(root / "a", os.path.join(os.fsencode(root), b"caf\xe9"))
    (root / "b" / os.fsdecode(b"scan\xff.png")).write_bytes(b"junk")
    d = load_dataset(root)
    assert d.class_names == ("b", "caf\ufffd")
    assert d.image_folder is not None and d.image_folder.skipped_files[0][0] == "b/scan\ufffd.png"
    d.source.encode("utf-8")  # printable on a strict UTF-8 terminal


def test_bad_options_name_the_option(cache, tmp_path):
    root = make_folder(tmp_path / "f")
    with pytest.raises(ConfigError, match="image_size"):
        load_dataset(root, image_size=0.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="image_size"):
        load_dataset(root, image_size=(8, 8, 3))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="colour: 'sepia'"):
        load_dataset(root, colour="sepia")


# -- bad images ------------------------------------------------------------------------
def _truncated_png(path: Path) -> None:
    data = (save(path, grey(np.random.default_rng(9), (32, 32)))).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _truncated_jpeg(path: Path) -> None:
    rgb = np.random.default_rng(9).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    data = jpeg_bytes(rgb)
    path.write_bytes(data[: len(data) // 2])


def _truncated_tiff(path: Path) -> None:
    """Cut short, which makes Pillow warn as it gives up."""
    buf = io.BytesIO()
    Image.fromarray(grey(np.random.default_rng(9))).save(buf, format="TIFF", dpi=(72, 72))
    path.write_bytes(buf.getvalue()[:120])


BAD_IMAGES = {
    "truncated PNG": ("bad.png", _truncated_png, "cannot be decoded"),
    "truncated JPEG": ("bad.jpg", _truncated_jpeg, "cannot be decoded"),
    "truncated TIFF": ("bad.tif", _truncated_tiff, "cannot be decoded"),
    "not an image": ("bad.png", lambda p: p.write_text("hello, not pixels"), "not an image"),
    "zero bytes": ("bad.jpg", lambda p: p.write_bytes(b""), "empty file"),
    "dangling link": ("bad.png", lambda p: os.symlink(p.parent / "gone.png", p), "cannot read"),
    "link to itself": ("bad.png", lambda p: os.symlink(p, p), "cannot read"),
    "named pipe": ("bad.png", lambda p: os.mkfifo(p), "not a regular file"),
    "bomb over twice the pixel limit": (
        "bad.png",
        lambda p: p.write_bytes(png_bytes(100_000, 100_000)),
        "too large",
    ),
    "over the pixel limit": (
        "bad.png",
        lambda p: p.write_bytes(png_bytes(12_000, 12_000, colour_type=2)),
        "too large: 12,000 x 12,000 pixels would decode to 0.4 GiB",
    ),
}


@pytest.mark.parametrize("kind", BAD_IMAGES)
def test_each_kind_of_bad_image_is_skipped_counted_and_named(cache, tmp_path, kind):
    name, make, reason = BAD_IMAGES[kind]
    root = make_folder(tmp_path / "f")
    make(root / "a" / name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = load_dataset(root)
    assert [str(w.message) for w in caught] == []  # the report tells, not a warning
    report = d.image_folder
    assert report is not None and report.images == 10 and report.skipped == 1
    ((path, why),) = report.skipped_files
    assert path == f"a/{name}" and why.startswith(reason)
    assert f"skipped 1 bad image: a/{name} ({reason}" in d.source


def test_many_bad_images_are_counted_and_the_first_few_named(cache, tmp_path):
    root = make_folder(tmp_path / "f")
    for i in range(25):
        (root / "b" / f"junk{i:02d}.gif").write_bytes(b"GIF89a?")
    report = load_dataset(root).image_folder
    assert report is not None and report.skipped == 25 and len(report.skipped_files) == 10
    assert report.skipped_files[0][0] == "b/junk00.gif"
    assert "skipped 25 bad images: b/junk00.gif (" in report.summary()
    assert report.summary().count("b/junk") == 10 and ", ...;" in report.summary()


def test_the_pixel_limit_is_checked_before_decoding(cache, tmp_path, monkeypatch):
    """An image over the limit never reaches the decoder (Pillow's load)."""
    root = make_folder(tmp_path / "f")
    (root / "a" / "huge.png").write_bytes(png_bytes(12_000, 12_000))
    loaded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda im: loaded.append(im.size) or real_load(im)
    )
    report = read_image_folder(root).report
    assert report.skipped == 1 and (12_000, 12_000) not in loaded and len(loaded) >= 10


# -- options -----------------------------------------------------------------------------
def test_the_common_size_is_chosen_and_shrunk_to_32_a_side(cache, tmp_path):
    rng = np.random.default_rng(0)
    for i in range(4):
        save(tmp_path / "f" / "a" / f"{i}.png", grey(rng, (40, 80)))
        save(tmp_path / "f" / "b" / f"{i}.png", grey(rng, (40, 80)))
    save(tmp_path / "f" / "b" / "odd.png", grey(rng, (20, 20)))
    report = read_image_folder(tmp_path / "f").report
    assert report.image_size == (16, 32) and report.size_from == "data"
    forced = read_image_folder(tmp_path / "f", image_size=(10, 12))
    assert forced.images.shape == (9, 10, 12) and forced.report.size_from == "option"
    assert read_image_folder(tmp_path / "f", image_size=5).images.shape == (9, 5, 5)


def test_colour_is_chosen_by_the_data_or_asked_for(cache, tmp_path):
    rng = np.random.default_rng(0)
    root = make_folder(tmp_path / "f")
    as_rgb = read_image_folder(root, colour="rgb")
    assert as_rgb.images.shape == (10, 8, 8, 3) and as_rgb.report.colour_from == "option"
    assert (as_rgb.images == as_rgb.images[..., :1]).all()  # grey made of three equal channels
    # A grey picture saved as a colour JPEG is still grey.
    grey_jpeg = np.repeat(grey(rng)[..., None], 3, axis=2)
    (root / "a" / "grey.jpg").write_bytes(jpeg_bytes(grey_jpeg, quality=95))
    assert read_image_folder(root).report.colour == "grey"
    # One colour image makes the folder RGB; the grey ones get three equal channels.
    save(root / "b" / "colour.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    mixed = read_image_folder(root)
    assert mixed.images.shape == (12, 8, 8, 3) and mixed.report.colour == "rgb"
    first_grey = mixed.images[0]
    assert (first_grey == first_grey[..., :1]).all()
    forced = read_image_folder(root, colour="grey")
    assert forced.images.shape == (12, 8, 8) and forced.report.colour_from == "option"


def test_pillow_modes_become_grey_or_rgb(cache, tmp_path):
    root = make_folder(tmp_path / "f")
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    save(root / "a" / "rgba.png", rgba)
    palette = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8), "L").convert("P")
    palette.info["transparency"] = 0
    palette.save(root / "a" / "palette.png", transparency=0)
    wide = np.full((8, 8), 65535, dtype=np.uint16)
    Image.fromarray(wide).save(root / "b" / "sixteen.png")  # mode I;16
    Image.fromarray(grey(np.random.default_rng(1)) > 128).save(root / "b" / "bits.png")
    Image.new("CMYK", (8, 8), (0, 255, 0, 0)).save(root / "b" / "cmyk.jpg")
    folder = read_image_folder(root)
    assert folder.report.skipped == 0 and folder.images.shape == (15, 8, 8, 3)
    sixteen = folder.images[-1]  # by class, then name: b/sixteen.png comes last
    assert (sixteen == 255).all()


def test_photos_are_turned_upright_from_their_exif(cache, tmp_path):
    rng = np.random.default_rng(0)
    root = make_folder(tmp_path / "f", shape=(20, 10))
    sideways = rng.integers(0, 256, (10, 20, 3), dtype=np.uint8)  # stored 20 wide, 10 tall
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    Image.fromarray(sideways).save(root / "a" / "phone.jpg", exif=exif.tobytes())
    assert images_module.header_size(root / "a" / "phone.jpg") == (20, 10)
    folder = read_image_folder(root, colour="rgb")
    assert folder.report.image_size == (20, 10) and folder.report.skipped == 0


# -- the cache -----------------------------------------------------------------------------
def _forbid_decoding(monkeypatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("an image was opened although the cache holds the folder")

    monkeypatch.setattr(images_module, "read_image", refuse)
    monkeypatch.setattr(images_module, "header_size", refuse)


def test_the_second_load_decodes_nothing(cache, tmp_path, monkeypatch):
    root = make_folder(tmp_path / "f")
    (root / "a" / "bad.png").write_bytes(b"junk")
    first = load_dataset(root, seed=1)
    assert first.image_folder is not None and not first.image_folder.from_cache
    entries = list((cache / "image-folders").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".npz"
    with monkeypatch.context() as m:
        _forbid_decoding(m)
        second = load_dataset(root, seed=1)
    assert second.image_folder is not None and second.image_folder.from_cache
    assert second.image_folder.skipped == 1 and "read from the cache" in second.source
    for a, b in ((first.X_train, second.X_train), (first.X_test, second.X_test)):
        np.testing.assert_array_equal(a, b)
    assert first.class_names == second.class_names


def test_a_changed_folder_or_option_is_decoded_again_and_the_old_entry_goes(cache, tmp_path):
    root = make_folder(tmp_path / "f")
    load_dataset(root)
    save(root / "b" / "new.png", grey(np.random.default_rng(7)))
    changed = load_dataset(root).image_folder
    assert changed is not None and not changed.from_cache and changed.images == 11
    assert len(list((cache / "image-folders").iterdir())) == 1  # the stale entry was replaced
    other = load_dataset(root, image_size=4).image_folder
    assert other is not None and not other.from_cache  # other options: their own entry
    assert len(list((cache / "image-folders").iterdir())) == 2
    again = load_dataset(root).image_folder
    assert again is not None and again.from_cache


def test_a_damaged_cache_entry_is_rebuilt(cache, tmp_path, monkeypatch):
    root = make_folder(tmp_path / "f")
    load_dataset(root)
    (entry,) = (cache / "image-folders").iterdir()
    for damage in (lambda b: b[: len(b) // 2], lambda b: b"PK\x03\x04" + b"\x00" * 40):
        entry.write_bytes(damage(entry.read_bytes()))
        report = load_dataset(root).image_folder
        assert report is not None and not report.from_cache and report.images == 10
    with monkeypatch.context() as m:
        _forbid_decoding(m)
        assert load_dataset(root).image_folder.from_cache  # type: ignore[union-attr]
    assert [p.name for p in (cache / "image-folders").iterdir()] == [entry.name]


def test_a_cache_that_cannot_be_written_only_costs_speed(cache, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BACKPROP_CACHE", str(blocker / "cache"))
    d = load_dataset(make_folder(tmp_path / "f"))
    assert d.image_folder is not None and d.image_folder.images == 10
    assert d.image_folder.cache.startswith("decoded (not cached: cannot write")


def test_a_progress_callback_may_cancel_and_nothing_is_cached(cache, tmp_path):
    root = make_folder(tmp_path / "f", per_class=100)
    seen = []

    class Stop(Exception):
        pass

    def progress(what, done, total):
        seen.append((what, done, total))
        if what.endswith("decoding images") and done >= 64:
            raise Stop

    with pytest.raises(Stop):
        load_dataset(root, progress=progress)
    assert not (cache / "image-folders").exists() or not any((cache / "image-folders").iterdir())
    assert ("image folder f: decoding images", 0, 200) in seen


# -- the same digits from PNG files and from IDX files ------------------------------------
def test_mnist_digits_as_png_train_like_the_same_digits_from_idx(cache, tmp_path, mnist_dir):
    """3,000 real MNIST test digits, written as PNGs and as IDX files in the same order."""
    from core.training.config import Config
    from core.training.trainer import Trainer

    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:3000]
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:3000]
    folder = tmp_path / "digits"
    splits = {"train": range(2500), "test": range(2500, 3000)}
    arrays = {}
    for split, rows in splits.items():
        for i in rows:
            save(folder / split / str(labels[i]) / f"{i:05d}.png", images[i])
        order = sorted(rows, key=lambda i: (labels[i], i))  # how the folder is read
        arrays[split] = (images[order], labels[order])
    idx = write_files(
        tmp_path / "idx",
        {
            "train-images-idx3-ubyte": idx_bytes(arrays["train"][0]),
            "train-labels-idx1-ubyte": idx_bytes(arrays["train"][1]),
            "t10k-images-idx3-ubyte": idx_bytes(arrays["test"][0]),
            "t10k-labels-idx1-ubyte": idx_bytes(arrays["test"][1]),
        },
    )
    from_png, from_idx = load_dataset(folder, seed=4), load_dataset(idx, seed=4)
    assert from_png.image_shape == from_idx.image_shape == (28, 28)
    np.testing.assert_array_equal(from_png.X_train, from_idx.X_train)
    np.testing.assert_array_equal(from_png.y_val, from_idx.y_val)
    np.testing.assert_array_equal(from_png.X_test, from_idx.X_test)
    config = Config(hidden=(64,), epochs=3, batch_size=64, learning_rate=0.1, seed=4)
    accuracy = []
    for d in (from_png, from_idx):
        trainer = Trainer(config, d)
        list(trainer.run())
        assert trainer.model is not None
        accuracy.append(trainer.model.evaluate(d.X_test, d.y_test)[1])
    assert accuracy[0] > 0.8
    assert abs(accuracy[0] - accuracy[1]) <= 0.005
