"""``ffade plugins``: each plugin's purpose and arguments; a broken one flagged, not hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from ffade_synthetic.reward import MarginReward

from ffade.plugin_api import Concept, Reward, Scores
from ffade.plugin_listing import main
from tests.test_registry import make_distribution


class BareReward(Reward):  # no docstring, on ffade's base alone: no purpose line
    def score(self, outputs, references, clean_outputs=None):
        return Scores([0.0] * len(outputs), [False] * len(outputs), [-1.0] * len(outputs))


def test_plugins_show_arguments_and_flag_the_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_distribution(
        tmp_path,
        "fake-listed",
        "[ffade.rewards]\ngood = tests.test_registry:GoodReward\n"
        "broken = no_such_module_anywhere:Thing\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["reward"]) == 1
    out = capsys.readouterr().out
    assert "  broken  (fake-listed 1.0; no_such_module_anywhere:Thing)  BROKEN" in out
    assert "failed to import" in out
    assert "1 plugin BROKEN" in out
    good = out[out.index("  good  (fake-listed 1.0") :].splitlines()
    assert good[1].strip().startswith("args:") or good[2].strip().startswith("args:")
    margin = out[out.index("  margin  (") :].splitlines()
    assert margin[2].strip().startswith("args: ")  # the synthetic reward: purpose, then args
    assert main(["reward", "--names"]) == 0
    assert "  broken\n" in capsys.readouterr().out


def test_a_name_two_packages_declare_is_flagged_in_both_listings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("fake-one", "fake-two"):
        make_distribution(
            tmp_path, name, "[ffade.rewards]\ntwin = tests.test_registry:GoodReward\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["reward", "--names"]) == 1
    out = capsys.readouterr().out
    assert out.count("  twin  BROKEN: declared 2 times (fake-one 1.0, fake-two 1.0)\n") == 1
    assert "1 plugin BROKEN" in out
    assert main(["reward"]) == 1
    assert (
        "  twin  (fake-one 1.0; tests.test_registry:GoodReward)  BROKEN" in capsys.readouterr().out
    )


def test_what_a_target_returns_and_a_reward_scores_is_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Which reward fits which target: the declared output_kind and output_kinds, under the
    arguments; the synthetic margin reward declares margins."""
    main(["target"])
    synthetic = capsys.readouterr().out.split("  synthetic  (", 1)[1].splitlines()
    assert synthetic[3] == "      returns: margins"
    main(["reward"])
    listing = capsys.readouterr().out
    assert listing.split("  bleu  (", 1)[1].splitlines()[3] == "      scores: texts"
    margin = listing.split("  margin  (", 1)[1].splitlines()
    assert margin[2].startswith("      args: ") and margin[3] == "      scores: margins"


def test_a_reward_declaring_one_kind_as_a_string_is_listed_by_that_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``output_kinds = "margins"`` (one kind, no tuple) was listed as
    ``scores: m, a, r, g, i, n, s``."""
    make_distribution(
        tmp_path,
        "fake-kinds",
        "[ffade.rewards]\none_kind = tests.test_plugin_checks:OneKindReward\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    main(["reward"])
    listing = capsys.readouterr().out.split("  one_kind  (", 1)[1].splitlines()
    assert listing[3] == "      scores: margins"


class Undocumented(MarginReward):  # no docstring of its own: its plugin base's line shows
    pass


def test_a_plugin_under_a_misspelt_group_is_listed_broken_with_the_group_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installed concept under 'ffade_concept' was missing from the listing, without a word,
    and ``ffade plugins`` exited 0: an author had no way to see why."""
    make_distribution(
        tmp_path, "fake-misfiled", "[ffade_concept]\nblurry = ffade_synthetic.concept:Axis\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["concept", "--names"]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "not read (misspelt entry-point group):\n  blurry  BROKEN\n      fake-misfiled 1.0 lists "
        "concept 'blurry' (ffade_synthetic.concept:Axis) under the entry-point group "
        "'ffade_concept', which ffade does not read; list it under 'ffade.concepts' and "
        "reinstall the package\n1 plugin BROKEN: see above; others work\n"
    )
    assert main(["reward", "--names"]) == 0  # another kind's listing leaves it out
    assert "blurry" not in capsys.readouterr().out


def test_a_plugin_without_a_docstring_is_not_listed_with_ffades_base_docstring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An undocumented plugin was listed with the first line of ffade's own base class
    (``Reward``'s "Turns outputs (and references) into ..."), as if that were its purpose; one
    that subclasses a documented plugin still shows that plugin's line."""
    make_distribution(
        tmp_path,
        "fake-docs",
        "[ffade.rewards]\nundocumented = tests.test_plugin_listing:Undocumented\n"
        "bare = tests.test_plugin_listing:BareReward\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    main(["reward"])
    listing = capsys.readouterr().out
    bare = listing.split("  bare  (", 1)[1].splitlines()
    assert bare[1] == "      args: none"
    undocumented = listing.split("  undocumented  (", 1)[1].splitlines()
    assert undocumented[1] == "      Failure when the target's margin is below zero."


def test_a_kind_is_taken_as_the_listing_heads_it_too(capsys: pytest.CaptureFixture[str]) -> None:
    """The listing heads each kind "rewards:"; ``ffade plugins rewards`` was refused."""
    assert main(["rewards", "--names"]) == 0
    plural = capsys.readouterr().out
    assert main(["reward", "--names"]) == 0
    assert plural == capsys.readouterr().out
    assert plural.startswith("rewards:\n") and "  margin\n" in plural and "targets:" not in plural


class NoGrid(Concept):
    """Words given in the config only."""

    neutral = "none"

    def check_value(self, value) -> None:  # words: not the base's numbers
        pass

    def apply(self, inputs, value):
        return inputs


class OwnNeutral(Concept):
    """Its neutral value is an argument."""

    default_values = (1.0, 2.0, 7.5)

    def __init__(self, values=None, neutral: float = 7.5, label=None) -> None:
        self.neutral = neutral
        super().__init__(values, label)

    def apply(self, inputs, value):
        return inputs


def test_a_concepts_default_grid_and_neutral_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``args: values=None`` alone does not say which grid a config without ``values`` gets,
    nor that a concept with no default_values needs them, nor which value changes nothing."""
    make_distribution(
        tmp_path,
        "fake-grids",
        "[ffade.concepts]\nno_grid = tests.test_plugin_listing:NoGrid\n"
        "own_neutral = tests.test_plugin_listing:OwnNeutral\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    main(["concept"])
    out = capsys.readouterr().out
    axis = out.split("  axis  (", 1)[1].splitlines()
    assert axis[2] == "      args: index=0, values=None, label=None"
    assert axis[3] == (
        "      default grid: 0.0, 0.111, 0.222, 0.333, 0.444, 0.556, ..., 1.0 (10 values; "
        "neutral 0.0)"
    )
    no_grid = out.split("  no_grid  (", 1)[1].splitlines()
    assert no_grid[3] == "      default grid: none (a config gives its values: [...])"
    own = out.split("  own_neutral  (", 1)[1].splitlines()  # the class's 0.0 is not its neutral
    assert own[2:4] == [
        "      args: values=None, neutral=7.5, label=None",
        "      default grid: 1.0, 2.0, 7.5",
    ]
