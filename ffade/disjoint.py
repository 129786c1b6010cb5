"""The check that discovery, fine-tuning and held-out inputs are really apart, by content.

A dataset plugin promises three disjoint splits (docs/plugins.md), but nothing else enforced it:
one whose ``split`` ignored its name, or a folder holding the same photo twice, would train the
fix on the inputs the search found failing, or judge it on the inputs it was trained on, and
the held-out numbers would flatter it: the flaw ffade exists to avoid. Inputs are compared by
content (a digest of their bytes), not by position, so a copy counts wherever it sits. The
fine-tuners, and ``ffade export`` for a suite's held-out pairs, leave the copies out and say so,
rather than refusing data with a few duplicates.
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any

import numpy as np
import torch

from ffade.errors import FfadeError
from ffade.plugin_checks import split_pairs
from ffade.task import Task, TaskSpec, chosen_pairs


def fingerprint(item: Any) -> bytes | None:
    """A digest of an input's content: equal inputs, equal digests. None for an input that
    cannot be read as bytes (it is then compared with nothing)."""
    digest = hashlib.blake2b(digest_size=16)
    try:
        _feed(digest, item)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError):
        return None
    return digest.digest()


def _feed(digest: Any, item: Any) -> None:
    if isinstance(item, torch.Tensor):
        item = item.detach().cpu()
        digest.update(f"tensor {item.dtype} {tuple(item.shape)}".encode())
        digest.update(item.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(item, np.ndarray):
        digest.update(f"array {item.dtype} {item.shape}".encode())
        digest.update(np.ascontiguousarray(item).tobytes())
    elif isinstance(item, dict):
        digest.update(b"dict")
        for key in sorted(item, key=repr):
            digest.update(repr(key).encode())
            _feed(digest, item[key])
    elif isinstance(item, (list, tuple)):
        digest.update(f"{type(item).__name__} {len(item)}".encode())
        for part in item:
            _feed(digest, part)
    else:  # texts, numbers, a plugin's own (frozen) records such as prompts
        digest.update(pickle.dumps(item, protocol=4))


def inputs_digest(pairs: list[Any]) -> str | None:
    """One digest of the inputs of (input, reference) ``pairs``, in order: what a discovery run
    records (summary.json's ``inputs_digest``) so that a fine-tune can tell whether the dataset
    still gives the inputs the run searched. None when an input has no digest."""
    digest = hashlib.blake2b(digest_size=16)
    for pair in pairs:
        key = fingerprint(pair[0])
        if key is None:
            return None
        digest.update(key)
    return digest.hexdigest()


def check_searched(pairs: list[Any], searched_digest: str | None, dataset: str) -> None:
    """Refuse, in one line, ``pairs`` read again as a run's searched inputs that are not the
    ones it searched (``searched_digest``, its summary.json's ``inputs_digest``; None: a run
    from before it was recorded, not checked): a fine-tune would keep apart from, and a suite
    would measure, other inputs than the search saw."""
    if searched_digest is not None and inputs_digest(pairs) != searched_digest:
        raise FfadeError(_other_inputs(dataset))


def check_exported(pairs: list[Any], searched_digest: str | None, dataset: str) -> None:
    """Refuse, in one line, a suite's discovery inputs read again that are not the ones its run
    searched (``searched_digest``, the suite's ``source.inputs_digest``; None: a suite exported
    before it was recorded, not checked): its pairs index them by position, so on a folder
    changed since, ``ffade check`` would judge other pairs than export measured, and its held-out
    pairs could be inputs the search saw."""
    if searched_digest is not None and inputs_digest(pairs) != searched_digest:
        raise FfadeError(
            f"dataset '{dataset}' no longer gives the discovery inputs the run searched "
            f"{CHANGED_SINCE}, so the suite's pairs would be other inputs than those it was "
            "exported with; export the suite again from a run on the data as it is now"
        )


def check_resumed(now: str | None, searched: str | None, dataset: str, where: str) -> None:
    """Refuse, in one line, a resumed search whose dataset gives other inputs (digest ``now``)
    than its first part searched (``searched``, what the checkpoint or the run's summary.json
    recorded; None: a run from before it was recorded, not checked): the memo, the failures
    found and the input ids of its log would be carried over to other inputs, in silence."""
    if searched is not None and now != searched:
        raise FfadeError(
            f"{where}: dataset '{dataset}' no longer gives the discovery inputs the run searched "
            f"{CHANGED_SINCE}, so the resumed search would go on over other inputs than its "
            "first part searched; put the data back as it was to resume it, or drop --ckpt_path "
            "to start a new run on the data as it is now"
        )


def keep_apart(
    task: Task, run_spec: dict[str, Any], dataset: str, searched_digest: str | None = None
) -> tuple[list[Any], dict[str, int]]:
    """Leave out of a fine-tune what its dataset's splits share; return the held-out pairs kept
    and how many inputs of each split were left out (``finetune``, ``heldout``), for the record.

    ``task`` is the fine-tuner's task on the finetune split: its inputs lose those equal to an
    input the search saw (the discovery pairs of ``run_spec``, the run's task, with its
    ``max_inputs`` and ``input_ids``: a large split is not read whole), and the heldout split
    those equal to a searched input or to a fine-tuning input kept (the fix would be judged on
    what it saw). What is left out is said in ``task.notes``; a split left empty (or empty to
    begin with: the held-out inputs judge the fix) is one error line.

    The searched inputs are read again from the dataset as built now, so ``searched_digest``
    (the run's ``inputs_digest``; None: not recorded, no check) must match them: a photo added
    to an ``image_folder`` since the run reshuffles its splits, and searched photos then sat
    in the fine-tuning and held-out splits with nothing left out (one error line instead).
    """
    run = TaskSpec(**dict(run_spec, split="discovery"))
    chosen = chosen_pairs(task.dataset, run)
    check_searched(chosen, searched_digest, dataset)
    _, searched = unseen(chosen, set())
    heldout = split_pairs(task.dataset, "heldout")
    keep, trained = unseen(task.inputs, searched)
    left_out = {"finetune": len(task.inputs) - len(keep)}
    if left_out["finetune"]:
        shared = left_out["finetune"]
        task.notes.append(_note(dataset, "fine-tuning", shared, len(task.inputs), "discovery"))
    if not keep:
        raise FfadeError(
            f"dataset '{dataset}': every fine-tuning input is also a discovery input; "
            + SPLITS_APART
        )
    task.inputs = [task.inputs[i] for i in keep]
    keep, _ = unseen(heldout, searched | trained)
    if not keep:
        raise FfadeError(_no_heldout(dataset, len(heldout)))
    left_out["heldout"] = len(heldout) - len(keep)
    if left_out["heldout"]:
        task.notes.append(_held_out_note(dataset, left_out["heldout"], len(heldout)))
    return [heldout[i] for i in keep], left_out


def unseen_heldout(
    dataset: Any, heldout: list[Any], name: str, searched: list[Any]
) -> tuple[list[int], list[str]]:
    """Positions of the held-out pairs whose input is neither one the search saw (``searched``)
    nor one of the finetune split (what a regression suite samples), and a note when some are."""
    _, seen = unseen(searched + split_pairs(dataset, "finetune"), set())
    keep, _ = unseen(heldout, seen)
    shared = len(heldout) - len(keep)
    return keep, [_held_out_note(name, shared, len(heldout))] if shared else []


def unseen(pairs: list[Any], seen: set[bytes]) -> tuple[list[int], set[bytes]]:
    """Positions of the (input, reference) pairs whose input is not in ``seen``, and those
    inputs' digests (an input without a digest is kept and compared with nothing)."""
    keep, digests = [], set()
    for position, pair in enumerate(pairs):
        key = fingerprint(pair[0])
        if key is None:
            keep.append(position)
        elif key not in seen:
            keep.append(position)
            digests.add(key)
    return keep, digests


CHANGED_SINCE = (
    "(its files were added, removed or changed since, or its splits draw on more than its "
    "arguments)"
)
"""Why a dataset may give other inputs than a run searched, as every refusal of it says."""

SPLITS_APART = "a dataset's splits must not share an input (docs/plugins.md, Dataset)"


def _note(dataset: str, split: str, shared: int, of: int, where: str) -> str:
    return (
        f"dataset '{dataset}': {shared} of {of} {split} inputs are identical to {where} inputs "
        f"and are left out; {SPLITS_APART}"
    )


def _other_inputs(dataset: str) -> str:
    """Why a fine-tune cannot keep apart from what the run searched: the inputs differ now."""
    return (
        f"dataset '{dataset}' no longer gives the discovery inputs the run searched "
        f"{CHANGED_SINCE}, so the fine-tuning and held-out inputs cannot be kept apart from "
        "them; run the discovery again on the data as it is now"
    )


def _no_heldout(dataset: str, of: int) -> str:
    """Why no held-out input is left to judge a fix on: the split is empty, or all copies."""
    if not of:
        return (
            f"dataset '{dataset}' has no inputs in split 'heldout', on which a fine-tune judges "
            "its fix; give the dataset held-out inputs (docs/plugins.md, Dataset)"
        )
    return (
        f"dataset '{dataset}': every held-out input is also a discovery or fine-tuning input, "
        f"so none is left to judge the fix on; {SPLITS_APART}"
    )


def _held_out_note(dataset: str, shared: int, of: int) -> str:
    return _note(dataset, "held-out", shared, of, "discovery or fine-tuning")
