"""The ``next:`` line of a loop whose fix the guard rejected: what to change, and where.

A fine-tune alone closes a rejected fix with the options that would change the verdict
(:mod:`ffade.run_endings`: ``--model.init_args.learning_rate``, ``--trainer.max_epochs``), but
``ffade loop`` stopped at the rejected fix with its reason and no way on: its fine-tune takes no
command-line options, so the line names the keys to change in the loop's mitigate config (or
the priorities in its feedback file) and the command that runs the loop again.
"""

from __future__ import annotations

from typing import Any

from ffade.loop_config import LoopConfig
from ffade.shell_words import shell_path


def rejected_next(record: dict[str, Any], config: LoopConfig, loop_file: str) -> str | None:
    """``next: ...`` for a loop whose ``record`` (loop.json's) says ``rejected``, else None.

    ``config``: the loop config as read from ``loop_file`` (as typed), whose stage files are
    named as it names them (read from the current directory, as the rerun command is)."""
    if record.get("status") != "rejected":
        return None
    from ffade.run_endings import fixed_nothing  # numpy and the explorer's: not for --help

    mitigate = f"{shell_path(config.mitigate)} (the loop's mitigate config)"
    if fixed_nothing(record.get("mitigation") or {}):
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
    return f"next: the original model is kept; {change}, then run the loop again: {again}"
