"""``ffade loop``'s closing summary (:mod:`ffade.loop_closing`)."""

from __future__ import annotations

from pathlib import Path

from ffade.loop_closing import closing_summary


def test_the_closing_lines_quote_paths_as_shell_words(tmp_path: Path, capsys) -> None:
    """A loop under a folder with a space said `... s: my loops/version_0` and each stage's path
    bare, while `run:` lines and the stage lines above quote theirs: pasted, one was two words."""
    loop_dir = tmp_path / "my loops" / "version_0"
    stages = ("discover", "feedback", "mitigate", "rediscover", "report")
    paths = {stage: str(loop_dir / stage) for stage in stages}
    record = {"status": "finished", "wall_seconds": 12.3, "loop_dir": str(loop_dir), **paths}
    assert closing_summary(record, "rules") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"loop finished in 12 s: '{loop_dir}'"
    assert lines[2:] == [f"  {stage:<10} '{paths[stage]}'" for stage in stages]
