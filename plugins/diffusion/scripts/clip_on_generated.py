"""How the bundled tiny CLIP scores the bundled tiny text-to-image model's own images.

``tiny_digits_clip`` was trained on real digits; this measures whether it can judge what
``tiny_digits_t2i`` draws, beside the ``digits_cnn`` judge on the very same images: for each
digit, ``--samples`` noise samples of "a handwritten <digit>" at the target's defaults (10
steps, guidance 3, seed 0), each image's cosine with its own caption and with the best other
digit's caption.

    python plugins/diffusion/scripts/clip_on_generated.py [--samples 20]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from ffade_diffusion.prompts import Prompt
from ffade_diffusion.rewards.clip_score import ClipScore
from ffade_diffusion.targets.pipeline import TinyDigitsT2I
from ffade_diffusion.tiny.digits import DIGIT_WORDS

from ffade import registry
from ffade.errors import OneLineParser, whole_number_from_1


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=whole_number_from_1, default=20, help="noise samples per digit"
    )
    parser.add_argument("--threshold", type=float, default=0.3, help="clip_score's threshold")
    args = parser.parse_args()
    clip = ClipScore("tiny_digits_clip")
    target = TinyDigitsT2I()
    prompts = [
        Prompt(f"a {{style}} handwritten {w}", s) for w in DIGIT_WORDS for s in range(args.samples)
    ]
    labels = torch.arange(len(DIGIT_WORDS)).repeat_interleave(args.samples)
    images = torch.cat([target.generate(prompts[i : i + 50]) for i in range(0, len(prompts), 50)])
    captions = [f"a handwritten {w}" for w in DIGIT_WORDS]
    table = torch.stack([clip.cosine(images, [c] * len(images)) for c in captions], 1)
    own = table.gather(1, labels[:, None]).squeeze(1)
    mine = F.one_hot(labels, len(DIGIT_WORDS)).bool()
    other = table.masked_fill(mine, -2.0).max(1).values
    judge = registry.create("target", "digits_cnn", {})
    with torch.inference_mode():
        read = judge.predict(judge.to_device(images)).argmax(1).cpu() == labels
    print(f"{len(images)} images of tiny_digits_t2i ({args.samples} a digit, 10 steps, guidance 3)")
    print(
        f"tiny_digits_clip, own caption: mean cosine {own.mean():.3f}, "
        f"{(own < args.threshold).float().mean():.1%} below {args.threshold}"
    )
    print(
        f"best other caption: mean cosine {other.mean():.3f}; own caption highest for "
        f"{(own > other).float().mean():.1%}"
    )
    print(f"digits_cnn reads the prompted digit in {read.float().mean():.1%}")


if __name__ == "__main__":
    main()
