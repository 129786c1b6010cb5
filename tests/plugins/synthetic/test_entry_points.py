"""Every synthetic plugin resolves by its entry-point name through ffade's registry."""

from __future__ import annotations

import pytest
from ffade_synthetic.concept import Axis
from ffade_synthetic.data import SyntheticDataset
from ffade_synthetic.reward import MarginReward
from ffade_synthetic.target import SyntheticTarget

from ffade import registry

EXPECTED = [
    ("target", "synthetic", SyntheticTarget),
    ("dataset", "synthetic", SyntheticDataset),
    ("concept", "axis", Axis),
    ("reward", "margin", MarginReward),
]


@pytest.mark.parametrize(("kind", "name", "cls"), EXPECTED, ids=[c[0] for c in EXPECTED])
def test_entry_point_loads_the_class_from_ffade_synthetic(kind: str, name: str, cls: type) -> None:
    assert registry.load(kind, name) is cls
    info = {(p.kind, p.name): p for p in registry.available(kind)}[(kind, name)]
    assert info.distribution.startswith("ffade-synthetic ")
    assert registry.create(kind, name).plugin_name == name
