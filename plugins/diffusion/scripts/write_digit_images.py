"""Write real digits, by class, for the LoRA fine-tuner's ``class_images`` (shipped as data/).

The bundled text-to-image model cannot learn from its own samples (it learns their blur, see
``ffade_diffusion.mitigate.lora``), so its fixes are taught with scikit-learn's digits, 16 px as
the model draws them: ``OUT/<digit>/<n>.png``, a seeded choice of ``--per-class`` per digit.

    python plugins/diffusion/scripts/write_digit_images.py \
        plugins/diffusion/ffade_diffusion/data/digits
"""

from __future__ import annotations

from pathlib import Path

import torch
from ffade_diffusion.tiny.digits import digit_images
from PIL import Image

from ffade.errors import OneLineParser, whole_number_from_1


def write(out: Path, per_class: int, seed: int) -> int:
    """Write the images; returns how many."""
    images, labels = digit_images()
    generator = torch.Generator().manual_seed(seed)
    count = 0
    for digit in range(10):
        rows = torch.nonzero(labels == digit).flatten()
        chosen = rows[torch.randperm(len(rows), generator=generator)[:per_class]]
        folder = out / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        for n, row in enumerate(chosen.tolist()):
            pixels = (images[row].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
            Image.fromarray(pixels).save(folder / f"{n:02d}.png")
            count += 1
    return count


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-class", type=whole_number_from_1, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"wrote {write(args.out, args.per_class, args.seed)} images to {args.out}")


if __name__ == "__main__":
    main()
