"""Whether a feedback file ranks a given run's failures: the same grid, and that run.

A fine-tune and ``ffade export`` both read priorities beside a run; another grid's file would
index the wrong states (or crash), and another run's on the same grid would silently act on what a
person ranked for another model or search. Kept apart from :mod:`ffade.mitigate`, whose package
imports Lightning, so that ``ffade export`` starts without it.
"""

from __future__ import annotations

from pathlib import Path

from ffade.errors import FfadeError
from ffade.feedback.priorities import Feedback, refuse_another_concept_order
from ffade.records import read_summary
from ffade.shell_words import shell_path


def grid_difference(feedback: dict[str, list], run: dict[str, list]) -> str:
    """Where two grids differ, concept by concept: the whole grids make an unreadable line."""
    parts = [f"{label} only in the feedback" for label in feedback if label not in run]
    parts += [f"{label} only in the run" for label in run if label not in feedback]
    parts += [
        f"{label}: {feedback[label]} in the feedback, {run[label]} in the run"
        for label in feedback
        if label in run and feedback[label] != run[label]
    ]
    return "; ".join(parts)


def check_feedback_ranks_run(
    path: Path, answers: Feedback, run_dir: Path, *, option: str, run_name: str, other_fix: str
) -> None:
    """Refuse ``answers`` (read from ``path``) unless they rank ``run_dir``'s failures.

    A run's own feedback.yaml (a copied or moved run's too) is always its own; a file kept
    elsewhere is refused when the run it names exists and is another. ``option`` names the
    setting that gave the file, ``run_name`` the run, ``other_fix`` the second way out.
    """
    grid = {c["label"]: list(c["values"]) for c in read_summary(run_dir).get("concepts", [])}
    if answers.concepts != grid:
        raise FfadeError(
            f"{path}: its concepts are not the grid of run {shell_path(run_dir)} "
            f"({grid_difference(answers.concepts, grid)}); give the feedback made for this run"
        )
    refuse_another_concept_order(path, list(answers.concepts), list(grid), run_dir)
    ranked = Path(answers.run)
    if path.resolve().parent == run_dir.resolve() or not ranked.is_dir():
        return
    if ranked.resolve() != run_dir.resolve():
        raise FfadeError(
            f"{option} {path} ranks the failures of run {answers.run}, not of {run_name}; "
            f"give this run's feedback (ffade feedback {shell_path(run_dir)}), or {other_fix}"
        )
