"""The report a rediscovery ends with: ``ffade report FIRST --compare THIS``.

docs/mitigation.md's step 5 (verify: discover again, compare) is the reason to discover again on
a fixed model, yet the rediscovery that an accepted fine-tune's ``next:`` line runs ended like
any discovery, ``next: ffade report THIS``: a report of the new run alone, which says nothing of
what the fix changed. A run warm-started from another run directory (``warm_start``, summary.json's
hyperparameters) names the command that compares the two instead, with ``--slices regions`` where
the first run's priorities were given to its regions (the text quickstart's), since a comparison
of rules then judges none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.shell_words import shell_path
from ffade.yamlfile import read_yaml

FEEDBACK_FILE = "feedback.yaml"
"""The first run's priorities, where ``ffade feedback`` saves them (ffade.feedback's name; the
feedback package sits above this module, which the run's ending imports)."""


def report_arguments(run_dir: Path, summary: dict[str, Any]) -> str:
    """``ffade report``'s arguments for the run in ``run_dir`` (as the user typed it), whose
    summary.json is ``summary``: ``FIRST --compare THIS`` for a run warm-started from another
    run directory that is still there, else ``THIS``."""
    run = shell_path(run_dir)
    hyperparameters = summary.get("hyperparameters")
    warm = hyperparameters.get("warm_start") if isinstance(hyperparameters, dict) else None
    if not isinstance(warm, str) or not warm:
        return run
    first = Path(warm).expanduser()
    if first.is_file() and first.parent.name == "checkpoints":  # RUN/checkpoints/last.ckpt
        first = first.parent.parent
    if not (first / "summary.json").is_file() or first.resolve() == run_dir.resolve():
        return run
    return f"{shell_path(first)} --compare {run}{_slices(first)}"


def _slices(first_dir: Path) -> str:
    """`` --slices regions`` where the first run's feedback.yaml ranks regions, else nothing
    (rules, the report's default, or no priorities given)."""
    try:
        feedback = read_yaml(first_dir / FEEDBACK_FILE, "no feedback.yaml")
    except FfadeError:  # no priorities, or a file the report itself would refuse
        return ""
    slices = feedback.get("slices") if isinstance(feedback, dict) else None
    return " --slices regions" if slices == "regions" else ""
