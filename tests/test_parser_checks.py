"""ffade's own commands' parser beside ``--help``: a word it takes still shows the help; one no
option or argument takes is refused, as ``ffade --help x`` is."""

from __future__ import annotations

import pytest

from ffade.errors import OneLineParser


def report_like() -> OneLineParser:
    parser = OneLineParser(prog="ffade report")
    parser.add_argument("run_dir")
    parser.add_argument("--threshold", type=float, default=0.5)
    return parser


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--help", "--thresold"], "--thresold"),
        (["--help", "--thresold", "0.5"], "--thresold 0.5"),  # 0.5 its value: no folder needed
        (["runs/x", "-h", "--thresold"], "--thresold"),
    ],
)
def test_a_misspelt_option_beside_help_is_refused(capsys, args, named) -> None:
    """``ffade report --help --thresold`` printed the help, exit 0, the typo unseen (the run
    folder missing too: nothing is required beside --help)."""
    with pytest.raises(SystemExit) as exited:
        report_like().parse_args(args)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"ffade: error: unrecognized arguments: {named} (did you mean '--threshold'?) "
        "(see ffade report --help)"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],  # the run folder missing: the help, as before
        ["runs/x", "--help"],
        ["--help", "--threshold", "2x"],  # a value refused: the help wins, as before
    ],
)
def test_help_with_what_the_command_takes_is_the_help(capsys, args) -> None:
    with pytest.raises(SystemExit) as exited:
        report_like().parse_args(args)
    assert exited.value.code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: ffade report") and captured.err == ""
