"""The ``next:`` line of a loop whose fix the guard rejected: what to change, and where.

A fine-tune alone closes a rejected fix with the options that would change the verdict
(:mod:`ffade.run_endings`: ``--model.init_args.learning_rate``, ``--trainer.max_epochs``), but
``ffade loop`` stopped at the rejected fix with its reason and no way on: its fine-tune takes no
command-line options, so the line names the keys to change in the loop's mitigate config (or
the priorities in its feedback file) and the command that runs the loop again. A fix rejected on a
held-out split so small that one input is past the tolerance gets the fine-tune's note before it
(:mod:`ffade.guard_grain`), naming the mitigate config's key: the loop printed only the learning
rate and clean_share advice, which no fine-tune can meet there.
"""

from __future__ import annotations

from typing import Any

from ffade.guard_grain import one_input_note
from ffade.loop_config import LoopConfig
from ffade.shell_words import shell_path


def rejected_next(record: dict[str, Any], config: LoopConfig, loop_file: str) -> str | None:
    """``next: ...`` for a loop whose ``record`` (loop.json's) says ``rejected``, else None; after
    a ``note: one of the 90 held-out inputs ...`` line where one input is past the tolerance.

    ``config``: the loop config as read from ``loop_file`` (as typed), whose stage files are
    named as it names them (read from the current directory, as the rerun command is)."""
    if record.get("status") != "rejected":
        return None
    from ffade.run_endings import fixed_nothing  # numpy and the explorer's: not for --help

    mitigation = record.get("mitigation") or {}
    mitigate = f"{shell_path(config.mitigate)} (the loop's mitigate config)"
    if fixed_nothing(mitigation):
        change = (
            "to train more, raise trainer.max_epochs or model.init_args.learning_rate in "
            f"{mitigate}"
        )
    else:
        change = (
            "to lose less clean accuracy, lower model.init_args.learning_rate or raise "
            f"model.init_args.clean_share in {mitigate}, or change the priorities in "
            f"{shell_path(config.feedback)}"
        )
    again = f"ffade loop --config {shell_path(loop_file)}"
    line = f"next: the original model is kept; {change}, then run the loop again: {again}"
    where = f" in {shell_path(config.mitigate)}"
    note = one_input_note(mitigation, "model.init_args.clean_tolerance:", where)
    return line if note is None else f"{note}\n{line}"
