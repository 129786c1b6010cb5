"""Stage 2 of ``ffade loop`` (ffade.loop_feedback): its refusals name what a loop's user types."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.errors import FfadeError
from ffade.loop_config import LoopConfig
from ffade.loop_feedback import prioritize
from ffade.shell_words import shell_path
from tests.summarize.conftest import write_run


def test_a_feedback_file_gone_since_the_loop_started_is_named_by_its_loop_key(
    tmp_path: Path,
) -> None:
    """The loop checks its feedback file as it starts; one moved while the discovery ran (it
    takes minutes) was refused as `ffade feedback` refuses it, "--from: priorities file ... not
    found" (seen as typed: prio.yaml moved during `ffade loop`'s [1/5]), an option the loop
    does not have."""
    first = write_run(tmp_path / "discover", {"blur": [0.0, 1.0, 2.0]}, {(2,): (10, 9)})
    gone = tmp_path / "prio.yaml"
    config = LoopConfig(tmp_path / "discover.yaml", gone, tmp_path / "mitigate.yaml")
    said: list[str] = []
    with pytest.raises(FfadeError) as error:
        prioritize(config, first, said.append)
    assert str(error.value) == (
        f"feedback file {shell_path(gone)} not found: it was there when the loop started; put it "
        f"back and run the loop again (its discovery is kept in {shell_path(first)})"
    )
    assert said[0].startswith("[2/5] feedback: ")  # the stage it stopped at, said first
    assert not (first / "feedback.yaml").exists()
