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
