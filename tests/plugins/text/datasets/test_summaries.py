"""Summary datasets: JSONL and CSV files, disjoint seeded splits, one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from ffade_text.datasets import SummaryDataset, TinyNewsDataset
from ffade_text.datasets.classification import TextClassificationDataset

from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS, disjoint_split_indices


def write_jsonl(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps({"text": f"Article {i}.", "highlights": f"Summary {i}."}) + "\n"
            for i in range(count)
        )
    )
    return path


def test_jsonl_splits_are_disjoint_and_seeded(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", 50)
    data = SummaryDataset(str(path), "text", "highlights", (0.2, 0.6, 0.2), seed=3)
    splits = {name: data.split(name) for name in SPLITS}
    assert [len(splits[n]) for n in SPLITS] == [10, 30, 10]
    articles = [{a for a, _ in splits[n]} for n in SPLITS]
    assert not (articles[0] & articles[1] or articles[0] & articles[2] or articles[1] & articles[2])
    again = SummaryDataset(str(path), "text", "highlights", (0.2, 0.6, 0.2), seed=3)
    assert again.split("discovery") == splits["discovery"]
    other = SummaryDataset(str(path), "text", "highlights", (0.2, 0.6, 0.2), seed=4)
    assert other.split("discovery") != splits["discovery"]
    article, summary = splits["discovery"][0]
    assert summary == article.replace("Article", "Summary")


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["article", "summary"])
        writer.writerows([[f"A, {i}.", f"S {i}"] for i in range(10)])
    data = SummaryDataset(str(path), fractions=(0.5, 0.5, 0.0))
    assert len(data.split("discovery")) == 5 and data.split("heldout") == []
    inputs, references = data.collate(data.split("discovery"))
    assert isinstance(inputs, list) and all(isinstance(a, str) for a in inputs)
    assert [a.split()[1] for a in inputs] == [r.split()[1] + "." for r in references]


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(FfadeError, match=r"^dataset 'summaries': path '.*' does not exist"):
        SummaryDataset(str(tmp_path / "missing.jsonl"))
    empty = tmp_path / "empty.csv"
    empty.write_text("article,summary\n")
    with pytest.raises(FfadeError, match=r"^dataset 'summaries': .* holds no \(article, summary\)"):
        SummaryDataset(str(empty))
    path = write_jsonl(tmp_path / "pairs.jsonl", 3)
    missing = r"line 1 has no field 'article' \(article_field\) and no field 'summary'.*'text'"
    with pytest.raises(FfadeError, match=missing):
        SummaryDataset(str(path))
    odd = tmp_path / "pairs.txt"
    odd.write_text("x")
    with pytest.raises(FfadeError, match=r"^dataset 'summaries': .* format 'txt' is not allowed"):
        SummaryDataset(str(odd))
    with pytest.raises(FfadeError, match="split 'train' is not allowed"):
        SummaryDataset(str(path), "text", "highlights").split("train")


def test_an_empty_text_or_summary_is_one_line_naming_its_row(tmp_path: Path) -> None:
    """An empty reference made every summary of its article fail, an empty article left the
    edits nothing to change; both were read without a word (a CSV's missing cell is one)."""
    path = tmp_path / "pairs.csv"
    path.write_text("article,summary\nCouncil approves budget.,Budget approved.\nStorm hits.,\n")
    with pytest.raises(FfadeError, match=r"row 3 has field 'summary' \(summary_field\) empty;"):
        SummaryDataset(str(path))
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"article": "  ", "summary": "x"}) + "\n")
    with pytest.raises(FfadeError, match=r"line 1 has field 'article' \(article_field\) empty;"):
        SummaryDataset(str(path))
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"text": "", "label": 1}) + "\n")
    with pytest.raises(FfadeError, match=r"line 1 has field 'text' \(text_field\) empty;"):
        TextClassificationDataset(str(texts))
    # any script is text
    rows = [
        {"article": f"Совет утвердил бюджет {i}. 议会批准", "summary": "бюджет"} for i in range(5)
    ]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    assert sorted(SummaryDataset(str(path), fractions=(0.2, 0.6, 0.2)).pairs) == sorted(
        (row["article"], row["summary"]) for row in rows
    )


@pytest.mark.parametrize("line", ['"Council approves budget."', "[1, 2]", "null", "42"])
def test_a_jsonl_line_that_is_no_object_is_one_line_naming_it(tmp_path: Path, line: str) -> None:
    """A line of valid JSON that is no object (a bare string, a list) raised AttributeError
    ('list' object has no attribute 'get'), a traceback after the run had started."""
    path = tmp_path / "pairs.jsonl"
    good = json.dumps({"article": "Storm hits.", "summary": "Storm."})
    path.write_text(f"{good}\n{line}\n")
    expected = r"^dataset 'summaries': .* line 2 is a JSON \w+, not an object; .*'article' and"
    with pytest.raises(FfadeError, match=expected):
        SummaryDataset(str(path))
    with pytest.raises(FfadeError, match=r"line 2 is a JSON \w+, not an object; .*'text' and"):
        TextClassificationDataset(str(path))


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_file_opening_with_a_byte_order_mark_reads_as_without(
    tmp_path: Path, suffix: str
) -> None:
    """Excel saves "CSV UTF-8" with a byte-order mark; it was read as part of the first column,
    whose name became "\\ufeffarticle", a missing field 'article' no config could name (and a
    JSONL file's first line was "not JSON")."""
    if suffix == "csv":
        body = "article,summary\nStorm hits Harlow.,Storm.\nFair opens.,Fair.\n"
        labelled = "text,label\nGreat film.,positive\nDull film.,negative\n"
    else:
        body = '{"article": "Storm hits Harlow.", "summary": "Storm."}\n'
        body += '{"article": "Fair opens.", "summary": "Fair."}\n'
        labelled = '{"text": "Great film.", "label": "positive"}\n'
        labelled += '{"text": "Dull film.", "label": "negative"}\n'
    pairs = tmp_path / f"pairs.{suffix}"
    pairs.write_text(body, encoding="utf-8-sig")
    data = SummaryDataset(str(pairs), fractions=(1.0, 0.0, 0.0))
    assert sorted(data.split("discovery")) == [
        ("Fair opens.", "Fair."),
        ("Storm hits Harlow.", "Storm."),
    ]
    texts = tmp_path / f"texts.{suffix}"
    texts.write_text(labelled, encoding="utf-8-sig")
    classified = TextClassificationDataset(str(texts), fractions=(1.0, 0.0, 0.0))
    assert sorted(text for text, _ in classified.split("discovery")) == [
        "Dull film.",
        "Great film.",
    ]


def test_a_line_that_is_not_json_names_the_dataset(tmp_path: Path) -> None:
    """It was the one reading error without the dataset's name."""
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"article": "Storm.", "summary": "S"\n')
    with pytest.raises(
        FfadeError, match=r"^dataset 'summaries': .*pairs.jsonl: line 1 is not JSON"
    ):
        SummaryDataset(str(path))


def test_bundled_corpus() -> None:
    data = TinyNewsDataset()
    sizes = [len(data.split(n)) for n in SPLITS]
    assert sizes == [120, 560, 120]
    article, summary = data.split("discovery")[0]
    assert len(article.split()) > 2 * len(summary.split())


def test_bad_fractions_name_the_dataset(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", 3)
    tail = "must be 3 non-negative numbers summing to at most 1 (for discovery, finetune, heldout)"
    with pytest.raises(FfadeError) as error:
        SummaryDataset(str(path), "text", "highlights", fractions=[0.5, 0.5, 0.5])
    assert str(error.value) == f"dataset 'summaries': fractions [0.5, 0.5, 0.5] {tail}"
    with pytest.raises(FfadeError) as error:
        TinyNewsDataset(fractions=[0.5, 0.5])
    assert str(error.value) == f"dataset 'tiny_news': fractions [0.5, 0.5] {tail}"


def test_a_repeated_article_lands_in_one_split_whatever_its_summary(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"  # 10 articles, each twice with two summaries
    rows = [{"text": f"Article {i % 10}.", "highlights": f"Summary {i}."} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for seed in range(10):
        data = SummaryDataset(str(path), "text", "highlights", (0.2, 0.6, 0.2), seed=seed)
        articles = [{a for a, _ in data.split(name)} for name in SPLITS]
        assert not (articles[0] & articles[1] or articles[0] & articles[2]), seed
        assert not articles[1] & articles[2], seed
        assert sum(len(data.split(name)) for name in SPLITS) == 20


def test_the_bundled_news_has_no_copies_and_splits_as_before() -> None:
    data = TinyNewsDataset()
    assert len({a for a, _ in data.pairs}) == len(data.pairs) == 800
    plain = disjoint_split_indices(800, (0.15, 0.7, 0.15), 0)
    assert all(data.indices[name].tolist() == plain[name].tolist() for name in SPLITS)
