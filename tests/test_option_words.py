"""A required option's value typed without the option is named, with the line to type.

``ffade check suite.yaml`` (as ``ffade report RUN`` takes its run) said only "the following
arguments are required: --suite", as if nothing had been typed.
"""

from __future__ import annotations

import pytest

from ffade.cli import main


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (
            ["check", "suite.yaml"],
            "; suite.yaml was given without its option: write --suite suite.yaml",
        ),
        (["check", "--junit", "x.xml", "suite.yaml"], "write --suite suite.yaml"),
        (
            ["check", "my suite.yaml"],
            "; 'my suite.yaml' was given without its option: write --suite 'my suite.yaml'",
        ),
        (["export", "runs/x/version_0", "suite.yaml"], "write --to suite.yaml"),
        (
            ["loop", "loop.yaml"],
            "; loop.yaml was given without its option: write --config loop.yaml",
        ),
    ],
)
def test_value_without_its_option_is_named(capsys, args: list[str], hint: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(args)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("ffade: error: the following arguments are required: ")
    assert hint in err


@pytest.mark.parametrize(
    "args",
    [
        ["check"],  # nothing typed: nothing to name
        ["check", "--junit", "x.xml"],  # x.xml is --junit's own
        ["export", "runs/x/version_0"],  # the run is the positional's own
        ["loop", "--confg", "loop.yaml"],  # the misspelt option's own: it is named instead
    ],
)
def test_nothing_unclaimed_adds_no_hint(capsys, args: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(args)
    err = capsys.readouterr().err
    assert "without its option" not in err
    assert "the following arguments are required" in err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["feedback", "runs/x", "--no-examples=1"],
            "argument --no-examples takes no value, got --no-examples=1; write --no-examples "
            "alone, or leave it out (see ffade feedback --help)",
        ),
        (
            ["feedback", "runs/x", "--redo=a b"],
            "argument --redo takes no value, got '--redo=a b'; write --redo alone, or leave it "
            "out (see ffade feedback --help)",
        ),
    ],
)
def test_a_flag_given_a_value_is_told_it_takes_none(capsys, args: list[str], line: str) -> None:
    """argparse said "argument --no-examples: ignored explicit argument '1'": as if the value
    were dropped and the command ran, where it was refused, and with no fix named."""
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"ffade: error: {line}\n"
