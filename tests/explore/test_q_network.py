"""The DQN's Q-network: its action encoding stays free of subnormal floats, Q is a dot product."""

from __future__ import annotations

import numpy as np
import torch

from ffade.explore.q_network import QNetwork

SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


def _network() -> QNetwork:
    torch.manual_seed(0)
    grids = [np.linspace(-20, 20, 9), np.linspace(0.7, 1.0, 4), np.linspace(0, 2.5, 6)]
    return QNetwork(feature_dim=5, num_concepts=3, hidden_dim=16, embedding_dim=8, grids=grids)


def test_far_bumps_are_exact_zeros_not_subnormal_floats():
    network = _network()
    coords = torch.tensor([[-20.0, 0.7, 0.0], [20.0, 1.0, 2.5], [3.0, 0.85, 1.2]])
    actions = torch.cat([coords, torch.zeros(3, 1)], -1)
    bumps = network.bumps(actions)
    # without the cutoff, rotation -20 lights the bump at +20 with exp(-1600): 0, and the one at
    # +15 with exp(-1225); in between, exp(-90) to exp(-103) are subnormal
    subnormal = (bumps != 0) & (bumps.abs() < SMALLEST_NORMAL)
    assert not subnormal.any()
    assert (bumps == 0).any()  # the far ones
    assert torch.allclose(bumps.max(-1).values[:2], torch.ones(2))  # on a center: exactly 1
    sweep = torch.linspace(-20, 20, 2001)
    swept = torch.stack([sweep, torch.full_like(sweep, 0.8), torch.full_like(sweep, 1.0)], -1)
    values = network.bumps(torch.cat([swept, torch.zeros(len(sweep), 1)], -1))
    assert not ((values != 0) & (values.abs() < SMALLEST_NORMAL)).any()


def test_q_is_the_dot_product_of_the_two_embeddings():
    network = _network()
    features, coords = torch.randn(4, 5), torch.rand(4, 3)
    actions = torch.rand(4, 7, 4)  # 7 actions per observation: coordinates and a flag
    q = network(features, coords, actions)
    observations = network.embed_observations(features, coords)
    expected = torch.einsum("ne,nme->nm", observations, network.embed_actions(actions))
    assert q.shape == (4, 7)
    torch.testing.assert_close(q, expected)


def test_bumps_looked_up_by_grid_index_are_the_formulas_bits():
    """A double DQN target looks the bumps of every move's state up by grid index (the formula's
    eight passes over moves x bumps were half the action tower's time with 20 concepts): the
    lookup must give the formula's bits, or the same seed makes other decisions. Grids in
    thirds, uneven and long (bumps spread evenly) included."""
    grids = [
        np.array([0.0, 1.0]),
        np.linspace(0.0, 1.0, 4),  # thirds: 1/3 rounds in float32
        np.array([0.0, 0.05, 0.3333333, 1 / 3, 0.9999, 1.0]),
        np.linspace(0.0, 1.0, 40),  # more values than bumps
    ]
    network = QNetwork(feature_dim=5, num_concepts=4, hidden_dim=16, grids=grids, action_flags=2)
    rng = np.random.default_rng(0)
    states = np.stack([rng.integers(0, len(g), (64, 9)) for g in grids], -1)  # 64 states x 9
    coords = np.stack([g.astype(np.float32)[states[..., i]] for i, g in enumerate(grids)], -1)
    actions = torch.cat([torch.as_tensor(coords), torch.ones(64, 9, 2)], -1)
    looked_up = network.action_inputs(actions, torch.as_tensor(states))
    computed = network.action_inputs(actions)
    assert looked_up.shape == computed.shape == (64, 9, 4 + 2 + len(network.centers))
    assert torch.equal(looked_up.view(torch.int32), computed.view(torch.int32))  # bit for bit
