"""Train the bundled digits CNN, reproducibly, on the digits dataset's fine-tune split only.

Discovery images are what ffade searches and held-out images judge fixes, so the model must
never see either: it trains on the fine-tune split of ``DigitsDataset(seed=0)`` (the defaults)
and reports its clean accuracy on the held-out split. Plain training, no augmentation: the
quickstart should find the model's real weaknesses (rotation, blur, ...), not train them away.

Run from the repository root (about half a minute on two CPU cores):

    .venv/bin/python plugins/vision/scripts/train_digits_cnn.py

It overwrites ``plugins/vision/ffade_vision/checkpoints/digits_cnn.pt``.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from ffade_vision.datasets.digits import DigitsDataset
from ffade_vision.targets.digits_cnn import DigitsCNNTarget
from torch import nn

from ffade.errors import OneLineParser, whole_number_from_1

CHECKPOINT = Path(__file__).resolve().parents[1] / "ffade_vision" / "checkpoints" / "digits_cnn.pt"


def accuracy(target: DigitsCNNTarget, images: torch.Tensor, labels: torch.Tensor) -> float:
    return (target.predict(images).argmax(-1) == labels).float().mean().item()


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=whole_number_from_1, default=30)
    parser.add_argument("--batch-size", type=whole_number_from_1, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the shuffling")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    started = time.perf_counter()
    data = DigitsDataset()  # seed 0, default fractions: the split the bundled target assumes
    images, labels = data.collate(data.split("finetune"))
    heldout_images, heldout_labels = data.collate(data.split("heldout"))

    target = DigitsCNNTarget(weights=None)
    model = target.model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        order = torch.randperm(len(labels), generator=shuffle)
        total = 0.0
        for batch in order.split(args.batch_size):
            loss = loss_fn(model(target.preprocess(images[batch])), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        schedule.step()
        if (epoch + 1) % 10 == 0:
            print(f"epoch {epoch + 1:3d}  train_loss {total / len(labels):.4f}")
    model.eval()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    print(
        f"trained on {len(labels)} finetune images in {time.perf_counter() - started:.1f} s; "
        f"finetune accuracy {accuracy(target, images, labels):.4f}, "
        f"heldout accuracy {accuracy(target, heldout_images, heldout_labels):.4f} "
        f"({len(heldout_labels)} images); saved {args.out} ({args.out.stat().st_size // 1024} KiB)"
    )


if __name__ == "__main__":
    main()
