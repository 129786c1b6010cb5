"""The priorities ``ffade.mitigate`` applies, and a run's feedback.yaml and pictures kept as they
were, so a refused call can put back what it applied (:func:`ffade.api.calls.mitigate`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError, shown
from ffade.records import atomic_path
from ffade.shell_words import shell_path

DEFAULT_PRIORITIES = {"regions": [{"rank": 1, "priority": "high"}], "default": "skip"}
"""What :func:`ffade.api.calls.mitigate` fixes when told nothing: the first failure rule
(``run.rules[0]``)."""


@dataclass(frozen=True)
class FeedbackFiles:
    """A run's feedback.yaml and feedback pictures as they were, to put back after a refusal."""

    run_dir: Path
    files: dict[Path, bytes | None]
    pictures_existed: bool

    @classmethod
    def of(cls, run_dir: Path) -> FeedbackFiles:
        from ffade.feedback.picture_files import PICTURES_DIR
        from ffade.feedback.priorities import FEEDBACK_FILE

        yaml, pictures = run_dir / FEEDBACK_FILE, run_dir / PICTURES_DIR
        files = {yaml: yaml.read_bytes() if yaml.is_file() else None}
        files.update({p: p.read_bytes() for p in picture_files(pictures)})
        return cls(run_dir, files, pictures.is_dir())

    def restore(self) -> None:
        from ffade.feedback.picture_files import PICTURES_DIR
        from ffade.feedback.priorities import FEEDBACK_FILE

        pictures = self.run_dir / PICTURES_DIR
        for path in [self.run_dir / FEEDBACK_FILE, *picture_files(pictures), *self.files]:
            old = self.files.get(path)
            if old is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != old:
                with atomic_path(path) as tmp:
                    tmp.write_bytes(old)
        if not self.pictures_existed and pictures.is_dir() and not any(pictures.iterdir()):
            pictures.rmdir()


def picture_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.png") if p.is_file()) if folder.is_dir() else []


def entries(folder: Path) -> set[str]:
    """What a save_dir/name folder holds: a run that started adds its version_N."""
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def check_same_priorities(
    run_dir: Path,
    given: dict[str, Any] | Path,
    threshold: float,
    min_evaluations: int,
    slices: str,
) -> None:
    """A resume applies no priorities: those its run was started with, given again, are what
    feedback.yaml holds (nothing to do, not "holds other priorities"); other ones would change
    what the resumed fine-tune trains on halfway, and are refused."""
    from ffade.feedback.from_file import holds_answers
    from ffade.feedback.priorities import FEEDBACK_FILE, read_feedback

    feedback = run_dir / FEEDBACK_FILE
    if holds_answers(run_dir, given, feedback, threshold, min_evaluations, slices):
        return
    try:
        saved = read_feedback(feedback)
    except FfadeError:  # damaged: it holds no priorities a resume can keep
        saved = None
    if saved is not None:
        kept = {"threshold": saved.threshold, "min_evaluations": saved.min_evaluations}
        kept["slices"] = saved.slices
        asked = {"threshold": threshold, "min_evaluations": min_evaluations, "slices": slices}
        if changed := [f"{key}={value!r}" for key, value in kept.items() if asked[key] != value]:
            raise FfadeError(  # the settings its slices were found with, named as keywords
                f"resume: {feedback} holds answers for slices found with {', '.join(changed)}, "
                "and a resume keeps them: give those, or leave resume out to start a new "
                "fine-tune"
            )
    raise FfadeError(
        f"resume: {feedback} holds other priorities than these, and a resume keeps the ones its "
        "fine-tune was started with: give those (or priorities=None, what it holds), or leave "
        "resume out to start a new fine-tune"
    )


def given_priorities(priorities: dict[str, Any] | str | Path | None) -> dict[str, Any] | Path:
    """The priorities :func:`ffade.api.calls.mitigate` applies: the file given, or a mapping (the
    default one if None), each refusal said as the keyword a Python caller typed."""
    if isinstance(priorities, (str, os.PathLike)):
        priorities = os.path.expanduser(priorities)  # "~/priorities.yaml", as --from reads it
        if not Path(priorities).is_file():  # said as the argument a Python caller typed
            raise FfadeError(
                f"priorities: file {shell_path(priorities)} not found; give a priorities file"
            )
        return Path(priorities)
    data = DEFAULT_PRIORITIES if priorities is None else priorities
    if not isinstance(data, dict):
        raise FfadeError(f"priorities: expected a mapping or a file path, got {shown(data)}")
    return data
