"""The comparison a rediscovery ends with: ``ffade report FIRST --compare THIS``.

docs/mitigation.md's step 5 (verify: discover again, compare) is the reason to discover again on
a fixed model, yet the rediscovery that an accepted fine-tune's ``next:`` line runs ended like
any discovery, ``next: ffade report THIS``: a report of the new run alone, which says nothing of
what the fix changed. A run warm-started from another (``warm_start``, summary.json's
hyperparameters) names the command that compares the two, with ``--slices regions`` where the
first run's priorities were given to its regions (the text quickstart's), since a comparison of
rules then judges none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.shell_words import absolute, shell_path
from ffade.yamlfile import read_yaml

FEEDBACK_FILE = "feedback.yaml"
"""The first run's priorities, where ``ffade feedback`` saves them (ffade.feedback's name; the
feedback package sits above this module, which the run's ending imports)."""


def compare_line(run_dir: Path, summary: dict[str, Any]) -> str | None:
    """``compare it with the run it started from: ffade report FIRST --compare THIS`` for the run
    in ``run_dir`` (as the user typed it), whose summary.json is ``summary``; None for a run not
    warm-started, or whose first run is no longer a run directory. Both paths are absolute, as
    ``continue it:`` names them: the first run was typed from another folder, as likely as not."""
    hyperparameters = summary.get("hyperparameters")
    first = hyperparameters.get("warm_start") if isinstance(hyperparameters, dict) else None
    if not isinstance(first, str) or not (Path(first) / "summary.json").is_file():
        return None
    first_dir = absolute(Path(first).expanduser())
    if first_dir == absolute(run_dir):
        return None
    command = (
        f"ffade report {shell_path(first_dir)} --compare {shell_path(absolute(run_dir))}"
        f"{_slices(first_dir)}"
    )
    return f"compare it with the run it started from: {command}"


def _slices(first_dir: Path) -> str:
    """`` --slices regions`` where the first run's feedback.yaml ranks regions, else nothing
    (rules, the report's default, or no priorities given)."""
    try:
        feedback = read_yaml(first_dir / FEEDBACK_FILE, "no feedback.yaml")
    except FfadeError:  # no priorities, or a file the report itself would refuse
        return ""
    slices = feedback.get("slices") if isinstance(feedback, dict) else None
    return " --slices regions" if slices == "regions" else ""
