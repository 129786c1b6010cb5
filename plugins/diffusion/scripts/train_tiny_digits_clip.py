"""Train the bundled tiny CLIP on the captioned digits, reproducibly, on one CPU thread.

The same 1797 images and captions as the tiny text-to-image model, learned contrastively (the
symmetric cross-entropy of CLIP over a batch's image-caption similarities), so ``clip_score``
can judge that model's images offline. Captions in a batch often repeat ("a handwritten
seven"); those duplicates count as matches, not as negatives.

Run from the repository root (a few minutes on one CPU thread):

    python plugins/diffusion/scripts/train_tiny_digits_clip.py

It overwrites ``plugins/diffusion/ffade_diffusion/models/tiny_digits_clip/`` and writes the
cosines of matching and mismatched captions to ``TRAINING.txt`` there.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from ffade_diffusion.rewards.clip_score import BUNDLED_CLIP, projected
from ffade_diffusion.tiny.clip import build_clip, save_clip
from ffade_diffusion.tiny.digits import DIGIT_WORDS, VOCABULARY, captioned_digits
from ffade_diffusion.tiny.tokenizer import write_word_tokenizer
from transformers import CLIPModel

from ffade.errors import OneLineParser, whole_number_from_1


def embed(model: CLIPModel, pixels: torch.Tensor, ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Unit image and text embeddings in CLIP's shared space."""
    image = projected(model.get_image_features(pixel_values=pixels))
    text = projected(model.get_text_features(input_ids=ids))
    return F.normalize(image, dim=-1), F.normalize(text, dim=-1)


def contrastive_loss(
    model: CLIPModel, pixels: torch.Tensor, ids: torch.Tensor, same: torch.Tensor
) -> torch.Tensor:
    """CLIP's loss with every identical caption in the batch counted as a match."""
    image, text = embed(model, pixels, ids)
    logits = model.logit_scale.exp() * image @ text.T
    targets = same / same.sum(1, keepdim=True)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=whole_number_from_1, default=600)
    parser.add_argument("--batch-size", type=whole_number_from_1, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=BUNDLED_CLIP)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    images, labels, captions = captioned_digits()
    tokenizer = write_word_tokenizer(args.out, VOCABULARY)
    ids = tokenizer(captions, padding="max_length", truncation=True, return_tensors="pt").input_ids
    caption_ids = torch.tensor([captions.index(c) for c in captions])
    pixels = images * 2 - 1  # the processor's mean 0.5 and std 0.5
    model = build_clip(tokenizer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(args.seed)
    for step in range(1, args.steps + 1):
        rows = torch.randint(len(images), (args.batch_size,), generator=generator)
        same = (caption_ids[rows, None] == caption_ids[None, rows]).float()
        loss = contrastive_loss(model, pixels[rows], ids[rows], same)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step}: loss {loss.item():.3f}", flush=True)
    model.eval()
    save_clip(model, tokenizer, args.out)
    with torch.no_grad():
        digit_ids = tokenizer(
            [f"a handwritten {w}" for w in DIGIT_WORDS], padding="max_length", return_tensors="pt"
        ).input_ids
        image, _ = embed(model, pixels, ids[:1])
        _, text = embed(model, pixels[:1], digit_ids)
    cosine = image @ text.T
    right = cosine.gather(1, labels[:, None]).squeeze(1)
    wrong = cosine.masked_fill(F.one_hot(labels, 10).bool(), -2).max(1).values
    report = (
        f"trained {args.steps} steps in {time.perf_counter() - started:.0f} s on one CPU thread "
        f"(seed {args.seed})\n"
        f"cosine with 'a handwritten <its digit>': mean {right.mean():.3f}, 10th percentile "
        f"{right.quantile(0.1):.3f}\n"
        f"best cosine with another digit's caption: mean {wrong.mean():.3f}\n"
        f"its own digit's caption scores highest for {(right > wrong).float().mean():.1%} "
        "of images\n"
    )
    (args.out / "TRAINING.txt").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
