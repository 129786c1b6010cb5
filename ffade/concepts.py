"""Concept spaces: the grid of concept combinations, and the moves an explorer can make on it.

A *state* is one index per concept. Macroscopic actions pick any state at once; microscopic
actions move one concept one grid step up or down, or stop. Nothing here allocates per-state
tensors, so grids of 10^6 or more combinations cost only what is sampled from them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from ffade.concept_names import did_you_mean, grid_index, listed
from ffade.errors import ConceptValueError, as_written
from ffade.plugin_api import Concept

STOP = 0
"""Microscopic action 0 ends the episode; action 1 + 2*i (+1) moves concept i down (up)."""
MAX_PAIRS = 2**63 - 1
"""The most (input, state) pairs ffade can number: memo keys and records' flat states are int64,
and numpy wraps past it without a word (input 10 of 16 on a 10^18-state grid: a negative key)."""


def is_label(label: object) -> bool:
    """Whether ``label`` can name an axis in records, rules and plots: non-empty text on one
    line, no control character (a newline split report.md's table rows and the prompts) and no
    space at either end (' rot' is typed as 'rot' in --axes and --from, and refused)."""
    if not isinstance(label, str) or not label.strip() or label != label.strip():
        return False
    return not any(unicodedata.category(character) == "Cc" for character in label)


class ConceptSpace:
    """The product grid of several concepts, with index <-> values <-> coordinates maps."""

    def __init__(self, concepts: Sequence[Concept]) -> None:
        if not concepts:
            raise ConceptValueError("task.concepts must list at least one concept")
        labels = [c.label for c in concepts]
        for i, label in enumerate(labels):
            if not is_label(label):  # a concept made in Python; a config's is refused earlier
                raise ConceptValueError(
                    f"concept {i} ({type(concepts[i]).__name__}): label must be a non-empty "
                    f"name, got {label!r}"
                    + (
                        "; one line, no space at its ends"
                        if isinstance(label, str) and label.strip()
                        else ""
                    )
                )
        duplicates = sorted({x for x in labels if labels.count(x) > 1})
        if duplicates:
            raise ConceptValueError(
                f"concept labels repeat: {', '.join(duplicates)}; give each a distinct 'label'"
            )
        self.concepts = list(concepts)
        self.labels = labels
        self.sizes = np.array([len(c.values) for c in concepts], dtype=np.int64)
        self.num_states = int(np.prod(self.sizes.astype(object)))
        self.check_pairs(1)
        self._coords = [c.coordinates().astype(np.float32) for c in concepts]
        self.neutral = np.array([c.neutral_index() for c in concepts], dtype=np.int64)
        # a grid of words without its no-op (a prompt slot's grid without ""): the input as the
        # dataset gives it ("a portrait of  in", slots empty) is no input the search ever sees,
        # so pictures draw the original at the stand-in, as clean checks and reports take it
        self.drawn_stand_in = np.array(
            [c.neutral not in c.values and not c.is_numeric for c in concepts], dtype=bool
        )
        # row-major strides turn an index tuple into one integer key for memoization and records
        self._strides = np.array(
            [int(np.prod(self.sizes[i + 1 :].astype(object))) for i in range(len(concepts))],
            dtype=np.int64,
        )

    def check_pairs(self, num_inputs: int, inputs_key: str = "task.max_inputs") -> None:
        """Refuse a grid whose (input, state) pairs cannot be numbered in int64: twenty concepts
        of ten values crashed in numpy, eighteen on 16 inputs wrapped keys to negative numbers."""
        pairs = num_inputs * self.num_states
        if pairs <= MAX_PAIRS:
            return
        shape = " x ".join(map(str, self.sizes.tolist()))
        grid = f"the concept grid has {self.num_states:.3g} states ({shape})"
        if self.num_states <= MAX_PAIRS:
            grid += f", and {num_inputs} inputs make {pairs:.3g} (input, state) pairs"
        fewer = "" if self.num_states > MAX_PAIRS else f"fewer inputs ({inputs_key}), "
        raise ConceptValueError(
            f"{grid}, more than the {MAX_PAIRS:.3g} ffade can number; search {fewer}fewer "
            "concepts or coarser grids"
        )

    @property
    def num_concepts(self) -> int:
        return len(self.concepts)

    @property
    def num_moves(self) -> int:
        """Microscopic action count: stop, plus down and up for each concept."""
        return 1 + 2 * self.num_concepts

    def flat(self, states: np.ndarray) -> np.ndarray:
        """State index tuples (..., k) to flat integers (...)."""
        return np.asarray(states, dtype=np.int64) @ self._strides

    def unflat(self, flat: np.ndarray | int) -> np.ndarray:
        """Flat integers (...) to state index tuples (..., k)."""
        flat = np.asarray(flat, dtype=np.int64)
        return (flat[..., None] // self._strides) % self.sizes

    def values(self, state: Sequence[int]) -> dict[str, Any]:
        """One state as {concept label: value}, the form records and reports use."""
        return {c.label: c.values[int(i)] for c, i in zip(self.concepts, state, strict=True)}

    def changed_from(self, start: Sequence[int], state: Sequence[int]) -> dict[str, Any]:
        """The concepts whose grid index differs between ``start`` and ``state``, each as
        ``{"from": value, "to": value}``: what a microscopic failure changed from its start,
        which the whole failing state leaves the reader to work out concept by concept."""
        return {
            c.label: {"from": c.values[int(a)], "to": c.values[int(b)]}
            for c, a, b in zip(self.concepts, start, state, strict=True)
            if int(a) != int(b)
        }

    def changes(self, state: Sequence[int]) -> dict[str, Any]:
        """The values in ``state`` that change an input: those other than their concept's no-op.

        What a caption should name: a text example under fifteen edit concepts has one edit, and
        a grid of numbers without the no-op (brightness 0.5 to 0.9) changes the input even at its
        mildest. A grid of words without it (:attr:`drawn_stand_in`) changes the original as
        pictures draw it, at the stand-in, only where it takes another value.
        """
        return {
            c.label: c.values[int(i)]
            for c, i, n, stand_in in zip(
                self.concepts, state, self.neutral, self.drawn_stand_in, strict=True
            )
            if (int(i) != n if stand_in else c.values[int(i)] != c.neutral)
        }

    def index_of(self, values: dict[str, Any], key: str = "") -> np.ndarray:
        """The state whose values are ``values``; concepts not named take their neutral value.

        ``key``: where the values came from (e.g. ``model.init_args.start_state``), named first
        in an error, so that the user knows which setting to fix."""
        where = f"{key}: " if key else ""
        unknown = sorted(set(values) - set(self.labels))
        if unknown:
            hint = did_you_mean(unknown[0], self.labels) if len(unknown) == 1 else ""
            allowed = listed(self.labels)
            raise ConceptValueError(
                f"{where}unknown concept {', '.join(unknown)}{hint}; concepts: {allowed}"
            )
        state = self.neutral.copy()
        for i, concept in enumerate(self.concepts):
            if concept.label in values:
                value = values[concept.label]
                same = grid_index(concept.values, value)
                if same is None:
                    raise ConceptValueError(
                        f"{where}concept '{concept.label}': value {as_written(value)} is not on "
                        f"its grid; allowed: {concept.values}"
                    )
                state[i] = same
        return state

    def coordinates(self, states: np.ndarray) -> np.ndarray:
        """States (..., k) to normalized coordinates in [0, 1] (..., k): the ground metric."""
        states = np.asarray(states, dtype=np.int64)
        return np.stack([self._coords[i][states[..., i]] for i in range(self.num_concepts)], -1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` uniformly random states (n, k)."""
        return rng.integers(0, self.sizes, size=(n, self.num_concepts))

    def move(self, states: np.ndarray, moves: np.ndarray) -> np.ndarray:
        """Apply microscopic moves (n,) to states (n, k); moves off the grid stay put."""
        states = np.array(states, dtype=np.int64, copy=True)
        moves = np.asarray(moves, dtype=np.int64)
        active = moves != STOP
        concept = (moves - 1) // 2
        step = np.where((moves - 1) % 2 == 0, -1, 1)
        rows = np.nonzero(active)[0]
        cols = concept[active]
        states[rows, cols] = np.clip(states[rows, cols] + step[active], 0, self.sizes[cols] - 1)
        return states

    def valid_moves(self, states: np.ndarray) -> np.ndarray:
        """Mask (n, num_moves): stop is always valid; a move is valid if it stays on the grid."""
        states = np.asarray(states, dtype=np.int64)
        mask = np.ones((states.shape[0], self.num_moves), dtype=bool)
        mask[:, 1::2] = states > 0
        mask[:, 2::2] = states < self.sizes - 1
        return mask

    def neighbours(self, state: np.ndarray) -> list[np.ndarray]:
        """States one grid step away along one concept: the adjacency that defines regions."""
        out = []
        for i in range(self.num_concepts):
            for step in (-1, 1):
                j = state[i] + step
                if 0 <= j < self.sizes[i]:
                    nxt = np.array(state, copy=True)
                    nxt[i] = j
                    out.append(nxt)
        return out

    def describe(self) -> list[dict[str, Any]]:
        """Each concept's label, plugin, grid and geometry, as summary.json records it.

        The geometry travels with the grid so that readers of a run directory (reports, feedback)
        use the coordinates and the neutral state the explorer used, without the plugin installed
        and without re-deriving them: ``coordinates`` places each grid value in [0, 1] (the
        ground metric), ``neutral`` is the value that changes nothing (which may lie off the grid)
        and ``neutral_index`` the grid index that stands for it (:attr:`neutral`);
        ``keeps_meaning`` whether the reference still holds for a changed input.
        """
        return [
            {
                "label": concept.label,
                "plugin": concept.plugin_name,
                "values": list(concept.values),
                "coordinates": concept.coordinates().tolist(),
                "neutral": concept.neutral,
                "neutral_index": int(neutral_index),
                "keeps_meaning": bool(concept.keeps_meaning),
            }
            for concept, neutral_index in zip(self.concepts, self.neutral, strict=True)
        ]
