"""A target refusal in ``ffade check`` names the input it is about: the ``--target-arg`` the user
typed, ``--target``, or the suite file.

Seen by an audit helper: ``ffade check --suite SUITE.yaml --target-arg sed=1`` (a misspelt
argument) and ``--target-arg weights=missing.pt`` were refused as ``SUITE.yaml: target ...``,
sending the user to a file they never touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ffade.cli import main
from tests.helpers import digits_suite


def refusal(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line ``ffade check`` refuses with, exit 2."""
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (["--target-arg", "sed=1"], "--target-arg 'sed=1': target 'digits_cnn' has no argument"),
        (
            ["--target-arg", "weights=missing.pt"],
            "--target-arg 'weights=missing.pt': target 'digits_cnn': weights file 'missing.pt' "
            "does not exist",
        ),
        (  # a --target spec's argument set by --target-arg: the option that set it
            [
                "--target",
                "{name: digits_cnn}",
                "--target-arg",
                "device=cpu",
                "--target-arg",
                "sed=1",
            ],
            "--target-arg 'sed=1': target 'digits_cnn' has no argument 'sed'",
        ),
        (
            ["--target-arg", "precision=bf17"],
            "--target-arg 'precision=bf17': target 'digits_cnn': precision 'bf17' is not allowed",
        ),
    ],
)
def test_a_target_arg_the_target_refuses_names_the_option(
    tmp_path: Path, given: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = digits_suite(tmp_path)
    err = refusal(["--suite", str(suite), *given], capsys)
    assert err.startswith(f"ffade: error: {says}"), err


@pytest.mark.parametrize(
    ("suite_args", "says"),
    [
        # the suite's typo; the "allowed: weights, device, ..." list names device too
        ({"sed": 1}, "target 'digits_cnn' has no argument 'sed'"),
        ({"weights": "gone.pt"}, "target 'digits_cnn': weights file 'gone.pt' does not exist"),
    ],
)
def test_the_suites_own_target_args_still_name_the_suite(
    tmp_path: Path, suite_args: dict[str, Any], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = digits_suite(tmp_path, suite_args)
    err = refusal(["--suite", str(suite), "--target-arg", "device=cpu"], capsys)
    assert err.startswith(f"ffade: error: {suite}: {says}"), err


def test_a_target_spec_of_its_own_still_names_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = digits_suite(tmp_path)
    spec = "{name: digits_cnn, args: {sed: 1}}"
    err = refusal(["--suite", str(suite), "--target", spec, "--target-arg", "device=cpu"], capsys)
    assert err.startswith("ffade: error: --target: target 'digits_cnn' has no argument 'sed'"), err
