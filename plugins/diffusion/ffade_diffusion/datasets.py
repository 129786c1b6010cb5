"""Base prompts, from a config list or a JSONL / CSV file, in three disjoint seeded splits.

Each base prompt is drawn ``samples_per_prompt`` times (different noise): an input is a
(prompt, sample) pair, and the splits are disjoint in those pairs (a prompt's other samples
may sit in other splits). Discovery searches some, fine-tuning trains on others and held-out
pairs judge the fix. A reference is the prompt's class (``label``) when it has one, for the
``judge`` reward; otherwise None.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, as_written
from ffade.plugin_api import SPLITS, Dataset, disjoint_split_indices, missing_file, read_text_lines
from ffade_diffusion.prompts import Prompt, slot_names
from ffade_diffusion.tiny.digits import DIGIT_WORDS

FORMATS = ("jsonl", "csv")

# Each input is an image to draw; the (prompt, sample) inputs are listed in memory. A larger
# samples_per_prompt (a typo such as 9223372036854775807) would fill the memory, not fail.
MOST_INPUTS = 1_000_000


def read_rows(
    path: str | Path, file_format: str | None = None, prompt_field: str = "prompt"
) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a JSONL file (one object per line) or a CSV file with a header, each with its
    line in the file, so an error names the line a user opens (not the header, nor a count that
    skips blank lines).

    A CSV whose header lacks ``prompt_field`` is refused by its columns, not row by row, and a
    UTF-8 byte-order mark (what spreadsheet programs write first) is dropped: kept, it would
    glue itself to the first column's name, and a correct ``prompt`` column would not be found.
    """
    path = Path(path).expanduser()
    if not path.is_file():  # a folder that is there was said not to exist, sending one to look
        where = f"dataset 'prompts': path {str(path)!r}"
        gone = f"{where} is a directory" if path.is_dir() else missing_file(where, path)
        raise FfadeError(f"{gone}; give a .jsonl or .csv file")
    file_format = file_format or path.suffix.lower().lstrip(".")
    file_format = "jsonl" if file_format == "json" else file_format
    if file_format not in FORMATS:
        raise FfadeError(
            f"dataset 'prompts': format {file_format!r} of {str(path)!r} is not allowed; use "
            f"one of "
            f"{', '.join(FORMATS)} (set 'file_format' when the suffix says otherwise)"
        )
    lines = read_text_lines(path, "dataset 'prompts'")
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    if file_format == "csv":
        reader = csv.DictReader(lines)
        columns = reader.fieldnames or []
        if columns and prompt_field not in columns:
            raise FfadeError(
                f"dataset 'prompts': {str(path)!r} has no {prompt_field!r} column (its columns: "
                f"{', '.join(columns)}); name the prompts' column {prompt_field!r} or set "
                "prompt_field"
            )
        return [(reader.line_num, row) for row in reader]
    rows = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise FfadeError(
                    f"dataset 'prompts': {path} line {number} is not JSON: {exc.msg}"
                ) from exc
    return rows


def _entry(row: Any, place: str, prompt_field: str, label_field: str) -> tuple[str, int | None]:
    if isinstance(row, str):
        return row, None
    if not isinstance(row, dict) or not isinstance(row.get(prompt_field), str):
        raise FfadeError(
            f"dataset 'prompts': {place} must be a prompt string or an object with a "
            f"{prompt_field!r} string (set prompt_field), got {row!r}"
        )
    label = row.get(label_field)
    if label in (None, ""):
        return row[prompt_field], None
    # int() alone cut 7.5 to 7 and read true as 1: the judge then checked another class
    whole = isinstance(label, str) or (isinstance(label, float) and label.is_integer())
    try:
        if isinstance(label, bool) or not (isinstance(label, int) or whole):
            raise ValueError(label)
        return row[prompt_field], int(label)
    except (TypeError, ValueError) as exc:
        raise FfadeError(
            f"dataset 'prompts': {place} has {label_field!r} {label!r}; expected a class index"
        ) from exc


class PromptsDataset(Dataset):
    """Prompts to generate from, with an optional class label each.

    Args:
        prompts: the base prompts inline: strings, or objects ``{prompt: ..., label: ...}``.
        path: or a ``.jsonl`` / ``.csv`` file of such objects (not both).
        samples_per_prompt: noise samples per base prompt; each is one input.
        fractions: shares of the (prompt, sample) inputs for discovery, fine-tuning, held-out.
        seed: fixes the split.
        prompt_field: the field holding the prompt.
        label_field: the field holding the class index (optional per row).
        file_format: "jsonl" or "csv" when the suffix does not say.
    """

    path_arguments = ("path",)  # recorded absolute: a resume finds them from anywhere

    config_name = "prompts"  # how errors name the dataset: the name a config gives it

    def __init__(
        self,
        prompts: Sequence[str | dict[str, Any]] | None = None,
        path: str | None = None,
        samples_per_prompt: int = 1,
        fractions: Sequence[float] = (0.4, 0.3, 0.3),
        seed: int = 0,
        prompt_field: str = "prompt",
        label_field: str = "label",
        file_format: str | None = None,
    ) -> None:
        super().__init__(seed)
        what = f"dataset {self.config_name!r}"
        if prompts is None and path is None:
            raise FfadeError(f"{what}: give 'prompts' (a list) or 'path' (a file); neither is set")
        if prompts is not None and path is not None:
            raise FfadeError(f"{what}: give either 'prompts' (a list) or 'path' (a file), not both")
        if file_format is not None and file_format not in (*FORMATS, "json"):  # said, not unused
            raise FfadeError(
                f"{what}: file_format {as_written(file_format)} is not allowed; use one of "
                f"{', '.join(FORMATS)}, or null (a path's suffix says)"
            )
        whole = isinstance(samples_per_prompt, int) and not isinstance(samples_per_prompt, bool)
        if not (whole and samples_per_prompt >= 1):
            raise FfadeError(
                f"{what}: samples_per_prompt must be at least 1 (a whole number), got "
                f"{as_written(samples_per_prompt)}"
            )
        if isinstance(prompts, (str, dict)):  # list("a {x}") would make one prompt a letter
            raise FfadeError(
                f"{what}: prompts must be a list of prompts, got one {type(prompts).__name__}: "
                f"{prompts!r}; write prompts: [{prompts!r}]"
            )
        if prompts is not None:
            # named as the config spells each, prompts[1], so ffade fit names the full key
            rows, places = list(prompts), [f"prompts[{i}]" for i in range(len(prompts))]
        else:
            numbered = read_rows(path, file_format, prompt_field)
            rows, places = [r for _, r in numbered], [f"{path} line {n}" for n, _ in numbered]
        entries = [
            _entry(r, p, prompt_field, label_field) for r, p in zip(rows, places, strict=True)
        ]
        if not entries:
            raise FfadeError("dataset 'prompts': no prompts given")
        for (text, _), place in zip(entries, places, strict=True):
            try:  # a malformed template now, named by its place, not when its text is made
                slot_names(text)
            except FfadeError as exc:
                raise FfadeError(f"{what}: {place}: {exc}") from exc
            if not text.strip():  # a blank row: every image drawn from no words at all
                raise FfadeError(
                    f"{what}: {place} is an empty prompt {text!r}; give each prompt words or a "
                    "{slot} a prompt_slot concept fills"
                )
        if len(entries) * samples_per_prompt > MOST_INPUTS:  # else a list past any memory
            raise FfadeError(
                f"{what}: {len(entries)} prompt(s) x samples_per_prompt {samples_per_prompt} "
                f"make {len(entries) * samples_per_prompt} inputs; at most {MOST_INPUTS} are "
                "allowed: lower samples_per_prompt"
            )
        self.items = [
            (Prompt(text, sample), label)
            for text, label in entries
            for sample in range(samples_per_prompt)
        ]
        self.indices = disjoint_split_indices(  # a repeated prompt's sample n in one split
            len(self.items),
            fractions,
            seed,
            what=f"{what}: fractions",
            keys=[(prompt.template, prompt.sample) for prompt, _ in self.items],
        )
        for name, fraction in zip(SPLITS, fractions, strict=True):
            if fraction > 0 and not len(self.indices[name]):  # said here, with the way out
                raise FfadeError(
                    f"{what}: split {name!r} would be empty: {len(entries)} prompt(s) x "
                    f"samples_per_prompt {samples_per_prompt} make {len(self.items)} input(s) "
                    "to share out; give more prompts or a larger samples_per_prompt"
                )

    def split(self, name: str) -> list[tuple[Prompt, int | None]]:
        if name not in SPLITS:
            raise FfadeError(f"split {name!r} is not allowed; choose one of {', '.join(SPLITS)}")
        return [self.items[i] for i in sorted(self.indices[name].tolist())]

    def collate(
        self, items: Sequence[tuple[Prompt, int | None]]
    ) -> tuple[list[Prompt], list[int | None]]:
        """Prompts stay records (concepts set their fields); references stay a list."""
        prompts, labels = zip(*items, strict=True)
        return list(prompts), list(labels)


class DigitPrompts(PromptsDataset):
    """ "a {style} handwritten <digit>" for each digit, labelled, for the bundled tiny models.

    The ``{style}`` slot is where a ``prompt_slot`` concept puts stroke and slant words.

    Args:
        samples_per_prompt: noise samples per digit.
        fractions: shares for discovery, fine-tuning, held-out.
        seed: fixes the split.
    """

    config_name = "digit_prompts"

    def __init__(
        self,
        samples_per_prompt: int = 10,
        fractions: Sequence[float] = (0.4, 0.3, 0.3),
        seed: int = 0,
    ) -> None:
        prompts = [
            {"prompt": f"a {{style}} handwritten {w}", "label": i}
            for i, w in enumerate(DIGIT_WORDS)
        ]
        super().__init__(
            prompts, samples_per_prompt=samples_per_prompt, fractions=fractions, seed=seed
        )
