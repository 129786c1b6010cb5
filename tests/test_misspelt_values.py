"""A misspelt option's value, read by argparse as the run folder, is named with the option in
"unrecognized arguments", not the run folder it pushed out."""

from __future__ import annotations

import pytest

from ffade.errors import OneLineParser


def report_like() -> OneLineParser:
    parser = OneLineParser(prog="ffade report")
    parser.add_argument("run_dir")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--compare")
    parser.add_argument("--html", action="store_true")
    return parser


def refusal(capsys, args: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        report_like().parse_args(args)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    return line.removeprefix("ffade: error: unrecognized arguments: ").removesuffix(
        " (see ffade report --help)"
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--thresold", "0.5", "runs/x"], "--thresold 0.5 (did you mean '--threshold'?)"),
        (["runs/x", "--thresold", "0.5"], "--thresold 0.5 (did you mean '--threshold'?)"),
        (["--help", "--thresold", "0.5", "runs/x"], "--thresold 0.5 (did you mean '--threshold'?)"),
        (["--comp", "runs/y", "runs/x"], "--comp runs/y (did you mean '--compare'?)"),
    ],
)
def test_the_misspelt_option_is_named_with_its_value(capsys, args, named) -> None:
    """argparse said "unrecognized arguments: --thresold runs/x": 0.5 had become the run folder."""
    assert refusal(capsys, args) == named


@pytest.mark.parametrize(
    ("args", "named"),
    [  # no one reading is clear: the words argparse left over, as it said them
        (["--thresold", "x", "runs/x"], "--thresold runs/x (did you mean '--threshold'?)"),
        (["--htm", "runs/x", "runs/y"], "--htm runs/y (did you mean '--html'?)"),  # takes none
        (
            ["--thresold", "0.5", "--comp", "runs/y", "runs/x"],
            "--thresold --comp runs/y runs/x (did you mean '--threshold'?)",
        ),
    ],
)
def test_where_the_value_is_unclear_the_line_is_argparse_s(capsys, args, named) -> None:
    assert refusal(capsys, args) == named


@pytest.mark.parametrize(
    "args",
    [["--thresold", "0.5"], ["--html", "--thresold", "0.5"], ["--thresold", "0.5", "--html"]],
)
def test_a_line_that_lacks_the_run_folder_too_says_both(capsys, args) -> None:
    """``ffade report --thresold 0.5`` said "unrecognized arguments: --thresold (did you mean
    '--threshold'?)", as if 0.5 were the run folder; respelt, the line was refused again for the
    folder. One line says both: the option with its value, and the folder still required."""
    assert refusal(capsys, args) == (
        "--thresold 0.5 (did you mean '--threshold'?); "
        "the following arguments are required: run_dir"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (  # feedback's option: "did you mean '--min-evaluations'?" (difflib's 0.6 cutoff)
            ["export", "runs/x", "--to", "s.yaml", "--max-regions", "0"],
            "unrecognized arguments: --max-regions 0 (see ffade export --help)",
        ),
        (  # "did you mean '--help'?"
            ["report", "runs/x", "--html"],
            "unrecognized arguments: --html (see ffade report --help)",
        ),
        (  # said only "the following arguments are required: RUN_DIR"
            ["report", "--foo"],
            "the following arguments are required: RUN_DIR; unknown option '--foo' "
            "(see ffade report --help)",
        ),
        (  # a typo keeps its suggestion
            ["report", "runs/x", "--thresold", "0.4"],
            "unrecognized arguments: --thresold 0.4 (did you mean '--threshold'?) "
            "(see ffade report --help)",
        ),
    ],
    ids=["other-commands-option", "html", "unknown-beside-required", "typo"],
)
def test_an_unknown_option_is_named_and_only_a_close_one_suggested(
    capsys, args: list[str], line: str
) -> None:
    from ffade.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"ffade: error: {line}\n"
