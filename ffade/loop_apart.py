"""``ffade loop``'s check, before its first stage, that its fine-tune will have inputs apart
from the discovery's.

A dataset whose held-out inputs are all copies of inputs the search saw (or of fine-tuning
inputs), or whose fine-tuning inputs all are, was refused by the fine-tune
(:func:`ffade.disjoint.keep_apart`) only after the discovery and the feedback had run. The loop
now makes the same check on the same inputs first, where that is cheap: it reads and digests
every input the fine-tune would compare (the discovery's chosen inputs, the fine-tuning inputs
up to ``max_finetune_inputs``, the whole held-out split), so it runs only when they number at
most :data:`APART_CHECK_INPUTS` together. A larger dataset (a folder of 50,000 photos: minutes
of decoding) is left to the fine-tune, as is a search of ``only_passing_inputs``, whose inputs
are known only once the target has run on them. Copies short of all of a split pass here too:
the fine-tune leaves them out and says so.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ffade.errors import FfadeError
from ffade.loop_config import LoopConfig

APART_CHECK_INPUTS = 2_000
"""The most inputs (of the three splits, as the fine-tune reads them) the loop digests up front:
every bundled dataset's fit (digits' 1,797 at most, tiny_news' 800), in well under a second."""


def plugin_name(spec: Any) -> str:
    """A plugin's name as a task gives it: ``name`` or ``{name, args}``."""
    return spec if isinstance(spec, str) else spec["name"]


def check_inputs_apart(
    config: LoopConfig, task: dict[str, Any], fixing: dict[str, Any], dataset: Any
) -> None:
    """Refuse, in the fine-tune's own line prefixed by the discover file, a dataset whose
    held-out (or fine-tuning) inputs would all be left out as copies. ``task``: the discovery's,
    resolved; ``fixing``: the fine-tuner's init_args, resolved; ``dataset``: the task's, built
    (by :func:`ffade.loop_kinds.check_stage_splits`: building the digits took 5 s of a busy
    machine; comparing the quickstart's 64 + 719 + 359 inputs, 0.13 s). A dataset that cannot
    be read here is left to the discovery, which says why in its own words."""
    from ffade.disjoint import keep_apart
    from ffade.plugin_checks import split_pairs, split_sequence
    from ffade.task import TaskSpec, chosen_pairs

    if task.get("only_passing_inputs"):
        return
    limit = fixing.get("max_finetune_inputs")
    try:
        run = TaskSpec(**dict(task, split="discovery"))
        sizes = [len(split_sequence(dataset, s)) for s in ("discovery", "finetune", "heldout")]
        if run.max_inputs is not None:
            sizes[0] = min(sizes[0], run.max_inputs)
        if isinstance(limit, int):
            sizes[1] = min(sizes[1], limit)
        if sum(sizes) > APART_CHECK_INPUTS:
            return  # the fine-tune checks it, after reading these inputs anyway
        chosen_pairs(dataset, run)  # the run's input_ids: refused by the discovery, not here
        finetune = SimpleNamespace(
            dataset=dataset, inputs=split_pairs(dataset, "finetune", first=limit), notes=[]
        )
    except Exception:  # the discovery reads it again and says why (or crashes, as before)
        return
    try:
        keep_apart(finetune, dict(task), plugin_name(task["dataset"]))  # type: ignore[arg-type]
    except FfadeError as exc:
        raise FfadeError(f"{config.discover}: {exc}") from exc
