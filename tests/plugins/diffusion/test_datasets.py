from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ffade_diffusion.datasets import DigitPrompts, PromptsDataset
from ffade_diffusion.prompts import Prompt

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.plugin_api import SPLITS


def _pairs(dataset: PromptsDataset) -> dict[str, set[tuple[str, int]]]:
    return {s: {(p.template, p.sample) for p, _ in dataset.split(s)} for s in SPLITS}


def test_inline_prompts_split_disjointly_over_prompt_and_sample() -> None:
    dataset = PromptsDataset(["a cat", {"prompt": "a dog", "label": 3}], samples_per_prompt=5)
    pairs = _pairs(dataset)
    assert sum(map(len, pairs.values())) == 10
    assert not (pairs["discovery"] & pairs["finetune"] or pairs["discovery"] & pairs["heldout"])
    assert not pairs["finetune"] & pairs["heldout"]
    labels = {p.template: y for s in SPLITS for p, y in dataset.split(s)}
    assert labels == {"a cat": None, "a dog": 3}


def test_jsonl_and_csv_read_the_same(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"a {{style}} {w}", "label": i} for i, w in enumerate(["zero", "one", "two"])
    ]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "p.csv").write_text(
        "prompt,label\n" + "".join(f"{r['prompt']},{r['label']}\n" for r in rows)
    )
    a = PromptsDataset(path=str(tmp_path / "p.jsonl"), samples_per_prompt=3, seed=4)
    b = PromptsDataset(path=str(tmp_path / "p.csv"), samples_per_prompt=3, seed=4)
    assert all(a.split(s) == b.split(s) for s in SPLITS)
    inputs, labels = a.collate(a.split("discovery"))
    assert all(isinstance(p, Prompt) for p in inputs) and all(isinstance(y, int) for y in labels)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"give 'prompts' \(a list\) or 'path' \(a file\); neither is set"),
        ({"prompts": ["a"], "path": "x.jsonl"}, r"give either 'prompts' .*, not both"),
        ({"path": "missing.jsonl"}, "does not exist"),
        ({"prompts": [{"text": "a"}]}, "must be a prompt string or an object with a 'prompt'"),
        ({"prompts": [{"prompt": "a", "label": "seven"}]}, "expected a class index"),
        # int() cut 7.5 to 7 and read true as class 1: the judge then checked another class
        ({"prompts": [{"prompt": "a", "label": 7.5}]}, "'label' 7.5; expected a class index"),
        ({"prompts": [{"prompt": "a", "label": True}]}, "'label' True; expected a class index"),
        ({"prompts": [{"prompt": "a", "label": "7.5"}]}, "'label' '7.5'; expected a class"),
        ({"prompts": ["a"], "samples_per_prompt": 0}, "samples_per_prompt must be at least 1"),
        ({"prompts": ["a"], "samples_per_prompt": "2"}, "samples_per_prompt must be at least 1"),
        # one prompt without the list's brackets would be split into one prompt per letter
        ({"prompts": "a {style} seven"}, r"prompts must be a list of prompts, got one str"),
        ({"prompts": {"prompt": "a"}}, r"prompts must be a list of prompts, got one dict"),
        # str.format's own fields, an IndexError or KeyError traceback when the text was made
        ({"prompts": ["a {x"]}, r"prompt 'a \{x' is not a valid template: expected '\}'"),
        ({"prompts": ["a {} b"]}, r"not a valid template: \{\} is not a slot name"),
        ({"prompts": ["a {0} b"]}, r"not a valid template: \{0\} is not a slot name"),
        ({"prompts": ["a {x.y} b"]}, r"\{x\.y\} is not a slot name; write \{descriptor\}"),
        # a conversion or format part wrote quotes or padding into the prompt: "a ''" unfilled
        ({"prompts": ["a {x!r} b"]}, r"template: slot \{x\} has a conversion part; write"),
        ({"prompts": ["a {x:>9} b"]}, r"template: slot \{x\} has a format part; write"),
        # refused with an inline list too, where it was read by nothing and said by nothing
        ({"prompts": ["a"], "file_format": "xml"}, r"file_format 'xml' is not allowed; use one"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(FfadeError, match=message):
        PromptsDataset(**kwargs)


def test_a_folder_given_as_the_prompts_file_is_said_to_be_one(tmp_path: Path) -> None:
    """A folder that is there was said "does not exist", sending the user to look for it; the
    summaries dataset says "is a directory", and so does this one."""
    with pytest.raises(FfadeError, match=r"path '.*' is a directory; give a \.jsonl or \.csv"):
        PromptsDataset(path=str(tmp_path))


def test_a_malformed_template_names_the_dataset_its_place_and_the_fix(tmp_path: Path) -> None:
    """An unclosed brace is refused naming the dataset and the prompt's place (its index, or
    the file's line a user opens), and says how a slot is written, not str.format's words."""
    with pytest.raises(FfadeError) as error:
        PromptsDataset(["a {style} seven", "a photo of {descriptor {profession}"])
    assert str(error.value) == (
        "dataset 'prompts': prompts[1]: prompt 'a photo of {descriptor {profession}' is not a "
        "valid template: unexpected '{' in field name; write each slot as {descriptor}, or {{ "
        "and }} for literal braces"
    )
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "a {style} seven"}\n\n{"prompt": "a {style seven"}\n')
    where = re.escape(f"dataset 'prompts': {path} line 3: prompt 'a {{style seven'")
    with pytest.raises(FfadeError, match=f"^{where} is not a valid template"):
        PromptsDataset(path=str(path))


def test_digit_prompts_label_each_digit() -> None:
    dataset = DigitPrompts(samples_per_prompt=4)
    items = [item for s in SPLITS for item in dataset.split(s)]
    assert len(items) == 40
    assert {(p.template, y) for p, y in items} >= {("a {style} handwritten seven", 7)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"fractions": [0.5, 0.5, 0.5]},
            "dataset 'digit_prompts': fractions [0.5, 0.5, 0.5] must be 3 non-negative numbers "
            "summing to at most 1 (for discovery, finetune, heldout)",
        ),
        (
            {"samples_per_prompt": 0},
            "dataset 'digit_prompts': samples_per_prompt must be at least 1 (a whole number), "
            "got 0",
        ),
        (  # int64's largest: it passed, and the list of inputs filled the memory
            {"samples_per_prompt": 9223372036854775807},
            "dataset 'digit_prompts': 10 prompt(s) x samples_per_prompt 9223372036854775807 "
            "make 92233720368547758070 inputs; at most 1000000 are allowed: lower "
            "samples_per_prompt",
        ),
    ],
)
def test_digit_prompts_errors_name_digit_prompts(kwargs: dict, message: str) -> None:
    with pytest.raises(FfadeError) as error:
        DigitPrompts(**kwargs)
    assert str(error.value) == message


def test_prompts_errors_name_the_fractions_key() -> None:
    with pytest.raises(FfadeError) as error:
        PromptsDataset(["a"], fractions=[0.5, "half", 0.1])
    assert str(error.value) == (
        "dataset 'prompts': fractions [0.5, 'half', 0.1] must be 3 non-negative numbers "
        "summing to at most 1 (for discovery, finetune, heldout)"
    )


def test_a_csv_without_the_prompt_column_names_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("text,label\na {style} seven,7\n")
    with pytest.raises(FfadeError) as error:
        PromptsDataset(path=str(path))
    assert str(error.value) == (
        f"dataset 'prompts': {str(path)!r} has no 'prompt' column (its columns: text, label); "
        "name the prompts' column 'prompt' or set prompt_field"
    )
    texts = {
        p.template
        for s in SPLITS
        for p, _ in PromptsDataset(path=str(path), prompt_field="text", samples_per_prompt=3).split(
            s
        )
    }
    assert texts == {"a {style} seven"}


def test_a_spreadsheet_csv_with_a_byte_order_mark_reads_like_a_plain_one(tmp_path: Path) -> None:
    body = "prompt,label\na {style} seven,7\na {style} one,1\n"
    (tmp_path / "plain.csv").write_text(body, encoding="utf-8")
    (tmp_path / "excel.csv").write_text(body, encoding="utf-8-sig")  # what Excel saves
    plain = PromptsDataset(path=str(tmp_path / "plain.csv"), samples_per_prompt=4)
    excel = PromptsDataset(path=str(tmp_path / "excel.csv"), samples_per_prompt=4)
    assert all(plain.split(s) == excel.split(s) for s in SPLITS)
    assert {y for s in SPLITS for _, y in excel.split(s)} == {7, 1}


def test_a_jsonl_line_that_is_not_json_names_the_dataset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "a seven", "label": 7}\n{oops\n')
    with pytest.raises(FfadeError, match=r"^dataset 'prompts': .*p.jsonl line 2 is not JSON"):
        PromptsDataset(path=str(path))


def test_a_bad_row_names_the_line_a_user_opens(tmp_path: Path) -> None:
    """A CSV's first data row was 'row 1' (line 1 is the header) and a JSONL row's number
    skipped blank lines: the error pointed at the wrong line of the file."""
    (tmp_path / "p.csv").write_text("prompt,label\na seven,7\na one,one\n")
    with pytest.raises(FfadeError) as error:
        PromptsDataset(path=str(tmp_path / "p.csv"))
    assert str(error.value) == (
        f"dataset 'prompts': {tmp_path / 'p.csv'} line 3 has 'label' 'one'; expected a class index"
    )
    (tmp_path / "p.jsonl").write_text('{"prompt": "a seven"}\n\n{"text": "a one"}\n')
    with pytest.raises(FfadeError, match=r"p\.jsonl line 3 must be a prompt string or an object"):
        PromptsDataset(path=str(tmp_path / "p.jsonl"))


def test_an_empty_split_says_how_to_fill_it() -> None:
    """One prompt drawn once cannot fill three disjoint splits: the error says what would. The
    one input goes to discovery (the largest share): fine-tuning is the first split left empty."""
    with pytest.raises(
        FfadeError,
        match=r"^dataset 'prompts': split 'finetune' would be empty: 1 prompt\(s\) x "
        r"samples_per_prompt 1 make 1 input\(s\) to share out; give more prompts or a larger "
        r"samples_per_prompt$",
    ):
        PromptsDataset(prompts=["a seven"])
    filled = PromptsDataset(prompts=["a seven"], samples_per_prompt=10)
    assert all(filled.split(name) for name in SPLITS)
    # a split given no share stays empty, as asked
    assert PromptsDataset(prompts=["a", "b"], fractions=(1.0, 0, 0)).split("heldout") == []


def test_an_empty_prompt_is_one_line_naming_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blank prompt (a CSV row with its prompt cell left empty) was searched: every image drawn
    from no words, judged against what nothing asked for."""
    task = {
        "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
        "dataset": {"name": "prompts", "args": {"prompts": ["a handwritten seven", "  "]}},
        "reward": {"name": "clip_score", "args": {"model": "tiny_digits_clip"}},
        "concepts": [{"name": "prompt_words", "args": {"values": ["", "on paper"]}}],
    }
    config = {"model": {"class_path": "ffade.explore.RandomExplorer"}}
    config["model"]["init_args"] = {"task": task, "budget": 4}
    (tmp_path / "config.yaml").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path)  # the run would go to ./runs
    assert main(["fit", "--config", "config.yaml"]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: dataset 'prompts': model.init_args.task.dataset.args.prompts[1] is an "
        "empty prompt '  '; give each prompt "
        "words or a {slot} a prompt_slot concept fills"
    )
    assert not (tmp_path / "runs").exists()
    table = tmp_path / "prompts.csv"
    table.write_text("prompt,label\na handwritten seven,7\n,3\n")
    with pytest.raises(FfadeError, match=r"prompts.csv line 3 is an empty prompt ''"):
        PromptsDataset(path=str(table))
    PromptsDataset(
        ["{descriptor}"], samples_per_prompt=3
    )  # a slot alone is a prompt the concepts fill


def test_a_repeated_prompt_draws_each_sample_in_one_split() -> None:
    for seed in range(10):
        dataset = PromptsDataset(
            ["a cat", "a dog", "a cat", "a cow"], samples_per_prompt=3, seed=seed
        )
        pairs = _pairs(dataset)
        assert not (pairs["discovery"] & pairs["finetune"] or pairs["discovery"] & pairs["heldout"])
        assert not pairs["finetune"] & pairs["heldout"], seed
