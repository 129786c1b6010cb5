"""The README's run directory subsections (What a run leaves) and docs/report.md's report.json
paragraph name every key a run writes: a key added to summary.json or report.json fails here until
the docs say it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.run import discover
from ffade.records import read_summary
from ffade.summarize.report import build_report
from tests.helpers import REPO, synthetic_spec
from tests.markdown_links import slug

README = (REPO / "README.md").read_text(encoding="utf-8")
REPORT_DOC = (REPO / "docs" / "report.md").read_text(encoding="utf-8")


def named(text: str) -> set[str]:
    """Every `key` the text names in backticks (`wasserstein.failure`: both keys)."""
    return {key for name in re.findall(r"`([a-z_.]+)`", text) for key in name.split(".")}


def readme_subsection(heading: str) -> str:
    """The text of the README's ``### heading`` subsection, up to the next heading."""
    parts = README.split(f"\n### {heading}\n")
    assert len(parts) == 2, f"the README has one subsection {heading}"
    return re.split(r"\n#{1,3} ", parts[1], maxsplit=1)[0]


def test_the_run_directory_table_links_a_subsection_per_file() -> None:
    """Each file the short table names has its subsection, so the table's links lead somewhere."""
    section = README.split("\n## What a run leaves\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| [")]
    assert len(rows) == 9
    for row in rows:
        link = re.match(r"\| \[(.+?)\]\(#([a-z-]+)\)", row)
        assert link, row
        name, anchor = link.groups()
        heading = name if name.startswith("`") else name.capitalize()
        assert readme_subsection(heading)
        assert anchor == slug(heading)


def summary_keys(summary: dict[str, Any]) -> set[str]:
    """Top-level keys, each concept's, the task's, the remaining-failure estimate's and the
    environment's keys."""
    keys = set(summary) | set(summary["task"]) | set(summary["environment"])
    for concept in summary["concepts"]:
        keys |= set(concept)
    estimate = summary.get("estimated_remaining_failures")
    return keys | set(estimate) if isinstance(estimate, dict) else keys


def test_the_readme_names_every_summary_key_of_both_modes(tmp_path: Path) -> None:
    macro = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path, name="macro")
    micro = discover(
        DQNExplorer(task=synthetic_spec(mode="microscopic"), budget=40, learning_starts=16),
        tmp_path,
        name="micro",
    )
    documented = named(readme_subsection("`summary.json`"))
    for explorer in (macro, micro):
        summary = read_summary(explorer.recorder.run_dir)
        missing = summary_keys(summary) - documented
        assert not missing, (
            f"summary.json keys the README's summary.json subsection omits: {missing}"
        )
    assert {"start_state", "smallest_failing_changes"} <= set(summary)  # the microscopic run's


def test_report_md_names_every_report_json_key(tmp_path: Path) -> None:
    first = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path, name="a")
    second = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path, name="b", seed=1)
    runs = [Path(e.recorder.run_dir) for e in (first, second)]
    report = build_report(runs[0], runs[1], tmp_path / "report", tensorboard=False)
    section = REPORT_DOC.split("## report.json", 1)[1]
    documented = named(section)
    entries = [*report["rules"]["rules"], *report["regions"]]
    assert entries, "the runs found failures, so rules and regions to name"
    entry_keys = {key for entry in entries for key in entry}
    figures = set(report["run_figures"]) | set(report["compare"]["run_figures"])
    keys = set(report) | set(report["compare"]) | set(report["rules"]) | entry_keys | figures
    missing = keys - documented
    assert not missing, f"report.json keys docs/report.md omits: {missing}"


def readme_tensorboard_tags() -> set[str]:
    """The tags the README's events.out.tfevents.* subsection names."""
    return set(re.findall(r"`([a-z_/]+)`", readme_subsection("`events.out.tfevents.*`")))


def test_the_readme_names_every_tensorboard_tag_a_search_logs(tmp_path: Path) -> None:
    """What a DQN search logs to TensorBoard is what the README's events subsection lists, no more,
    no less (a macroscopic run has no worst-failures picture: the synthetic target draws none)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    explorer = DQNExplorer(task=synthetic_spec(), budget=60, learning_starts=16)
    run_dir = Path(discover(explorer, tmp_path).recorder.run_dir)
    (events,) = run_dir.glob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    logged = set(accumulator.Tags()["scalars"])
    documented = {tag for tag in readme_tensorboard_tags() if "/" in tag or tag == "hp_metric"}
    documented -= {"discovery/worst_failures", "discovery/worst_failures/text_summary"}
    documented = {tag for tag in documented if not tag.startswith("summarize/")}  # ffade report's
    assert logged == documented
    summary = read_summary(run_dir)
    steps = [event.step for event in accumulator.Scalars("discovery/evaluations")]
    assert steps == list(range(1, summary["iterations"] + 1))
    said = {  # the README: each tag's last point is the summary's number
        "discovery/evaluations": summary["evaluations"],
        "discovery/failures_found": summary["failures"],
        "discovery/failing_concept_states": summary["failing_concept_states"],
        "discovery/invalid": summary["invalid"],
        "train/gradient_updates": summary["gradient_updates"],
        "discovery/estimated_remaining_low": summary["estimated_remaining_failures"]["low"],
    }
    last = {tag: accumulator.Scalars(tag)[-1].value for tag in said}
    assert last == pytest.approx(said, abs=0.06)  # the summary rounds to 0.1
    assert summary["failures"] > 0 and summary["gradient_updates"] > 0


def test_the_readme_and_report_md_name_every_picture_ffade_report_logs(tmp_path: Path) -> None:
    """The README said only `summarize/*` and docs/report.md `summarize/...`: a user looking for
    a compared run's picture in TensorBoard had to guess its tag. Both now name each tag, which
    is what a report with --compare writes, one image each, at the run's last step."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    first = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path, name="a")
    second = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path, name="b", seed=1)
    runs = [Path(e.recorder.run_dir) for e in (first, second)]
    build_report(runs[0], runs[1], tmp_path / "report")
    (events,) = runs[0].glob("events.out.tfevents.*.ffade-report")
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    logged = set(accumulator.Tags()["images"])
    readme = {tag for tag in readme_tensorboard_tags() if tag.startswith("summarize/")}
    assert logged == readme
    pictures = REPORT_DOC.split("**Pictures**", 1)[1].split("\n\n", 1)[0]
    assert {
        f"summarize/{name}" for name in re.findall(r"`figures/([a-z_]+)\.png`", pictures)
    } == logged
    assert {
        f"summarize/{p.stem}" for p in (tmp_path / "report" / "figures").glob("*.png")
    } == logged
    last = read_summary(runs[0])["iterations"]
    assert all([e.step for e in accumulator.Images(tag)] == [last] for tag in logged)


@pytest.mark.slow
def test_a_run_that_crashed_before_its_first_save_is_resumed_as_the_readme_says(
    tmp_path: Path,
) -> None:
    """README's ``checkpoints/last.ckpt`` said only to resume with ``--ckpt_path …/last.ckpt``,
    as if every stopped run had one: a crash saves none, so one a few steps in left no
    ``checkpoints/`` folder; its printed command (the run directory) replays the log."""
    import os
    import subprocess
    import sys

    import yaml

    from tests.helpers import ffade_in_process, write_config

    section = " ".join(readme_subsection("`checkpoints/last.ckpt`").split())
    assert "has no `checkpoints/` folder, so `--ckpt_path …/last.ckpt` is refused" in section
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=120)
    data = yaml.safe_load(config.read_text())
    crashing = {"predict": "tests.api.callables:crashes_at_env_call"}
    data["model"]["init_args"]["task"]["target"] = {"name": "callable", "args": crashing}
    config.write_text(yaml.safe_dump(data))
    env = {**os.environ, "FFADE_TEST_CRASH_AT": "4"}  # a few steps in, before step 10
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "ffade", "fit", "--config", str(config)]
    crashed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env)
    run = tmp_path / "runs" / "test" / "version_0"
    assert crashed.returncode == 1 and "status failed" in crashed.stderr, crashed.stderr[-2000:]
    assert (run / "evaluations.jsonl").stat().st_size > 0
    assert not (run / "checkpoints").exists()
    last_ckpt = str(run / "checkpoints" / "last.ckpt")
    refused = ffade_in_process("fit", "--config", str(config), "--ckpt_path", last_ckpt)
    assert refused.returncode == 2 and "not found" in refused.stderr, refused.stderr[-2000:]
    resume = crashed.stderr.strip().splitlines()[-1].split("resume it with: ", 1)[1]
    assert resume.endswith(f"--ckpt_path {run}")  # the run directory, not its last.ckpt
    resumed = ffade_in_process(*resume.split()[1:], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "replaying its evaluations.jsonl" in resumed.stderr
