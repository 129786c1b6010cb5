"""``ffade loop``'s closing summary (:mod:`ffade.loop_closing`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade import shown_rows
from ffade.cli import main
from ffade.loop_closing import closing_summary
from ffade.loop_config import LoopConfig
from ffade.loop_retest import retest_line
from ffade.shown_rows import MAX_TABLE_ROWS
from tests.helpers import REPO
from tests.test_loop import shrink, write_loop


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


def test_a_fix_rejected_for_its_clean_loss_ends_with_the_keys_that_keep_it(
    tmp_path: Path, capsys
) -> None:
    """A loop whose fix lost clean accuracy ends naming the mitigate config's keys that lose less
    (as a fine-tune's own next: line names its options), the priorities file, and the rerun."""
    config = LoopConfig(Path("my configs/fix.yaml"), Path("prio.yaml"), Path("my configs/fix.yaml"))
    mitigation = {
        "targeted_failure_rate_before": 0.5,
        "targeted_failure_rate_after": 0.1,
        "clean_accuracy_change": -0.05,
        "clean_tolerance": 0.01,
    }
    loop_dir = str(tmp_path / "version_0")
    record = {
        "status": "rejected",
        "wall_seconds": 3,
        "loop_dir": loop_dir,
        "mitigation": mitigation,
    }
    assert closing_summary(record, "rules", (config, "loop.yaml")) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "next: the original model is kept; to lose less clean accuracy, lower "
        "model.init_args.learning_rate or raise model.init_args.clean_share in 'my "
        "configs/fix.yaml' (the loop's mitigate config), or change the priorities in prio.yaml, "
        "then run the loop again: ffade loop --config loop.yaml"
    )


def retest_cases(count: int, failing: set[int]) -> list[dict]:
    """A loop's retest of ``count`` regions (``slices: regions`` answers every one), those in
    ``failing`` failing (the report's retest table tests use them too)."""
    return [
        {
            "name": f"R-{i:08x}",
            "conditions": f"axis{i} = 1",
            "goal": "fix" if i == 0 else "hold",
            "pairs": 128,
            "failure_rate_before": 0.5,
            "failure_rate_after": 0.75 if i in failing else 0.25,
            "max_failure_rate": 0.6,
            "passed": i not in failing,
        }
        for i in range(count)
    ]


def _retest_record(loop_dir: Path, cases: int, failing: set[int]) -> dict:
    """A finished loop's record whose retest has ``cases`` regions, those in ``failing`` failing."""
    retested = retest_cases(cases, failing)
    retest = {"suite": "suite.yaml", "slices": "regions", "passed": cases - len(failing)}
    return {
        "status": "finished",
        "wall_seconds": 1.0,
        "loop_dir": str(loop_dir),
        "retest": {**retest, "cases": retested},
    }


def test_a_retest_of_many_cases_lists_every_failure_and_counts_the_passes(
    tmp_path: Path, capsys
) -> None:
    """A loop whose feedback answered every one of 40 regions printed 40 retest lines, its one
    failure (the 31st) among them; they are cut as ``ffade check``'s table is (docs/gate.md)."""
    loop_dir = tmp_path / "my loops" / "version_0"
    assert closing_summary(_retest_record(loop_dir, 40, {30}), "regions") == 0
    lines = capsys.readouterr().out.splitlines()
    head = [i for i, line in enumerate(lines) if line.startswith("  retest on the same")]
    assert len(head) == 1 and lines[head[0]].endswith(": 39 of 40 regions pass")
    case_lines = lines[head[0] + 1 :]
    assert len(case_lines) == MAX_TABLE_ROWS + 1
    assert [line.split(":")[0] for line in case_lines[:-1]] == [
        f"    {'fix' if i == 0 else 'hold'} axis{i} = 1" for i in [*range(14), 30]
    ]
    assert case_lines[-2].endswith("(FAIL)")
    assert (
        case_lines[-1] == f"    ... 25 more passing cases: '{loop_dir}/loop.json' lists every case"
    )


def test_a_retest_of_up_to_the_cap_is_listed_whole(tmp_path: Path, capsys) -> None:
    assert closing_summary(_retest_record(tmp_path, MAX_TABLE_ROWS, {3}), "rules") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 + MAX_TABLE_ROWS  # blank, loop ..., retest ..., then every case
    assert [line.split(":")[0] for line in lines[3:]] == [
        f"    {'fix' if i == 0 else 'hold'} axis{i} = 1" for i in range(MAX_TABLE_ROWS)
    ]


@pytest.mark.slow  # a small text loop, every stage: 30 s of CPU, minutes on busy cores
def test_the_loop_as_typed_cuts_its_retest_lines_and_names_loop_json(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """The text loop with ``slices: regions`` retests every region its feedback answered (13
    here; 32 on configs/loop_text.yaml) and printed a line for each; with the cap lowered to
    3 (the same cut as at 15, on a loop small enough to run), 3 lines and a count remain."""
    discover = shrink("text_quickstart.yaml", tmp_path / "discover.yaml", {"budget": 400})
    config = yaml.safe_load(discover.read_text())
    config["model"]["init_args"] |= {"learning_starts": 64}
    config["model"]["init_args"]["task"]["max_inputs"] = 16
    discover.write_text(yaml.safe_dump(config, sort_keys=False))
    fixing = {"guard_pairs": 64, "clean_tolerance": 1.0}
    mitigate = shrink("text_mitigate.yaml", tmp_path / "mitigate.yaml", fixing, {"max_epochs": 1})
    feedback = REPO / "configs" / "feedback_text.yaml"
    loop = write_loop(
        tmp_path, discover=discover, feedback=feedback, mitigate=mitigate, slices="regions"
    )
    monkeypatch.setattr(shown_rows, "MAX_TABLE_ROWS", 3)
    assert main(["loop", "--config", str(loop)]) == 0
    out = capsys.readouterr().out.splitlines()
    loop_json = tmp_path / "loops" / "version_0" / "loop.json"
    cases = json.loads(loop_json.read_text())["retest"]["cases"]
    assert len(cases) > 3 and all(case["passed"] for case in cases), cases
    head = [i for i, line in enumerate(out) if line.startswith("  retest on the same")]
    assert len(head) == 1 and out[head[0]].endswith(f": {len(cases)} of {len(cases)} regions pass")
    assert out[head[0] + 1 :] == [
        *(f"    {retest_line(case)}" for case in cases[:3]),
        f"    ... {len(cases) - 3} more passing cases: {loop_json} lists every case",
    ]
