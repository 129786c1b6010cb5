"""Changed inputs: shared work between pairs gives each pair exactly its own changed input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ffade.changes import ChangedInputs
from ffade.concepts import ConceptSpace
from ffade.errors import ConceptValueError
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
