"""Image files read as upright 8-bit RGB, decoded at a reduced scale when much larger than needed.

Generic (no task): the vision plugin's ``image_folder`` dataset and the diffusion plugin's LoRA
training images both read files here, so a phone's portrait photo is upright, a 16-bit PNG keeps
its tones and a 10,000-pixel photo is not decoded whole in either.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ffade.errors import FfadeError, FfadeWarning
from ffade.shell_words import shell_path

REDUCE_MARGIN = 2
"""An image is brought down (at libjpeg's scales 1/2, 1/4, 1/8 for a JPEG, by Pillow's
``Image.reduce`` box average for any format after decoding) only while its short edge stays at
least this many times the size the reader resizes to: that resize, antialiased, still makes at
least a 2x reduction itself, so the result stays close to a full-size resize's."""

READ_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
"""What Pillow raises for a file it cannot decode: OSError (truncated, no decoder, unidentified),
SyntaxError (its word for some broken headers), ValueError (some broken chunks),
DecompressionBombError (over twice ``Image.MAX_IMAGE_PIXELS``, which it refuses)."""


def read_rgb(
    path: Path, short_edge: int, who: str, fix: str
) -> tuple[Image.Image, tuple[int, int]]:
    """The image at ``path``, upright and RGB, its short edge at least ``short_edge`` pixels (or
    as stored, if smaller), reduced only where it is at least ``2 * short_edge``; and its upright
    (width, height) at full scale, so that a caller resizes to the size a full decode would have
    (a reduced 427-row image's rounding made a 95-pixel-wide input 96 wide, moving every pixel).

    An image under that size is decoded and converted exactly as Pillow does (its pixels do not
    change); a larger one costs a fraction of a full decode for a JPEG, and for other formats
    (whose whole file Pillow must decode) skips the rotation, conversion and tensor copies of
    every full-size pixel. Damaged EXIF data is one :class:`~ffade.errors.FfadeWarning` naming
    the file, not Pillow's two-line warning.

    Args:
        path: the image file.
        short_edge: the least short edge the caller needs (``REDUCE_MARGIN`` times its resize).
        who: what reads it, as the error names it (``dataset 'image_folder'``).
        fix: what the user can do about a file that cannot be read (``replace it or ...``).

    Raises:
        FfadeError: one line naming the file, for an empty, corrupt or truncated file or one
            Pillow refuses as too large.
    """
    image = shell_path(path)  # quoted as a shell takes it, as every path ffade says
    if path.is_file() and path.stat().st_size == 0:
        raise FfadeError(f"{who}: cannot read image {image}: the file is empty; {fix}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            # read as asked: Pillow's two-line warning of an image over MAX_IMAGE_PIXELS (not
            # twice it, an error) says nothing a user must act on
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("always", UserWarning)
            with Image.open(path) as img:
                stored = img.size
                _draft(img, short_edge)
                img.load()
                reduced = _reduced(img, short_edge)
                upright = ImageOps.exif_transpose(reduced)  # as a phone or viewer shows it
                rgb = _rgb(upright)
    except READ_ERRORS as exc:
        reason = str(exc).replace(f" {str(path)!r}", "").rstrip(".")  # the path is said once
        raise FfadeError(f"{who}: cannot read image {image}: {reason}; {fix}") from exc
    damaged = [" ".join(str(w.message).split()) for w in caught if "EXIF" in str(w.message)]
    if damaged:
        warnings.warn(
            f"{who}: image {image} has damaged EXIF data ({damaged[0].rstrip('.')}); "
            "its pixels are read, but an orientation tag in it may be lost",
            FfadeWarning,
            stacklevel=2,
        )
    for other in caught:  # any other warning of Pillow's, as Python would have shown it
        if "EXIF" not in str(other.message):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    turned = rgb.size != reduced.size  # a quarter turn: width and height swap
    return rgb, (stored[::-1] if turned else stored)


def _draft(img: Image.Image, short_edge: int) -> None:
    """Have a JPEG decode at the smallest of libjpeg's scales that keeps its short edge at least
    ``short_edge`` (a no-op for other formats, and for JPEGs under twice that).

    Called before any pixel is decoded: the scale cuts decoding work itself."""
    width, height = img.size
    short = min(width, height)
    if short < 2 * short_edge:  # no scale would apply: the decode stays exactly as it was
        return
    img.draft(img.mode, (-(-width * short_edge // short), -(-height * short_edge // short)))


def _reduced(img: Image.Image, short_edge: int) -> Image.Image:
    """The decoded image box-averaged by the largest whole factor that keeps its short edge at
    least ``short_edge``; the image itself where no factor of 2 or more fits.

    A PNG (or BMP, WebP) cannot be decoded at a smaller scale: Pillow decodes every pixel. What
    follows the decode can still be small: a 10,000 x 9,500 PNG for a 224-pixel input spent
    more time turning, converting and copying its 95 million pixels than decoding them."""
    factor = min(img.size) // short_edge
    if factor < 2:
        return img
    if img.mode in ("1", "P", "I;16", "I;16B", "I;16L", "I;16N"):  # modes reduce() refuses
        img = _rgb(img)
    # whole boxes only, centred: a last, partial box (600 / 3 = 200, 400 / 3 = 133.3 rows as
    # 134) changed the aspect ratio, so the resize and crop that follow shifted every pixel
    width, height = img.size
    left, top = width % factor // 2, height % factor // 2
    box = (left, top, left + width - width % factor, top + height - height % factor)
    return img.reduce(factor, box)


def _rgb(img: Image.Image) -> Image.Image:
    """The image as 8-bit RGB. 16-bit gray (``I;16``, ``I``: 16-bit PNGs) is scaled to 8 bits;
    Pillow's own conversion clips it at 255, turning nearly every pixel white. A palette with
    transparency (a web PNG-8) goes through RGBA, the same colours: straight to RGB, Pillow
    printed a two-line UserWarning at the top of the run about a conversion ffade makes."""
    if img.mode == "RGB":
        return img
    if img.mode.startswith("I"):
        wide = np.asarray(img, dtype=np.float64)
        narrow = Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8))
        narrow.info = dict(img.info)  # its EXIF orientation: a large one is turned after this
        img = narrow
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    return img.convert("RGB")
