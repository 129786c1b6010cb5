"""The LoRA fine-tuner's training images, read as the vision plugin's image_folder reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from ffade_diffusion.mitigate.images import SHIPPED_DIGITS, read_class_images, read_image_folder
from PIL import Image

from ffade.errors import FfadeError


def _half_white(width: int, height: int) -> Image.Image:
    """Left half white, right half black: which way it stands shows in one row."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = 255
    return Image.fromarray(pixels)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_phone_photo_is_trained_upright(tmp_path: Path, suffix: str) -> None:
    """The reader ignored the EXIF orientation: a portrait shot stored sideways was trained on
    lying on its side. Stored with its white half on the left and tag 6 (turn 90 degrees
    clockwise to view), it stands with its white half on top."""
    exif = Image.Exif()
    exif[0x0112] = 6
    _half_white(40, 20).save(tmp_path / f"shot{suffix}", exif=exif, quality=95)
    (tmp_path / "shot.txt").write_text("a photo")
    [(caption, image)] = read_image_folder(tmp_path, (16, 16))
    assert caption == "a photo"
    assert float(image[:, :6].mean()) > 0.9 and float(image[:, -6:].mean()) < 0.1


def test_a_16_bit_png_keeps_its_tones(tmp_path: Path) -> None:
    """Pillow's own RGB conversion clips 16-bit gray at 255: every pixel came out white."""
    (tmp_path / "0").mkdir()
    gray = np.full((16, 16), 100 * 257, dtype=np.uint16)
    Image.fromarray(gray).save(tmp_path / "0" / "deep.png")
    images = read_class_images(tmp_path, (8, 8))
    assert torch.allclose(images[0], torch.full((1, 3, 8, 8), 100 / 255))


def test_the_shipped_digits_read_as_before() -> None:
    """16 x 16 RGB PNGs: nothing to turn, convert or reduce; the plain resize of each."""
    images = read_class_images(SHIPPED_DIGITS, (16, 16))
    path = sorted((SHIPPED_DIGITS / "3").iterdir())[0]
    with Image.open(path) as img:
        expected = torch.from_numpy(np.asarray(img.convert("RGB").resize((16, 16))).copy())
    assert torch.equal(images[3][0], expected.permute(2, 0, 1).float() / 255)


def test_an_unreadable_image_is_one_line_naming_it_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "blank.png").write_bytes(b"")
    with pytest.raises(FfadeError) as caught:
        read_class_images(tmp_path, (8, 8))
    message = str(caught.value)
    assert message.startswith("model.init_args.class_images: cannot read image ")
    assert "blank.png: the file is empty" in message and "\n" not in message
