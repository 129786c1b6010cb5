"""Training images for the LoRA fine-tuner: captioned image folders and folders of class images."""

from __future__ import annotations

from pathlib import Path

import torch

from ffade.errors import FfadeError
from ffade.plugin_api import read_text_lines

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SHIPPED_DIGITS = Path(__file__).parents[1] / "data" / "digits"
"""Twenty real digits a class for ``class_images`` (scripts/write_digit_images.py wrote them)."""


def read_image(path: Path, size: tuple[int, int]) -> torch.Tensor:
    """An image file as RGB (3, H, W) in [0, 1], resized to ``size`` (height, width)."""
    from PIL import Image

    picture = Image.open(path).convert("RGB").resize(size[::-1])
    pixels = torch.frombuffer(bytearray(picture.tobytes()), dtype=torch.uint8)
    return pixels.view(size[0], size[1], 3).permute(2, 0, 1).float() / 255


def _directory(folder: str | Path, key: str) -> Path:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FfadeError(f"model.init_args.{key} {str(folder)!r} is not a directory")
    return folder


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_image_folder(folder: str | Path, size: tuple[int, int]) -> list[tuple[str, torch.Tensor]]:
    """(caption, image (3, H, W) in [0, 1]) for each image with a same-named ``.txt`` caption."""
    folder = _directory(folder, "image_folder")
    pairs = []
    for image_path in _images_in(folder):
        caption = image_path.with_suffix(".txt")
        if caption.is_file():
            text = read_text_lines(caption, "model.init_args.image_folder caption")
            pairs.append(("".join(text).strip(), read_image(image_path, size)))
    if not pairs:
        raise FfadeError(
            f"model.init_args.image_folder {str(folder)!r} has no captioned images "
            "(name.png beside name.txt)"
        )
    return pairs


def read_class_images(folder: str | Path, size: tuple[int, int]) -> dict[int, torch.Tensor]:
    """Images (n, 3, H, W) in [0, 1] per class index, from subfolders named 0, 1, 2, ..."""
    folder = _directory(folder, "class_images")
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()):
        paths = _images_in(sub)
        if paths:
            classes[int(sub.name)] = torch.stack([read_image(p, size) for p in paths])
    if not classes:
        raise FfadeError(
            f"model.init_args.class_images {str(folder)!r} has no class subfolders of images "
            "(0/, 1/, ... named by the judge's class index)"
        )
    return classes
