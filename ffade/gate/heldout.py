"""Which held-out inputs a suite's ``heldout`` pairs may come from, and why there may be none.

A suite's held-out pairs ask whether a fix generalizes: inputs no search and no fine-tune saw.
``ffade export`` leaves out held-out inputs the splits share (by content) and, for a run of
``only_passing_inputs``, those the run's target fails unchanged; each such choice is an
``ffade: note:`` line. A dataset that gives no held-out inputs at all (a plugin's split left
empty, fractions such as ``[0.5, 0.5, 0]``), or none left after those choices, made a suite of
discovery pairs alone without a word: a note now says so, and why.
"""

from __future__ import annotations

from typing import Any

from ffade.disjoint import unseen_heldout
from ffade.passing import passing_ids
from ffade.said_once import say_notes
from ffade.task import Task

NO_HELDOUT = (
    "so the suite holds discovery pairs only and cannot ask whether a fix generalizes to inputs "
    "no search saw"
)


def heldout_input_ids(tasks: dict[str, Task], task: dict[str, Any], batch_size: int) -> list[int]:
    """Positions in the held-out split that a suite's ``heldout`` pairs may name; each input
    left out, and a split that leaves none, is said in an ``ffade: note:`` line."""
    name = task["dataset"]["name"]
    if "heldout" not in tasks:  # split_tasks keeps no task for an empty split
        say_notes(
            [
                f"dataset '{name}' gives no inputs in split 'heldout', {NO_HELDOUT}; give the "
                "dataset held-out inputs (docs/plugins.md, Dataset)"
            ]
        )
        return []
    heldout, discovery = tasks["heldout"].inputs, tasks["discovery"]
    ids, notes = unseen_heldout(discovery.dataset, heldout, name, discovery.inputs)
    why = f"all {len(heldout)} of its held-out inputs are discovery or fine-tuning inputs too"
    if ids and task.get("only_passing_inputs"):
        ids, note = passing_heldout(tasks["heldout"], ids, batch_size)
        notes.append(note)
        why = "the run's target gets none of its held-out inputs right unchanged"
    if not ids:
        notes.append(f"dataset '{name}': no held-out input is left ({why}), {NO_HELDOUT}")
    say_notes(notes)
    return ids


def passing_heldout(heldout: Task, ids: list[int], batch_size: int) -> tuple[list[int], str]:
    """Of these held-out ids, those the run's target gets right unchanged; and a note saying so.

    The run searched only such inputs (``task.only_passing_inputs``), so its failures are the
    concepts' doing; a held-out input the target fails anyway would count a failure no concept
    caused, as the fine-tuner's guard does not either.
    """
    passing = set(passing_ids(heldout, batch_size).tolist())
    kept = [i for i in ids if i in passing]
    note = (
        f"task.only_passing_inputs: held-out pairs come from the {len(kept)} of {len(ids)} "
        "held-out inputs the run's target gets right unchanged"
    )
    return kept, note
