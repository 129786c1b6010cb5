"""``ffade fit --help``'s own preamble is wrapped to the terminal, as argparse's help is."""

from __future__ import annotations

import pytest

from ffade.fit_help import fit_help
from ffade.help_wrap import wrapped
from tests.helpers import ffade_in_process


def _preamble(monkeypatch: pytest.MonkeyPatch, columns: int, *args: str) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    result = ffade_in_process("fit", *args, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split("usage: ffade")[0]  # then Lightning's own help


def test_fit_help_fits_an_80_column_terminal_and_says_the_same_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its lines ran up to 360 characters (35 over 100), folded mid-word by the terminal."""
    preamble = _preamble(monkeypatch, 80)
    for line in preamble.splitlines():  # argparse's width: the columns less 2
        assert len(line) <= 78 or " " not in line.strip(), line
    assert preamble.split() == fit_help().split()  # only the line breaks moved: nothing cut
    # a row's next lines hang under its text, so the names still read down the left edge
    lines = preamble.splitlines()
    row = next(n for n, line in enumerate(lines) if line.startswith("  learning_starts "))
    assert lines[row + 1].startswith(" " * 25 + "transitions collected")
    # a span in quotes or backquotes is no place to break
    assert '"new_failures_per_1000 < 5"' in preamble and "`ffade plugins`" in preamble


def test_fit_help_is_as_wide_as_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = _preamble(monkeypatch, 400, "--model", "RandomExplorer")
    assert wide.strip() == fit_help(["--model", "RandomExplorer", "--help"]).strip()


def test_a_token_longer_than_the_width_stands_whole_on_its_line() -> None:
    long = "ffade.explore." + "x" * 40
    text = wrapped(f"  name    (default 1) see {long} for more words", width=30)
    assert text.splitlines() == [
        "  name    (default 1) see",
        f"          {long}",
        "          for more words",
    ]
