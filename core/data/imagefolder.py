"""A folder of pictures as a dataset: one subfolder per class, as Keras and torchvision read it.

Layouts::

    shapes/                      shapes/
      circle/  a.png b.png ...     train/  circle/ ...  square/ ...
      square/  c.png ...           val/    circle/ ...  square/ ...   (optional)
                                   test/   circle/ ...  square/ ...   (optional)

Class names are the subfolder names, in natural order (``2`` before ``10``); a class
folder may have subfolders of its own (their images belong to the class). The split
layout is used when every subfolder is ``train``, ``val``/``valid``/``validation`` or
``test`` (``training``/``testing`` too) and one of them is ``train``; whatever split is
missing is carved out of the training images later (see :mod:`core.data.dataset`).

What is read: files whose suffix is an image format Pillow reads (see
:data:`~core.data.images.IMAGE_SUFFIXES`). Hidden files and folders (``.DS_Store``,
``.git/``) and ``__MACOSX/`` are passed over in silence; other files (``README.txt``)
and images outside any class folder are counted as ignored. Links are followed, but a
folder already visited is not entered again, so a link loop ends the walk there.

Every image becomes one size and one colour mode. ``image_size=None`` takes the
most common size among the images, shrunk (keeping its aspect) to at most
:data:`MAX_AUTO_SIDE` pixels a side; an int asks for a square, a pair for ``(rows,
cols)``. ``colour="auto"`` is grey when every image is grey and RGB otherwise (a grey
image in a colour folder gets three equal channels). Images that cannot be used are
skipped and reported (:class:`ImageFolderReport`); when nothing usable is left, or
fewer than two classes, a :class:`~core.errors.DataError` says what was found.

The decoded arrays are cached (:mod:`core.data.imagecache`), keyed by the files' paths,
sizes and modification times and the options: the second load decodes nothing.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from core.data import imagecache
from core.data.catalog import COLOURS, IDX_FILES, MAX_IMAGE_SIDE
from core.data.idxset import MAX_CLASSES
from core.data.locate import SUGGESTION
from core.errors import ConfigError, DataError, DatasetUnavailable

if TYPE_CHECKING:
    from core.data.imagecache import Decoded

Progress = Callable[[str, int, int], None]

#: The split an image belongs to by the folder it is in; UNSPLIT outside the split layout.
UNSPLIT, TRAIN, VAL, TEST = 0, 1, 2, 3
SPLIT_FOLDERS = {
    "train": TRAIN, "training": TRAIN,
    "val": VAL, "valid": VAL, "validation": VAL,
    "test": TEST, "testing": TEST,
}  # fmt: skip
#: Folders that tools leave beside real data (macOS zip archives, Synology indexes).
JUNK_FOLDERS = frozenset(("__MACOSX", "@eaDir"))
#: The longest side an image size chosen by the data may have.
MAX_AUTO_SIDE = 32
#: Entries (files and folders) walked at most: a folder far larger is not a dataset
#: of pictures but a mistake (a home folder, ``/``), and is refused.
MAX_ENTRIES = 2_000_000
#: Largest decoded dataset, in bytes of uint8 pixels (training uses 4x that as float32).
MAX_BYTES = 1 << 30
#: How many skipped or ignored file names a report shows.
SHOWN = 10
#: How the ``what`` of every progress report of an image folder starts: they count
#: files (listing, reading sizes, decoding), not bytes as downloads do.
PROGRESS = "image folder "
_EVERY = 64  # images between two progress reports


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageFolderReport:
    """What loading an image folder found, for a person to read (the window shows it).

    ``skipped`` counts image files that could not be used and ``skipped_files`` names
    the first :data:`SHOWN` with the reason, as ``(path relative to the folder, why)``;
    ``ignored``/``ignored_files`` the same for files that are not images or lie outside
    any class folder. ``empty_classes`` are class folders left without a usable image
    (not classes of the dataset). ``cache`` says how the arrays were obtained:
    "read from the cache", "decoded" or "decoded (not cached: why)".
    """

    folder: str
    layout: Literal["classes", "splits"]
    images: int
    image_size: tuple[int, int]
    size_from: Literal["data", "option"]
    colour: Literal["grey", "rgb"]
    colour_from: Literal["data", "option"]
    skipped: int
    skipped_files: tuple[tuple[str, str], ...]
    ignored: int
    ignored_files: tuple[tuple[str, str], ...]
    empty_classes: tuple[str, ...]
    from_cache: bool
    cache: str

    def summary(self) -> str:
        """One paragraph: what was read, what was left out and why, where it came from."""
        rows, cols = self.image_size
        parts = [
            f"image folder {self.folder}: {self.images:,} images, {rows}x{cols} {self.colour} "
            f"(size chosen by the {self.size_from}, colour by the {self.colour_from})"
        ]
        if self.skipped:
            shown = ", ".join(f"{p} ({why})" for p, why in self.skipped_files)
            more = "" if self.skipped <= len(self.skipped_files) else ", ..."
            parts.append(f"skipped {_count(self.skipped, 'bad image')}: {shown}{more}")
        if self.ignored:
            shown = ", ".join(f"{p} ({why})" for p, why in self.ignored_files)
            more = "" if self.ignored <= len(self.ignored_files) else ", ..."
            parts.append(f"ignored {_count(self.ignored, 'file')}: {shown}{more}")
        if self.empty_classes:
            parts.append(f"no usable image in {', '.join(self.empty_classes)} (left out)")
        parts.append(self.cache)
        return "; ".join(parts)


@dataclass(frozen=True)
class ImageFolder:
    """An image folder's usable images, before the train/validation/test split.

    ``images`` uint8 ``(n, rows, cols)`` or ``(n, rows, cols, 3)``, ``labels`` int64
    ``(n,)`` into ``class_names``, ``splits`` int8 ``(n,)`` of UNSPLIT/TRAIN/VAL/TEST.
    """

    images: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    class_names: tuple[str, ...]
    report: ImageFolderReport


@dataclass(frozen=True)
class _File:
    rel: str  # path relative to the folder, with "/"
    path: Path
    label: int  # index into the listing's class names
    split: int
    size: int = -1
    mtime_ns: int = -1
    bad: str = ""  # why it cannot be used, when that is known from the listing


@dataclass(frozen=True)
class _Listing:
    layout: Literal["classes", "splits"]
    class_names: tuple[str, ...]
    files: tuple[_File, ...]
    ignored: tuple[tuple[str, str], ...]


def read_image_folder(
    folder: str | os.PathLike[str],
    *,
    image_size: int | tuple[int, int] | None = None,
    colour: str = "auto",
    progress: Progress | None = None,
    use_cache: bool = True,
) -> ImageFolder:
    """Read every usable image under ``folder`` (see the module docstring).

    ``progress(what, done, total)`` is called while walking (total 0) and decoding
    (total = image files); it may raise to cancel, which leaves nothing behind.
    Raises :class:`~core.errors.DatasetUnavailable` when the folder holds no image
    files at all, :class:`~core.errors.DataError` when it holds no usable images in at
    least two classes, and :class:`~core.errors.ConfigError` for a bad option.
    """
    size = _check_size(image_size)
    if colour not in COLOURS:
        raise ConfigError(f"colour: {colour!r} is not allowed; choose one of {', '.join(COLOURS)}")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"{_shown(root)}: {'not a folder' if root.exists() else 'no such folder'}")
    root = root.resolve()
    listing = _list(root, progress)
    files = listing.files
    if not files:
        raise DatasetUnavailable(_nothing_found(root, listing))
    options = {"size": list(size) if size else "auto", "colour": colour}
    entry = imagecache.entry_path(root, options, [[f.rel, f.size, f.mtime_ns] for f in files])
    decoded = imagecache.read(entry) if use_cache else None
    from_cache = decoded is not None
    if decoded is None:
        decoded = _decode(root, listing, size, colour, progress)
        note = imagecache.write(entry, decoded) if use_cache and len(decoded.labels) else ""
        cache = f"decoded (not cached: {note})" if note else "decoded"
    else:
        cache = "read from the cache"
    if len(decoded.class_names) < 2 or len(decoded.labels) == 0:
        raise DataError(_too_little(root, listing, decoded))
    rows, cols = decoded.images.shape[1:3]
    report = ImageFolderReport(
        folder=_shown(root),
        layout=listing.layout,
        images=len(decoded.labels),
        image_size=(int(rows), int(cols)),
        size_from="option" if size else "data",
        colour="grey" if decoded.colour == "grey" else "rgb",
        colour_from="data" if colour == "auto" else "option",
        skipped=len(decoded.skipped),
        skipped_files=decoded.skipped[:SHOWN],
        ignored=len(listing.ignored),
        ignored_files=listing.ignored[:SHOWN],
        empty_classes=tuple(n for n in listing.class_names if n not in decoded.class_names),
        from_cache=from_cache,
        cache=cache,
    )
    return ImageFolder(decoded.images, decoded.labels, decoded.splits, decoded.class_names, report)


def _check_size(image_size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if image_size is None or (isinstance(image_size, (int, np.integer)) and image_size == 0):
        return None
    if isinstance(image_size, (int, np.integer)):
        sides: tuple = (image_size, image_size)
    else:
        sides = tuple(image_size) if isinstance(image_size, (tuple, list)) else ()
    if len(sides) != 2 or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 1 <= s <= MAX_IMAGE_SIDE
        for s in sides
    ):
        raise ConfigError(
            f"image_size: {image_size!r} is not allowed; give a side or (rows, cols), "
            f"each an integer in [1, {MAX_IMAGE_SIDE}], or 0/None to let the images choose"
        )
    return int(sides[0]), int(sides[1])


# -- walking the folder ------------------------------------------------------------------
def _list(root: Path, progress: Progress | None) -> _Listing:
    """Class folders, candidate image files (with size and time) and ignored files."""
    from core.data.images import IMAGE_SUFFIXES, BadImage, check_file

    walker = _Walker(root, progress)
    top = walker.subfolders(root)
    kinds = {SPLIT_FOLDERS.get(name.lower()) for name, _ in top}
    split_layout = None not in kinds and TRAIN in kinds
    groups = [(SPLIT_FOLDERS[n.lower()], p) for n, p in top] if split_layout else [(UNSPLIT, root)]
    ignored = walker.loose_files(root, IMAGE_SUFFIXES)
    class_dirs: list[tuple[str, int, Path]] = []
    for split, base in groups:
        if base != root:
            walker.enter(base)
            ignored += walker.loose_files(base, IMAGE_SUFFIXES)
        class_dirs += [(name, split, path) for name, path in walker.subfolders(base)]
    names = sorted({name for name, _, _ in class_dirs}, key=_natural)
    if len(names) > MAX_CLASSES:
        raise DataError(
            f"{_shown(root)}: {len(names):,} class folders; a dataset may have at most "
            f"{MAX_CLASSES:,} classes. Give the folder whose subfolders are the classes"
        )
    index = {name: i for i, name in enumerate(names)}
    files: list[_File] = []
    for name, split, path in class_dirs:
        for file in walker.files(path):
            rel = file.relative_to(root).as_posix()
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                ignored.append((_shown(rel), "not an image file"))
                continue
            try:
                st = check_file(file)
            except BadImage as e:
                files.append(_File(rel, file, index[name], split, bad=str(e)))
                continue
            files.append(_File(rel, file, index[name], split, st.st_size, st.st_mtime_ns))
    layout: Literal["classes", "splits"] = "splits" if split_layout else "classes"
    return _Listing(layout, tuple(_shown(n) for n in names), tuple(files), tuple(ignored))


class _Walker:
    """Lists folders under ``root``: visible entries only, each folder entered once.

    Folders are known by (device, inode), so a link back to a folder already seen
    (a loop, or two names for one folder) is not followed. Every entry counts against
    :data:`MAX_ENTRIES`, and ``progress`` hears the count as the walk goes.
    """

    def __init__(self, root: Path, progress: Progress | None) -> None:
        self.root = root
        self.progress = progress
        self.seen: set[tuple[int, int]] = set()
        self.count = 0
        self.reported = 0
        self.enter(root)

    def enter(self, folder: Path) -> bool:
        """Mark ``folder`` visited; False if it was already (or cannot be looked at)."""
        try:
            st = os.stat(folder)
        except OSError:
            return False
        ident = (st.st_dev, st.st_ino)
        if ident in self.seen:
            return False
        self.seen.add(ident)
        return True

    def subfolders(self, folder: Path) -> list[tuple[str, Path]]:
        """The visible subfolders of ``folder`` not visited yet, in natural order of name."""
        out = [
            (e.name, Path(e.path))
            for e in self._scan(folder)
            if _visible(e.name) and _is_dir(e) and _identity_of(e) not in self.seen
        ]
        return sorted(out, key=lambda item: _natural(item[0]))

    def loose_files(self, folder: Path, suffixes: frozenset[str]) -> list[tuple[str, str]]:
        """Visible files in ``folder`` itself, outside any class folder: ignored."""
        out = []
        for e in self._scan(folder):
            if _visible(e.name) and not _is_dir(e):
                rel = Path(e.path).relative_to(self.root).as_posix()
                image = Path(e.name).suffix.lower() in suffixes
                why = "not in a class folder" if image else "not an image file"
                out.append((_shown(rel), why))
        return sorted(out)

    def files(self, top: Path) -> Iterator[Path]:
        """Visible files under ``top``, depth first in order of name."""
        if not self.enter(top):
            return
        stack = [top]
        while stack:
            folder = stack.pop()
            subfolders = []
            for e in sorted(self._scan(folder), key=lambda e: e.name):
                if not _visible(e.name):
                    continue
                if not _is_dir(e):
                    yield Path(e.path)
                elif self.enter(Path(e.path)):
                    subfolders.append(Path(e.path))
            stack.extend(reversed(subfolders))

    def _scan(self, folder: Path) -> list[os.DirEntry[str]]:
        """The entries of ``folder`` (none if it cannot be listed)."""
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            return []
        self.count += len(entries)
        if self.count > MAX_ENTRIES:
            raise DataError(
                f"{_shown(self.root)}: more than {MAX_ENTRIES:,} files and folders inside; is it "
                "really a folder of pictures? Give the folder whose subfolders are the classes"
            )
        if self.progress is not None and self.count - self.reported >= 2048:
            self.reported = self.count
            self.progress(_what(self.root, "listing files"), self.count, 0)
        return entries


def _visible(name: str) -> bool:
    return not name.startswith(".") and name not in JUNK_FOLDERS


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _identity_of(entry: os.DirEntry[str]) -> tuple[int, int] | None:
    try:
        st = entry.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _natural(name: str) -> tuple:
    """Sort key putting ``2`` before ``10`` and ignoring case first."""
    parts = re.split(r"(\d+)", name)
    return tuple((1, int(p), "") if p.isdigit() else (0, 0, p.casefold()) for p in parts), name


# -- decoding ------------------------------------------------------------------------------
def _decode(
    root: Path,
    listing: _Listing,
    size: tuple[int, int] | None,
    colour: str,
    progress: Progress | None,
) -> Decoded:
    """Decode every candidate into one array; classes without an image are dropped."""
    from core.data.images import BadImage, header_size, read_image

    what = _what(root, "decoding images")
    total = len(listing.files)
    skipped: list[tuple[str, str]] = []
    usable = []
    sizes: Counter[tuple[int, int]] = Counter()
    for i, f in enumerate(listing.files):
        if f.bad:
            skipped.append((_shown(f.rel), f.bad))
            continue
        if size is None:  # a first pass over the headers chooses the size
            try:
                sizes[header_size(f.path)] += 1
            except BadImage as e:
                skipped.append((_shown(f.rel), str(e)))
                continue
            if progress is not None and i % _EVERY == 0:
                progress(_what(root, "reading image sizes"), i, total)
        usable.append(f)
    target = size or _common_size(sizes)
    channels = 1 if colour == "grey" else 3
    if len(usable) * target[0] * target[1] * channels > MAX_BYTES:
        raise DataError(
            f"{_shown(root)}: {len(usable):,} images of {target[0]}x{target[1]} would take "
            f"more than {MAX_BYTES / 2**30:.0f} GiB; choose a smaller image size "
            "(--image-size) or grey"
        )
    pixels: np.ndarray | None = None
    labels = np.empty(len(usable), dtype=np.int64)
    splits = np.empty(len(usable), dtype=np.int8)
    kept = 0
    for i, f in enumerate(usable):
        if progress is not None and i % _EVERY == 0:
            progress(what, i, len(usable))
        try:
            image = read_image(f.path, target, colour)
        except BadImage as e:
            skipped.append((_shown(f.rel), str(e)))
            continue
        if pixels is None:
            pixels = np.empty((len(usable), *image.shape), dtype=np.uint8)
        elif image.ndim == 3 and pixels.ndim == 3:  # the first colour one: greys get 3 channels
            grown = np.empty((len(usable), *image.shape), dtype=np.uint8)
            grown[:kept] = pixels[:kept, :, :, None]
            pixels = grown
        pixels[kept] = image if image.ndim == pixels.ndim - 1 else image[:, :, None]
        labels[kept], splits[kept] = f.label, f.split
        kept += 1
    if progress is not None:
        progress(what, len(usable), len(usable))
    if pixels is None:
        pixels = np.empty((0, *target), dtype=np.uint8)
    present = np.unique(labels[:kept])
    relabel = np.full(len(listing.class_names), -1, dtype=np.int64)
    relabel[present] = np.arange(len(present))
    skipped.sort(key=lambda s: s[0])
    return imagecache.Decoded(
        images=pixels[:kept],
        labels=relabel[labels[:kept]],
        splits=splits[:kept],
        class_names=tuple(listing.class_names[i] for i in present) or listing.class_names,
        skipped=tuple(skipped),
        colour="rgb" if pixels.ndim == 4 else "grey",
    )


def _common_size(sizes: Counter[tuple[int, int]]) -> tuple[int, int]:
    """The most common ``(rows, cols)`` (ties: the larger), shrunk to MAX_AUTO_SIDE a side."""
    if not sizes:
        return MAX_AUTO_SIDE, MAX_AUTO_SIDE
    rows, cols = max(sizes, key=lambda rc: (sizes[rc], rc[0] * rc[1], rc))
    longest = max(rows, cols)
    if longest <= MAX_AUTO_SIDE:
        return rows, cols
    scale = MAX_AUTO_SIDE / longest
    return max(1, round(rows * scale)), max(1, round(cols * scale))


# -- messages ------------------------------------------------------------------------------
def _nothing_found(root: Path, listing: _Listing) -> str:
    loose = [p for p, why in listing.ignored if why == "not in a class folder"]
    if loose and not listing.class_names:
        return (
            f"{_shown(root)}: its {_count(len(loose), 'image')} are not in class subfolders: "
            "put the images of each class in a subfolder named after it (cats/, dogs/, ...)"
        )
    idx = ", ".join(f"{stem}[.gz]" for stem in IDX_FILES.values())
    found = f"; found only {_count(len(listing.ignored), 'other file')}" if listing.ignored else ""
    return (
        f"{_shown(root)}: holds neither the four IDX files ({idx}), nor CIFAR-10 binary "
        f"batches, nor images in one subfolder per class (cats/*.jpg, dogs/*.jpg, ...){found}."
        f"\n{SUGGESTION}"
    )


def _too_little(root: Path, listing: _Listing, decoded: Decoded) -> str:
    if len(decoded.labels) == 0:
        shown = ", ".join(f"{p} ({why})" for p, why in decoded.skipped[:SHOWN])
        return (
            f"{_shown(root)}: none of its {_count(len(decoded.skipped), 'image file')} could be "
            f"used: {shown}{', ...' if len(decoded.skipped) > SHOWN else ''}"
        )
    (name,) = decoded.class_names
    hint = f" (if {name}/ holds the class folders, give that folder instead)"
    return (
        f"{_shown(root)}: only one class ({name}) has usable images; a classifier needs images "
        f"in at least two class subfolders{hint if listing.layout == 'classes' else ''}"
    )


def _shown(text: object) -> str:
    """``text`` (a path or name) fit to print: bytes that are not UTF-8 in a file name
    (which Python keeps as lone surrogates) become U+FFFD."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _what(root: Path, step: str) -> str:
    return f"{PROGRESS}{_shown(root.name)}: {step}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
