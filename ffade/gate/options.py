"""The arguments of ``ffade export`` and ``ffade check``, apart from the work they start.

Both commands load a model, so their modules import torch (seconds). Their parsers live here,
where nothing imports torch: ``--help`` and a mistyped option answer at once, as ``report``,
``feedback`` and ``loop`` do, and the CLI imports :mod:`.export` or :mod:`.check` only for
arguments these parsers accepted.
"""

from __future__ import annotations

import argparse
import os

from ffade.errors import OneLineParser, user_path
from ffade.option_types import rate_from_0_to_1, whole_number_from_0, whole_number_from_1
from ffade.summarize.regions import add_region_arguments

DEFAULT_PAIRS = 64
DEFAULT_BATCH_SIZE = 256  # inputs per forward pass, export and check alike
"""Pairs per case and split: enough for a failure rate to within about ±12 points."""


def export_parser() -> argparse.ArgumentParser:
    """``ffade export``'s arguments."""
    parser = OneLineParser(
        prog="ffade export",
        description="Turn a discovery run's failure slices into a regression suite that "
        "`ffade check` runs on any version of the model: one case for every slice found, or "
        "each slice its feedback file answers (skipped ones as hold cases), in its order.",
    )
    parser.add_argument(
        "run_dir", type=user_path, metavar="RUN_DIR", help="the discovery run to export"
    )
    parser.add_argument(
        "--to",
        required=True,
        type=user_path,
        metavar="SUITE.yaml",
        help="the suite file (.yaml or .yml)",
    )
    add_region_arguments(parser, feedback_criterion=True)  # a feedback file's, by default
    parser.add_argument(
        "--pairs",
        type=whole_number_from_1,
        default=DEFAULT_PAIRS,
        help=f"pairs per case from each split (default {DEFAULT_PAIRS})",
    )
    parser.add_argument(
        "--seed", type=whole_number_from_0, default=0, help="seed of the pair sample (default 0)"
    )
    parser.add_argument(
        "--max-failure-rate",
        type=rate_from_0_to_1,
        help="one pass threshold for every case (default: per case, from the 95%% interval of "
        "the run's target's failure rate there: its lower end for a fix case, its upper end for "
        "a hold case, a slice a person gave priority skip)",
    )
    parser.add_argument(
        "--feedback",
        type=user_path,
        metavar="FEEDBACK.yaml",
        help="whose slices and priorities to use (default RUN_DIR/feedback.yaml if it exists); "
        "it must hold the kind of slices --slices names",
    )
    parser.add_argument(  # 0 was refused only once the target and its dataset were loaded
        "--batch-size",
        type=whole_number_from_1,
        default=DEFAULT_BATCH_SIZE,
        help=f"inputs per forward pass (default {DEFAULT_BATCH_SIZE})",
    )
    return parser


def check_parser() -> argparse.ArgumentParser:
    """``ffade check``'s arguments."""
    parser = OneLineParser(
        prog="ffade check",
        description="Re-evaluate a regression suite (from `ffade export`) on the current or a "
        "fixed model; exit 0 if every case passes, 1 if any fails, 2 on bad input. Prints "
        "a table of the cases: a suite of more than 15 shows every failing case and the first "
        "passing ones, up to 15 rows, and counts the rest (--junit lists every case).",
    )
    parser.add_argument(
        "--suite", required=True, type=user_path, metavar="SUITE.yaml", help="the suite file"
    )
    parser.add_argument(
        "--target",
        type=os.path.expanduser,  # a spec or a path; an empty one is said by check itself
        metavar="SPEC",
        help="the model to check instead of the suite's: a mitigation.json, a fine-tuner's run "
        "directory, or a target spec '{name: ..., args: {...}}'",
    )
    parser.add_argument(
        "--target-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one target argument (repeatable), e.g. weights=ckpt.pt or device=cuda",
    )
    parser.add_argument(
        "--junit", type=user_path, metavar="OUT.xml", help="also write JUnit XML here"
    )
    parser.add_argument(  # 0 was refused only once the target and its dataset were loaded
        "--batch-size",
        type=whole_number_from_1,
        default=DEFAULT_BATCH_SIZE,
        help=f"inputs per forward pass (default {DEFAULT_BATCH_SIZE})",
    )
    return parser
