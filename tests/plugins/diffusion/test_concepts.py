from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from ffade_diffusion.concepts import (
    GuidanceScale,
    InferenceSteps,
    PromptSlot,
    PromptWords,
    check_distinct_fields,
    warn_unfilled_slots,
)
from ffade_diffusion.prompts import Prompt

from ffade.cli import main
from ffade.errors import ConceptValueError, FfadeError, FfadeWarning
from ffade.task import build_task
from tests.helpers import REPO

PROMPTS = [Prompt("a {descriptor} {profession} in {setting}", sample=s) for s in range(3)]


def test_paper_grid_fills_each_slot() -> None:
    descriptor = PromptSlot("descriptor", ["old", "young", "female"])
    profession = PromptSlot("profession", ["doctor", "nurse", "teacher"])
    setting = PromptSlot("setting", ["a hospital", "a school", "a park"])
    out = setting.apply(profession.apply(descriptor.apply(PROMPTS, "young"), "nurse"), "a park")
    assert [p.text for p in out] == ["a young nurse in a park"] * 3
    assert [p.sample for p in out] == [0, 1, 2]
    assert descriptor.neutral_index() == 0  # no "" in the grid: the first value is the reference


def test_words_before_and_after_and_neutral_changes_nothing() -> None:
    before, after = (
        PromptWords("before", ["", "a painting of"]),
        PromptWords("after", ["", "at night"]),
    )
    assert after.apply(PROMPTS, "") == PROMPTS
    out = after.apply(before.apply([Prompt("a cat")], "a painting of"), "at night")
    assert out[0].text == "a painting of a cat at night"


def test_knobs_set_per_prompt_fields() -> None:
    guided = GuidanceScale([1.0, 3.0], neutral=3.0).apply(PROMPTS, 1.0)
    stepped = InferenceSteps([5, 20], neutral=20).apply(guided, 5)
    assert {(p.guidance_scale, p.num_inference_steps) for p in stepped} == {(1.0, 5)}
    assert [p.text for p in stepped] == [p.text for p in PROMPTS]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: GuidanceScale([200.0]), "guidance scale in \\[0, 100\\]"),
        (lambda: InferenceSteps([2.5]), "whole number of steps"),
        # a grid's YAML null and true, said as written, not as Python's None and True
        (
            lambda: GuidanceScale([None]),
            r"values\[0\] null is not allowed; expected a guidance scale",
        ),
        (lambda: InferenceSteps([True]), r"values\[0\] true is not allowed; expected a whole"),
        (
            lambda: PromptSlot("descriptor", [None]),
            r"values\[0\] null is not allowed; expected words",
        ),
        # the neutral value is the target's own setting, checked as the grid is
        (lambda: GuidanceScale(neutral="x"), "neutral 'x' is not allowed; expected a guidance"),
        (lambda: InferenceSteps([5, 10], neutral=0), "neutral 0 is not allowed; expected a whole"),
        (lambda: PromptWords("middle"), "position 'middle' is not allowed"),
        (lambda: PromptSlot("descriptor", ["{x}"]), "without braces"),
        (lambda: PromptSlot("not a name"), "slot 'not a name' is not allowed; expected a name"),
        # YAML's null said as written (it read "slot None"), as a grid's values are
        (lambda: PromptSlot(None), "slot null is not allowed; expected a name"),
    ],
)
def test_bad_values_name_what_is_allowed(build, message: str) -> None:
    with pytest.raises(ConceptValueError, match=message):
        build()


def test_missing_slot_and_non_prompt_inputs_are_errors() -> None:
    with pytest.raises(FfadeError, match="has no slot"):
        PromptSlot("style", ["thin"]).apply([Prompt("a cat")], "thin")
    # the error named neither the concept nor the key to change
    with pytest.raises(ConceptValueError) as error:
        PromptSlot("colour", ["", "red"], label="colour").check_inputs([Prompt("a {style} seven")])
    assert str(error.value) == (
        "concept 'colour': prompt 'a {style} seven' has no slot {colour}; its slots: style "
        "(set slot, or write {colour} into the dataset's prompts)"
    )
    with pytest.raises(ConceptValueError, match="inputs must be prompts"):
        PromptWords("after", ["", "x"]).apply(["a cat"], "x")


def test_two_concepts_that_set_one_field_are_refused() -> None:
    """The later would overwrite the earlier: its values recorded, never drawn."""
    style, bold = PromptSlot("style", ["", "thin"], "style"), PromptSlot("style", ["", "bold"])
    with pytest.raises(
        ConceptValueError, match=r"concepts 'style' and '.*' both set slot \{style\}"
    ):
        check_distinct_fields([style, bold])
    with pytest.raises(ConceptValueError, match="both set the guidance scale"):
        check_distinct_fields([GuidanceScale([1.0, 3.0]), GuidanceScale([2.0, 7.5], label="g")])
    with pytest.raises(ConceptValueError, match="both set the step count"):
        check_distinct_fields([InferenceSteps([5, 50]), InferenceSteps([2, 50], label="s")])
    # words before or after add up, and distinct slots are distinct fields
    after = [PromptWords("after", ["", "ink"], "a"), PromptWords("after", ["", "red"], "b")]
    check_distinct_fields([style, PromptSlot("digit", ["", "7"]), *after, GuidanceScale()])


def test_words_that_differ_only_in_spaces_are_one_line_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "  " composed the same prompt as "" (the text is single-spaced): a second state, searched
    and reported apart from the unchanged prompt, drew the very same images."""
    config = yaml.safe_load((REPO / "configs" / "t2i_quickstart.yaml").read_text())
    concepts = [{"name": "prompt_words", "args": {"label": "medium", "values": ["", "  "]}}]
    config["model"]["init_args"]["task"]["concepts"] = concepts
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)  # the run would go to ./runs
    assert main(["fit", "--config", "config.yaml"]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: concept 'medium': model.init_args.task.concepts[0].args.values '' and "
        "'  ' give the prompt the same words ('': "
        "spaces are not words); keep one"
    )
    with pytest.raises(ConceptValueError, match="values 'thin' and ' thin ' give the prompt"):
        PromptSlot("style", ["thin", " thin "])
    PromptSlot("style", ["", "thin", "thin slanted"])  # distinct words pass


def test_a_slot_no_concept_fills_is_one_warning_at_task_build() -> None:
    """{style} of the digit prompts with no prompt_slot for it read as nothing unsaid: a
    forgotten concept or a misspelled slot searched "a handwritten seven" without a word."""
    spec = {
        "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
        "dataset": {"name": "digit_prompts", "args": {"samples_per_prompt": 1}},
        "reward": {"name": "judge", "args": {"classifier": {"name": "digits_cnn"}}},
        "concepts": [
            {"name": "prompt_words", "args": {"label": "medium", "values": ["", "on paper"]}}
        ],
    }
    with pytest.warns(FfadeWarning) as caught:
        task = build_task(spec)
    assert [str(w.message) for w in caught if w.category is FfadeWarning] == [
        "no concept fills slot {style} of prompt 'a {style} handwritten two', so it reads as "
        "nothing; the concepts: 'medium'; a prompt_slot concept with slot: style searches its "
        "words"
    ]
    assert task.target.describe_inputs([task.inputs[0][0]])[0].startswith("a handwritten ")
    with pytest.warns(FfadeWarning, match=r"slots \{profession\}, \{setting\} of prompt"):
        warn_unfilled_slots(PROMPTS, [PromptSlot("descriptor", ["", "old"])])
    style = PromptSlot("style", ["", "thin"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_unfilled_slots([Prompt("a {style} seven")], [style])  # every slot filled: silent


@pytest.mark.parametrize("name, args", [("prompt_slot", {"slot": "style"}), ("prompt_words", {})])
def test_ffade_plugins_lists_the_words_concepts_default_grid(
    name: str, args: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without values prompt_slot and prompt_words search [""] (plugins/diffusion/README.md's
    table), but `ffade plugins` said "default grid: none (a config gives its values: [...])", as
    if a config had to give them."""
    from ffade import registry
    from ffade.plugin_listing import main as list_plugins

    assert registry.create("concept", name, args).values == [""]
    list_plugins(["concept"])
    listed = capsys.readouterr().out.split(f"  {name}  (", 1)[1].splitlines()
    assert listed[3] == "      default grid: '' (neutral '')"
