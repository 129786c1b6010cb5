"""``ffade plugins``: each plugin's purpose and arguments; a broken one flagged, not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.plugin_listing import main
from tests.test_registry import make_distribution


def test_plugins_show_arguments_and_flag_the_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution(
        tmp_path,
        "fake-listed",
        "[ffade.rewards]\ngood = tests.test_registry:GoodReward\n"
        "broken = no_such_module_anywhere:Thing\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["reward"]) == 1
    out = capsys.readouterr().out
    assert "  broken  (fake-listed 1.0; no_such_module_anywhere:Thing)  BROKEN" in out
    assert "failed to import" in out
    assert "1 plugin BROKEN" in out
    good = out[out.index("  good  (fake-listed 1.0") :].splitlines()
    assert good[1].strip().startswith("args:") or good[2].strip().startswith("args:")
    margin = out[out.index("  margin  (") :].splitlines()
    assert margin[2].strip().startswith("args: ")  # the synthetic reward: purpose, then args
    assert main(["reward", "--names"]) == 0
    assert "  broken\n" in capsys.readouterr().out
