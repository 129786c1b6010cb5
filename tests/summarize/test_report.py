from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from ffade.summarize.example_listing import example_caption
from ffade.summarize.report import build_report, main
from ffade.summarize.report_ending import ending
from tests.helpers import ffade_in_process
from tests.summarize.conftest import planted_image_counts

PLANTED = "rotation >= 30 and brightness <= 0.4: 90% failure (95% CI 83-94%), 120 evaluations"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """The parts of a report page the tests look at: table rows by table id, and images."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = attributes.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attributes)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def decoded_images(page: _Page) -> list[bytes]:
    prefix = "data:image/png;base64,"
    assert all(image["src"].startswith(prefix) for image in page.images)
    return [base64.b64decode(image["src"][len(prefix) :]) for image in page.images]


def test_report_files_hold_the_regions_and_pictures(image_run, tmp_path, capsys) -> None:
    out = tmp_path / "report"
    assert main([str(image_run), "--out", str(out), "--no-tensorboard"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"report: {out / 'report.html'}",
        "evaluations: 742, failures: 172",
        "1 failure rule covers 92% of 13 failing states (failure rate >= 50%); top: " + PLANTED,
        f"next: ffade feedback {image_run}",
    ]

    # the next command asks about the slices this report described
    options = ["--slices", "regions", "--threshold", "0.6", "--min-evaluations", "2"]
    assert main([str(image_run), "--out", str(tmp_path / "r2"), "--no-tensorboard", *options]) == 0
    next_line = capsys.readouterr().out.splitlines()[-1]
    assert next_line == f"next: ffade feedback {image_run} " + " ".join(options)

    data = json.loads((out / "report.json").read_text())
    assert data["regions"][0]["description"] == PLANTED
    assert data["run_figures"]["evaluations"] == 742
    assert set(data["images"]) == {"failure_rate"}
    assert (out / data["images"]["failure_rate"]).read_bytes().startswith(PNG_MAGIC)

    markdown = (out / "report.md").read_text()
    # docs/report.md's Run section, whole, however many figures the summary has (a DQN run's
    # 18 folded the last ones, failure_rate among them, into report.json)
    from ffade.summarize.report_render import markdown as render_markdown

    extra = {f"figure_{i}": i for i in range(20)}
    many = {**data, "run_figures": {**extra, **data["run_figures"]}}
    assert "| failure_rate |" in render_markdown(many, out)
    assert "| rank | id | where | failure rate | 95% CI | evaluations | states |" in markdown
    region = data["regions"][0]
    assert f"| 1 | {region['id']} | rotation >= 30 and brightness <= 0.4 | 90% | 83%-94% |" in (
        markdown
    )
    assert "](figures/failure_rate.png)" in markdown

    page = parse((out / "report.html").read_text())
    rows = page.tables["regions"]
    assert rows[0][:3] == ["rank", "id", "where"]
    assert rows[1][2] == "rotation >= 30 and brightness <= 0.4"
    assert [len(image) > 0 and image.startswith(PNG_MAGIC) for image in decoded_images(page)] == [
        True
    ]
    assert not re.search(r"<(link|script)\b|src=\"http", (out / "report.html").read_text())


def test_pictures_are_logged_to_tensorboard(image_run) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def report_events() -> list[Path]:
        return sorted(image_run.glob("events.out.tfevents.*.ffade-report"))

    others = set(image_run.glob("events.out.tfevents.*")) - set(report_events())
    summary = json.loads((image_run / "summary.json").read_text())
    summary["iterations"] = 41  # the run's last step, where its scalars end
    (image_run / "summary.json").write_text(json.dumps(summary))
    assert main([str(image_run)]) == 0
    first = report_events()
    assert main([str(image_run)]) == 0  # reported again: its pictures replace the first's
    assert len(first) == 1 and len(report_events()) == 1 and not first[0].exists()
    assert set(image_run.glob("events.out.tfevents.*")) - set(report_events()) == others
    events = EventAccumulator(str(image_run), size_guidance={"images": 0})
    events.Reload()
    assert "summarize/failure_rate" in events.Tags()["images"]
    assert [e.step for e in events.Images("summarize/failure_rate")] == [41]  # not step 0
    logged = events.Images("summarize/failure_rate")[0].encoded_image_string
    assert logged == (image_run / "figures" / "failure_rate.png").read_bytes()  # the report's


def test_no_tensorboard_leaves_two_report_events_files_a_kill_left(image_run) -> None:
    """A report SIGKILLed between renaming its events file in and deleting the last report's
    leaves two. ``--no-tensorboard`` leaves the run's TensorBoard alone (docs/report.md; the
    run directory may be read-only), those two included; the next report with TensorBoard
    keeps only its own."""

    def report_events() -> dict[str, bytes]:
        found = image_run.glob("events.out.tfevents.*.ffade-report")
        return {path.name: path.read_bytes() for path in found}

    assert main([str(image_run)]) == 0
    (only,) = report_events()
    left = only.replace("events.out.tfevents.", "events.out.tfevents.1", 1)  # a later report's
    (image_run / left).write_bytes((image_run / only).read_bytes())
    both = report_events()
    assert main([str(image_run), "--no-tensorboard"]) == 0
    assert report_events() == both
    assert main([str(image_run)]) == 0
    assert len(report_events()) == 1 and not set(report_events()) & set(both)


def test_compare_reports_distance_and_region_shift(
    image_run, make_run, image_concepts, capsys
) -> None:
    def after(state: tuple[int, ...]) -> tuple[int, int]:  # rotation 30 fixed, 40 still fails
        return (10, 9) if state[0] == 4 and state[1] <= 1 else (10, 0)

    other = make_run("after", image_concepts, after)
    capsys.readouterr()
    assert main([str(image_run), "--compare", str(other), "--no-tensorboard"]) == 0
    # docs/report.md: the next command (feedback on this run) only ends a report without --compare
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"report: {image_run / 'report.html'}"
    assert not any(line.startswith("next:") for line in printed), printed
    compare = json.loads((image_run / "report.json").read_text())["compare"]
    assert compare["run"] == str(other)
    assert compare["wasserstein"]["failure"]["value"] > 0
    assert compare["wasserstein"]["policy"] == {
        "value": None,
        "note": f"{image_run}: no policy.npy (the explorer wrote no action probabilities), so "
        f"there is no policy landscape; {other}: no policy.npy (the explorer wrote no action "
        "probabilities), so there is no policy landscape",
    }
    shift = compare["region_shift"]
    # half the rule's range still fails: 54 of 120 (95% CI 36-54%) is neither fixed nor failing
    assert [e["description"] for e in shift["unclear"]] == [PLANTED]
    assert shift["unclear"][0]["now"] == "45% failure (95% CI 36-54%), 120 evaluations"
    assert shift["fixed"] == shift["still_failing"] == shift["new"] == []
    assert compare["compares"] == "runs" and compare["mitigation"] is None
    page = parse((image_run / "report.html").read_text())
    statuses = [row[0] for row in page.tables["region-shift"][1:]]
    assert statuses == ["unclear"]
    assert page.tables["run"][0] == ["figure", "this run", "compared run"]
    assert len(decoded_images(page)) == 2  # this run's and the compared run's failure rates

    assert main([str(image_run), "--compare", str(image_run), "--no-tensorboard"]) == 0
    compare = json.loads((image_run / "report.json").read_text())["compare"]
    assert compare["wasserstein"]["failure"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert len(compare["region_shift"]["still_failing"]) == 1


def test_the_distance_table_says_how_to_read_its_number(make_run, image_concepts) -> None:
    """A bare "0.25" said nothing: the column says its unit, a concept's whole range being 1, so
    one failure moved one rotation step of four (docs/report.md) reads as a quarter of it."""
    before = make_run("before", image_concepts, {(1, 0, 0): (4, 4), (0, 0, 0): (4, 0)})
    after = make_run("after", image_concepts, {(2, 0, 0): (4, 4), (0, 0, 0): (4, 0)})
    assert main([str(before), "--compare", str(after), "--no-tensorboard"]) == 0
    header = ["landscape", "distance (0: the same states; 1: one concept's whole range)", "note"]
    assert parse((before / "report.html").read_text()).tables["wasserstein"][:2] == [
        header,
        ["failure", "0.25", ""],
    ]
    assert (
        f"| {' | '.join(header)} |\n|---|---|---|\n| failure | 0.25 |  |"
        in (before / "report.md").read_text()
    )


def test_a_report_folder_reused_keeps_only_this_reports_pictures(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    """docs/report.md: the pictures under figures/ are this report's; a comparison reported into
    the same folder before leaves no compared run's picture beside a report without one."""
    other = make_run("other", image_concepts, lambda state: (10, 0))
    out = tmp_path / "report"
    typed = ["--out", str(out), "--no-tensorboard"]
    assert main([str(image_run), "--compare", str(other), *typed]) == 0
    assert (out / "figures" / "compare_failure_rate.png").is_file()
    assert main([str(image_run), *typed]) == 0
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["failure_rate.png"]
    images = json.loads((out / "report.json").read_text())["images"]
    assert images == {"failure_rate": "figures/failure_rate.png"}


@pytest.mark.parametrize("reported_before", [False, True], ids=["first", "again"])
def test_a_report_stopped_by_ctrl_c_leaves_the_run_as_it_was(
    image_run, make_run, image_concepts, monkeypatch, reported_before: bool
) -> None:
    """`ffade report RUN` stopped by Ctrl-C mid-way left figures/ (empty, or with pictures no
    report names) in a run that had no report; a report written before lost the compared run's
    pictures it names. Here a real SIGINT comes once every picture is drawn, as report.json is
    about to be written: the run keeps what it had, a previous report with each picture it
    names."""
    import ffade.summarize.report as report_module

    if reported_before:  # a complete report with the compared run's pictures
        other = make_run("other", image_concepts, lambda state: (10, 0))
        assert main([str(image_run), "--compare", str(other), "--no-tensorboard"]) == 0
    before = {p.relative_to(image_run): p.read_bytes() for p in image_run.rglob("*") if p.is_file()}
    write = report_module.write_text_atomic

    def ctrl_c_then_write(*args, **kwargs):  # Ctrl-C as the first report file is written
        os.kill(os.getpid(), signal.SIGINT)
        return write(*args, **kwargs)

    monkeypatch.setattr(report_module, "write_text_atomic", ctrl_c_then_write)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = ffade_in_process("report", str(image_run), "--no-tensorboard")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.returncode == 130, result.stderr
    after = {p.relative_to(image_run) for p in image_run.rglob("*")}
    assert after == set(before) | ({Path("figures")} if reported_before else set())
    assert all((image_run / p).read_bytes() == before[p] for p in before if p.parent == Path("."))
    if reported_before:  # every picture the report there names is there
        images = json.loads((image_run / "report.json").read_text())["images"]
        assert "compare_failure_rate" in images  # no policy: 2 pictures
        assert all((image_run / p).is_file() for p in images.values())


def test_a_slice_is_fixed_only_when_its_interval_is_below_the_threshold(
    image_run, make_run, image_concepts
) -> None:
    def thin(state: tuple[int, ...]) -> tuple[int, int]:  # 0 of 2: 95% CI 0-66%
        return (2, 0) if state == (3, 0, 0) else (0, 0)

    def thorough(state: tuple[int, ...]) -> tuple[int, int]:  # 120 passing evaluations
        return (10, 0) if state[0] >= 3 and state[1] <= 1 else (0, 0)

    for counts, status in ((thin, "unclear"), (thorough, "fixed")):
        other = make_run(counts.__name__, image_concepts, counts)
        report = build_report(image_run, other, tensorboard=False)
        shift = report["compare"]["region_shift"]
        assert [e["description"] for e in shift[status]] == [PLANTED], status


def test_comparing_explorers_on_one_model_says_so(image_run, make_run, image_concepts) -> None:
    other = make_run("dqn", image_concepts, planted_image_counts, explorer="dqn")
    report = build_report(image_run, other, tensorboard=False)
    assert report["compare"]["compares"] == "explorers"
    assert "compares search methods, not models" in (image_run / "report.md").read_text()


def test_comparing_runs_that_searched_other_inputs_says_so(make_run, image_concepts) -> None:
    """A rediscovery typed by hand on another dataset seed or split searched other inputs (maybe
    ones the fix trained on): the comparison names the task keys that differ, in report.json and
    in the notes; the same task (as ffade loop's rediscovery has) gets no such note."""
    task = {"name": "planted", "dataset": {"name": "digits", "args": {"seed": 0}}, "max_inputs": 64}
    task |= {"split": "discovery", "input_ids": None}
    first = make_run("first", image_concepts, planted_image_counts, task=task)
    same = make_run("same", image_concepts, planted_image_counts, task=task)
    assert build_report(first, same, tensorboard=False)["compare"]["inputs_differ"] == []
    assert "other inputs" not in (first / "report.md").read_text()
    other_task = dict(task, dataset={"name": "digits", "args": {"seed": 1}}, split="finetune")
    other = make_run("other", image_concepts, planted_image_counts, task=other_task)
    report = build_report(first, other, tensorboard=False)
    assert report["compare"]["inputs_differ"] == ["task.dataset", "task.split"]
    assert (
        "The compared run searched other inputs than this run (its task.dataset, task.split "
        "differ): a slice's shift mixes the change of model with the change of inputs"
    ) in (first / "report.md").read_text()


def test_the_terminal_says_when_the_compared_run_searched_other_inputs(
    make_run, image_concepts, capsys
) -> None:
    """report.md said that two runs of other max_inputs or dataset seeds searched other inputs,
    while the terminal's ending said nothing: it now says so, in report.md's words, just above
    the shift line it qualifies (the last line still); runs of one task get no such line."""
    task = {"name": "planted", "dataset": {"name": "digits", "args": {"seed": 0}}, "max_inputs": 64}
    first = make_run("first", image_concepts, planted_image_counts, task=task)
    other_task = dict(task, dataset={"name": "digits", "args": {"seed": 1}}, max_inputs=32)
    other = make_run("other", image_concepts, planted_image_counts, task=other_task)
    same = make_run("same", image_concepts, planted_image_counts, task=task)
    capsys.readouterr()
    assert main([str(first), "--compare", str(other), "--no-tensorboard"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2] == (
        "note: the compared run searched other inputs than this run (its task.dataset, "
        "task.max_inputs differ): a slice's shift mixes the change of model with the change of "
        "inputs, and inputs outside this run's may be ones a fix was trained or judged on; to "
        "judge a fix, rediscover on this run's task, as ffade loop does."
    )
    assert printed[-1].startswith("rules in the compared run (")
    assert printed[-2][len("note: t") :] in (first / "report.md").read_text()
    assert main([str(first), "--compare", str(same), "--no-tensorboard"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert not any("other inputs" in line for line in printed)
    assert printed[-1].startswith("rules in the compared run (")


def test_comparing_explorers_calls_no_slice_fixed_or_new(image_run, make_run, image_concepts):
    """A DQN run's rule that a random run's evaluations pass is found by one explorer only: the
    table said "fixed" right under the note saying it is not."""
    passing = make_run("random", image_concepts, lambda s: (4, 0), explorer="random")
    report = build_report(image_run, passing, tensorboard=False)
    assert report["compare"]["region_shift"]["fixed"]  # report.json keeps its documented keys
    rows = parse((image_run / "report.html").read_text()).tables["region-shift"][1:]
    statuses = {row[0] for row in rows}
    assert statuses == {"found by this run's explorer only"}
    reverse = build_report(passing, image_run, out=passing / "back", tensorboard=False)
    assert reverse["compare"]["region_shift"]["new"]
    rows = parse((passing / "back" / "report.html").read_text()).tables["region-shift"][1:]
    assert {row[0] for row in rows} == {"found by the compared run's explorer only"}


def test_the_run_table_says_where_each_run_ran(make_run, image_concepts) -> None:
    def ran_on(device: str, torch: str, processes: int) -> dict[str, object]:
        packages = {"torch": torch, "ffade": "0.1.0"}
        return {"packages": packages, "device": device, "processes": processes}

    first = make_run(
        "a", image_concepts, planted_image_counts, environment=ran_on("cpu (AVX2)", "2.5.1", 1)
    )
    second = make_run(
        "b", image_concepts, planted_image_counts, environment=ran_on("cpu (AVX512)", "2.14.1", 2)
    )
    assert main([str(first), "--compare", str(second), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((first / "report.html").read_text()).tables["run"]}
    assert rows["ran_on"] == [
        "cpu (AVX2), torch 2.5.1, ffade 0.1.0",
        "cpu (AVX512), torch 2.14.1, ffade 0.1.0, 2 processes",
    ]


def test_the_run_tables_failure_rate_never_reads_all_when_one_passed(make_run) -> None:
    """29,999 failures in 30,000 evaluations read failure_rate "1", as if every one failed."""
    run = make_run("nearly_all", {"a": [0, 1]}, {(0,): (20000, 20000), (1,): (10000, 9999)})
    assert main([str(run), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((run / "report.html").read_text()).tables["run"]}
    assert rows["failure_rate"] == ["0.9999"]
    every = make_run("all", {"a": [0, 1]}, {(0,): (3, 3), (1,): (2, 2)})
    assert main([str(every), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((every / "report.html").read_text()).tables["run"]}
    assert rows["failure_rate"] == ["1"]


def test_the_run_table_says_how_much_of_the_loop_was_the_model(make_run, image_concepts) -> None:
    """README: summary.json splits wall_seconds into model_seconds and concept_seconds; the run
    table shows them beside it, and a hand-edited one that is not a number is a damaged summary."""
    times = {"model_seconds": 0.9, "concept_seconds": 0.2}
    run = make_run("a", image_concepts, planted_image_counts, **times)
    assert main([str(run), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((run / "report.html").read_text()).tables["run"]}
    assert rows["wall_seconds"] == ["1.5"]
    assert rows["model_seconds"] == ["0.9"] and rows["concept_seconds"] == ["0.2"]
    damaged = make_run("b", image_concepts, planted_image_counts, model_seconds="fast")
    assert main([str(damaged), "--no-tensorboard"]) == 2


def test_report_json_keeps_the_remaining_failure_estimate_as_numbers(
    make_run, image_concepts
) -> None:
    """docs/report.md: report.json holds the same numbers, for tools and CI; the estimate of
    failing pairs not found yet was there only as the run table's words ("6,538 (95% ...")."""
    remaining = {
        "estimate": 6537.8,
        "low": 4644.5,
        "high": 8781.5,
        "confidence": 0.95,
        "method": "uniform random probes, Clopper-Pearson interval x unevaluated pairs",
        "probes": 157,
        "probe_failures": 33,
        "unevaluated_pairs": 31104,
    }
    run = make_run(
        "a", image_concepts, planted_image_counts, estimated_remaining_failures=remaining
    )
    assert main([str(run), "--no-tensorboard"]) == 0
    figures = json.loads((run / "report.json").read_text())["run_figures"]
    assert figures["estimated_remaining_failures"] == remaining
    words = "6,538 (95% interval 4,644 to 8,782; 33 of 157 random probes failed)"
    rows = {row[0]: row[1:] for row in parse((run / "report.html").read_text()).tables["run"]}
    assert rows["estimated_remaining_failures"] == [words]
    assert f"| estimated_remaining_failures | {words} |" in (run / "report.md").read_text()


def test_a_remaining_estimate_without_probes_says_no_probe_was_made(make_run, image_concepts):
    """A run too small for a random probe has no estimate: the table said "unknown (95% interval
    0 to 20; 0 of 0 random probes failed)", an interval of nothing; it says why it is unknown."""
    remaining = {"estimate": None, "low": 0.0, "high": 20.0, "probes": 0, "probe_failures": 0}
    run = make_run(
        "a", image_concepts, planted_image_counts, estimated_remaining_failures=remaining
    )
    assert main([str(run), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((run / "report.html").read_text()).tables["run"]}
    words = "unknown (no random probe was made: anywhere from 0 to 20)"
    assert rows["estimated_remaining_failures"] == [words]


@pytest.mark.parametrize(
    ("estimate", "low", "high", "failed", "words"),
    [
        (0.4, 0.0, 2.3, 1, "<1 (95% interval 0 to 3; 1 of 150 random probes failed)"),
        (0.0, 0.0, 0.4, 1, "<1 (95% interval 0 to 1; 1 of 150 random probes failed)"),
        (0.0, 0.0, 0.4, 0, "0 (95% interval 0 to 1; 0 of 150 random probes failed)"),
        (12.6, 1.7, 40.2, 2, "13 (95% interval 1 to 41; 2 of 150 random probes failed)"),
    ],
)
def test_a_remaining_estimate_below_one_never_reads_none(
    make_run, image_concepts, estimate, low, high, failed, words
) -> None:
    """summary.json keeps the estimate to one decimal, the run table a whole number: 0.4 failing
    pairs left read "0", none, where a probe failed, and an upper end of 0.4 read 0. A share of
    one below one reads "<1"; the interval's ends are rounded outwards, so they stay bounds."""
    remaining = {
        "estimate": estimate,
        "low": low,
        "high": high,
        "probes": 150,
        "probe_failures": failed,
        "unevaluated_pairs": 60,
    }
    run = make_run(
        "a", image_concepts, planted_image_counts, estimated_remaining_failures=remaining
    )
    assert main([str(run), "--no-tensorboard"]) == 0
    rows = {row[0]: row[1:] for row in parse((run / "report.html").read_text()).tables["run"]}
    assert rows["estimated_remaining_failures"] == [words]


def test_held_out_numbers_lead_the_comparison(image_run, make_run, image_concepts, tmp_path):
    fixed = tmp_path / "mitigate"
    fixed.mkdir()
    (fixed / "mitigation.json").write_text(
        json.dumps(
            {
                "status": "accepted",
                "reason": "clean accuracy kept",
                "clean_accuracy_before": 0.9,
                "clean_accuracy_after": 0.89,
                "targeted_failure_rate_before": 0.8,
                "targeted_failure_rate_after": 0.2,
                "regions": [],
            }
        )
    )
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": str(fixed / "m.pt")}}}
    other = make_run("after", image_concepts, planted_image_counts, task=task)
    report = build_report(image_run, other, tensorboard=False)
    assert report["compare"]["mitigation"]["targeted_failure_rate_after"] == 0.2
    assert report["compare"]["compares"] == "models"
    page = parse((image_run / "report.html").read_text())
    first_table = next(iter(page.tables))
    assert first_table == "held-out"
    # the verdict judges the fix: under "after", not in the old model's "before" column
    assert page.tables["held-out"][1][:3] == ["verdict", "", "accepted: clean accuracy kept"]
    assert ["clean accuracy", "90.0%", "89.0%", ""] in page.tables["held-out"]
    # --mitigation names the fine-tune's file, or its run directory (IsADirectoryError before)
    for given in (fixed / "mitigation.json", fixed):
        out = tmp_path / f"report_{given.name}"
        argv = [str(image_run), "--compare", str(image_run), "--mitigation", str(given)]
        assert main([*argv, "--out", str(out), "--no-tensorboard"]) == 0
        held_out = json.loads((out / "report.json").read_text())["compare"]["mitigation"]
        assert held_out["targeted_failure_rate_after"] == 0.2


def test_held_out_numbers_say_a_targeted_fall_within_noise_is_one(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    """mitigation.json's targeted_change: an accepted fall that is no clear change reads so in
    the held-out table; a clear fall reads as before. The record (a dict, under a name ending
    in _change) was refused as 'expected a number', so no fine-tune's report could compare."""
    for outcome, said in (("no clear change", " (no clear change)"), ("clear fall", "")):
        fixed = tmp_path / outcome.replace(" ", "_")
        fixed.mkdir()
        record = {
            "status": "accepted",
            "clean_accuracy_before": 0.9,
            "clean_accuracy_after": 0.9,
            "targeted_failure_rate_before": 0.4783,
            "targeted_failure_rate_after": 0.4778,
            "targeted_change": {"pairs": 4096, "outcome": outcome},
        }
        (fixed / "mitigation.json").write_text(json.dumps(record))
        out = tmp_path / f"report_{fixed.name}"
        argv = [str(image_run), "--compare", str(image_run), "--mitigation", str(fixed)]
        assert main([*argv, "--out", str(out), "--no-tensorboard"]) == 0
        rows = parse((out / "report.html").read_text()).tables["held-out"]
        assert ["targeted failure rate", "47.83%", f"47.78%{said}", ""] in rows
        assert f"| 47.78%{said} |" in (out / "report.md").read_text()


def test_a_compared_run_whose_fix_moved_says_why_no_held_out_numbers_lead(
    image_run, make_run, image_concepts, tmp_path, capsys
):
    """A loop (or runs) folder moved elsewhere: the rediscovery's summary.json names the fix's
    weights by their old absolute path, so its mitigation.json was not found and the held-out
    numbers silently left the report; now a note says so and names --mitigation."""
    gone = tmp_path / "moved_away" / "mitigate" / "model.pt"
    for name, weights in (("after_move", str(gone)), ("after_name", "bundled")):
        task = {"name": "planted", "target": {"name": "t", "args": {"weights": weights}}}
        other = make_run(name, image_concepts, planted_image_counts, task=task)
        argv = [str(image_run), "--compare", str(other), "--no-tensorboard"]
        assert main([*argv, "--out", str(tmp_path / f"report_{name}")]) == 0
        notes = [n for n in capsys.readouterr().err.splitlines() if "--compare: " in n]
        said = [
            f"ffade: note: --compare: the compared run's weights {gone} are not there (moved or "
            "removed?), so no fine-tune's held-out numbers lead the comparison; give the "
            "fine-tune's mitigation.json (or its run directory) with --mitigation"
        ]
        assert notes == (said if weights == str(gone) else [])


def test_a_mitigation_that_fixed_another_model_is_refused(
    image_run, make_run, image_concepts, tmp_path, capsys
):
    """--mitigation's held-out numbers lead the comparison only when the compared run searched
    the model that fine-tune saved; another run's (or an earlier) fix is one line, exit 2."""
    record = {"status": "accepted", "clean_accuracy_before": 0.9, "clean_accuracy_after": 0.89}
    for name in ("this_fix", "other_fix"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.pt").write_bytes(b"")
        fixed = {**record, "fixed_weights": str(tmp_path / name / "model.pt")}
        (tmp_path / name / "mitigation.json").write_text(json.dumps(fixed))
    weights = str(tmp_path / "this_fix" / "model.pt")
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": weights}}}
    other = make_run("after_fix", image_concepts, planted_image_counts, task=task)
    argv = [str(image_run), "--compare", str(other), "--no-tensorboard", "--mitigation"]
    out = tmp_path / "report"
    assert main([*argv, str(tmp_path / "other_fix"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "other_fix/mitigation.json saved the fixed model" in err and "\n" not in err
    assert f"its files: weights {weights}" in err and not out.exists()
    assert main([*argv, str(tmp_path / "this_fix"), "--out", str(out)]) == 0


def test_a_mitigation_copied_elsewhere_leads_a_run_of_the_copy_s_model(
    image_run, make_run, image_concepts, tmp_path, capsys
):
    """A fine-tune's folder copied elsewhere, and its copied model.pt searched again: its
    mitigation.json names the original's model.pt, so --mitigation COPY was refused as another
    model's fix. Its ``fixed_files`` (model.pt, relative to its folder) is the copy's own."""
    original, copy = tmp_path / "fix", tmp_path / "elsewhere" / "fix"
    original.mkdir()
    (original / "model.pt").write_bytes(b"")
    saved = str(original / "model.pt")
    record = {
        "status": "accepted",
        "clean_accuracy_before": 0.9,
        "clean_accuracy_after": 0.89,
        "fixed_weights": saved,
        "fixed_target": {"name": "t", "args": {"weights": saved}},
        "fixed_files": {"weights": "model.pt"},
    }
    (original / "mitigation.json").write_text(json.dumps(record))
    shutil.copytree(original, copy)
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": str(copy / "model.pt")}}}
    other = make_run("after_copied_fix", image_concepts, planted_image_counts, task=task)
    argv = [str(image_run), "--compare", str(other), "--no-tensorboard", "--mitigation", str(copy)]
    assert main([*argv, "--out", str(tmp_path / "report")]) == 0, capsys.readouterr().err


def test_a_side_effect_is_traced_to_its_concept_values(
    image_run, make_run, image_concepts, tmp_path
):
    """mitigation.json's untargeted_by_value becomes a table after the held-out numbers, the
    largest rise first; values no untargeted pair held are left out."""
    fixed = tmp_path / "side_effects"
    fixed.mkdir()
    rows = [
        {"value": 0, "pairs": 40, "failure_rate_before": 0.25, "failure_rate_after": 0.2},
        {"value": 15, "pairs": 30, "failure_rate_before": 0.1, "failure_rate_after": 0.3},
        {"value": 30, "pairs": 0, "failure_rate_before": None, "failure_rate_after": None},
    ]
    record = {
        "status": "accepted",
        "clean_accuracy_before": 0.9,
        "clean_accuracy_after": 0.9,
        "untargeted_by_value": {"rotation": rows},
    }
    (fixed / "mitigation.json").write_text(json.dumps(record))
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": str(fixed / "m.pt")}}}
    other = make_run("side_after", image_concepts, planted_image_counts, task=task)
    build_report(image_run, other, tensorboard=False)
    page = parse((image_run / "report.html").read_text())
    assert list(page.tables)[:2] == ["held-out", "side-effects"]
    assert page.tables["side-effects"][1:] == [
        ["rotation = 15", "30", "10.0% -> 30.0%", "+20.0 points"],
        ["rotation = 0", "40", "25.0% -> 20.0%", "-5.0 points"],
    ]
    assert "Untargeted failure rate by concept value" in (image_run / "report.md").read_text()


def test_a_change_the_fix_made_never_reads_as_none(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    """One decimal of a percent read a fall of 95.04% -> 94.96% as "95.0% -> 95.0%", a rise of
    0.03 points as "+0.0 points", and a failure rate of 99.96% as "100.0%": the figures take the
    decimals that tell them apart, and a rate short of all never reads 100%."""
    fixed = tmp_path / "small_changes"
    fixed.mkdir()
    rows = [
        {"value": 0, "pairs": 9999, "failure_rate_before": 0.9996, "failure_rate_after": 0.9999}
    ]
    record = {
        "status": "accepted",
        "clean_accuracy_before": 0.9504,
        "clean_accuracy_after": 0.9496,
        "untargeted_by_value": {"rotation": rows},
    }
    (fixed / "mitigation.json").write_text(json.dumps(record))
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": str(fixed / "m.pt")}}}
    other = make_run("small_after", image_concepts, planted_image_counts, task=task)
    build_report(image_run, other, tensorboard=False)
    page = parse((image_run / "report.html").read_text())
    assert page.tables["held-out"][2][:3] == ["clean accuracy", "95.04%", "94.96%"]
    assert page.tables["side-effects"][1:] == [
        ["rotation = 0", "9999", "99.96% -> 99.99%", "+0.03 points"],
    ]


def test_a_summarizers_held_out_numbers_read_in_its_own_units(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    # the seq2seq fine-tuner's mitigation.json: clean_accuracy_* is BLEU / 100, clean_bleu_* BLEU
    fixed = tmp_path / "text_mitigate"
    fixed.mkdir()
    record = {
        "status": "accepted",
        "clean_metric": "BLEU / 100",
        "clean_accuracy_before": 0.993,
        "clean_accuracy_after": 0.987,
        "clean_bleu_before": 99.3,
        "clean_bleu_after": 98.7,
        "clean_rougel_before": 0.998,
        "clean_rougel_after": 0.99,
    }
    (fixed / "mitigation.json").write_text(json.dumps(record))
    task = {"name": "planted", "target": {"name": "t", "args": {"weights": str(fixed / "m.pt")}}}
    other = make_run("text_after", image_concepts, planted_image_counts, task=task)
    build_report(image_run, other, tensorboard=False)
    rows = parse((image_run / "report.html").read_text()).tables["held-out"]
    assert ["clean BLEU / 100", "0.993", "0.987", ""] in rows  # as the fit's ending says it
    assert ["clean BLEU", "99.30", "98.70", ""] in rows  # points, not 9930%
    assert ["clean rougel", "99.8%", "99.0%", ""] in rows


def test_held_out_numbers_of_a_lora_fix_are_found_beside_its_lora_directory(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    # the diffusion LoRA fine-tuner's fixed_target names lora_weights (RUN/lora), not weights
    fixed = tmp_path / "t2i_mitigate"
    (fixed / "lora").mkdir(parents=True)
    record = {"status": "accepted", "clean_accuracy_before": 0.8, "clean_accuracy_after": 0.79}
    (fixed / "mitigation.json").write_text(json.dumps(record))
    args = {"lora_weights": str(fixed / "lora")}
    task = {"name": "planted", "target": {"name": "t", "args": args}}
    other = make_run("lora_after", image_concepts, planted_image_counts, task=task)
    report = build_report(image_run, other, tensorboard=False)
    assert report["compare"]["mitigation"]["file"] == str(fixed / "mitigation.json")
    assert report["compare"]["mitigation"]["clean_accuracy_after"] == 0.79


def test_examples_and_microscopic_findings_are_shown(make_run, image_concepts) -> None:
    run = make_run(
        "micro",
        image_concepts,
        {(0, 0, 0): (4, 0), (2, 0, 0): (4, 3), (0, 0, 2): (4, 4)},
        mode="microscopic",
        status="interrupted",
        smallest_failing_changes=[  # blur 0 is the start's: only rotation changed
            {"input_id": 3, "steps": 2, "concepts": {"rotation": 20, "blur": 0}}
        ],
    )
    (run / "examples").mkdir()
    matplotlib.image.imsave(run / "examples" / "worst_0.png", np.zeros((4, 4, 3)))
    listing = [  # as ffade.summarize.examples writes it
        {
            "file": "worst_0.png",
            "input_id": 3,
            "reference": 7,
            "concepts": {"rotation": 20, "brightness": 0.2, "blur": 0},
            "changed": {"rotation": 20, "brightness": 0.2},
            "metric": 9.5,
            "reward": 9.5,
            "output": "1",
        },
        {"file": "deleted_since.png", "input_id": 4, "concepts": {}, "changed": {}},
    ]
    (run / "examples" / "examples.json").write_text(json.dumps(listing))

    assert main([str(run), "--no-tensorboard"]) == 0
    markdown = (run / "report.md").read_text()
    assert "status is 'interrupted'" in markdown
    assert (
        "| blur | blur = 2 (neutral 0): 100% failure (95% CI 51-100%), 4 evaluations |" in markdown
    )
    assert "| 3 | 2 | rotation: 0 -> 20 |" in markdown  # a summary without "changed": from neutral
    caption = "Input 3 (should be 7), changed by rotation 20 and brightness 0.2: the target says 1"
    assert f"![{caption}](examples/worst_0.png)\n*{caption}*" in markdown
    assert "deleted_since" not in markdown  # a picture deleted since is left out
    # an input failing as it is read "changed by no change"
    assert example_caption({"input_id": 5, "reference": "2", "output": "3"}) == (
        "Input 5 (should be 2), unchanged: the target says 3"
    )
    # the order said: the digits quickstart's "predicted 8 (p=0.25)" among misses at p >= 0.75
    # read as out of place where "worst" was taken for "most confident"; it is the reward's
    order = "Highest reward first, one per input first."
    assert f"## Worst failing examples\n\n{order}\n\n![" in markdown
    assert f"<h2>Worst failing examples</h2><p>{order}</p>" in (run / "report.html").read_text()
    page = parse((run / "report.html").read_text())
    assert len(decoded_images(page)) == 2
    assert page.tables["smallest-change"][1][0] == "rotation"


def test_an_input_failing_at_the_start_state_reads_nothing_changed(
    make_run, image_concepts
) -> None:
    """Its row names what changed: nothing, rather than an empty cell."""
    run = make_run(
        "micro_at_start",
        image_concepts,
        {(2, 0, 0): (4, 4)},
        mode="microscopic",
        start_state=[2, 0, 0],
        smallest_failing_changes=[
            {"input_id": 1, "steps": 0, "concepts": {"rotation": 20, "brightness": 0.2, "blur": 0}}
        ],
    )
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    assert "| 1 | 0 | nothing: it fails at the start state |" in (run / "report.md").read_text()
    page = parse((run / "report.html").read_text())
    assert page.tables["smallest-change-per-input"][1] == [
        "1",
        "0",
        "nothing: it fails at the start state",
    ]


def test_each_input_row_says_what_changed_from_the_start_and_to_what(
    make_run, image_concepts
) -> None:
    """summary.json's ``changed`` (as explorers write it) is the row: each concept that moved,
    from its start value to its failing one; report.json keeps it as given."""
    changed = {"rotation": {"from": 20, "to": 0}, "blur": {"from": 0, "to": 2}}
    run = make_run(
        "micro_changed",
        image_concepts,
        {(0, 0, 2): (4, 4)},
        mode="microscopic",
        start_state=[2, 0, 0],
        smallest_failing_changes=[
            {
                "input_id": 5,
                "steps": 4,
                "concepts": {"rotation": 0, "brightness": 0.2, "blur": 2},
                "changed": changed,
            }
        ],
    )
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    row = "| 5 | 4 | rotation: 20 -> 0, blur: 0 -> 2 |"
    assert row in (run / "report.md").read_text()
    report = json.loads((run / "report.json").read_text())
    assert report["explorer_smallest_failures"][0]["changed"] == changed


def test_a_run_started_away_from_neutral_measures_both_tables_from_its_start(
    make_run, image_concepts
) -> None:
    """Both smallest-failure tables measure from summary.json's ``start_state``: rotation 30 is
    one step from a start at 40, where rotation 10, one step from neutral, is three."""
    counts = {(0, 0, 0): (4, 0), (1, 0, 0): (4, 4), (3, 0, 0): (4, 4), (4, 0, 0): (4, 0)}
    counts[(4, 0, 2)] = (4, 4)  # blur 2 from the start fails; from neutral it was never tried
    start = [4, 0, 0]
    run = make_run("far_start", image_concepts, counts, mode="microscopic", start_state=start)
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    page = parse((run / "report.html").read_text())
    rows = page.tables["smallest-change"][1:]
    assert [row[1] for row in rows] == [
        "rotation = 30 (start 40): 100% failure (95% CI 51-100%), 4 evaluations",
        "brightness: no failure from a change of brightness alone",
        "blur = 2 (start 0): 100% failure (95% CI 51-100%), 4 evaluations",
        "rotation = 30 (distance 0.25 from the start state): 100% failure (95% CI 51-100%), "
        "4 evaluations",
    ]
    assert "## Smallest failing change from the start state" in (run / "report.md").read_text()
    changes = json.loads((run / "report.json").read_text())["smallest_failing_changes"]
    assert changes["start_state"] == start and changes["neutral_state"] == [0, 0, 0]
    assert changes["per_concept"][0]["start_value"] == 40


def test_a_start_state_that_fails_is_said_once(make_run, image_concepts) -> None:
    """A start state that itself fails is the closest failing combination: its row read "the
    start state (distance 0 from the start state)"."""
    counts = {(4, 0, 0): (4, 4), (3, 0, 0): (4, 0), (0, 0, 0): (4, 0)}
    run = make_run(
        "failing_start", image_concepts, counts, mode="microscopic", start_state=[4, 0, 0]
    )
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    rows = parse((run / "report.html").read_text()).tables["smallest-change"][1:]
    assert rows[-1] == [
        "any combination",
        "the start state: 100% failure (95% CI 51-100%), 4 evaluations",
    ]


def test_a_damaged_start_state_is_one_line(make_run, image_concepts) -> None:
    run = make_run("bad_start", image_concepts, {}, mode="microscopic", start_state=[9, 0, 0])
    result = ffade_in_process("report", str(run), "--no-tensorboard")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: {run}/summary.json is damaged: key 'start_state' is [9, 0, 0]; expected "
        "grid indices, one per concept, within the grid's sizes [5, 5, 3]"
    ]


def test_regions_too_thin_to_judge_are_counted_not_listed(make_run, image_concepts) -> None:
    counts = {(0, 0, 0): (6, 0), (4, 4, 2): (5, 5), (2, 0, 2): (1, 1), (0, 4, 0): (2, 2)}
    run = make_run("thin", image_concepts, counts)
    assert main([str(run), "--no-tensorboard"]) == 0
    regions = json.loads((run / "report.json").read_text())["regions"]
    assert len(regions) == 3  # all of them in the JSON
    rows = parse((run / "report.html").read_text()).tables["regions"][1:]
    assert [row[5] for row in rows[:-1]] == ["5"]  # only the region with 5 evaluations listed
    assert "2 more regions of fewer than 3 evaluations each" in rows[-1][2]


def test_regions_too_thin_to_judge_keep_their_row_in_a_folded_table(
    make_run, image_concepts
) -> None:
    """17 judged regions fold after 15; the closing row of thin ones stays, not folded into
    "... 3 more rows" (it was counted as a region there, and the 2 thin ones went unsaid)."""
    apart = [s for s in itertools.product(range(5), range(5), range(3)) if sum(s) % 2 == 0]
    counts = {state: (5, 5) for state in apart[:17]} | {s: (1, 1) for s in apart[17:19]}
    run = make_run("thin_folded", image_concepts, counts)
    assert main([str(run), "--no-tensorboard"]) == 0
    assert len(json.loads((run / "report.json").read_text())["regions"]) == 19
    rows = parse((run / "report.html").read_text()).tables["regions"][1:]
    assert [row[0] for row in rows[:15]] == [str(rank) for rank in range(1, 16)]
    assert rows[15][0] == "... 2 more rows in report.json", rows[15]
    assert "2 more regions of fewer than 3 evaluations each" in rows[16][2] and len(rows) == 17
    assert "2 more regions of fewer than 3 evaluations each" in (run / "report.md").read_text()


def test_text_examples_are_quoted_with_their_captions(make_run, image_concepts) -> None:
    run = make_run("text", image_concepts, {(0, 0, 0): (4, 0), (2, 0, 0): (4, 3)})
    (run / "examples").mkdir()
    listing = [
        {
            "input_id": 1,
            "input": "Teh <b>council</b> met.",
            "concepts": {"rotation": 0, "blur": 2},
            "changed": {"blur": 2},  # what the caption names
            "output": "A summary.",
        }
    ]
    (run / "examples" / "examples.json").write_text(json.dumps(listing))

    assert main([str(run), "--no-tensorboard"]) == 0
    markdown = (run / "report.md").read_text()
    caption = "Input 1, changed by blur 2: the target says A summary."
    # a paragraph apart: right under the quote, Markdown joined the caption to the quoted input;
    # the text as typed: a tag in it is shown, not applied (<b> made the quote bold)
    assert f"> Teh &lt;b>council&lt;/b> met.\n\n*{caption}*" in markdown
    page = (run / "report.html").read_text()
    assert "<blockquote>Teh &lt;b&gt;council&lt;/b&gt; met.</blockquote>" in page
    assert f"<figcaption>{caption}</figcaption>" in page


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", r"run directory .*missing does not exist"),
        ("empty", r".*empty/summary.json not found: is .*empty an ffade run directory\?"),
        ("other_grid", r"--compare: .*other/summary.json key 'concepts' differs from"),
        ("missing_compare", r"--compare: run directory .*missing does not exist"),
        ("axes", r"--axes: unknown concept 'hue' .*; concepts: rotation, brightness, blur"),
        # said before the other run is read (it was found after regions, rules and the compare)
        ("axes_and_other_grid", r"--axes: unknown concept 'hue' .*; concepts: rotation,"),
        # labels are separate words (so one may hold a comma); `--axes a,b` is told so
        (
            "axes_commas",
            r"--axes: unknown concept 'rotation,blur' .*; concepts: rotation, bright"
            r"ness, blur; labels are separate words, one with a space or comma quoted: --axes "
            r"rotation brightness$",
        ),
        ("axes_repeat", r"--axes: concepts repeat in \[blur, blur\]; name each at most once"),
        ("threshold", r"argument --threshold: expected a failure rate in \(0, 1\], got '1.5'"),
        ("not_mitigation", r"--mitigation: .*summary.json is not a fine-tune's mitigation.json"),
        ("list_mitigation", r"--mitigation: .*list.json is not a fine-tune's mitigation.json"),
        # a byte that is not UTF-8 was a UnicodeDecodeError traceback
        ("latin1_mitigation", r"--mitigation: .*latin1.json: line 1 is not UTF-8 text \(byte 0xe9"),
        # a directory was IsADirectoryError; a missing file was found after the figures
        ("missing_mitigation", r"--mitigation: .*empty/mitigation.json not found; give a fine"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    case, expected, image_run, make_run, tmp_path, capsys
) -> None:
    (tmp_path / "empty").mkdir()
    other = make_run("other", {"rotation": [0, 10]}, {})
    compare_self = [str(image_run), "--compare", str(image_run)]
    argv = {
        "missing": [str(tmp_path / "missing")],
        "empty": [str(tmp_path / "empty")],
        "other_grid": [str(image_run), "--compare", str(other)],
        "missing_compare": [str(image_run), "--compare", str(tmp_path / "missing")],
        "axes": [str(image_run), "--axes", "hue"],
        "axes_and_other_grid": [str(image_run), "--compare", str(other), "--axes", "hue"],
        "axes_repeat": [str(image_run), "--axes", "blur", "blur"],
        "axes_commas": [str(image_run), "--axes", "rotation,blur"],
        "threshold": [str(image_run), "--threshold", "1.5"],
        # a discovery run's summary.json is JSON, but no fine-tune's verdict
        "not_mitigation": [*compare_self, "--mitigation", str(image_run / "summary.json")],
        "list_mitigation": [*compare_self, "--mitigation", str(tmp_path / "list.json")],
        "latin1_mitigation": [*compare_self, "--mitigation", str(tmp_path / "latin1.json")],
        "missing_mitigation": [*compare_self, "--mitigation", str(tmp_path / "empty")],
    }[case]
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "latin1.json").write_bytes('{"status": "caf\u00e9"}'.encode("latin-1"))
    out = tmp_path / "new" / "report"  # a refused report leaves no empty --out behind
    try:
        code = main([*argv, "--out", str(out), "--no-tensorboard"])
    except SystemExit as exit:  # argparse's refusal of an option's value
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.match(r"ffade: error: " + expected, err)
    assert not (tmp_path / "new").exists()


def _damage(run: Path, case: str, tmp_path: Path) -> list[str]:
    """Hand-edit or damage one file of a planted run as ``case`` says; the options to report it."""
    summary = json.loads((run / "summary.json").read_text())
    mitigation = {"status": "accepted", "clean_accuracy_before": 0.9, "clean_accuracy_after": 0.9}
    if case == "examples_not_a_list":
        (run / "examples").mkdir()
        (run / "examples" / "examples.json").write_text("{}")
    elif case == "examples_entry":
        (run / "examples").mkdir()
        (run / "examples" / "examples.json").write_text('[{"input_id": 3}]')
    elif case == "examples_changed":
        (run / "examples").mkdir()
        (run / "examples" / "examples.json").write_text('[{"input": "a", "changed": [1]}]')
    elif case == "policy":
        (run / "policy.npy").write_bytes(b"not numpy")
    elif case == "summary_count":
        (run / "summary.json").write_text(json.dumps({**summary, "evaluations": "many"}))
    elif case == "summary_environment":
        (run / "summary.json").write_text(json.dumps({**summary, "environment": "cpu"}))
    elif case == "summary_remaining":
        remaining = {"estimate": "lots", "low": 1, "high": 2, "probes": 3, "probe_failures": 1}
        (run / "summary.json").write_text(
            json.dumps({**summary, "estimated_remaining_failures": remaining})
        )
    elif case == "mitigation_figure":
        mitigation["targeted_failure_rate_before"] = "high"
    elif case == "mitigation_by_value":
        mitigation["untargeted_by_value"] = {"rotation": [{"value": 0, "pairs": "many"}]}
    if not case.startswith("mitigation"):
        return [str(run)]
    (tmp_path / "mitigation.json").write_text(json.dumps(mitigation))
    return [str(run), "--compare", str(run), "--mitigation", str(tmp_path / "mitigation.json")]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("examples_not_a_list", r".*examples.json is damaged: expected a list of examples"),
        ("examples_entry", r".*examples.json entry \[0\] has no 'file' \(its picture\) or 'inpu"),
        ("examples_changed", r".*examples.json entry \[0\]: 'changed' is \[1\]; expected a map"),
        ("policy", r".*policy.npy is damaged \(.*\); expected the float32 action probabilities"),
        ("summary_count", r".*summary.json is damaged: key 'evaluations' is 'many'; expected a w"),
        ("summary_environment", r".*summary.json is damaged: key 'environment' is 'cpu'; expected"),
        ("summary_remaining", r".*summary.json is damaged: key 'estimated_remaining_failures' is"),
        ("mitigation_figure", r"--mitigation: .* key 'targeted_failure_rate_before' is 'high'"),
        ("mitigation_by_value", r"--mitigation: .* key 'untargeted_by_value' is damaged; expect"),
    ],
)
def test_a_damaged_or_hand_edited_run_file_is_one_line_and_exit_code_2(
    case, expected, image_run, tmp_path, capsys
) -> None:
    """Each was a traceback (or, for the count, a report that printed "evaluations: many"), and
    the mitigation cases left a half-written --out folder behind."""
    argv = _damage(image_run, case, tmp_path)
    out = tmp_path / "new" / "report"
    assert main([*argv, "--out", str(out), "--no-tensorboard"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.match(r"ffade: error: " + expected, err)
    assert not (tmp_path / "new").exists()


PROBE = """<script>window.addEventListener("load", () => {
  for (const img of document.images) {
    img.setAttribute("data-shown", img.complete && img.naturalWidth > 0 ? "yes" : "no");
  }
});</script>"""


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="needs Debian's chromium: apt-get update && apt-get install -y chromium",
)
def test_report_renders_in_headless_chromium(image_run, make_run, image_concepts, tmp_path) -> None:
    """The HTML opens offline in a real browser, with its table and every image decoded."""
    run = make_run("policy", image_concepts, {(4, 0, 0): (5, 5)}, policy=np.ones(75))
    assert main([str(image_run), "--compare", str(run), "--no-tensorboard"]) == 0
    report = image_run / "report.html"
    # a copy with a probe script that marks which images the browser decoded
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    chromium = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*chromium, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    page = parse(dom)
    assert page.tables["regions"][1][2] == "rotation >= 30 and brightness <= 0.4"
    assert "still failing" in [row[0] for row in page.tables["region-shift"]]
    assert len(page.images) == 3  # failure rates of both runs, the compared run's policy
    assert [image["data-shown"] for image in page.images] == ["yes", "yes", "yes"]
    assert all(len(image) > 1000 for image in decoded_images(page))

    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*chromium, f"--screenshot={screenshot}", "--window-size=1200,1600", report.as_uri()],
        capture_output=True,
        timeout=60,
        check=True,
    )
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels[..., :3].std() > 0.05  # not a blank page


def test_help_names_the_command(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: ffade report [-h]")


def test_paths_in_markdown_are_relative_to_the_output(image_run, tmp_path) -> None:
    out = tmp_path / "elsewhere"
    assert main([str(image_run), "--out", str(out), "--no-tensorboard"]) == 0
    for link in re.findall(r"\]\(([^)]+)\)", (out / "report.md").read_text()):
        assert (out / Path(link)).is_file()


def test_distance_notes_do_not_send_a_reader_from_one_missing_landscape_to_the_other(
    make_run, image_concepts
) -> None:
    """A run with no failure and no policy.npy has neither landscape: each row says why, and
    neither tells the reader to compare the other (the table's other row, missing too)."""
    passing = make_run("passing", image_concepts, lambda s: (2, 0))
    failing = make_run("failing", image_concepts, lambda s: (2, 2 * (s[0] == 4)))
    result = ffade_in_process("report", str(passing), "--compare", str(failing), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    distances = json.loads((passing / "report.json").read_text())["compare"]["wasserstein"]
    assert distances["failure"] == {
        "value": None,
        "note": f"{passing}: no evaluation failed, so its failure landscape has no mass: a "
        "Wasserstein distance or barycenter with it is undefined",
    }
    assert distances["policy"] == {
        "value": None,
        "note": f"{passing}: no policy.npy (the explorer wrote no action probabilities), so there "
        f"is no policy landscape; {failing}: no policy.npy (the explorer wrote no action "
        "probabilities), so there is no policy landscape",
    }
    assert "compare" not in (distances["failure"]["note"] + distances["policy"]["note"])


def test_a_run_compared_with_itself_says_why_a_distance_is_missing_once(
    make_run, image_concepts
) -> None:
    """Both sides the same run: the note said the same sentence twice, joined by '; '."""
    passing = make_run("passing", image_concepts, lambda s: (2, 0))
    result = ffade_in_process("report", str(passing), "--compare", str(passing), "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    distances = json.loads((passing / "report.json").read_text())["compare"]["wasserstein"]
    for kind, why in (("failure", "no evaluation failed"), ("policy", "no policy.npy")):
        assert distances[kind]["value"] is None and distances[kind]["note"].count(why) == 1


def test_long_tables_are_cut_in_md_and_html_but_not_in_json(
    make_run, image_concepts, monkeypatch
) -> None:
    """Two judged regions cut to one, and the row of the thin one after the cut."""
    import ffade.summarize.report_render as render

    monkeypatch.setattr(render, "MAX_TABLE_ROWS", 1)
    counts = {(0, 0, 0): (5, 5), (4, 4, 2): (4, 4), (2, 2, 0): (1, 1)}
    run = make_run("cut", image_concepts, counts)
    assert main([str(run), "--no-tensorboard"]) == 0
    rows = parse((run / "report.html").read_text()).tables["regions"]
    assert len(rows) == 4 and rows[1][5] == "5" and rows[2][0] == "... 1 more row in report.json"
    assert "1 more region of fewer than 3 evaluations" in rows[3][2]
    assert len(json.loads((run / "report.json").read_text())["regions"]) == 3


def test_runs_without_evaluations_or_failures_still_report(make_run, image_concepts) -> None:
    empty = make_run("empty", image_concepts, {})
    passing = make_run("passing", image_concepts, lambda s: (2, 0))
    assert main([str(passing), "--compare", str(empty), "--no-tensorboard"]) == 0
    data = json.loads((passing / "report.json").read_text())
    assert data["regions"] == [] and data["compare"]["wasserstein"]["failure"]["value"] is None
    assert "no evaluation failed" in data["compare"]["wasserstein"]["failure"]["note"]
    assert main([str(empty), "--no-tensorboard"]) == 0
    assert "holds no evaluation yet" in (empty / "report.md").read_text()


def test_meaning_changing_failures_are_reported_apart(make_run) -> None:
    grid = {"negate": [0, 1, 2], "typo": [0, 1, 2]}

    def counts(state: tuple[int, ...]) -> tuple[int, int]:
        negate, typo = state
        if negate:  # the summary follows the negation: "fails" everywhere
            return (10, 10)
        return (10, 9) if typo == 2 else (10, 0)

    run = make_run("text", grid, counts)
    summary = json.loads((run / "summary.json").read_text())
    summary["concepts"][0]["keeps_meaning"] = False
    (run / "summary.json").write_text(json.dumps(summary))
    report = build_report(run, tensorboard=False)
    assert [r["conditions"] for r in report["rules"]["rules"]] == ["typo = 2"]
    assert report["meaning_changing"] == [
        {
            "concept": "negate",
            "evaluations": 60,
            "failures": 60,
            "description": "100% failure (95% CI 94-100%), 60 evaluations",
        }
    ]
    page = parse((run / "report.html").read_text())
    assert page.tables["meaning-changing"][1] == [
        "negate",
        "100% failure (95% CI 94-100%), 60 evaluations",
    ]


def test_a_comparison_sets_the_other_runs_meaning_changing_failures_apart(make_run) -> None:
    # before: typo = 2 fails; after: it is fixed, and negated texts "fail" everywhere (the
    # summary follows the new meaning): that is no new rule, as it is none in either run's report
    grid = {"negate": [0, 1, 2], "typo": [0, 1, 2]}

    def before(state: tuple[int, ...]) -> tuple[int, int]:
        return (10, 10) if state[0] else ((10, 9) if state[1] == 2 else (10, 0))

    def after(state: tuple[int, ...]) -> tuple[int, int]:
        return (10, 10) if state[0] else (10, 0)

    runs = [make_run(name, grid, counts) for name, counts in (("a", before), ("b", after))]
    for run in runs:
        summary = json.loads((run / "summary.json").read_text())
        summary["concepts"][0]["keeps_meaning"] = False
        (run / "summary.json").write_text(json.dumps(summary))
    for slices in ("rules", "regions"):
        compare = build_report(runs[0], runs[1], tensorboard=False, slices=slices)["compare"]
        assert compare["regions"] == [], slices
        assert compare["region_shift"]["new"] == [], slices
        assert len(compare["region_shift"]["fixed"]) == 1, slices


def test_slices_regions_follows_connected_regions_into_the_compared_run(
    image_run, make_run, image_concepts
) -> None:
    other = make_run("same", image_concepts, planted_image_counts)
    assert (
        main([str(image_run), "--compare", str(other), "--slices", "regions", "--no-tensorboard"])
        == 0
    )
    compare = json.loads((image_run / "report.json").read_text())["compare"]
    # both connected regions (the planted one and the lone state) are followed, not the one rule
    assert len(compare["region_shift"]["still_failing"]) == 2
    assert all(r["id"].startswith("R-") for r in compare["regions"])


def test_both_runs_are_drawn_on_the_same_axes(make_run, monkeypatch) -> None:
    import ffade.summarize.plots as plots
    import ffade.summarize.report as report_module

    drawn = []
    original = plots.plot_landscape

    def recording(landscape, kind="failure", axes=None, run=None):
        drawn.append((landscape.source, kind, list(axes)))
        return original(landscape, kind, axes, run)

    monkeypatch.setattr(plots, "plot_landscape", recording)
    monkeypatch.setattr(report_module, "plot_landscape", recording)

    grid = {"a": [0, 1, 2], "b": [0, 1, 2], "c": [0, 1, 2], "d": [0, 1, 2]}

    def failing_along(axis: int):  # a run fails along one concept: default axes lead with it
        return lambda state: (4, 4) if state[axis] == 2 else (4, 0)

    first = make_run("first", grid, failing_along(0))
    other = make_run("other", grid, failing_along(3))
    build_report(first, other, tensorboard=False, axes=None)
    failure_axes = [axes for _, kind, axes in drawn if kind == "failure"]
    assert len(failure_axes) == 2 and failure_axes[0] == failure_axes[1]


def test_damaged_lines_invalid_evaluations_and_mismatches_are_said(tmp_path, capsys) -> None:
    from tests.summarize.conftest import write_run

    run = write_run(
        tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, {(2,): (4, 3), (1,): (4, 0)}, evaluations=64
    )
    log = run / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    nan = json.loads(lines[0]) | {"metric": float("nan"), "failed": False, "invalid": True}
    lines[2] = lines[2][:20]  # torn in the middle of the log
    log.write_text("\n".join([*lines, json.dumps(nan)]) + "\n")
    summary = json.loads((run / "summary.json").read_text()) | {"invalid": 1}
    (run / "summary.json").write_text(json.dumps(summary))
    assert main([str(run), "--no-tensorboard"]) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "damaged" in line or "says 64" in line]
    # every command's warnings share one prefix (not `ffade report: warning:`)
    assert len(said) == 2 and all(line.startswith("ffade: warning: ") for line in said), err
    assert "evaluations.jsonl line 3: damaged" in err
    assert "says 64 evaluations but" in err and "holds 8" in err
    report = json.loads((run / "report.json").read_text())
    assert len(report["log_problems"]) == 2  # the torn line (a pass), and evaluations differ
    assert report["run_figures"]["invalid"] == 1
    markdown = (run / "report.md").read_text()
    assert "1 evaluation was invalid" in markdown and "line 3: damaged" in markdown


def test_a_killed_runs_counts_come_from_its_log(make_run, capsys) -> None:
    """A killed run's summary.json was last saved before most of its log: the Run table counts
    the log (it said 0 evaluations where the log held 1,488)."""
    counts = {(0, 0, 0): (4, 0), (2, 0, 0): (4, 3), (0, 0, 2): (4, 4)}
    grid = {"rotation": [0, 10, 20], "brightness": [1.0], "blur": [0, 1, 2]}
    stale = {"evaluations": 0, "failures": 0, "distinct_failure_states": 0}
    run = make_run("killed", grid, counts, status="running", **stale)
    assert main([str(run), "--no-tensorboard"]) == 0
    assert (  # read, not refused: a partial run is worth reading, said so on the terminal too
        f"ffade: note: {run} did not finish: its summary.json status is 'running' (still "
        "running, or killed); its figures cover the evaluations made so far"
    ) in capsys.readouterr().err.splitlines()
    figures = json.loads((run / "report.json").read_text())["run_figures"]
    assert (figures["evaluations"], figures["failures"], figures["invalid"]) == (12, 7, 0)
    assert (figures["distinct_failure_states"], figures["failing_concept_states"]) == (7, 2)

    finished = make_run("finished", grid, counts, **stale)  # final: a mismatch is a log problem
    assert main([str(finished), "--no-tensorboard"]) == 0
    report = json.loads((finished / "report.json").read_text())
    assert report["run_figures"]["evaluations"] == 12  # the log's, as the failure rate's
    assert any("says 0 evaluations but" in p for p in report["log_problems"])
    assert "did not finish" not in capsys.readouterr().err


def test_a_run_that_ends_while_it_is_reported_is_reported_as_read(
    make_run, monkeypatch, capsys
) -> None:
    """`ffade report` on a run still searching: a run that ended between the landscape's read
    of its log and the summary's read was reported finished, its log "cut short" (says 12
    evaluations but ... holds 4), over the landscape of 4. The summary read with the log (the
    landscape's, first) stands for the command. The run ends here just after the log is read,
    as it would between two reads."""
    import ffade.summarize.report as report_module
    from ffade.cli import main as ffade_main

    counts = {(0, 0, 0): (4, 0), (2, 0, 0): (4, 3), (0, 0, 2): (4, 4)}
    grid = {"rotation": [0, 10, 20], "brightness": [1.0], "blur": [0, 1, 2]}
    stale = {"evaluations": 0, "failures": 0, "distinct_failure_states": 0}
    run = make_run("live", grid, counts, status="running", **stale)
    log, summary_file = run / "evaluations.jsonl", run / "summary.json"
    whole = log.read_text()
    log.write_text("".join(whole.splitlines(keepends=True)[:4]))
    final = {**json.loads(summary_file.read_text()), "status": "finished"}
    final.update(evaluations=12, failures=7, distinct_failure_states=7)
    landscape_of = report_module.load_landscape

    def run_ends(*args, **kwargs):
        landscape = landscape_of(*args, **kwargs)
        log.write_text(whole)
        summary_file.write_text(json.dumps(final))
        return landscape

    monkeypatch.setattr(report_module, "load_landscape", run_ends)
    assert ffade_main(["report", str(run), "--no-tensorboard"]) == 0
    err = capsys.readouterr().err
    assert "says 12 evaluations" not in err
    assert (
        f"ffade: note: {run} did not finish: its summary.json status is 'running' (still "
        "running, or killed); its figures cover the evaluations made so far"
    ) in err.splitlines()
    report = json.loads((run / "report.json").read_text())
    assert report["run_figures"]["evaluations"] == 4 and not report["log_problems"]


def test_a_finished_run_whose_log_was_cut_is_counted_from_the_log(tmp_path, capsys) -> None:
    """A log cut short under a finished (or failed) summary: the Run table and the terminal said
    summary.json's 64 evaluations beside a failure rate and states counted over the log's 8."""
    from tests.summarize.conftest import write_run

    run = write_run(
        tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, {(2,): (4, 3), (1,): (4, 0)}, evaluations=64
    )
    summary = json.loads((run / "summary.json").read_text()) | {"failures": 40}
    (run / "summary.json").write_text(json.dumps(summary))
    assert main([str(run), "--no-tensorboard"]) == 0
    out, err = capsys.readouterr()
    figures = json.loads((run / "report.json").read_text())["run_figures"]
    assert (figures["evaluations"], figures["failures"], figures["failure_rate"]) == (8, 3, 0.375)
    assert "evaluations: 8, failures: 3" in out.splitlines()
    log, said = run / "evaluations.jsonl", run / "summary.json"
    assert err.splitlines()[:2] == [
        f"ffade: warning: {said} says 64 evaluations but {log} holds 8; the report counts the "
        "log's",
        f"ffade: warning: {said} says 40 failures but {log} holds 3; the report counts the log's",
    ]


def test_with_no_rule_the_next_command_asks_about_regions_or_says_there_is_none(
    make_run, monkeypatch, tmp_path
) -> None:
    """`ffade feedback RUN` on a run with no rule only says to add --slices regions: the report's
    closing line gives the command that works (the text quickstart has regions but no rule)."""
    report = {
        "run": "runs/text_quickstart/version_0",
        "threshold": 0.5,
        "min_evaluations": 1,
        "compare": None,
        "run_figures": {"evaluations": 3000, "failures": 1012, "failure_rate": 1012 / 3000},
        "rules": {"rules": [], "coverage": 0.0, "failing_states": 114},
        "regions": [{"id": "R-1"}],
    }
    last = ending(report, Path("report.html")).splitlines()[-1]
    assert last == (
        "next: ffade feedback runs/text_quickstart/version_0 --slices regions (no failure rule "
        "to ask about: its connected regions instead)"
    )
    report["regions"] = []  # nothing to ask about either way: feedback would save no answer
    assert ending(report, Path("report.html")).splitlines()[-1] == (
        "next: nothing to rank: no failure slice at --threshold 0.5 (min evaluations 1); a lower "
        "threshold finds slices of rarer failures: ffade report runs/text_quickstart/version_0 "
        "--threshold 0.25"
    )
    # the command halves the threshold alone: a --min-evaluations given is kept, not dropped
    # (the run is read to see that a state with a failure has 50 evaluations: 20 of 60 here)
    make_run("runs/text_quickstart/version_0", {"x": [0, 1]}, {(1,): (60, 20)})
    monkeypatch.chdir(tmp_path)
    report["min_evaluations"] = 50
    assert (
        ending(report, Path("report.html"))
        .splitlines()[-1]
        .endswith(
            "ffade report runs/text_quickstart/version_0 --threshold 0.25 --min-evaluations 50"
        )
    )
    report["run_figures"].update(failures=0, failure_rate=0.0)  # none in the log either
    last = ending(report, Path("report.html")).splitlines()[-1]
    assert last == "next: nothing to rank (no failure found)"


def test_a_compared_runs_action_probabilities_are_drawn_too(
    image_run, make_run, image_concepts, tmp_path
) -> None:
    """Its policy entered the Wasserstein distance, but only this run's was pictured."""
    policy = np.full(75, 1 / 75)  # the 5 x 5 x 3 grid, uniform
    other = make_run("other", image_concepts, planted_image_counts, policy=policy)
    out = tmp_path / "report"
    args = [str(image_run), "--compare", str(other), "--out", str(out), "--no-tensorboard"]
    assert main(args) == 0
    images = json.loads((out / "report.json").read_text())["images"]
    assert set(images) == {"failure_rate", "compare_failure_rate", "compare_action_probabilities"}
    assert (out / images["compare_action_probabilities"]).read_bytes().startswith(PNG_MAGIC)
    assert "action probabilities (compared run)" in (out / "report.html").read_text()


def test_a_comparisons_pictures_name_their_run(image_run, make_run, image_concepts, monkeypatch):
    """Both runs' pictures had the same title: a PNG seen alone did not say whose it was."""
    import ffade.summarize.report as report_module

    titles = []
    original = report_module.save_figure

    def recording(figure, path, dpi=100):
        titles.append((Path(path).name, figure.texts[0].get_text()))
        return original(figure, path, dpi)

    monkeypatch.setattr(report_module, "save_figure", recording)
    other = make_run("other", image_concepts, planted_image_counts, policy=np.full(75, 1 / 75))
    build_report(image_run, other, tensorboard=False)
    named = {name: title.splitlines()[-1] for name, title in titles}
    for name, label, run in [
        ("failure_rate.png", "this run: ", image_run),
        ("compare_failure_rate.png", "compared run: ", other),
        ("compare_action_probabilities.png", "compared run: ", other),
    ]:  # a long path keeps its end, which tells the runs apart
        assert named[name].startswith(label) and named[name].endswith(
            f"{run.parent.name}/{run.name}"
        )
    titles.clear()
    build_report(image_run, tensorboard=False)  # one run: nothing to tell apart
    assert all("run:" not in title for _, title in titles)


def test_the_next_command_quotes_a_run_path_with_spaces(image_run, tmp_path, capsys) -> None:
    """`next: ffade feedback /a dir/run` split at the space when pasted into a shell."""
    run = tmp_path / "a dir é数字" / "run"
    shutil.copytree(image_run, run)
    assert main([str(run), "--no-tensorboard"]) == 0
    next_line = capsys.readouterr().out.splitlines()[-1]
    assert shlex.split(next_line) == ["next:", "ffade", "feedback", str(run)]


def test_report_md_links_work_from_an_out_folder_with_a_space(image_run: Path, tmp_path) -> None:
    """`--out "rep ört/x"` on a run under `my runs/`: report.md linked `../../my runs/...png`,
    and a space ends a Markdown link, so no viewer showed the examples."""
    run = tmp_path / "my runs" / "résumé é"
    shutil.copytree(image_run, run)
    (run / "examples").mkdir()
    matplotlib.image.imsave(run / "examples" / "worst_0.png", np.zeros((4, 4, 3)))
    listing = [{"file": "worst_0.png", "input_id": 3, "reference": 7, "concepts": {}}]
    (run / "examples" / "examples.json").write_text(json.dumps(listing))
    out = tmp_path / "rep ört" / "x"
    relative = ["my runs/résumé é/", "--out", "rep ört/x/", "--no-tensorboard"]
    done = ffade_in_process("report", *relative, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    links = re.findall(r"!\[[^\]]*\]\((.*?)\)", (out / "report.md").read_text())
    assert "../../my%20runs/r%C3%A9sum%C3%A9%20%C3%A9/examples/worst_0.png" in links
    for link in links:
        assert " " not in link and (out / urllib.parse.unquote(link)).is_file(), link
    # report.json's example pictures are found from any directory, its images from the report's
    report = json.loads((out / "report.json").read_text())
    assert report["examples"][0]["path"] == str(run / "examples" / "worst_0.png")
    assert all((out / image).is_file() for image in report["images"].values())


def test_report_json_finds_its_example_pictures_in_a_moved_run(image_run: Path, tmp_path) -> None:
    """report.json gave each example picture only its absolute `path`, which a run folder
    moved or copied elsewhere no longer holds; `file` is the path from the run directory."""
    run = tmp_path / "run"
    shutil.copytree(image_run, run)
    (run / "examples").mkdir()
    matplotlib.image.imsave(run / "examples" / "worst_0.png", np.zeros((4, 4, 3)))
    listing = [{"file": "worst_0.png", "input_id": 3, "reference": 7, "concepts": {}}]
    (run / "examples" / "examples.json").write_text(json.dumps(listing))
    build_report(run, tensorboard=False)
    moved = shutil.move(run, tmp_path / "moved")
    (example,) = json.loads((Path(moved) / "report.json").read_text())["examples"]
    assert example["file"] == "examples/worst_0.png" and (Path(moved) / example["file"]).is_file()
    assert example["path"] == str(run / "examples" / "worst_0.png")  # as docs/report.md says


def test_odd_labels_read_as_typed_in_markdown_and_html(make_run, image_concepts) -> None:
    """Concept labels with Markdown and HTML characters ('a|b', '*c*', '<b>d</b>', '&', '`')
    broke report.md's tables, turned italic or bold, or became tags; the HTML escapes them."""
    odd = "Rot|a *x* <b>y</b> & `z` [k](u) _u_ $1"
    grid = {odd if name == "rotation" else name: values for name, values in image_concepts.items()}
    run = make_run("odd", grid, planted_image_counts)
    build_report(run, tensorboard=False)
    markdown = (run / "report.md").read_text()
    typed = r"Rot\|a \*x\* &lt;b>y&lt;/b> & \`z\` \[k\](u) \_u\_ \$1 >= 30"
    rows = [line for line in markdown.splitlines() if typed in line]
    assert rows and all(line.count(" | ") == 6 for line in rows[:1])  # the rules' 7 columns
    assert "<b>" not in markdown and "brightness <= 0.4" in markdown
    cells = [row[2] for row in parse((run / "report.html").read_text()).tables["rules"]]
    assert f"{odd} >= 30 and brightness <= 0.4" in cells


def test_markdown_text_keeps_a_table_cell_on_one_line() -> None:
    """A grid word holding a newline ended report.md's table row mid-cell."""
    from ffade.markdown import markdown_text

    assert markdown_text("a\n b|c\r\nd") == "a b\\|c d"


def two_blocks(state: tuple[int, ...]) -> tuple[int, int]:
    """Two failing blocks (rotation >= 30, brightness <= 0.4; blur 2 with rotation <= 10), some
    states failing on 2 evaluations only, two failing exactly 50% and 60% of their evaluations,
    and thin failures everywhere else."""
    rotation, brightness, blur = state
    if rotation >= 3 and brightness <= 1:
        return 12, 11
    if state in ((0, 2, 0), (1, 2, 0)):  # exactly at a threshold: failing ("at least")
        return 10, 5 + state[0]
    if blur == 2 and rotation <= 1:
        return (2, 2) if brightness == 4 else (9, 7)
    return 10, (rotation + brightness + blur) % 3


@pytest.mark.parametrize(("threshold", "min_evaluations"), [(0.5, 1), (0.6, 3)])
def test_rule_figures_and_distance_recomputed_from_the_counts(
    make_run, image_concepts, threshold, min_evaluations
) -> None:
    """Every figure report.json gives a rule (support, rate, Wilson CI, failing and new failing
    states, coverage) and the failure distance, recomputed here from the planted counts alone:
    scipy's Wilson interval, a state failing at rate >= threshold on >= min_evaluations, and the
    transport linear program over the grid's coordinates."""
    from scipy.stats import binomtest

    from tests.summarize.test_transport import brute_force_w1, by_value, grid_points

    run = make_run("blocks", image_concepts, two_blocks)
    other = make_run("other", image_concepts, planted_image_counts)
    report = build_report(
        run, other, threshold=threshold, min_evaluations=min_evaluations, tensorboard=False
    )
    labels, values = list(image_concepts), list(image_concepts.values())
    shape = tuple(map(len, values))
    n, k = np.zeros(shape, int), np.zeros(shape, int)
    for state in np.ndindex(*shape):
        n[state], k[state] = two_blocks(state)
    failing = (n >= min_evaluations) & (k / n >= threshold)  # the rate, as docs say
    covered = np.zeros(shape, bool)
    rules = report["rules"]["rules"]
    assert len(rules) >= 2
    for rule in rules:
        inside = np.ones(shape, bool)
        for label, allowed in rule["allowed"].items():
            axis = labels.index(label)
            where = np.isin(values[axis], allowed).reshape(
                [-1 if i == axis else 1 for i in range(3)]
            )
            inside &= where
        support, failed = int(n[inside].sum()), int(k[inside].sum())
        interval = binomtest(failed, support).proportion_ci(method="wilson")
        assert (rule["evaluations"], rule["failures"]) == (support, failed)
        assert rule["failure_rate"] == pytest.approx(failed / support)
        assert (rule["ci_low"], rule["ci_high"]) == pytest.approx((interval.low, interval.high))
        assert rule["failing_states"] == int((failing & inside).sum())
        assert rule["new_failing_states"] == int((failing & inside & ~covered).sum())
        assert rule["range_states"] == int(inside.sum())
        covered |= inside
    totals = report["rules"]
    assert totals["failing_states"] == int(failing.sum())
    assert totals["covered_failing_states"] == int((failing & covered).sum())
    assert totals["coverage"] == pytest.approx((failing & covered).sum() / failing.sum())
    assert totals["failed_evaluations"] == int(k.sum())
    assert totals["covered_failed_evaluations"] == int(k[covered].sum())

    rate_other = np.zeros(shape)
    for state in np.ndindex(*shape):
        evaluations, failures = planted_image_counts(state)
        rate_other[state] = failures / evaluations
    rate = np.where(n > 0, k / np.maximum(n, 1), 0.0)
    points = grid_points(*(by_value(v) for v in values))
    expected = brute_force_w1(
        (rate / rate.sum()).ravel(), (rate_other / rate_other.sum()).ravel(), points
    )
    assert report["compare"]["wasserstein"]["failure"]["value"] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("--out", "give the folder where the report goes, such as reports/run1"),
        ("--compare", "give the other run's directory, such as runs/after_fix"),
    ],
)
def test_an_empty_folder_option_says_which_folder_to_give(
    tmp_path: Path, option: str, said: str
) -> None:
    """`ffade report RUN --out ""` (a variable left unset) said "give a file or folder", but
    only a folder will do: the line names the option and the folder it wants, as `ffade loop
    --out ""` does, and nothing is written."""
    result = ffade_in_process("report", str(tmp_path), option, "")
    assert result.returncode == 2
    assert result.stderr == (
        f"ffade: error: argument {option}: an empty path; {said} (was a variable that names it "
        "left unset?) (see ffade report --help)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_policy_moved_in_part_never_reads_as_none_moved(make_run) -> None:
    """A policy over more states than the distance keeps: the mass moved off the lightest
    states, 0.04% of it, read "0.0%" in the note that says the distance is approximate."""
    grid = {"a": list(range(50)), "b": list(range(50))}
    policy = np.full((50, 50), 0.0004 / 500)
    policy.flat[:2000] = 0.9996 / 2000
    first = make_run("wide_a", grid, {(0, 0): (2, 2)}, policy=policy)
    second = make_run("wide_b", grid, {(0, 0): (2, 2)}, policy=policy)
    build_report(first, second, tensorboard=False)
    note = json.loads((first / "report.json").read_text())["compare"]["wasserstein"]["policy"]
    assert "(0.1% and 0.1%) was moved" in note["note"]


def test_axes_before_the_run_directory_says_it_took_it(image_run) -> None:
    """``ffade report --axes rotation blur RUN`` read RUN as a third concept label and said only
    'the following arguments are required: RUN_DIR', which the user saw typed on the line."""
    result = ffade_in_process("report", "--axes", "rotation", "blur", str(image_run))
    assert result.returncode == 2
    assert result.stderr == (
        "ffade: error: the following arguments are required: RUN_DIR; --axes took the words "
        f"after it as its own (rotation, blur, {image_run}): give RUN_DIR before --axes "
        "(see ffade report --help)\n"
    )
    assert not (image_run / "report.md").exists()
    # as the hint says, it reports
    assert ffade_in_process("report", str(image_run), "--axes", "rotation", "blur").returncode == 0


def test_compared_runs_damaged_log_lines_are_said(image_run, tmp_path) -> None:
    """A compared run's damaged log line was skipped without a word (its rule shift rests on that
    log): it is a warning and a note, named by its file and line, as this run's are."""
    other = tmp_path / "other"
    shutil.copytree(image_run, other)
    log = other / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(["{not json", *lines[1:]]) + "\n")
    out = tmp_path / "out"
    result = ffade_in_process(
        "report", str(image_run), "--compare", str(other), "--out", str(out), "--no-tensorboard"
    )
    assert result.returncode == 0, result.stderr
    damaged = f"{log} line 1: damaged, skipped ("
    assert result.stderr.startswith(f"ffade: warning: {damaged}"), result.stderr
    assert f"> Log problem: {damaged}" in (out / "report.md").read_text()
    problems = json.loads((out / "report.json").read_text())["log_problems"]
    assert [p for p in problems if p.startswith(damaged)]
