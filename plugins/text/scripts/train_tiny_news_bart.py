"""Train the bundled tiny BART summarizer, reproducibly, on the tiny news corpus's fine-tune split.

Discovery articles are what ffade searches and held-out articles judge fixes, so the model never
sees either: a byte-level BPE tokenizer and a BART built from a config (2 encoder and 2 decoder
layers, d_model 128: about a million parameters) are trained on the fine-tune split of
``TinyNewsDataset(seed=0)`` only. Plain training on clean text, no augmentation: the quickstart
should find the model's real weaknesses to text edits, not train them away.

Run from the repository root (a few minutes on two CPU cores):

    .venv/bin/python plugins/text/scripts/train_tiny_news_bart.py

It overwrites ``plugins/text/ffade_text/models/tiny_news_bart/`` (config, weights, tokenizer) and
writes the held-out scores to ``TRAINING.txt`` there.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from ffade_text.datasets.summaries import TinyNewsDataset
from ffade_text.rewards import corpus_scores
from ffade_text.targets.seq2seq import BUNDLED_MODEL, Seq2SeqSummarizer
from ffade_text.tiny import build_bart, build_tokenizer, save

from ffade.errors import OneLineParser, whole_number_from_1


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=whole_number_from_1, default=40)
    parser.add_argument("--batch-size", type=whole_number_from_1, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--vocab-size", type=whole_number_from_1, default=1200)
    parser.add_argument("--d-model", type=whole_number_from_1, default=128)
    parser.add_argument("--layers", type=whole_number_from_1, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the shuffling")
    parser.add_argument("--out", type=Path, default=BUNDLED_MODEL)
    parser.add_argument(
        "--threads",
        type=whole_number_from_1,
        default=1,
        help="CPU threads; one is fastest for a model this small",
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    data = TinyNewsDataset()  # seed 0, default fractions: the split the bundled target assumes
    train = data.split("finetune")
    heldout = data.split("heldout")
    tokenizer = build_tokenizer([t for pair in train for t in pair], args.vocab_size)
    model = build_bart(len(tokenizer), args.d_model, args.layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * -(-len(train) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=steps)
    shuffle = torch.Generator().manual_seed(args.seed)
    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for batch in torch.randperm(len(train), generator=shuffle).split(args.batch_size):
            articles, summaries = zip(*(train[i] for i in batch.tolist()), strict=True)
            inputs = tokenizer(list(articles), padding=True, truncation=True, return_tensors="pt")
            labels = tokenizer(list(summaries), padding=True, return_tensors="pt").input_ids
            labels[labels == tokenizer.pad_token_id] = -100
            loss = model(
                input_ids=inputs.input_ids, attention_mask=inputs.attention_mask, labels=labels
            ).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1:2d}: loss {total / len(train):.3f}", flush=True)

    model.eval()
    save(model, tokenizer, args.out)
    target = Seq2SeqSummarizer(str(args.out), generation={"max_new_tokens": 32})
    articles, references = zip(*heldout, strict=True)
    summaries = [
        s for i in range(0, len(articles), 64) for s in target.predict(articles[i : i + 64])
    ]
    bleu, rouge_l = corpus_scores(summaries, list(references))
    parameters = sum(p.numel() for p in model.parameters())
    report = (
        f"tiny_news_bart: BART, {args.layers}+{args.layers} layers, d_model {args.d_model}, "
        f"{parameters:,} parameters, byte-level BPE vocabulary {len(tokenizer)}\n"
        f"trained {args.epochs} epochs on {len(train)} fine-tune pairs of TinyNewsDataset(seed=0), "
        f"seed {args.seed}, lr {args.lr}, batch {args.batch_size}, "
        f"in {time.perf_counter() - started:.0f} s\n"
        f"held-out ({len(heldout)} pairs, greedy, max_new_tokens 32): "
        f"mean sentence BLEU {bleu:.1f}, mean ROUGE-L F1 {rouge_l:.3f}\n"
        f"example: {articles[0]}\n  -> {summaries[0]}\n  reference: {references[0]}\n"
    )
    (args.out / "TRAINING.txt").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
