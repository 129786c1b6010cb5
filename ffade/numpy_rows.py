"""A dataset that gives NumPy rows (what scikit-learn hands one) instead of tensors.

The default ``Dataset.collate`` stacks tensors and numbers and leaves anything else a list, as
docs/plugins.md says: a split of NumPy arrays then reached the first plugin that touched the
batch (a concept's ``inputs.shape``) as a list, and the traceback named that plugin, not the
dataset that gave the rows. The mistake is the dataset's, so it is said where the batch is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ffade.errors import PluginError
from ffade.plugin_api import Dataset
from ffade.plugin_names import plugin_label


def check_tensor_rows(dataset: Dataset, inputs: Any, references: Any) -> None:
    """Refuse a batch the default ``collate`` left a list of NumPy arrays, naming the dataset
    and what to return. A dataset with a ``collate`` of its own may hand arrays on: its target
    and reward are then written for them."""
    if type(dataset).collate is not Dataset.collate:
        return
    for what, part in (("input", inputs), ("reference", references)):
        if isinstance(part, list) and part and isinstance(part[0], np.ndarray):
            first = part[0]
            raise PluginError(
                f"dataset '{plugin_label(dataset)}': split() gives each {what} as a NumPy "
                f"array ({first.dtype} of shape {tuple(first.shape)}), which collate() cannot "
                f"batch; give tensors: torch.as_tensor(row, dtype=torch.float32) "
                "(docs/plugins.md, Dataset)"
            )
