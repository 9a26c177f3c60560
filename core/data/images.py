"""One image file, decoded by Pillow into a small grey or RGB array, or a reason it cannot be.

Image files come from people, so every one is treated as possibly broken or hostile:

- only regular files are opened (a named pipe called ``x.png`` would block forever);
- an empty file, something that is not an image, or one Pillow cannot decode
  (truncated, corrupt, an unsupported mode) is a :class:`BadImage` with a short reason;
- the size in the header is checked *before* any pixel is decoded: an image of more
  than Pillow's ``Image.MAX_IMAGE_PIXELS`` pixels (about 89 million, a quarter of a
  gigabyte as RGB) is refused, so a few kilobytes that would decompress to gigabytes
  never do. Pillow itself refuses twice that at open (``DecompressionBombError``).

What comes back is ``(rows, cols)`` uint8 for a grey image and ``(rows, cols, 3)`` for a
colour one, already turned upright (EXIF orientation, as phone photos need) and
resized to the size asked for (bilinear, with Pillow's antialiasing when shrinking;
JPEGs are decoded straight at a reduced scale when that is big enough).
"""

from __future__ import annotations

import contextlib
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

#: Pillow's formats that a folder of pictures may hold, by file suffix.
IMAGE_SUFFIXES = frozenset(
    (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm",
     ".pbm", ".pnm")
)  # fmt: skip
#: An RGB image whose channels differ by at most this much everywhere is grey
#: (a grey picture saved as colour JPEG differs by a level or two after decoding).
GREY_TOLERANCE = 2
_GREY_MODES = frozenset(("1", "L", "LA", "La", "I", "F")) | {
    m for m in Image.MODES if m.startswith("I;16")
}
_EXIF_ORIENTATION = 0x0112
_QUARTER_TURNS = frozenset((5, 6, 7, 8))  # orientations that swap width and height
_EXIF_IN_HEADER = frozenset(("JPEG", "MPO", "TIFF", "WEBP"))


class BadImage(Exception):
    """A file that cannot be used as an image; the message is the reason, in a few words."""


def pixel_limit() -> int:
    """Most pixels an image may have: Pillow's limit, or its default if that was turned off."""
    limit = Image.MAX_IMAGE_PIXELS
    return int(limit) if limit else 89_478_485


def check_file(path: Path) -> os.stat_result:
    """The file's ``stat`` (following links) if it may be an image; else :class:`BadImage`."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise BadImage(f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise BadImage("not a regular file")
    if st.st_size == 0:
        raise BadImage("empty file")
    return st


def header_size(path: Path) -> tuple[int, int]:
    """``(rows, cols)`` of the image upright, read from its header alone (nothing decoded)."""
    with _quiet(), _open(path) as im:
        rows, cols = im.height, im.width
        if _orientation(im) in _QUARTER_TURNS:
            rows, cols = cols, rows
        return rows, cols


def read_image(path: Path, size: tuple[int, int], colour: str) -> np.ndarray:
    """The image at ``path`` as uint8 ``(rows, cols)`` (grey) or ``(rows, cols, 3)`` (RGB).

    ``size`` is the ``(rows, cols)`` wanted. ``colour`` "grey" or "rgb" converts to that
    mode; "auto" keeps grey images grey and returns a colour one as RGB unless all its
    pixels are grey (within :data:`GREY_TOLERANCE`), in which case it is grey too.
    Raises :class:`BadImage` for anything that cannot be used.
    """
    rows, cols = size
    with _quiet(), _open(path) as im:
        try:
            if im.format == "JPEG":
                side = max(rows, cols)
                im.draft(None, (side, side))  # decode at 1/2, 1/4 or 1/8 scale when enough
            im.load()
            upright = ImageOps.exif_transpose(im)
            plain = _grey_or_rgb(upright, colour)
            if plain.size != (cols, rows):
                plain = plain.resize((cols, rows), Image.Resampling.BILINEAR, reducing_gap=2.0)
            pixels = np.asarray(plain, dtype=np.uint8)
        except BadImage:
            raise
        except Exception as e:  # hostile bytes can make any decoder raise anything
            raise BadImage(f"cannot be decoded ({_short(e)})") from None
    if colour == "auto" and pixels.ndim == 3 and _looks_grey(pixels):
        return np.asarray(Image.fromarray(pixels, "RGB").convert("L"), dtype=np.uint8)
    return pixels


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Pillow's warnings about one file (corrupt EXIF, a size between one and two times
    the pixel limit, which is refused anyway) are not shown: the report says its fate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _open(path: Path) -> Image.Image:
    """Pillow's lazy open (header only), with the size checked against :func:`pixel_limit`."""
    try:
        im = Image.open(path)
    except Image.UnidentifiedImageError:
        raise BadImage("not an image") from None
    except Image.DecompressionBombError:
        raise BadImage("too large (its header claims more pixels than Pillow allows)") from None
    except OSError as e:
        if e.errno is not None:  # the system refused: missing, no permission, I/O error
            raise BadImage(f"cannot read: {e.strerror or e}") from None
        raise BadImage(f"cannot be decoded ({_short(e)})") from None
    except Exception as e:  # a plugin's header parser may raise anything
        raise BadImage(f"cannot be decoded ({_short(e)})") from None
    pixels = im.width * im.height
    if pixels > pixel_limit():
        im.close()
        raise BadImage(
            f"too large: {im.width:,} x {im.height:,} pixels would decode to "
            f"{pixels * len(im.getbands()) / 2**30:.1f} GiB"
        )
    return im


def _orientation(im: Image.Image) -> int:
    """EXIF orientation from the header (1 = upright), for formats that keep EXIF there.

    Pillow would decode a whole PNG to look for its EXIF chunk; those are rare and
    still turned upright when decoded, only the size choice does not see them.
    """
    if im.format not in _EXIF_IN_HEADER:
        return 1
    try:
        return int(im.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block only loses the orientation
        return 1


def _grey_or_rgb(im: Image.Image, colour: str) -> Image.Image:
    """``im`` in mode "L" or "RGB": "L" for a grey source (or ``colour="grey"``), else RGB.

    Alpha is dropped (as Keras and torchvision do); 16- and 32-bit grey images are
    scaled to 0-255 from their full range, floats from [0, 1] or [0, 255].
    """
    mode = im.mode
    if mode in ("I", "F") or mode.startswith("I;16"):
        im = Image.fromarray(_wide_to_bytes(np.asarray(im), mode), "L")
    elif mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    grey = im.mode in _GREY_MODES
    if colour == "grey" or (colour == "auto" and grey):
        return im if im.mode == "L" else im.convert("L")
    return im if im.mode == "RGB" else im.convert("RGB")


def _wide_to_bytes(a: np.ndarray, mode: str) -> np.ndarray:
    values = a.astype(np.float64)
    if mode == "F":
        scale = 255.0 if values.size and np.nanmax(values) <= 1.0 else 1.0
    else:
        scale = 255.0 / 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 1.0
    return np.clip(np.nan_to_num(values * scale), 0, 255).round().astype(np.uint8)


def _looks_grey(rgb: np.ndarray) -> bool:
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    return int(spread.max(initial=0)) <= GREY_TOLERANCE


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 80 else text[:77] + "..."
