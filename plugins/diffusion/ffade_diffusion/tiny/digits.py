"""scikit-learn's digits as 16-pixel pictures with captions ("a thin handwritten seven").

The bundled text-to-image model and CLIP model learn from these pairs (see ``scripts/``). Each
caption names the digit and, when a digit stands out from the others of its class, its stroke
("thin", "thick") and its slant ("slanted"): words a prompt can use and the models have seen.
Ink is white on black, as in ffade-vision's digits dataset, so its classifier can judge them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
STROKES = ("thin", "thick")
SLANTS = ("slanted",)
TEMPLATE = "a {style} handwritten {digit}"
"""Captions are this template with the style words (possibly none) and the digit's name."""

SLANT_SHEAR = 0.15
"""A digit whose strokes shear by more than this (x per y, about 8.5 degrees) is "slanted"."""

VOCABULARY = (
    *DIGIT_WORDS,
    *STROKES,
    *SLANTS,
    "a",
    "an",
    "the",
    "of",
    "handwritten",
    "digit",
    "number",
    "photo",
    "drawing",
    "picture",
    "small",
    "large",
    "bold",
    "neat",
    "messy",
    "black",
    "white",
    "red",
    "blue",
    "green",
    "in",
    "on",
    "with",
    "paper",
    "ink",
    "pen",
    "pencil",
    "very",
)
"""Words the bundled tokenizer keeps whole; any other word is spelled out in pieces."""


def digit_images(size: int = 16, margin: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 digits as RGB images ``(N, 3, size, size)`` in [0, 1] and their labels ``(N,)``.

    The 8-pixel digit is upscaled (bilinear) to ``size - 2 * margin`` and framed by an empty
    margin, the proportions of ffade-vision's digits (20 + 2 * 4 = 28).
    """
    from sklearn.datasets import load_digits  # here: ~1 s of CPU, paid by `ffade plugins`

    bunch = load_digits()
    small = torch.from_numpy(bunch.images).float().div(16.0).unsqueeze(1)
    inner = F.interpolate(small, size=size - 2 * margin, mode="bilinear", align_corners=False)
    images = F.pad(inner.clamp(0, 1), [margin] * 4).expand(-1, 3, -1, -1).contiguous()
    return images, torch.from_numpy(bunch.target).long()


def styles(images: torch.Tensor, labels: torch.Tensor) -> list[str]:
    """Style words per image: stroke by ink terciles within its class, slant by shear.

    Thickness is relative to the digit's class (a thick one has more ink than two thirds of
    its class), so every class has thin and thick examples to learn the words from.
    """
    gray = images[:, 0]
    ink = gray.flatten(1).sum(1)
    ys, xs = torch.meshgrid(torch.arange(gray.shape[1]), torch.arange(gray.shape[2]), indexing="ij")
    mass = gray.flatten(1).sum(1).clamp(min=1e-6)
    mean_x = (gray * xs).flatten(1).sum(1) / mass
    mean_y = (gray * ys).flatten(1).sum(1) / mass
    dx, dy = xs - mean_x[:, None, None], ys - mean_y[:, None, None]
    shear = (gray * dx * dy).flatten(1).sum(1) / (gray * dy * dy).flatten(1).sum(1).clamp(min=1e-6)
    words = []
    for i in range(len(labels)):
        same = ink[labels == labels[i]]
        low, high = torch.quantile(same, torch.tensor([1 / 3, 2 / 3]))
        stroke = "thin" if ink[i] < low else "thick" if ink[i] > high else ""
        slant = "slanted" if shear[i].abs() > SLANT_SHEAR else ""
        words.append(" ".join(w for w in (stroke, slant) if w))
    return words


def caption(style: str, label: int) -> str:
    """``TEMPLATE`` filled in, with no double spaces when the style is empty."""
    return " ".join(TEMPLATE.format(style=style, digit=DIGIT_WORDS[label]).split())


def captioned_digits(size: int = 16) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Images, labels and one caption per image: the bundled models' training data."""
    images, labels = digit_images(size)
    return (
        images,
        labels,
        [caption(s, int(y)) for s, y in zip(styles(images, labels), labels.tolist(), strict=True)],
    )
