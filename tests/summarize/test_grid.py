"""summary.json's concepts as read for a report: a malformed one is said plainly."""

from __future__ import annotations

import pytest

from ffade.errors import FfadeError
from ffade.summarize.grid import read_grid


def test_a_concept_without_values_is_said_as_the_file_writes_it() -> None:
    """The message showed the concept as Python spells it (``None``, ``'label'``) and the
    expected shape as a Python set literal, ``{'label', 'plugin', ...}``."""
    summary = {"concepts": [{"label": "axis", "values": [], "neutral": None}]}
    with pytest.raises(FfadeError) as error:
        read_grid(summary, "runs/x")
    message = str(error.value)
    assert "'concepts'[0] needs a 'label' and a non-empty 'values' list" in message
    assert message.endswith("got {label: axis, values: [], neutral: null}")


@pytest.mark.parametrize("concepts", [None, []])
def test_missing_concepts_name_the_keys_plainly(concepts: object) -> None:
    with pytest.raises(FfadeError) as error:
        read_grid({"concepts": concepts}, "runs/x")
    message = str(error.value)
    assert "{" not in message and "'plugin'" not in message, message
    assert "each with label, plugin, values, coordinates, neutral and neutral_index" in message
