"""Rows of a batch: how the default collate stacks inputs and references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ffade.batch import checked_rows, stack
from ffade.errors import PluginError
from ffade.plugin_api import Dataset


class NumpyLabels(Dataset):
    """Labels read from a NumPy array, as ``labels[i]`` gives them: np.int64, not int."""

    def split(self, name: str) -> list[tuple[torch.Tensor, object]]:
        labels = np.array([1, 0, 1])
        return [(torch.full((2,), float(i)), labels[i]) for i in range(3)]


def test_numpy_numbers_stack_into_a_tensor_as_python_numbers_do() -> None:
    """np.int64 labels were left a list of them: a reward's ``predictions != references``
    compared a tensor with a list, one bool for the whole batch."""
    inputs, references = NumpyLabels().collate(NumpyLabels().split("discovery"))
    assert inputs.shape == (3, 2)
    assert isinstance(references, torch.Tensor) and references.tolist() == [1, 0, 1]
    assert references.dtype == torch.int64
    floats = stack([np.float32(0.5), np.float64(1.5)])
    assert isinstance(floats, torch.Tensor) and floats.tolist() == [0.5, 1.5]
    assert stack([np.bool_(True), np.bool_(False)]) == [True, False]  # no number: as before


def test_a_batch_of_another_kind_is_named_with_the_article_it_reads_with() -> None:
    """A concept that returned a NumPy array for a tensor batch was told it "returned a
    ndarray"; the line now reads "an ndarray"."""
    like = torch.zeros(4, 2)
    with pytest.raises(PluginError, match=r"returned an ndarray for a batch that is a tensor;"):
        checked_rows(np.zeros((4, 2)), 4, "concept 'x': apply(inputs, 1)", like=like)
