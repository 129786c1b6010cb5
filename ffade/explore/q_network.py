"""The DQN's Q-network, and warm starts that load one from an earlier run's checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ffade.checkpoint import LAST_CHECKPOINT, load_checkpoint_file
from ffade.errors import FfadeError
from ffade.explore.warm_start import mismatch_message
from ffade.shell_words import shell_path

MAX_CENTERS = 16
"""Bumps per concept in the action encoding; a longer grid gets this many, evenly spaced."""
BUMP_CUTOFF = 30.0
"""A bump is 0 beyond this squared distance in widths (exp(-30) is 1e-13)."""


def bump_centers(grids: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Centers, widths and concept of each bump of :class:`QNetwork`'s action encoding.

    A concept's bumps sit on its grid coordinates (evenly spaced when it has more than
    :data:`MAX_CENTERS`); each is half as wide as the gap to its nearest neighbour, so a grid
    value lights its own bump and barely its neighbours'.
    """
    centers, widths, concepts = [], [], []
    for i, grid in enumerate(grids):
        grid = np.unique(np.asarray(grid, np.float64))
        if len(grid) > MAX_CENTERS:
            grid = np.linspace(grid.min(), grid.max(), MAX_CENTERS)
        gaps = np.diff(grid)
        nearest = np.minimum(np.append(gaps, np.inf), np.insert(gaps, 0, np.inf))
        centers.append(grid)
        widths.append(np.where(np.isfinite(nearest), nearest / 2, 1.0))
        concepts.append(np.full(len(grid), i))
    return tuple(
        torch.as_tensor(np.concatenate(x), dtype=dtype)
        for x, dtype in ((centers, torch.float32), (widths, torch.float32), (concepts, torch.long))
    )


class QNetwork(nn.Module):
    """Q(observation, action) as a dot product of two towers: phi(features, coords) . psi(action).

    A decision scores every input of a step against the same candidate actions. With one MLP over
    the concatenation, that is (inputs x candidates) passes through the whole network, which
    took most of a step's time on cheap models. Factored, each input and each candidate is
    embedded once and a decision is one matrix product; the rank-``embedding_dim`` product still
    lets the network learn which concept states fail which inputs.

    The action tower sees each coordinate twice: as a number (so rotation 30 informs rotation 35)
    and as bumps on its concept's grid values (``grids``; :func:`bump_centers`). From numbers
    alone a small MLP needs many updates to carve out a box that pins three concepts to one
    value each; with bumps one hidden unit does it (on five planted islands, distinct failures
    found went from about 1,350 to 2,150-2,400 of 2,592). ``grids`` default: two bumps, at 0
    and 1, per concept. ``action_flags``: the 0/1 values after an action's coordinates (a stop
    flag; microscopic moves add whether their destination is evaluated already).
    """

    def __init__(
        self,
        feature_dim: int,
        num_concepts: int,
        hidden_dim: int,
        embedding_dim: int = 64,
        grids: Sequence[np.ndarray] | None = None,
        action_flags: int = 1,
    ) -> None:
        super().__init__()
        grids = grids if grids is not None else [np.linspace(0, 1, 2)] * num_concepts
        centers, widths, concepts = bump_centers(grids)
        self.register_buffer("centers", centers, persistent=False)
        self.register_buffer("widths", widths, persistent=False)
        self.register_buffer("bump_concept", concepts, persistent=False)
        # each concept's table of its grid values' bumps (values x its bumps), by the formula
        # itself, for states given as grid indices (:meth:`state_bumps`); concept i's bumps are
        # the i-th run of columns (bump_centers lists them concept by concept)
        self.num_bump_tables = len(grids)
        for i, grid in enumerate(grids):
            values = torch.zeros(len(grid), len(grids))
            values[:, i] = torch.as_tensor(np.asarray(grid, np.float64).astype(np.float32))
            table = self.bumps(values)[:, concepts == i].contiguous()
            self.register_buffer(f"bump_table_{i}", table, persistent=False)
        self.observation_tower = nn.Sequential(
            nn.Linear(feature_dim + num_concepts, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, embedding_dim),
        )
        self.action_tower = nn.Sequential(
            nn.Linear(num_concepts + action_flags + len(centers), hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, embedding_dim),
        )

    def embed_observations(self, features: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        """features (..., d), coords (..., k) -> (..., embedding_dim)."""
        return self.observation_tower(torch.cat([features, coords], -1))

    def embed_actions(self, actions: torch.Tensor) -> torch.Tensor:
        """actions (..., k + action_flags): coordinates of the state reached, then the flags."""
        return self.action_tower(self.action_inputs(actions))

    def action_inputs(
        self, actions: torch.Tensor, states: torch.Tensor | None = None
    ) -> torch.Tensor:
        """What the action tower reads: ``actions`` and their bumps. A function of the grids
        only, never of the weights, so the online and target networks share one (a double DQN
        target rates the moves the online network scored). ``states``: the grid indices of the
        states the actions lead to, where known (their bumps are then looked up)."""
        bumps = self.bumps(actions) if states is None else self.state_bumps(states)
        return torch.cat([actions, bumps], -1)

    def state_bumps(self, states: torch.Tensor) -> torch.Tensor:
        """:meth:`bumps` of the coordinates of ``states`` (..., k), given as grid indices.

        Looked up, not computed: the same bits (each value's bumps come from :meth:`bumps`),
        one row pick per concept where the formula takes eight passes over (states x bumps);
        with 20 concepts the 41 moves of each replayed state made it half the action tower's
        time in a double DQN target.
        """
        flat = states.reshape(-1, self.num_bump_tables).T.contiguous()  # (k, n)
        picked = [
            getattr(self, f"bump_table_{i}").index_select(0, rows) for i, rows in enumerate(flat)
        ]
        return torch.cat(picked, -1).reshape(*states.shape[:-1], -1)

    def bumps(self, actions: torch.Tensor) -> torch.Tensor:
        """(..., bumps): how close each coordinate of ``actions`` is to each of its bumps' centers.

        A far bump is exactly 0, not exp(-100): subnormal floats make the CPU's exp and every
        matrix product they enter, forward and backward, ten to forty times slower (one weight
        gradient of the action tower took 0.8 ms instead of 0.02).
        """
        squared = ((actions[..., self.bump_concept] - self.centers) / self.widths) ** 2
        return torch.exp(-squared.clamp(max=BUMP_CUTOFF)).masked_fill_(squared >= BUMP_CUTOFF, 0)

    def forward(
        self, features: torch.Tensor, coords: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """features (..., d), coords (..., k), actions (..., m, k + flags) -> Q values (..., m)."""
        return self.score(features, coords, self.action_inputs(actions))

    def score(
        self, features: torch.Tensor, coords: torch.Tensor, action_inputs: torch.Tensor
    ) -> torch.Tensor:
        """As :meth:`forward`, from the action tower's inputs (:meth:`action_inputs`)."""
        observations = self.embed_observations(features, coords).unsqueeze(-2)
        # multiply and sum: a batched matrix product of (m x e) by (e x 1) is a slow kernel
        return (self.action_tower(action_inputs) * observations).sum(-1)


def warm_start_weights(path: str | Path, q_network: QNetwork) -> dict[str, torch.Tensor]:
    """The Q-network weights of an earlier run's checkpoint, checked against ``q_network``."""
    path = Path(path)
    checkpoint = path / LAST_CHECKPOINT if path.is_dir() else path
    if not checkpoint.is_file():
        raise FfadeError(
            f"model.init_args.warm_start: no checkpoint at {shell_path(checkpoint)}; give a run "
            "directory with checkpoints/last.ckpt (ffade fit saves one) or a .ckpt file"
        )
    fix = "give an earlier run's directory or its checkpoints/last.ckpt"
    saved = load_checkpoint_file(checkpoint, "model.init_args.warm_start:", fix)
    state = saved.get("state_dict", {}) if isinstance(saved, dict) else {}
    prefix = "q_network."
    weights = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not weights:
        raise FfadeError(
            f"model.init_args.warm_start: {shell_path(checkpoint)} holds no Q-network; warm "
            "starts need a checkpoint of a DQNExplorer run"
        )
    expected = {k: tuple(v.shape) for k, v in q_network.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in weights.items()}
    if found != expected:
        raise FfadeError(mismatch_message(checkpoint, saved, found, q_network))
    return weights
