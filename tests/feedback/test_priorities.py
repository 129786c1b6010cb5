"""feedback.yaml: a run's regions, priorities checked on the way in, saved and read back whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ffade.errors import FfadeError
from ffade.feedback import PRIORITIES, Feedback, RegionFeedback, read_feedback, region_states
from ffade.feedback.priorities import check_priority, load_regions, new_feedback
from ffade.summarize.regions import Region
from ffade.summarize.report import build_report

PLANTED = [
    ("axis0 between 0.333 and 0.444 and axis2 <= 0.111", 40),
    ("axis0 >= 0.889 and axis1 >= 0.889", 40),
    ("axis0 = 0.556 and axis1 = 0.222 and axis2 = 0.667", 1),
]
"""The synthetic target's three planted boxes on its default grid for the run's one input, most
severe first: (conditions, failing states); the 81 failures of the exhaustive run, all of them."""


def feedback_for(run: Path, regions: list[Region], priorities: list[str]) -> Feedback:
    landscape, _ = load_regions(run, slices="regions")
    feedback = new_feedback(run, landscape, threshold=0.5, min_evaluations=1, slices="regions")
    for region, priority in zip(regions, priorities, strict=False):
        feedback.answer(RegionFeedback.of(region, priority, "test"))
    return feedback


def test_the_regions_to_review_are_exactly_the_planted_boxes(run: Path) -> None:
    landscape, regions = load_regions(run, slices="regions")
    assert [(r.conditions, r.num_states) for r in regions] == PLANTED
    assert landscape.labels == ["axis0", "axis1", "axis2"]
    island = regions[2].states.tolist()
    assert island == [[5, 2, 6]]  # 0.556, 0.222, 0.667 on the ten-point grids


def test_a_stricter_threshold_and_evidence_leave_no_region(run: Path) -> None:
    assert load_regions(run, threshold=0.5, min_evaluations=2)[1] == []  # one input: 1 each


def test_priorities_are_read_in_any_case_and_others_are_refused() -> None:
    assert check_priority(" High ", "here") == "high"
    assert [check_priority(p, "here") for p in PRIORITIES] == ["high", "medium", "low", "skip"]
    # the prompt's first letters too: a file and the prompt read a priority alike
    assert [check_priority(p, "here") for p in ("h", " M ", "l", "S")] == list(PRIORITIES)
    with pytest.raises(FfadeError) as error:
        check_priority(3, "regions[2]")
    assert str(error.value) == (
        "regions[2]: priority 3 is not allowed; choose high, medium, low, skip (or h, m, l, s)"
    )


def test_an_answer_replaces_an_earlier_one_and_skip_asks_for_no_fix(
    run: Path, regions: list[Region]
) -> None:
    feedback = feedback_for(run, regions, ["high", "skip", "low"])
    feedback.answer(RegionFeedback.of(regions[0], "medium", "again"))
    assert [(r.id, r.priority) for r in feedback.regions] == [  # where the old answer stood
        (regions[0].id, "medium"),
        (regions[1].id, "skip"),
        (regions[2].id, "low"),
    ]
    assert [r.id for r in feedback.prioritized] == [regions[0].id, regions[2].id]
    assert feedback.counts() == {"high": 0, "medium": 1, "low": 1, "skip": 1}
    assert [r.weight for r in feedback.regions] == [2.0, 0.0, 1.0]


def test_saved_feedback_reads_back_equal_with_one_state_per_line(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    feedback = feedback_for(run, regions, ["high", "medium", "skip"])
    path = feedback.save(tmp_path / "nested" / "feedback.yaml")
    assert read_feedback(path) == feedback
    text = path.read_text()
    assert text.startswith("# ffade feedback: priorities given to this run's failure regions.")
    assert "  - [5, 2, 6]\n" in text  # the island's one state, as a flow list
    assert "axis0: [0.0, 0.111, 0.222" in text
    assert not path.with_suffix(".yaml.tmp").exists()


def test_a_file_ranking_rules_says_it_ranks_rules(run: Path, tmp_path: Path) -> None:
    """feedback.yaml's header said "priorities given to this run's failure regions" over rules."""
    landscape, rules = load_regions(run, threshold=0.5, min_evaluations=1, slices="rules")
    feedback = new_feedback(run, landscape, threshold=0.5, min_evaluations=1, slices="rules")
    feedback.answer(RegionFeedback.of(rules[0], "high", "test"))
    text = feedback.save(tmp_path / "feedback.yaml").read_text()
    assert text.startswith(
        "# ffade feedback: priorities given to this run's failure rules (listed under regions:).\n"
        "# priority: high, medium or low asks `ffade fit` with a fine-tuner to fix the rule\n"
    )
    assert read_feedback(tmp_path / "feedback.yaml") == feedback  # the header changes no key


def test_region_states_gathers_members_once_in_first_seen_order() -> None:
    def entry(states: list[list[int]]) -> RegionFeedback:
        return RegionFeedback("R", "high", "", "", len(states), "test", states=states)

    merged = region_states([entry([[1, 0], [0, 0]]), entry([[0, 0], [2, 2]])])
    assert merged.tolist() == [[1, 0], [0, 0], [2, 2]]
    assert merged.dtype == np.int64


def test_feedback_yaml_is_checked_when_read(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    path = feedback_for(run, regions, ["high"]).save(tmp_path / "feedback.yaml")
    data = yaml.safe_load(path.read_text())
    data["regions"][0]["priority"] = "asap"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FfadeError, match=r"regions\[0\]: priority 'asap' is not allowed"):
        read_feedback(path)
    data["regions"][0].update(priority="high", states=[[0, 99]])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FfadeError, match=r"'states' must be a non-empty list of grid indices"):
        read_feedback(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("threshold"), "key 'threshold' is missing; `ffade feedback` writes it"),
        (lambda d: d.update(concepts={"axis0": []}), "'concepts' must map each concept label"),
        (lambda d: d["regions"][0].update(colour="red"), "regions[0]: unknown key 'colour'"),
        (lambda d: d["regions"][0].pop("states"), "regions[0]: key 'states' is missing"),
        (lambda d: d["regions"].append("R-1"), "regions[1]: expected a mapping"),
        # each was a traceback, or a continuation told to pass an option the command refuses
        (lambda d: d.update(threshold="half"), "'threshold' is 'half'; expected a failure rate"),
        (lambda d: d.update(min_evaluations=0), "'min_evaluations' is 0; expected a whole numb"),
        (lambda d: d.update(slices="blobs"), "'slices' is 'blobs'; expected rules or regions"),
        (lambda d: d.update(regions=5), "'regions' is 5; expected a list of answered slices"),
        # "invalid literal for int() with base 10: 'many'" named neither file nor key
        (
            lambda d: d["regions"][0].update(num_states="many"),
            "regions[0]: 'num_states' is 'many'; expected a whole number from 0",
        ),
        # YAML's true was read as index 1, 2.0 not refused at all: a state the person never saw
        (
            lambda d: d["regions"][0].update(states=[[True] * len(d["concepts"])]),
            "regions[0]: 'states' must be a non-empty list of grid indices",
        ),
        # an id answered twice: the fine-tuner trained on both, whatever the person meant
        (
            lambda d: d["regions"].append({**d["regions"][0], "priority": "low"}),
            "is answered already by regions[0]; answer each slice once",
        ),
    ],
)
def test_each_mistake_in_feedback_yaml_is_one_line_naming_it(
    run: Path, regions: list[Region], tmp_path: Path, edit, message: str
) -> None:
    path = feedback_for(run, regions, ["high"]).save(tmp_path / "feedback.yaml")
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FfadeError) as error:
        read_feedback(path)
    assert message in str(error.value) and str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_a_missing_feedback_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(FfadeError) as error:
        read_feedback(tmp_path / "feedback.yaml")
    assert "not found; make one with `ffade feedback RUN_DIR`" in str(error.value)


def test_a_priorities_file_given_as_feedback_says_to_apply_it_first() -> None:
    # docs/mitigation.md: --from takes the priorities file; the fine-tuner reads what it writes
    priorities = Path(__file__).parents[2] / "configs" / "feedback_digits.yaml"
    with pytest.raises(FfadeError) as error:
        read_feedback(priorities)
    message = str(error.value)
    assert "is a priorities file" in message and "\n" not in message
    assert f"ffade feedback RUN_DIR --from {priorities}" in message


@pytest.mark.parametrize("slices", ["rules", "regions"])
def test_meaning_changing_failures_are_set_apart_as_the_report_sets_them(
    run: Path, slices: str
) -> None:
    """A concept that changes the input's meaning (negate, say) is set apart in the report; the
    feedback must list the report's very slices, or rank 1 here is another region there."""
    summary = json.loads((run / "summary.json").read_text())
    summary["concepts"][2]["keeps_meaning"] = False
    (run / "summary.json").write_text(json.dumps(summary))
    neutral = summary["concepts"][2]["neutral_index"]
    report = build_report(run, tensorboard=False, slices=slices)
    _, found = load_regions(run, slices=slices)
    listed = report["rules"]["rules"] if slices == "rules" else report["regions"]
    assert [r.id for r in found] == [r["id"] for r in listed]
    assert found and all(int(s[2]) == neutral for r in found for s in r.states)
