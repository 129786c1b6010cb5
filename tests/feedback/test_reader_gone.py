"""``ffade feedback`` whose standard output nobody reads: piped to a reader that went away
(``ffade feedback RUN | head -1``) or closed (``>&-``, no terminal). Its answers are what it is
for, so they are taken and saved, and its exit status is its own (README: a reader that goes
away stops nothing but ``ffade loop`` and ``ffade plugins``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.feedback import read_feedback
from tests.helpers import ffade_reader_gone


def feedback(run: Path, out: Path, stdout: str, *options: str, answers: str = "") -> str:
    """``ffade feedback RUN --out OUT OPTIONS`` with ``answers`` on stdin, its stdout a pipe
    whose reader is gone (``gone``) or closed (``closed``); its stderr, once it exited 0."""
    result = ffade_reader_gone(
        "feedback",
        str(run),
        "--out",
        str(out),
        *options,
        answers=answers,
        closed=stdout == "closed",
        unbuffered=True,  # each line written at once: the first fails
    )
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, (
        result.stderr[-2000:]
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


@pytest.mark.parametrize("stdout", ["gone", "closed"])
def test_answers_typed_in_are_saved_when_stdout_has_no_reader(
    run: Path, tmp_path: Path, stdout: str
) -> None:
    """Piped to ``head -1``, the review stopped at its first line with exit 0 and the answers
    given on stdin unsaved; with stdout closed, ``input()`` raised "lost sys.stdout"."""
    out = tmp_path / "answers.yaml"
    feedback(run, out, stdout, "--slices", "regions", "--no-examples", answers="h\nm\nl\n")
    assert [r.priority for r in read_feedback(out).regions] == ["high", "medium", "low"]


def test_priorities_from_a_file_are_saved_with_stdout_closed(run: Path, tmp_path: Path) -> None:
    """``ffade feedback RUN --from F >&-`` saved the file, then ``ffade`` raised AttributeError
    flushing a stdout that is None: a traceback and exit 1 after the work was done."""
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions:\n- {rank: 1, priority: high}\n")
    out = tmp_path / "answers.yaml"
    feedback(run, out, "closed", "--slices", "regions", "--no-examples", "--from", str(priorities))
    assert read_feedback(out).regions[0].priority == "high"
