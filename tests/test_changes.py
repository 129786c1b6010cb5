"""Changed inputs: shared work between pairs gives each pair exactly its own changed input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ffade.changes import ChangedInputs
from ffade.concepts import ConceptSpace
from ffade.errors import ConceptValueError, PluginError
from ffade.evaluator import Evaluator
from ffade.plugin_api import Concept
from ffade.task import build_task


@pytest.fixture(scope="module")
def changes() -> ChangedInputs:
    spec = {
        "target": {"name": "digits_cnn"},
        "dataset": {"name": "digits", "args": {"seed": 0}},
        "reward": {"name": "misclassification"},
        "concepts": [
            {"name": "rotation", "args": {"values": [-20, 0, 20]}},
            {"name": "contrast", "args": {"values": [0.8, 1.0]}},
            {"name": "gaussian_blur", "args": {"values": [0.0, 1.5]}},
        ],
        "max_inputs": 4,
    }
    return ChangedInputs(build_task(spec))


def pairs(changes: ChangedInputs) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3, 30)  # repeated inputs and repeated prefixes of states
    return ids, changes.space.sample(rng, 30)


def test_shared_work_gives_each_pair_its_own_image(changes: ChangedInputs) -> None:
    """Concepts applied once per distinct (input, values so far) must match row-by-row changes."""
    ids, states = pairs(changes)
    changed = changes.inputs(ids, states)
    assert changed.shape[0] == 30
    for row, (input_id, state) in enumerate(zip(ids, states, strict=True)):
        image = changes.task.inputs[int(input_id)][0].unsqueeze(0)
        for concept, index in zip(changes.space.concepts, state, strict=True):
            image = concept.apply(image, concept.values[int(index)])
        # per-row kernels (one rotation for rows of many angles) sample on a grid computed once
        # for all rows, torchvision's on one per angle: equal to 1e-5
        np.testing.assert_allclose(changed[row : row + 1].numpy(), image.numpy(), atol=1e-5)
    assert len(changes.inputs(np.zeros(0, np.int64), states[:0])) == 0


def test_the_device_cache_changes_nothing_but_speed(changes: ChangedInputs) -> None:
    """A split too big to keep collated is collated per batch, with the same inputs and labels."""
    uncached = ChangedInputs(changes.task, cache_bytes=0)
    ids, states = pairs(changes)
    inputs, references = changes.build(ids, states)
    plain_inputs, plain_references = uncached.build(ids, states)
    assert changes._cache is not False and uncached._cache is False
    assert torch.equal(inputs, plain_inputs)
    assert torch.equal(references, plain_references)
    assert references.tolist() == [changes.task.inputs[int(i)][1] for i in ids]


def test_a_split_too_big_to_cache_is_never_collated_whole(
    changes: ChangedInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size is judged from one collated input: a split of 10,000 photos once took
    gigabytes to collate only to be refused the cache."""
    dataset, sizes = changes.task.dataset, []
    collate = dataset.collate
    monkeypatch.setattr(
        dataset, "collate", lambda items: (sizes.append(len(items)), collate(items))[1]
    )
    image, label = collate([changes.task.inputs[0]])
    one = image.numel() * image.element_size() + label.numel() * label.element_size()
    count = len(changes.task.inputs)
    too_small = ChangedInputs(changes.task, cache_bytes=one * count - 1)
    too_small.build(*pairs(too_small))
    assert too_small._cache is False and max(sizes) < count
    sizes.clear()
    fits = ChangedInputs(changes.task, cache_bytes=one * count)
    fits.build(*pairs(fits))
    assert fits._cache is not False and max(sizes) == count


class TextsOnly(Concept):
    """A concept for texts that refuses other inputs in one line, as ffade-text's do."""

    neutral = 0

    def apply(self, inputs, value):
        if not isinstance(inputs, list):
            raise ConceptValueError(f"concept '{self.label}': inputs must be texts")
        return inputs


def test_a_concept_for_other_inputs_is_refused_before_any_evaluation(changes) -> None:
    """Building the evaluator applies each concept once: its refusal comes before the search."""
    task = dataclasses.replace(changes.task, space=ConceptSpace([TextsOnly([0, 1], "typo")]))
    with pytest.raises(ConceptValueError, match="concept 'typo': inputs must be texts"):
        Evaluator(task)
    Evaluator(changes.task)  # the task's own concepts change its images


class Gain(Concept):
    """Scales pixels by ``1 + value`` and clips at 0.9, as a sound card clips; its
    ``apply_each`` takes one value per row in one call and so clips the rows at the neutral
    value too, which ``apply`` (never called at the neutral value) leaves alone: the slip."""

    neutral = 0.0

    def apply(self, inputs, value):
        return (inputs * (1 + value)).clamp(0.0, 0.9)

    def apply_each(self, inputs, values):
        factors = 1 + torch.tensor(values, dtype=inputs.dtype).view(-1, 1, 1, 1)
        return (inputs * factors).clamp(0.0, 0.9)


class FirstValueOnly(Gain):
    """An ``apply_each`` that gives every row the first row's value (a mixed-up batch)."""

    def apply_each(self, inputs, values):
        return self.apply(inputs, values[0])


def test_rows_at_the_neutral_value_stay_unchanged_whatever_apply_each_does(changes) -> None:
    """A concept's own apply_each gets the neutral rows too; ffade keeps them as the dataset
    gave them, as it does for apply (never called at the neutral value): a gain of 0 dB that
    still clipped once judged every neutral evaluation on clipped inputs."""
    concept = Gain([0.0, 0.25], "gain")
    task = dataclasses.replace(changes.task, space=ConceptSpace([concept]))
    ids = np.array([0, 1, 0, 2])
    changed = ChangedInputs(task).inputs(ids, np.array([[0], [0], [1], [1]]))
    originals = torch.stack([task.inputs[i][0] for i in ids.tolist()])
    assert originals.max() > 0.9  # so a clip at the neutral value would show
    assert torch.equal(changed[:2], originals[:2])
    assert torch.equal(changed[2:], concept.apply(originals[2:], 0.25))


def test_an_apply_each_that_mixes_up_its_rows_is_refused_before_any_evaluation(changes) -> None:
    """Given the first input at two values, each row must come out as apply gives it alone."""
    task = dataclasses.replace(
        changes.task, space=ConceptSpace([FirstValueOnly([0.0, 0.1, 0.2], "bright")])
    )
    line = (
        r"concept 'bright': apply_each\(inputs, \[0.2, 0.1\]\) gave the first input, in row 1, "
        r"another change than apply\(inputs, 0.1\) gives it alone"
    )
    with pytest.raises(PluginError, match=line):
        Evaluator(task)
    Evaluator(dataclasses.replace(task, space=ConceptSpace([Gain([0.0, 0.1, 0.2], "g")])))


class RefusingEach(Gain):
    """An ``apply_each`` of its own that refuses its values in one line of its own."""

    def apply_each(self, inputs, values):
        raise ConceptValueError(f"gains {values} are past the card's range")


class BrokenEach(Gain):
    """A bug in an ``apply_each`` of the concept's own."""

    def apply_each(self, inputs, values):
        raise RuntimeError("kaboom")


class NoisyEach(Gain):
    """An ``apply_each`` of its own that draws unseeded noise: another change each call."""

    def apply_each(self, inputs, values):
        return super().apply_each(inputs, values) + 0.01 * torch.rand(inputs.shape)


def _probed(changes: ChangedInputs, concept: Concept) -> None:
    Evaluator(dataclasses.replace(changes.task, space=ConceptSpace([concept])))


def test_the_probe_names_a_concepts_own_apply_each_as_the_method_it_called(changes) -> None:
    """The probe calls apply_each, which a concept may define itself; its one line, its note
    and its repeat check said apply(inputs, 0.1), a method that was never called."""
    with pytest.raises(ConceptValueError) as refused:
        _probed(changes, RefusingEach([0.0, 0.1, 0.2], "g"))
    assert str(refused.value) == (
        "concept 'g': apply_each(inputs, [0.1]): gains [0.1] are past the card's range"
    )
    with pytest.raises(RuntimeError) as broken:
        _probed(changes, BrokenEach([0.0, 0.1], "g"))
    assert broken.value.__notes__ == [
        "ffade: raised by concept 'g': apply_each(inputs, [0.1]), in the plugin's own code "
        "(docs/plugins.md)"
    ]
    with pytest.raises(PluginError) as noisy:
        _probed(changes, NoisyEach([0.0, 0.1], "g"))
    assert str(noisy.value).startswith(
        "concept 'g': apply_each(inputs, [0.1]) changed the first input differently when called "
        "again; apply_each must give an input the same result in any call and batch"
    )


def test_the_probe_names_apply_where_the_base_apply_each_calls_it(changes) -> None:
    """Without an apply_each of its own, the concept's apply is what ran, and is named."""

    class Refusing(Concept):
        def apply(self, inputs, value):
            raise ConceptValueError(f"gain {value} is past the card's range")

    with pytest.raises(ConceptValueError) as refused:
        _probed(changes, Refusing([0.0, 0.1], "g"))
    assert (
        str(refused.value) == "concept 'g': apply(inputs, 0.1): gain 0.1 is past the card's range"
    )
