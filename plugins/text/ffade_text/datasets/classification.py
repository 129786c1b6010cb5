"""(text, label) pairs from a JSONL or CSV file for text classifiers, in disjoint seeded splits.

References are class indices into ``labels`` (the dataset's label names, in order), the form the
classification rewards read; a classifier target maps its own label names onto the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import SPLITS, Dataset, disjoint_split_indices
from ffade_text.datasets.summaries import read_pairs

BUNDLED_SENTIMENT = Path(__file__).resolve().parents[1] / "data" / "tiny_sentiment.jsonl"
"""800 templated reviews labelled negative or positive (see scripts/make_tiny_sentiment.py)."""

WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def default_label_order(found: Iterable[str]) -> list[str]:
    """The label names found, sorted: by value when every one is a whole number.

    Numbered classes sorted as text put 10 before 2, so class index 2 would be the label '10', not
    the order a user (or a model trained elsewhere on 0..N, whose labels hf_pipeline reads in its
    own order by default) expects. Names, or a mix of names and numbers, sort as text.
    """
    names = set(found)
    if names and all(WHOLE_NUMBER.fullmatch(name) for name in names):
        return sorted(names, key=lambda name: (int(name), name))  # '01' and '1' stay apart
    return sorted(names)


class TextClassificationDataset(Dataset):
    """Texts with their labels, read from a JSONL or CSV file.

    Args:
        path: a ``.jsonl`` file (one JSON object per line) or a ``.csv`` file with a header.
        text_field: the field holding the text.
        label_field: the field holding its label name.
        labels: every label name, in the order of the class indices the references use
            (default: the names found, sorted; by value when every one is a whole number).
        fractions: shares of the pairs for discovery, fine-tuning and held-out.
        seed: fixes the split.
        file_format: "jsonl" or "csv" when the suffix does not say.
    """

    path_arguments = ("path",)  # recorded absolute: a resume finds them from anywhere

    config_name = "text_classification"  # how errors name the dataset: the name a config gives it

    def __init__(
        self,
        path: str,
        text_field: str = "text",
        label_field: str = "label",
        labels: Sequence[str] | None = None,
        fractions: Sequence[float] = (0.2, 0.6, 0.2),
        seed: int = 0,
        file_format: str | None = None,
    ) -> None:
        super().__init__(seed)
        pairs = read_pairs(
            path,
            text_field,
            label_field,
            file_format,
            ("text_field", "label_field"),
            True,
            dataset=self.config_name,
        )
        if isinstance(labels, str):
            raise FfadeError(
                f"dataset {self.config_name!r}: labels must be a list of label names, e.g. "
                f"[negative, positive]; got {as_written(labels)}"
            )
        given = None if labels is None else [str(label) for label in labels]  # 0 as '0'
        if given is not None and len(set(given)) != len(given):  # two indices for one name
            raise FfadeError(
                f"dataset {self.config_name!r}: labels repeat a name; each must be unique, "
                f"got {as_written(labels)}"
            )
        self.labels = given if given is not None else default_label_order(y for _, y in pairs)
        unknown = sorted({y for _, y in pairs} - set(self.labels))
        if unknown:
            raise FfadeError(
                f"dataset {self.config_name!r}: path {path!r}: label {unknown[0]!r} is not one of "
                f"labels {self.labels}; list every label name"
            )
        self.pairs = [(text, self.labels.index(label)) for text, label in pairs]
        self.indices = disjoint_split_indices(  # a repeated text (any label) in one split
            len(self.pairs),
            fractions,
            seed,
            what=f"dataset {self.config_name!r}: fractions",
            keys=[text for text, _ in self.pairs],
        )

    def split(self, name: str) -> list[tuple[str, int]]:
        if name not in SPLITS:
            raise FfadeError(f"split {name!r} is not allowed; choose one of {', '.join(SPLITS)}")
        return [self.pairs[i] for i in self.indices[name].tolist()]


class TinySentimentDataset(TextClassificationDataset):
    """The bundled tiny sentiment corpus: labels ``negative`` (0) and ``positive`` (1).

    The bundled ``tiny_sentiment`` classifier was trained on its fine-tune split at ``seed=0``
    with the default fractions; keep those to search reviews it has never seen.
    """

    config_name = "tiny_sentiment"

    def __init__(self, fractions: Sequence[float] = (0.2, 0.6, 0.2), seed: int = 0) -> None:
        super().__init__(
            str(BUNDLED_SENTIMENT), labels=["negative", "positive"], fractions=fractions, seed=seed
        )
