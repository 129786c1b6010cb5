"""Checks on a Hugging Face model a target loads, for mistakes the libraries word badly or miss.

Shared by the plugins whose targets and rewards read ``save_pretrained`` directories
(ffade-text's ``hf_pipeline`` and ``seq2seq_summarizer``, ffade-vision's ``hf_image_pipeline``,
ffade-diffusion's ``clip_score``). Each check raises a one-line :class:`PluginError` naming the
target or reward (``kind``); none imports transformers. :func:`quiet_saving` keeps the tiny
models ffade and its tests build from printing transformers' progress bars.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ffade.errors import PluginError
from ffade.shell_words import shell_path
from ffade.written import as_written

CONFIG_FILES = ("config.json", "adapter_config.json")
"""What a model directory holds at least one of: a model's config, or a LoRA adapter's."""


def fetch_hint(folder: str | Path) -> str:
    """What to do about a model folder that is not there: the download command with the folder
    filled in. A path does not say which hub model it should hold, so ``HUB_ID`` stays a
    placeholder, said as one (a bare "hf download HUB_ID --local-dir DIR" left both to guess)."""
    return (
        f"download the model there first (hf download HUB_ID --local-dir {shell_path(folder)}, "
        "HUB_ID being the model's id on the Hugging Face hub, as the config's comments or the "
        "plugin's README name it), or give a hub id already in the Hugging Face cache"
    )


def looks_like_path(model: str) -> bool:
    """Whether ``model`` is written as a path, not a hub id (``name`` or ``org/name``): it starts
    with ``./``, ``../``, ``/`` or ``~`` (a hub id starts with none: no ``.`` either), or has
    more than one separator (``models/team/sst2``)."""
    parts = model.replace(os.sep, "/").split("/")
    return model.startswith((".", "/", "~", os.sep)) or len(parts) > 2


def check_model_exists(model: str, where: str) -> None:
    """A ``model`` written as a path (:func:`looks_like_path`) that is not there is refused in
    one line naming the absolute path it was read as: the loaders took it for a hub id and
    talked of the Hugging Face cache, and a relative path is read from the current directory,
    which the user may not have had in mind. ``where`` begins the line (``target 'x'``)."""
    path = Path(model).expanduser()
    if looks_like_path(model) and not path.exists():
        folder = path.resolve()
        raise PluginError(
            f"{where}: model {model!r}: no such folder {folder}; {fetch_hint(folder)}"
        )


def check_model_path(model: str, plugin: str, kind: str = "target") -> None:
    """A ``model`` that is a file, or a directory without a config, is refused in one line, and
    so is one written as a path that is not there (:func:`check_model_exists`).

    A file (a ``model.safetensors`` or a ``model.pt``) read as "model directory ... does not
    exist", although it does; a directory without ``config.json`` (weights copied without it, or
    an image folder) read as transformers' "Should have a `model_type` key in its config.json".
    Anything else (a hub id) is left to the caller.
    """
    check_model_exists(model, f"{kind} '{plugin}'")
    path = Path(model).expanduser()
    where = f"{kind} '{plugin}': model {model!r}"
    if path.is_file():
        raise PluginError(
            f"{where} is a file, not a model directory; give the directory save_pretrained "
            "wrote (config.json and the weights), and a state-dict file (model.pt) as weights"
        )
    if path.is_dir() and not any((path / name).is_file() for name in CONFIG_FILES):
        raise PluginError(
            f"{where} has no config.json; give the directory save_pretrained wrote (config.json "
            "and the weights), or copy the model's config.json into it"
        )


def check_tokenizer(tokenizer: Any, model: str, plugin: str, kind: str = "target") -> None:
    """A tokenizer whose vocabulary is its special tokens alone is refused in one line.

    transformers 5 builds such a tokenizer, with no warning, from a model directory that has
    no tokenizer files: every word then reads as unknown and a run searched a model that saw
    nothing of its texts (the tiny sentiment model, 75 failures where it has 720).
    """
    try:
        size = len(tokenizer)
        special = len(set(tokenizer.all_special_ids))
    except (TypeError, AttributeError):  # not a transformers tokenizer: nothing to judge
        return
    if size <= special:
        raise PluginError(
            f"{kind} '{plugin}': the tokenizer of {model!r} has no vocabulary (its {size} "
            "tokens are all special ones): the tokenizer files (tokenizer.json, vocab.txt, ...) "
            "are missing; save the tokenizer into the model directory "
            "(tokenizer.save_pretrained(DIR))"
        )


def check_trained_head(info: dict[str, Any], model: str, plugin: str, task: str) -> None:
    """A checkpoint that lacks weights the model needs (a base model's missing classifier head)
    is refused in one line.

    transformers fills them with random values and prints a table of them: a summarizer or
    ``bert-base-uncased`` read as a classifier ran the search on random guesses. ``info`` is
    ``from_pretrained(..., output_loading_info=True)``'s second value.
    """
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        more = ", ..." if len(missing) > 3 else ""
        raise PluginError(
            f"target '{plugin}': model {model!r} is no trained {task} model: {len(missing)} of "
            f"its weights are not in the checkpoint and would be random ({', '.join(missing[:3])}"
            f"{more}); give a model fine-tuned for {task}"
        )


def label_columns(names: list[str], labels: Any, plugin: str, example: str) -> list[int]:
    """For each dataset class (``labels``, in reference order), the index of the model's label
    ``names`` entry of that name, case aside; every model output in order when ``labels`` is None.

    One for ``hf_pipeline`` and ``hf_image_pipeline``: a string would be read as its letters and
    a repeat would make two dataset classes one, so both are refused in one line (``example``
    shows a list, ``[cat, dog]``). Names are compared as text: YAML reads ``labels: [0, 1]`` as
    numbers, which a model labelled "0", "1" must still match.
    """
    if labels is None:
        return list(range(len(names)))
    listed = isinstance(labels, list | tuple)
    if not listed or len({str(x).lower() for x in labels}) != len(labels):
        raise PluginError(
            f"target '{plugin}': labels must be a list of distinct names, e.g. {example}; "
            f"got {as_written(labels)}"
        )
    lowered = [n.lower() for n in names]
    missing = [label for label in labels if str(label).lower() not in lowered]
    if missing:
        raise PluginError(
            f"target '{plugin}': labels: {str(missing[0])!r} is not one of the model's labels "
            f"({', '.join(names[:20])}{', ...' if len(names) > 20 else ''})"
        )
    return [lowered.index(str(label).lower()) for label in labels]


@contextmanager
def quiet_saving() -> Iterator[None]:
    """Save Hugging Face models in the block without transformers' "Writing model shards"
    progress bars: a tiny model written in a fraction of a second (a test fixture's, a bundled
    model's) is no progress a user waits on, and each bar left lines of noise on stderr. The
    bars' settings (transformers' and the hub's) are as before afterwards."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )
    from transformers.utils import logging

    shown, hub_hidden = logging.is_progress_bar_enabled(), are_progress_bars_disabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            logging.enable_progress_bar()
        if hub_hidden:  # transformers switches the hub's bars with its own
            disable_progress_bars()
        else:
            enable_progress_bars()
