"""The contract's shared helpers: disjoint splits and the trainable targets' weight loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ffade.errors import ConceptValueError, FfadeError, PluginError
from ffade.plugin_api import Concept, Scores, disjoint_split_indices, load_weights


@pytest.mark.parametrize("n", [10, 97, 1797])
def test_splits_are_disjoint_and_seeded(n: int) -> None:
    splits = disjoint_split_indices(n, (0.5, 0.3, 0.2), seed=3)
    sets = [set(v.tolist()) for v in splits.values()]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    again = disjoint_split_indices(n, (0.5, 0.3, 0.2), seed=3)
    assert all(np.array_equal(splits[k], again[k]) for k in splits)


def brute_force_counts(n: int, fractions: tuple[float, ...]) -> list[int]:
    """Largest remainder, written out by hand from exact fractions: whole parts first, then one
    input each to the largest leftover parts (earlier split first on a tie) until the shares'
    total, rounded, is reached."""
    from fractions import Fraction

    shares = [Fraction(str(f)) * n for f in fractions]
    counts = [int(share) for share in shares]  # floor: shares are >= 0
    total = round(sum(shares))
    left = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in left[: total - sum(counts)]:
        counts[i] += 1
    return counts


@pytest.mark.parametrize(
    ("n", "fractions", "counts"),
    [
        (10, (0.33, 0.33, 0.34), [3, 3, 4]),  # rounded each alone: 3 + 3 + 3, one input lost
        (10, (0.35, 0.3, 0.35), [4, 3, 3]),  # rounded each alone: 4 + 3 + 4 = 11 of 10
        (3, (0.5, 0.25, 0.25), [1, 1, 1]),  # rounded each alone: 2 + 1 + 1 = 4 of 3
        (1, (0.5, 0.25, 0.25), [1, 0, 0]),  # rounded each alone: 0 + 0 + 0, the input lost
        (7, (1 / 3, 1 / 3, 1 / 3), [3, 2, 2]),
        (1797, (0.4, 0.4, 0.2), [719, 719, 359]),  # the quickstart's digits: as before
        (20, (0.5, 0.0, 0.25), [10, 0, 5]),  # fractions summing under 1 leave inputs out
    ],
)
def test_split_counts_sum_to_the_inputs_by_largest_remainder(n, fractions, counts) -> None:
    splits = disjoint_split_indices(n, fractions, seed=0)
    assert [len(splits[name]) for name in ("discovery", "finetune", "heldout")] == counts
    assert counts == brute_force_counts(n, fractions)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 10, 11, 29, 97, 101])
@pytest.mark.parametrize(
    "fractions", [(0.33, 0.33, 0.34), (0.5, 0.25, 0.25), (0.4, 0.3, 0.3), (0.15, 0.7, 0.15)]
)
def test_fractions_summing_to_one_put_every_input_in_exactly_one_split(n, fractions) -> None:
    splits = disjoint_split_indices(n, fractions, seed=n)
    together = np.concatenate(list(splits.values()))
    assert sorted(together.tolist()) == list(range(n))  # each input once, none lost
    counts = [len(part) for part in splits.values()]
    assert counts == brute_force_counts(n, fractions)
    assert all(abs(c - f * n) < 1 for c, f in zip(counts, fractions, strict=True))


def test_bad_fractions_are_refused() -> None:
    with pytest.raises(FfadeError, match="summing to at most 1"):
        disjoint_split_indices(10, (0.8, 0.3, 0.2), seed=0)


@pytest.mark.parametrize(
    ("fractions", "shown"),
    [
        ((0.5, 0.5, 0.5), "[0.5, 0.5, 0.5]"),
        ([0.5, "half", 0.1], "[0.5, 'half', 0.1]"),
        (0.5, "0.5"),
        ("0.5", "'0.5'"),
        ([0.1, float("nan"), 0.1], "[0.1, nan, 0.1]"),
    ],
)
def test_bad_fractions_name_what_the_caller_says(fractions: object, shown: str) -> None:
    with pytest.raises(FfadeError) as error:
        disjoint_split_indices(10, fractions, seed=0, what="dataset 'yours': fractions")
    assert str(error.value) == (
        f"dataset 'yours': fractions {shown} must be 3 non-negative numbers summing to at most 1 "
        "(for discovery, finetune, heldout)"
    )


def test_any_iterable_of_fractions_splits_as_its_list() -> None:
    fractions = np.array([0.5, 0.3, 0.2])
    splits = disjoint_split_indices(10, fractions, seed=3)
    expected = disjoint_split_indices(10, [0.5, 0.3, 0.2], seed=3)
    assert all(np.array_equal(splits[k], expected[k]) for k in expected)


@pytest.fixture
def linear_file(tmp_path: Path) -> tuple[torch.nn.Linear, Path]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    path = tmp_path / "linear.pt"
    torch.save(model.state_dict(), path)
    return model, path


def test_load_weights_reads_plain_and_wrapped_state_dicts(linear_file, tmp_path: Path) -> None:
    saved, path = linear_file
    fresh = torch.nn.Linear(3, 2)
    load_weights(fresh, path, "toy")
    assert torch.equal(fresh.weight, saved.weight) and torch.equal(fresh.bias, saved.bias)
    wrapped = tmp_path / "wrapped.ckpt"
    torch.save({"state_dict": saved.state_dict(), "epoch": 3}, wrapped)
    again = torch.nn.Linear(3, 2)
    load_weights(again, wrapped, "toy")
    assert torch.equal(again.weight, saved.weight)


def test_load_weights_reads_safetensors(linear_file, tmp_path: Path) -> None:
    safetensors = pytest.importorskip("safetensors.torch")
    saved, _ = linear_file
    path = tmp_path / "linear.safetensors"
    safetensors.save_file(saved.state_dict(), str(path))
    fresh = torch.nn.Linear(3, 2)
    load_weights(fresh, path, "toy")
    assert torch.equal(fresh.weight, saved.weight)


def test_load_weights_errors_are_one_line_and_name_the_target(linear_file, tmp_path) -> None:
    _, path = linear_file
    torch.save([1, 2], tmp_path / "list.pt")
    (tmp_path / "junk.pt").write_text("junk")
    torch.save(torch.nn.Linear(3, 2), tmp_path / "whole.pt")  # the model, not its state dict
    torch.save({"state_dict": {}, "ffade": {"before": {}}}, tmp_path / "fine_tune.ckpt")
    cases = [
        (torch.nn.Linear(3, 2), tmp_path / "missing.pt", "does not exist"),
        # weights= from an unset CI variable was "weights file '.' is a directory"
        (torch.nn.Linear(3, 2), "", "weights is empty; give a state-dict file"),
        (torch.nn.Linear(3, 2), tmp_path / "list.pt", "holds a list, not a state dict"),
        (torch.nn.Linear(3, 2), tmp_path / "junk.pt", "as a weights-only torch file .*cut short"),
        (torch.nn.Linear(3, 2), tmp_path / "whole.pt", "holds Python objects a weights-only load"),
        (torch.nn.Linear(4, 2), path, r"does not fit the model \(same width\?\): .*size mismatch"),
        (torch.nn.Linear(3, 2), tmp_path / "fine_tune.ckpt", "is an ffade fine-tune checkpoint"),
        (
            torch.nn.Sequential(*[torch.nn.Linear(3, 3) for _ in range(3)]),
            path,
            r"does not fit the model \(same width\?\): 6 keys missing \(0.weight, 0.bias, "
            r"1.weight, ...\); 2 keys unexpected \(weight, bias\)$",
        ),
    ]
    for model, file, match in cases:
        with pytest.raises(PluginError, match=rf"^target 'toy': .*{match}") as error:
            load_weights(model, file, "toy", fit_hint="same width?")
        assert "\n" not in str(error.value)


class _Shift(Concept):
    """Adds its value; counts the calls so the test can see one call per distinct value."""

    neutral = 0

    def __init__(self) -> None:
        super().__init__([0, 1, 2])
        self.calls: list[int] = []

    def apply(self, inputs: torch.Tensor, value: int) -> torch.Tensor:
        self.calls.append(value)
        return inputs + value


def test_apply_each_changes_each_row_by_its_value_once_per_value() -> None:
    concept = _Shift()
    rows = torch.arange(6.0)
    changed = concept.apply_each(rows, [2, 0, 1, 2, 1, 0])
    assert changed.tolist() == [2.0, 1.0, 3.0, 5.0, 5.0, 5.0]
    assert sorted(concept.calls) == [1, 2]  # never the neutral value, each value once
    assert concept.apply_each(["a", "b"], [0, 0]) == ["a", "b"]  # lists of inputs too


def test_scores_are_1d_cpu_tensors_with_one_entry_per_input() -> None:
    """docs/plugins.md: Scores takes what torch.as_tensor accepts and stores 1-D CPU tensors.
    A (B, 1) reward used to stay 2-D, and lengths that disagree were accepted silently."""
    scores = Scores(metric=[1, 2], failed=np.array([[1], [0]]), reward=torch.ones(2, 1))
    assert [s.shape for s in (scores.metric, scores.failed, scores.reward)] == [(2,)] * 3
    assert (scores.metric.dtype, scores.failed.dtype) == (torch.float32, torch.bool)
    with pytest.raises(PluginError, match="one entry per input each; got 2, 1 and 2"):
        Scores(metric=[1.0, 2.0], failed=[True], reward=[1.0, -1.0])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": torch.ones(2, 3)}, r"Scores: metric has shape \(2, 3\); give one per input"),
        ({"failed": [0.2, 0.9]}, r"Scores: failed holds 0\.2; give True or False per input"),
        ({"failed": [0, 2]}, r"Scores: failed holds 2; give True or False per input"),
        (  # a probability a hair below 1 (a softmax) was shown as "holds 1", which is allowed
            {"failed": [1.0, 0.99999994]},
            r"Scores: failed holds 0\.99999994\d*; give True or False per input",
        ),
        ({"failed": [float("nan"), 1.0]}, r"Scores: failed holds nan"),
        ({"failed": ["yes", "no"]}, r"Scores: failed is \['yes', 'no'\]; give True or False per"),
        ({"reward": ["high", "low"]}, r"Scores: reward is \['high', 'low'\]; give a number per"),
        (  # a long value is cut with "...", not mid-word with a quote left open
            {"failed": ["yes", "no"] * 20},
            r"^Scores: failed is \['yes', 'no', [^;]*, 'yes\.\.\.; give True or False per input$",
        ),
    ],
)
def test_scores_refuse_a_table_or_a_failed_that_is_not_true_or_false(fields, message) -> None:
    """A (batch, k) metric was flattened into k entries per input, and a probability as
    ``failed`` became True for anything but 0: both ran on, wrong, without a word."""
    good = {"metric": [1.0, 2.0], "failed": [True, False], "reward": [1.0, -1.0]}
    with pytest.raises(PluginError, match=message):
        Scores(**{**good, **fields})
    assert Scores(**{**good, "failed": [1.0, 0.0]}).failed.tolist() == [True, False]


class _Grid(Concept):
    """Takes whatever grid it is given."""

    def apply(self, inputs: torch.Tensor, value: float) -> torch.Tensor:
        return inputs


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.0, 1, 1.0], r"concept 'g': values repeat: \[0.0, 1, 1.0\]"),
        ([0.5, np.float32(0.5)], r"concept 'g': values repeat: \[0.5, 0.5\]"),
        (0.5, r"concept 'g': values must be a list, got 0.5"),
        ("0.5", r"concept 'g': values must be a list, got '0.5'"),
        (True, r"concept 'g': values must be a list, got true"),  # YAML's, not Python's True
    ],
)
def test_a_grid_that_repeats_a_number_or_is_no_list_is_refused(values, message) -> None:
    """1 and 1.0 are one point of the grid (one coordinate, one apply_each group) but passed as
    two values; a bare number failed with Python's "'float' object is not iterable"."""
    with pytest.raises(ConceptValueError, match=message):
        _Grid(values, label="g")


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([None, 0.5], "[0] null"),
        ([0.5, True], "[1] true"),
        ([False], "[0] false"),
        ([0.5, "1"], "[1] '1'"),
    ],
)
def test_a_grid_value_is_said_as_the_config_wrote_it(values, shown) -> None:
    """A grid's ``null`` or ``true`` was said as Python's None or True, a value nobody typed;
    a number given as text keeps its quotes."""
    with pytest.raises(ConceptValueError) as refused:
        _Grid(values, label="g")
    assert str(refused.value) == (
        f"concept 'g': values{shown} is not allowed; expected a finite number"
    )


def test_a_concept_with_no_default_grid_asks_for_values_when_given_none() -> None:
    """A concept class that sets no ``default_values``, used with no ``values``, said "values
    must list at least one value", of a list the user never gave."""
    with pytest.raises(
        ConceptValueError,
        match=r"^concept 'g' has no default grid \(default_values\); give its grid as "
        r"values: \[\.\.\.\]$",
    ):
        _Grid(label="g")
    with pytest.raises(ConceptValueError, match=r"^concept 'g': values must list at least one"):
        _Grid([], label="g")  # an empty list given is still said as such
    assert _Grid([0.0, 1.0], label="g").values == [0.0, 1.0]


def test_read_text_lines_names_the_reader_for_a_missing_or_bad_file(tmp_path: Path) -> None:
    """A missing file was the CLI's bare "file not found: PATH", naming no plugin."""
    from ffade.plugin_api import read_text_lines

    what = "dataset 'yours'"
    with pytest.raises(PluginError, match=rf"^dataset 'yours': cannot read {tmp_path}/gone.jsonl"):
        read_text_lines(tmp_path / "gone.jsonl", what)
    with pytest.raises(PluginError, match=r"^dataset 'yours': cannot read .*: Is a directory$"):
        read_text_lines(tmp_path, what)
    (tmp_path / "latin1.csv").write_bytes(b"a\ncaf\xe9\n")
    with pytest.raises(PluginError, match=r"^dataset 'yours': .*latin1.csv line 2 is not UTF-8"):
        read_text_lines(tmp_path / "latin1.csv", what)
    (tmp_path / "ok.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert read_text_lines(tmp_path / "ok.csv", what) == ["a,b\n", "1,2\n"]


class _Words(Concept):
    """A word concept whose check_value lets anything on its default grid through."""

    neutral = "none"
    default_values = ("none", ["a", "b"], ["c"])

    def check_value(self, value: object) -> None:
        if value not in self.default_values:
            raise ConceptValueError(f"concept '{self.label}': value {value!r} is not allowed")

    def apply(self, inputs: torch.Tensor, value: object) -> torch.Tensor:
        return inputs


class _WordSet(Concept):
    """A word concept that checks membership in a set, as docs/plugins.md tells one to: a list
    or dict value makes ``value not in OPERATORS`` raise TypeError (unhashable)."""

    neutral = "none"
    default_values = ("none", "flip")
    OPERATORS = frozenset({"none", "flip"})

    def check_value(self, value: object) -> None:
        if value not in self.OPERATORS:
            raise ConceptValueError(f"concept '{self.label}': value {value!r} is not allowed")

    def apply(self, inputs: torch.Tensor, value: object) -> torch.Tensor:
        return inputs


@pytest.mark.parametrize(
    ("concept", "values", "got"),
    [
        (_WordSet, ["none", ["flip", "none"]], r"\[flip, none\] is not allowed; .* not a list"),
        (_WordSet, ["none", {"flip": 1}], r"\{flip: 1\} is not allowed; .* not a dict"),
        (
            _Words,
            None,
            r"\[a, b\] is not allowed; a grid value is one number or word, not a list",
        ),
        (
            _Grid,
            [0.0, {"a": 1}],
            r"\{a: 1\} is not allowed; expected a finite number",  # the concept's words first
        ),
    ],
)
def test_a_grid_value_that_is_a_list_or_a_mapping_is_refused(concept, values, got) -> None:
    """A grid of lists (words a concept's own check_value let through, or a list typed in a
    config's values) stopped at the repeat check with Python's "unhashable type: 'list'"; a
    word concept checking membership in a set stopped in its own check_value with the same
    words (``ffade: error: concept 'x': unhashable type: 'list'``, no key, from ``ffade fit``)."""
    with pytest.raises(ConceptValueError, match=rf"^concept 'g': values\[1\] {got}$"):
        concept(values, label="g")


def test_equal_keys_fall_in_one_split_whatever_the_seed() -> None:
    keys = [i % 7 for i in range(40)]  # seven inputs, each repeated five or six times
    for seed in range(20):
        splits = disjoint_split_indices(40, (0.2, 0.6, 0.2), seed, keys=keys)
        where = {}
        for name, indices in splits.items():
            for i in indices.tolist():
                assert where.setdefault(keys[i], name) == name, f"seed {seed}: key {keys[i]}"
        assert sorted(np.concatenate(list(splits.values())).tolist()) == list(range(40))


def test_keys_without_copies_split_exactly_as_no_keys() -> None:
    for n, fractions in [(800, (0.2, 0.6, 0.2)), (13, (0.5, 0.0, 0.3)), (9, (0.33, 0.33, 0.34))]:
        for seed in range(5):
            plain = disjoint_split_indices(n, fractions, seed)
            keyed = disjoint_split_indices(n, fractions, seed, keys=[f"t{i}" for i in range(n)])
            for name in plain:
                assert keyed[name].tolist() == plain[name].tolist()
                assert keyed[name].dtype == plain[name].dtype


def test_a_copy_follows_its_first_copy_and_the_counts_still_hold() -> None:
    plain = disjoint_split_indices(10, (0.2, 0.6, 0.2), 0)
    first, second = plain["discovery"].tolist()
    tuned, held = plain["finetune"].tolist(), plain["heldout"].tolist()
    keys: list[object] = list(range(10))
    keys[held[0]] = keys[first]  # a held-out input copies a discovery input
    keyed = disjoint_split_indices(10, (0.2, 0.6, 0.2), 0, keys=keys)
    assert keyed["discovery"].tolist() == [first, held[0]]  # the pair fills discovery's two
    assert keyed["finetune"].tolist() == [second, *tuned[:5]]
    assert keyed["heldout"].tolist() == [tuned[5], held[1]]


def test_keys_must_be_one_per_input() -> None:
    with pytest.raises(PluginError, match="dataset 'yours': fractions: 3 keys for 4 inputs"):
        disjoint_split_indices(4, (0.5, 0.25, 0.25), 0, "dataset 'yours': fractions", [1, 2, 3])


def test_a_concept_built_in_python_goes_by_its_installed_name() -> None:
    """``GaussianBlur()`` was labelled ``gaussianblur`` (its class name lower-cased) and
    ``RemovePunctuation()`` ``removepunctuation``, in records, rules and plots, where a config
    says ``gaussian_blur`` and ``remove_punctuation``: every installed concept built without a
    label now takes the name a config gives it (its installed name; the synthetic ``axis``,
    ``axis<index>`` either way)."""
    from ffade import registry

    checked = 0
    for info in registry.available("concept"):
        if info.distribution == registry.IN_PROCESS:
            continue
        try:
            made = registry.create("concept", info.name, {})
        except FfadeError:  # needs an argument a test cannot guess
            continue
        assert type(made)(values=made.values).label == made.label, info.name
        checked += 1
    assert checked >= 20  # the vision and text concepts at least: the list is read, not typed


def test_a_concept_class_of_ones_own_goes_by_its_name_in_snake_case() -> None:
    """Unregistered, a class is named as ``ffade.discover`` registers it (``MyBlur`` ->
    ``my_blur``), not ``myblur``; a subclass of an installed concept is a concept of its own."""
    from ffade_vision.concepts import GaussianBlur

    class MyBlur(GaussianBlur):
        pass

    assert MyBlur(values=[0, 1]).label == "my_blur"
    assert MyBlur(values=[0, 1], label="soft").label == "soft"


def test_a_missing_weights_file_is_said_as_typed_and_where_it_was_read(tmp_path: Path) -> None:
    """``weights: nothere.pt`` said only 'nothere.pt' (a missing model folder names the path it
    was read as); now the file as typed, then where a relative one was looked for, and through
    a broken link the link (as a missing run directory says it), in one line, exit 2."""
    from tests.helpers import REPO, ffade_in_process

    (tmp_path / "gone.pt").symlink_to(tmp_path / "unmounted" / "model.pt")
    said = {}
    for weights in ("nothere.pt", "gone.pt"):
        result = ffade_in_process(
            "fit",
            "--config",
            str(REPO / "configs" / "quickstart.yaml"),
            "--model.init_args.task.target.args.weights",
            weights,
            cwd=tmp_path,
        )
        assert result.returncode == 2 and result.stdout == ""
        said[weights] = result.stderr
    where = "ffade: error: target 'digits_cnn': model.init_args.task.target.args.weights file"
    assert said["nothere.pt"] == (
        f"{where} 'nothere.pt' does not exist (read as {tmp_path / 'nothere.pt'})\n"
    )
    assert said["gone.pt"] == (
        f"{where} 'gone.pt': gone.pt is a symbolic link to {tmp_path / 'unmounted' / 'model.pt'}, "
        "which does not exist\n"
    )
