"""Write the bundled tiny sentiment corpus: short product and restaurant reviews, each labelled.

Reviews are generated from templates, reproducibly (a seeded ``random.Random``): a subject, one
or two opinion words, sometimes a neutral detail. About a tenth are negated ("was not good",
labelled by what they mean), so a model can learn that "not" flips an opinion; what it learns
from a few hundred reviews stays brittle, which is what ffade should find. Run from the
repository root:

    python plugins/text/scripts/make_tiny_sentiment.py

It overwrites ``plugins/text/ffade_text/data/tiny_sentiment.jsonl`` (``text``, ``label``:
``negative`` or ``positive``).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from ffade.errors import OneLineParser, whole_number_from_1

OUT = Path(__file__).resolve().parents[1] / "ffade_text" / "data" / "tiny_sentiment.jsonl"

SUBJECTS = [
    "The food", "The service", "The hotel room", "This phone", "The battery", "The movie",
    "The staff", "The coffee", "This laptop", "The delivery", "The screen", "The pizza",
    "The waiter", "The camera", "The soup", "The book", "The headphones", "The show",
]  # fmt: skip
POSITIVE = [
    "great", "excellent", "wonderful", "delicious", "friendly", "fast", "amazing", "perfect",
    "pleasant", "reliable", "lovely", "brilliant", "superb", "helpful", "fantastic", "good",
]  # fmt: skip
NEGATIVE = [
    "terrible", "awful", "horrible", "slow", "rude", "disappointing", "broken", "bland",
    "boring", "noisy", "dirty", "useless", "poor", "cold", "unreliable", "bad",
]  # fmt: skip
ADVERBS = ["really", "very", "quite", "truly", "extremely", "so", "pretty"]
DETAILS = [
    "We went there on a Friday evening.", "I bought it last month.", "It arrived on Monday.",
    "My sister recommended it to me.", "I used it every day for two weeks.",
    "We ordered it for the whole family.", "I tried it during my trip.",
]  # fmt: skip
ENDINGS = {
    "positive": ["I would recommend it.", "I will come back.", "Worth every penny."],
    "negative": ["I would not recommend it.", "I will not come back.", "A waste of money."],
}


def review(rng: random.Random) -> dict[str, str]:
    """One review and its label; negated ones are labelled by what they mean."""
    label = rng.choice(["positive", "negative"])
    negated = rng.random() < 0.1
    words = POSITIVE if (label == "positive") != negated else NEGATIVE
    first, second = rng.sample(words, 2)
    opinion = f"{rng.choice(ADVERBS)} {first}"
    if rng.random() < 0.5:
        opinion += f" and {second}"
    verb = "was not" if negated else "was"
    parts = [f"{rng.choice(SUBJECTS)} {verb} {opinion}."]
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(DETAILS)) if rng.random() < 0.5 else parts.append(
            rng.choice(DETAILS)
        )
    if rng.random() < 0.5:
        parts.append(rng.choice(ENDINGS[label]))
    return {"text": " ".join(parts), "label": label}


def distinct_reviews() -> int:
    """How many different reviews :func:`review` can write: the label and negation pick one of
    four (verb, word list) pairs, then an adverb, a first word, a second word or none, a
    subject, a detail before, after or none, and an ending or none. Asked for more, the loop
    that skips repeats never ended."""
    opinions = len(ADVERBS) * len(POSITIVE) * len(POSITIVE)  # second: 15 others, or none
    assert len(POSITIVE) == len(NEGATIVE)
    endings = 1 + len(ENDINGS["positive"])
    return 4 * opinions * len(SUBJECTS) * (1 + 2 * len(DETAILS)) * endings


def review_count(text: str) -> int:
    """An argparse type: a count from 1 up to :func:`distinct_reviews`."""
    count, most = whole_number_from_1(text), distinct_reviews()
    if count > most:
        raise argparse.ArgumentTypeError(
            f"the templates make at most {most} distinct reviews, got {text!r}"
        )
    return count


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count", type=review_count, default=800, help="reviews to write, all different"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows, seen = [], set()
    while len(rows) < args.count:
        row = review(rng)
        if row["text"] not in seen:
            seen.add(row["text"])
            rows.append(row)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} reviews to {args.out}")


if __name__ == "__main__":
    main()
