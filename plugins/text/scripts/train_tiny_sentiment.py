"""Train the bundled tiny sentiment classifier, reproducibly, on the tiny sentiment fine-tune split.

A byte-level BPE tokenizer and a 2-layer BERT classifier (hidden size 64, built from a config)
are trained on the fine-tune split of ``TinySentimentDataset(seed=0)`` only, on clean text: the
discovery split is what ffade searches, and the model should keep its real weaknesses to typos,
dropped words and negation. Run from the repository root (well under a minute on a CPU):

    python plugins/text/scripts/make_tiny_sentiment.py     # the corpus, if changed
    python plugins/text/scripts/train_tiny_sentiment.py

It overwrites ``plugins/text/ffade_text/models/tiny_sentiment/`` (config, weights, tokenizer)
and writes the held-out accuracy to ``TRAINING.txt`` there.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from ffade_text.datasets.classification import TinySentimentDataset
from ffade_text.targets.pipeline import BUNDLED, HFTextPipeline
from ffade_text.tiny import build_classifier, build_tokenizer, save

from ffade.errors import OneLineParser, whole_number_from_1


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=whole_number_from_1, default=20)
    parser.add_argument("--batch-size", type=whole_number_from_1, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--vocab-size", type=whole_number_from_1, default=600)
    parser.add_argument("--hidden", type=whole_number_from_1, default=64)
    parser.add_argument("--layers", type=whole_number_from_1, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the shuffling")
    parser.add_argument("--out", type=Path, default=BUNDLED["tiny_sentiment"])
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    data = TinySentimentDataset()  # seed 0, default fractions: the split the target assumes
    train, heldout = data.split("finetune"), data.split("heldout")
    tokenizer = build_tokenizer([text for text, _ in train], args.vocab_size, max_length=128)
    model = build_classifier(len(tokenizer), data.labels, args.hidden, args.layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    shuffle = torch.Generator().manual_seed(args.seed)
    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for batch in torch.randperm(len(train), generator=shuffle).split(args.batch_size):
            texts, labels = zip(*(train[i] for i in batch.tolist()), strict=True)
            inputs = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
            inputs.pop("token_type_ids", None)
            loss = model(**inputs, labels=torch.tensor(labels)).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1:2d}: loss {total / len(train):.3f}", flush=True)

    model.eval()
    save(model, tokenizer, args.out)
    target = HFTextPipeline("text-classification", str(args.out), labels=data.labels)
    texts, labels = zip(*heldout, strict=True)
    predicted = target.predict(list(texts)).argmax(-1)
    accuracy = (predicted == torch.tensor(labels)).float().mean().item()
    parameters = sum(p.numel() for p in model.parameters())
    report = (
        f"tiny_sentiment: BERT classifier, {args.layers} layers, hidden {args.hidden}, "
        f"{parameters:,} parameters, byte-level BPE vocabulary {len(tokenizer)}\n"
        f"trained {args.epochs} epochs on {len(train)} fine-tune reviews of "
        f"TinySentimentDataset(seed=0), seed {args.seed}, lr {args.lr}, batch {args.batch_size}, "
        f"in {time.perf_counter() - started:.0f} s\n"
        f"held-out accuracy ({len(heldout)} reviews): {accuracy:.3f}\n"
    )
    (args.out / "TRAINING.txt").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
