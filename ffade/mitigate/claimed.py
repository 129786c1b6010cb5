"""The grid states a fix claims: what its untargeted measurements must stay out of.

A fine-tuner trains on the member states of the prioritized slices; for a rule those are the
states the search evaluated inside it. But a person who prioritized ``gaussian_blur >= 2`` asked
for every state the rule allows, evaluated or not. Counting an unevaluated ``gaussian_blur = 2``
state as *untargeted* would credit the fix's intended effect as a side effect (and the LoRA
fine-tuner's ``keep_others`` would teach the old behaviour there). So a plan claims each
rule's whole range (its ``allowed`` indices, one list per concept) and each region's members.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ClaimedStates:
    """Membership and count of the union of rule ranges (boxes) and explicit member states."""

    def __init__(
        self,
        sizes: Sequence[int],
        boxes: Sequence[Sequence[Sequence[int]]],
        members: np.ndarray,
    ) -> None:
        """``sizes``: values per concept; ``boxes``: per rule, the allowed grid indices of each
        concept; ``members``: explicit states (m, k)."""
        self.sizes = tuple(int(n) for n in sizes)
        self.boxes = [[np.asarray(a, dtype=np.int64) for a in box] for box in boxes]
        members = np.asarray(members, dtype=np.int64).reshape(-1, len(self.sizes))
        self._member_ids = np.unique(self._flat(members))

    def contains(self, states: np.ndarray) -> np.ndarray:
        """Whether each state (rows of ``states``) is claimed: in a box or a member."""
        states = np.asarray(states, dtype=np.int64).reshape(-1, len(self.sizes))
        return self._in_boxes(states) | np.isin(self._flat(states), self._member_ids)

    def count(self) -> int:
        """How many grid states are claimed, exactly, without listing the grid (which may hold
        billions of states): the boxes' union by splitting one axis at a time, plus the members
        no box holds."""
        members = np.stack(np.unravel_index(self._member_ids, self.sizes), axis=-1)
        loose = int((~self._in_boxes(members)).sum())
        return _union_size(self.boxes, list(self.sizes)) + loose

    def _in_boxes(self, states: np.ndarray) -> np.ndarray:
        inside = np.zeros(len(states), dtype=bool)
        for box in self.boxes:
            inside |= np.all([np.isin(states[:, i], a) for i, a in enumerate(box)], axis=0)
        return inside

    def _flat(self, states: np.ndarray) -> np.ndarray:
        return np.ravel_multi_index(tuple(np.asarray(states).T), self.sizes)


def _union_size(boxes: list[list[np.ndarray]], sizes: list[int]) -> int:
    """States in the union of ``boxes`` over a grid of ``sizes``: group the first axis's values
    by which boxes allow them, and recurse on the rest of the axes for each group."""
    if not boxes:
        return 0
    if not sizes:
        return 1
    groups: dict[tuple[int, ...], int] = {}
    for value in range(sizes[0]):
        holders = tuple(i for i, box in enumerate(boxes) if value in box[0])
        if holders:
            groups[holders] = groups.get(holders, 0) + 1
    return sum(
        n * _union_size([boxes[i][1:] for i in holders], sizes[1:]) for holders, n in groups.items()
    )
