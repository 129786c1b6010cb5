"""ffade.image_files: images read upright and RGB, reduced only where many times what is needed."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ffade.errors import FfadeError, FfadeWarning
from ffade.image_files import read_rgb

WHO, FIX = "dataset 'x'", "replace it"


def _textured(width: int, height: int) -> Image.Image:
    """Smooth colour with some fine noise: a photo's mix of flat areas and detail."""
    rng = np.random.default_rng(0)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    smooth = np.asarray(coarse.resize((width, height), Image.BICUBIC), dtype=np.int16)
    noisy = smooth + rng.integers(-6, 7, smooth.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _read(path: Path, short_edge: int) -> tuple[Image.Image, tuple[int, int]]:
    return read_rgb(path, short_edge, WHO, FIX)


def test_a_png_four_times_the_need_is_box_reduced_and_says_its_full_size(tmp_path: Path) -> None:
    """A PNG is decoded whole (no reduced scale exists for it), but what follows need not be:
    by 3 here (short edge 400 // 128), whole boxes only, centred (401 % 3 = 2: a column off
    each side)."""
    _textured(602, 401).save(tmp_path / "big.png")
    picture, full = _read(tmp_path / "big.png", 128)
    assert picture.mode == "RGB"
    assert picture.size == (200, 133)
    assert full == (602, 401)
    with Image.open(tmp_path / "big.png") as img:
        expected = img.reduce(3, (1, 1, 601, 400))
    assert np.array_equal(np.asarray(picture), np.asarray(expected))


@pytest.mark.parametrize("mode", ["RGB", "L", "LA", "RGBA", "P", "I;16", "CMYK"])
def test_an_image_under_twice_the_need_is_read_exactly_as_pillow_converts_it(
    tmp_path: Path, mode: str
) -> None:
    """No reduction under 2 x short_edge: the pixels are Pillow's own conversion's (16-bit gray
    scaled to 8 bits, as Pillow's clipping conversion would turn it white)."""
    image = _textured(300, 255).convert("L" if mode == "I;16" else mode)
    expected = image.convert("RGB")  # for 16 bits: the 8-bit gray it was made from, 257 * v
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
    path = tmp_path / ("photo.jpg" if mode == "CMYK" else "photo.png")
    image.save(path)
    picture, full = _read(path, 128)
    assert full == (300, 255)
    if mode == "CMYK":  # lossy: as Pillow reads the JPEG back
        with Image.open(path) as img:
            expected = img.convert("RGB")
    assert np.array_equal(np.asarray(picture), np.asarray(expected))


def test_a_large_palette_or_16_bit_png_is_reduced_in_its_colours(tmp_path: Path) -> None:
    """Modes Pillow's reduce refuses (palette, 16-bit) are converted first, not an error."""
    gray = np.asarray(_textured(512, 512).convert("L")).astype(np.uint16) * 257
    Image.fromarray(gray).save(tmp_path / "deep.png")
    _textured(512, 512).convert("P").save(tmp_path / "palette.png")
    deep, _ = _read(tmp_path / "deep.png", 128)
    palette, _ = _read(tmp_path / "palette.png", 128)
    assert deep.size == palette.size == (128, 128)
    assert 60 < float(np.asarray(deep).mean()) < 200  # tones kept, not clipped white


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_quarter_turn_in_exif_turns_the_image_and_its_full_size(
    tmp_path: Path, suffix: str
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise to view
    _textured(1200, 800).save(tmp_path / f"phone{suffix}", exif=exif)
    picture, full = _read(tmp_path / f"phone{suffix}", 200)
    assert full == (800, 1200)
    assert picture.size[0] < picture.size[1]  # upright: portrait
    assert min(picture.size) >= 200


@pytest.mark.parametrize("mode", ["I;16", "P", "L"])
def test_a_large_16_bit_or_palette_png_with_a_quarter_turn_is_turned(
    tmp_path: Path, mode: str
) -> None:
    """Modes converted before they are reduced keep their EXIF orientation: the 16-bit
    conversion made a new image without it, so a large 16-bit PNG was read sideways."""
    gray = np.zeros((400, 600), np.uint16)
    gray[:200, :300] = 65535  # stored: the top-left quarter bright
    stored = Image.fromarray(gray if mode == "I;16" else (gray // 257).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to view: the bright quarter goes top-right
    stored.convert(mode).save(tmp_path / "scan.png", exif=exif)
    picture, full = _read(tmp_path / "scan.png", 100)  # 4x the need: reduced, then turned
    assert full == (400, 600) and picture.size == (100, 150)
    red = np.asarray(picture)[..., 0].astype(float)
    assert red[:75, 50:].mean() > 250 and red[:75, :50].mean() < 5 and red[75:].mean() < 5


def _damaged_exif_jpeg(path: Path) -> None:
    """A JPEG whose EXIF block claims more IFD entries than it holds (a cut-short EXIF)."""
    exif = Image.Exif()
    exif[0x010F] = "Maker" * 20
    buffer = io.BytesIO()
    _textured(64, 48).save(buffer, "JPEG", exif=exif)
    data = bytearray(buffer.getvalue())
    tiff = data.find(b"Exif\x00\x00") + 6
    data[tiff + 8 : tiff + 10] = b"\x00\xff" if data[tiff : tiff + 2] == b"MM" else b"\xff\x00"
    path.write_bytes(bytes(data))


def test_damaged_exif_is_one_ffade_warning_naming_the_file(tmp_path: Path) -> None:
    """Pillow printed "TiffImagePlugin.py:982: UserWarning: Corrupt EXIF data..." and a source
    line, naming no file."""
    _damaged_exif_jpeg(tmp_path / "cut.jpg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picture, _ = _read(tmp_path / "cut.jpg", 32)
    assert picture.size == (64, 48)
    assert [w.category for w in caught] == [FfadeWarning]
    message = str(caught[0].message)
    assert "cut.jpg" in message and "damaged EXIF" in message
    assert "\n" not in message


def test_unreadable_files_are_one_line_naming_the_file_once(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not an image")
    buffer = io.BytesIO()
    _textured(64, 48).save(buffer, "PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    for name, reason in [
        ("empty.png", "the file is empty"),
        ("text.jpg", "cannot identify image file"),
        ("cut.png", "truncated"),
    ]:
        with pytest.raises(FfadeError) as caught:
            _read(tmp_path / name, 16)
        message = str(caught.value)
        assert message.startswith(f"{WHO}: cannot read image ")
        assert reason in message and message.endswith(f"; {FIX}")
        assert message.count(name) == 1 and "\n" not in message


def test_an_animated_image_is_read_as_its_first_frame(tmp_path: Path) -> None:
    frames = [_textured(40, 30).rotate(angle) for angle in (0, 90)]
    frames[0].save(tmp_path / "moving.png", save_all=True, append_images=frames[1:])
    picture, full = _read(tmp_path / "moving.png", 16)
    assert full == (40, 30)
    assert np.array_equal(np.asarray(picture), np.asarray(frames[0]))
