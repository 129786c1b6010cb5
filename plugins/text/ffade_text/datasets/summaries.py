"""(article, reference summary) pairs from a JSONL or CSV file, in three disjoint seeded splits.

Discovery articles are searched for failures, fine-tuning articles train the fix, held-out
articles judge it; :func:`ffade.plugin_api.disjoint_split_indices` keeps them apart for a seed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS, Dataset, disjoint_split_indices, missing_file, read_text_lines

BUNDLED_CORPUS = Path(__file__).resolve().parents[1] / "data" / "tiny_news.jsonl"
"""The synthetic news corpus that ships with ffade-text (see scripts/make_tiny_news.py)."""

FORMATS = ("jsonl", "csv")


def read_pairs(
    path: str | Path,
    article_field: str = "article",
    summary_field: str = "summary",
    file_format: str | None = None,
    field_args: tuple[str, str] = ("article_field", "summary_field"),
    whole_second: bool = False,
    dataset: str = "summaries",
) -> list[tuple[str, str]]:
    """Read (article, summary) pairs; the format comes from the suffix unless given.

    ``field_args`` names the dataset's own arguments in the missing-field error (a text
    classifier's are text_field / label_field); ``whole_second`` also accepts a whole number in
    the second field (a JSONL label 0 or 1), read as its text. ``dataset`` is the name errors
    give the dataset (the one a config gives it).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        where = f"dataset {dataset!r}: path {str(path)!r}"
        gone = f"{where} is a directory" if path.is_dir() else missing_file(where, path)
        raise FfadeError(f"{gone}; give a .jsonl or .csv file")
    file_format = file_format or path.suffix.lower().lstrip(".")
    if file_format == "json":
        file_format = "jsonl"
    if file_format not in FORMATS:
        raise FfadeError(
            f"dataset {dataset!r}: path {str(path)!r}: format {file_format!r} is not allowed; use "
            "one of "
            f"{', '.join(FORMATS)} (set 'file_format' when the suffix says otherwise)"
        )
    lines = read_text_lines(path, f"dataset {dataset!r}")
    field_names = (article_field, summary_field)
    if file_format == "csv":
        rows = list(csv.DictReader(lines))
        where = [f"row {i + 2}" for i in range(len(rows))]  # row 1 is the header
    else:
        rows, where = [], []
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise FfadeError(
                        f"dataset {dataset!r}: {path}: line {number} is not JSON: {exc.msg}"
                    ) from exc
                if not isinstance(row, dict):  # a list or a bare string: no fields to read
                    raise FfadeError(
                        f"dataset {dataset!r}: {path}: line {number} is a JSON "
                        f"{type(row).__name__}, not an object; each line must be one object "
                        f"with the fields {' and '.join(map(repr, field_names))}"
                    )
                rows.append(row)
                where.append(f"line {number}")
    pairs = []
    for row, place in zip(rows, where, strict=True):
        second = row.get(summary_field)
        if whole_second and isinstance(second, int) and not isinstance(second, bool):
            row = {**row, summary_field: str(second)}
        wrong = _field_problems(row, (article_field, summary_field), field_args, whole_second)
        if wrong:
            held = ", ".join(map(repr, row)) or "no fields"
            raise FfadeError(
                f"dataset {dataset!r}: {path}: {place} has {' and '.join(wrong)}; it has {held} "
                f"(set {' / '.join(field_args)} to the fields that hold them)"
            )
        pairs.append((row[article_field], row[summary_field]))
    if not pairs:
        raise FfadeError(
            f"dataset {dataset!r}: path {str(path)!r} holds no ({article_field}, "
            f"{summary_field}) pairs"
        )
    return pairs


def _field_problems(
    row: dict, fields: tuple[str, str], field_args: tuple[str, str], whole_second: bool
) -> list[str]:
    """What is wrong with each of a row's two fields, named as the argument that chose it
    ("no field 'label' (label_field)", "field 'label' (label_field) holding 1.5, not text", or
    "field 'summary' (summary_field) empty": a blank text or reference, which CSV gives for a
    missing cell)."""
    problems = []
    for position, (field, arg) in enumerate(zip(fields, field_args, strict=True)):
        if isinstance(row.get(field), str):
            if not row[field].strip():  # nothing to edit, or a reference every summary misses
                problems.append(f"field {field!r} ({arg}) empty")
            continue
        if field not in row:
            problems.append(f"no field {field!r} ({arg})")
        else:
            kind = "text or a whole number" if whole_second and position == 1 else "text"
            problems.append(f"field {field!r} ({arg}) holding {row[field]!r}, not {kind}")
    return problems


class SummaryDataset(Dataset):
    """Articles with their reference summaries, read from a JSONL or CSV file.

    Args:
        path: a ``.jsonl`` file (one JSON object per line) or a ``.csv`` file with a header.
        article_field: the field holding the article.
        summary_field: the field holding its reference summary.
        fractions: shares of the pairs for discovery, fine-tuning and held-out.
        seed: fixes the split.
        file_format: "jsonl" or "csv" when the suffix does not say.
    """

    path_arguments = ("path",)  # recorded absolute: a resume finds them from anywhere

    config_name = "summaries"  # how errors name the dataset: the name a config gives it

    def __init__(
        self,
        path: str,
        article_field: str = "article",
        summary_field: str = "summary",
        fractions: Sequence[float] = (0.2, 0.6, 0.2),
        seed: int = 0,
        file_format: str | None = None,
    ) -> None:
        super().__init__(seed)
        self.path = Path(path)
        self.pairs = read_pairs(
            path, article_field, summary_field, file_format, dataset=self.config_name
        )
        self.indices = disjoint_split_indices(  # a repeated article (any summary) in one split
            len(self.pairs),
            fractions,
            seed,
            what=f"dataset {self.config_name!r}: fractions",
            keys=[article for article, _ in self.pairs],
        )

    def split(self, name: str) -> list[tuple[str, str]]:
        if name not in SPLITS:
            raise FfadeError(f"split {name!r} is not allowed; choose one of {', '.join(SPLITS)}")
        return [self.pairs[i] for i in self.indices[name].tolist()]


class TinyNewsDataset(SummaryDataset):
    """The bundled synthetic news corpus (800 templated pairs), for the quickstart and tests.

    Its articles are generated from templates by ``plugins/text/scripts/make_tiny_news.py``:
    news-like, not news. The bundled ``tiny_news_bart`` summarizer was trained on its fine-tune
    split at ``seed=0`` with the default fractions, so keep those to search unseen articles.

    Args:
        fractions: shares for discovery, fine-tuning and held-out.
        seed: fixes the split.
    """

    config_name = "tiny_news"

    def __init__(self, fractions: Sequence[float] = (0.15, 0.7, 0.15), seed: int = 0) -> None:
        super().__init__(str(BUNDLED_CORPUS), fractions=fractions, seed=seed)
