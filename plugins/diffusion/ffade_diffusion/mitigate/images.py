"""Training images for the LoRA fine-tuner: captioned image folders and folders of class images."""

from __future__ import annotations

from pathlib import Path

import torch

from ffade.errors import FfadeError
from ffade.image_files import REDUCE_MARGIN, read_rgb
from ffade.mitigate.plan import refuse_empty_paths
from ffade.plugin_api import missing_file, read_text_lines

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SHIPPED_DIGITS = Path(__file__).parents[1] / "data" / "digits"
"""Twenty real digits a class for ``class_images`` (scripts/write_digit_images.py wrote them)."""
BUNDLED_CLASS_IMAGES = {"digits": SHIPPED_DIGITS}
"""Folders shipped with the plugin that ``class_images`` takes by name."""


def extra_sample(sample: int, attempt: int, tries: int) -> int:
    """The noise sample of a fine-tune input's ``attempt``-th of ``tries`` draws (0: its own),
    when the model's own images are taught: negative after the first, and one per (sample,
    attempt), so no sample a dataset gives (they count 0, 1, ...). ``sample + 10_000 *
    attempt`` was a searched or held-out input's noise once ``samples_per_prompt`` passed
    10,000: the fix was trained on that input's image, and judged on it."""
    return sample if attempt == 0 else -(sample * tries + attempt)


def class_images_folder(class_images: str | None) -> str | None:
    """``class_images`` as the folder to read: a bundled name (``digits``) as the shipped folder,
    anything else as given. A config naming the shipped folder by its path in the repository
    worked only from the repository's root (``ffade loop`` from anywhere else refused it)."""
    if isinstance(class_images, str) and class_images in BUNDLED_CLASS_IMAGES:
        return str(BUNDLED_CLASS_IMAGES[class_images])
    return class_images


def read_image(path: Path, size: tuple[int, int], key: str = "image_folder") -> torch.Tensor:
    """An image file as RGB (3, H, W) in [0, 1], resized (stretched) to ``size`` (height, width).

    Read as the vision plugin's ``image_folder`` reads: upright by its EXIF orientation (a
    phone's portrait photo trained lying on its side), 16-bit and palette PNGs in their colours,
    and a photo many times ``size`` decoded at a reduced scale first, not whole. An unreadable
    file is one line naming it and ``model.init_args.<key>``."""
    picture, _ = read_rgb(
        path,
        REDUCE_MARGIN * max(size),
        f"model.init_args.{key}",
        f"replace it or move it out of model.init_args.{key}",
    )
    picture = picture.resize(size[::-1])
    pixels = torch.frombuffer(bytearray(picture.tobytes()), dtype=torch.uint8)
    return pixels.view(size[0], size[1], 3).permute(2, 0, 1).float() / 255


def _directory(folder: str | Path, key: str) -> Path:
    """``folder`` if it is a directory; else one line as every plugin data path says it: a
    missing one ``does not exist (read as /abs/path)`` (:func:`missing_file`), a file where a
    folder belongs ``is not a directory``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        what = f"model.init_args.{key} {str(folder)!r}"
        gone = f"{what} is not a directory" if folder.exists() else missing_file(what, folder)
        hint = f"; or a bundled name: {', '.join(BUNDLED_CLASS_IMAGES)}"
        raise FfadeError(gone + (hint if key == "class_images" else ""))
    return folder


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def captioned_images(folder: str | Path) -> list[tuple[Path, Path]]:
    """(image, caption) paths of an ``image_folder``: each image with a same-named ``.txt``."""
    folder = _directory(folder, "image_folder")
    pairs = [(p, p.with_suffix(".txt")) for p in _images_in(folder)]
    pairs = [(image, caption) for image, caption in pairs if caption.is_file()]
    if not pairs:
        raise FfadeError(
            f"model.init_args.image_folder {str(folder)!r} has no captioned images "
            "(name.png beside name.txt)"
        )
    return pairs


def class_folders(folder: str | Path) -> dict[int, list[Path]]:
    """Image paths per class index of a ``class_images`` folder (subfolders 0, 1, 2, ...)."""
    folder = _directory(folder, "class_images")
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit())
    classes = {int(sub.name): _images_in(sub) for sub in subs}
    classes = {index: paths for index, paths in classes.items() if paths}
    if not classes:
        raise FfadeError(
            f"model.init_args.class_images {str(folder)!r} has no class subfolders of images "
            "(0/, 1/, ... named by the judge's class index)"
        )
    return classes


def read_image_folder(folder: str | Path, size: tuple[int, int]) -> list[tuple[str, torch.Tensor]]:
    """(caption, image (3, H, W) in [0, 1]) for each image with a same-named ``.txt`` caption."""
    pairs = []
    for image_path, caption in captioned_images(folder):
        text = read_text_lines(caption, "model.init_args.image_folder caption")
        pairs.append(("".join(text).strip(), read_image(image_path, size)))
    return pairs


def read_class_images(folder: str | Path, size: tuple[int, int]) -> dict[int, torch.Tensor]:
    """Images (n, 3, H, W) in [0, 1] per class index, from subfolders named 0, 1, 2, ..."""
    return {
        index: torch.stack([read_image(p, size, "class_images") for p in paths])
        for index, paths in class_folders(folder).items()
    }


def check_sources(image_folder: str | None, class_images: str | None) -> None:
    """Refuse a training-image folder that is missing or holds nothing usable, reading no image:
    the fine-tuner's constructor calls it, so ``ffade loop`` refuses a wrong folder before its
    first stage instead of after minutes of discovery."""
    refuse_empty_paths(image_folder=image_folder, class_images=class_images)
    if image_folder is not None:
        captioned_images(image_folder)
    if class_images is not None:
        class_folders(class_images)
