"""A priorities file's entries: regions named by id, rank or a state they hold, checked and
matched to a run's regions; each mistake one line (ffade/feedback/priorities_file.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ffade.errors import FfadeError
from ffade.feedback.priorities import RegionFeedback, load_regions, new_feedback
from ffade.feedback.priorities_file import read_priorities
from ffade.summarize.regions import Region


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_regions_are_named_by_rank_id_and_a_state_they_contain(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    landscape, _ = load_regions(run, slices="regions")
    entries = [
        {"rank": 1, "priority": "high"},
        {"id": regions[1].id, "priority": "low"},
        {"contains": {"axis0": 0.556, "axis1": 0.222, "axis2": 0.667}, "priority": "medium"},
    ]
    chosen = read_priorities(write(tmp_path / "p.yaml", {"regions": entries}), landscape, regions)
    assert [(region.id, priority, source) for region, priority, source in chosen] == [
        (regions[0].id, "high", "p.yaml regions[0] (rank)"),
        (regions[1].id, "low", "p.yaml regions[1] (id)"),
        (regions[2].id, "medium", "p.yaml regions[2] (contains)"),
    ]


def test_regions_not_listed_take_the_default_and_concepts_not_named_their_neutral_value(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    landscape, _ = load_regions(run, slices="regions")
    # axis1 is not named: neutral 0.0, inside the band low on axis 2 (which ignores axis 1)
    entries = [{"contains": {"axis0": 0.333, "axis2": 0.111}, "priority": "high"}]
    data = {"regions": entries, "default": "Low"}
    chosen = read_priorities(write(tmp_path / "p.yaml", data), landscape, regions)
    assert [(priority, source) for _, priority, source in chosen] == [
        ("high", "p.yaml regions[0] (contains)"),
        ("low", "p.yaml default"),
        ("low", "p.yaml default"),
    ]
    chosen = read_priorities(write(tmp_path / "q.yaml", {"regions": []}), landscape, regions)
    assert [priority for _, priority, _ in chosen] == ["skip", "skip", "skip"]


def test_a_saved_feedback_yaml_serves_as_a_priorities_file(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """The file as `ffade feedback` saves it (its run, settings and grid; entries with states,
    description...): what is not a priority is ignored."""
    landscape, _ = load_regions(run, slices="regions")
    saved = new_feedback(run, landscape, 0.5, 1, "regions")
    saved.answer(RegionFeedback.of(regions[2], "high", "interactive"))
    chosen = read_priorities(saved.save(tmp_path / "feedback.yaml"), landscape, regions)
    assert [priority for _, priority, _ in chosen] == ["skip", "skip", "high"]


def test_a_mapping_is_read_as_the_file_and_named_priorities(
    run: Path, regions: list[Region]
) -> None:
    """``ffade.mitigate``'s dict: sources and errors name the argument, no file is written."""
    landscape, _ = load_regions(run, slices="regions")
    chosen = read_priorities({"regions": [{"rank": 2, "priority": "low"}]}, landscape, regions)
    assert [source for _, _, source in chosen] == [
        "priorities default",
        "priorities regions[0] (rank)",
        "priorities default",
    ]
    with pytest.raises(FfadeError) as error:
        read_priorities({"regionz": []}, landscape, regions)
    assert str(error.value) == (
        "priorities: unknown key 'regionz' (did you mean 'regions'?); allowed: regions, default "
        "(and, not read, a saved feedback.yaml's run, threshold, min_evaluations, slices, concepts)"
    )


def test_an_unknown_key_names_the_saved_feedback_yamls_keys_too(
    run: Path, regions: list[Region]
) -> None:
    """A saved feedback.yaml is a --from file (docs/mitigation.md), so its other keys are
    accepted; the unknown-key line named only regions and default, or an entry's own keys."""
    landscape, _ = load_regions(run, slices="regions")
    entry = {"rank": 1, "priority": "high", "states": [], "colour": "red"}
    with pytest.raises(FfadeError) as error:
        read_priorities({"regions": [entry]}, landscape, regions)
    assert str(error.value) == (
        "priorities: regions[0]: unknown key 'colour'; allowed: id, rank, contains, priority, "
        "note (and, not read, a saved feedback.yaml's conditions, description, num_states, "
        "source, examples, states, allowed)"
    )


def test_contains_naming_no_concept_is_the_neutral_state(run: Path, regions: list[Region]) -> None:
    """Concepts left out of `contains` are at their neutral value (docs/mitigation.md), so `{}`
    names the neutral state; it was refused as no mapping of concepts to values."""
    landscape, _ = load_regions(run, slices="regions")
    with pytest.raises(FfadeError) as error:  # no planted box holds the neutral state
        read_priorities({"regions": [{"contains": {}, "priority": "low"}]}, landscape, regions)
    assert str(error.value) == (
        f"priorities: regions[0]: no failure region of {run} contains "
        "{'axis0': 0.0, 'axis1': 0.0, 'axis2': 0.0}"
    )
    spelt = {"regions": [{"contains": {"axis0": 0.0}, "priority": "low"}]}
    with pytest.raises(FfadeError) as again:
        read_priorities(spelt, landscape, regions)
    assert str(again.value) == str(error.value)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"rank": 1, "prio": "high"}],
            "regions[0]: unknown key 'prio' (did you mean 'priority'?); allowed: id",
        ),
        ([{"rank": 1}], "regions[0]: 'priority' is missing; give one of high, medium, low, skip"),
        ([{"rank": 1, "priority": "urgent"}], "priority 'urgent' is not allowed; choose high"),
        # YAML's null and true, not Python's None and True (said of `priority: null`)
        ([{"rank": 1, "priority": None}], "regions[0]: priority null is not allowed; choose high"),
        ([{"rank": 1, "priority": True}], "regions[0]: priority true is not allowed; choose high"),
        ([{"rank": None, "priority": "high"}], "rank null must be a whole number from 1"),
        ([{"rank": True, "priority": "high"}], "rank true must be a whole number from 1"),
        ([{"id": "R-00000000", "priority": "high"}], "id 'R-00000000' is not a failure region"),
        ([{"rank": 99, "priority": "high"}], "rank 99 is past the last region; "),
        ([{"rank": 0, "priority": "high"}], "rank 0 must be a whole number from 1"),
        (
            [{"priority": "high"}],
            "name the region with exactly one of id, rank, contains; got none",
        ),
        (
            [{"rank": 1, "id": "R-1", "priority": "high"}],
            "exactly one of id, rank, contains; got id, rank",
        ),
        ([{"contains": {"axis9": 0.0}, "priority": "low"}], "unknown concept 'axis9'"),
        ([{"contains": {"axis0": 0.5}, "priority": "low"}], "axis0 = 0.5 is not on its grid"),
        ([{"contains": {"axis0": None}, "priority": "low"}], "axis0 = null is not on its grid"),
        ([{"contains": {"axis0": True}, "priority": "low"}], "axis0 = true is not on its grid"),
        ([{"contains": {"axis0": 0.0}, "priority": "low"}], "no failure region of"),
        (
            [{"rank": 1, "priority": "high"}, {"rank": 1, "priority": "low"}],
            "regions[1]: rank 1 names the same region as regions[0]; list each region once",
        ),
        (  # two selectors that name one region only on this run: known once it is read
            [{"rank": 1, "priority": "high"}, {"contains": {"axis0": 0.333}, "priority": "low"}],
            "regions[1]: region R-",
        ),
        (["rank 1"], "regions[0]: expected a mapping like {rank: 1, priority: high}"),
    ],
)
def test_bad_priorities_files_are_one_line_errors(
    run: Path, regions: list[Region], tmp_path: Path, entries: list, message: str
) -> None:
    priorities = write(tmp_path / "p.yaml", {"regions": entries})
    landscape, _ = load_regions(run, slices="regions")
    with pytest.raises(FfadeError) as error:
        read_priorities(priorities, landscape, regions)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{priorities}: regions[")
    assert "\n" not in str(error.value)


def test_the_rank_error_says_how_many_regions_there_are(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    landscape, _ = load_regions(run, slices="regions")
    priorities = write(tmp_path / "p.yaml", {"regions": [{"rank": 4, "priority": "high"}]})
    with pytest.raises(
        FfadeError, match=r"rank 4 is past the last region; .* has 3 failure regions"
    ):
        read_priorities(priorities, landscape, regions)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([{"rank": 1, "priority": "high"}], "expected a mapping with a 'regions' list"),
        ({"regions": [], "colour": "red"}, "unknown key 'colour'; allowed: regions, default"),
        ({"regions": [], "default": "never"}, "default: priority 'never' is not allowed"),
        ({"regions": [], "default": None}, "default: priority null is not allowed"),
        # a misspelt 'regions' is named as the typo it is, not as a missing list
        (
            {"regionz": [{"rank": 1, "priority": "high"}]},
            "unknown key 'regionz' (did you mean 'regions'?); allowed",
        ),
        # --from RUN/summary.json: said 'unknown key budget'
        ({"budget": 10, "evaluations": 10, "task": {}}, "a run's summary, not a priorities file"),
    ],
)
def test_a_malformed_file_is_one_line(
    run: Path, regions: list[Region], tmp_path: Path, data: object, message: str
) -> None:
    landscape, _ = load_regions(run, slices="regions")
    with pytest.raises(FfadeError) as error:
        read_priorities(write(tmp_path / "p.yaml", data), landscape, regions)
    assert message in str(error.value) and "\n" not in str(error.value)
