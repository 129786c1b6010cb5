"""Explorers: the DQN that learns where the target fails, and the baselines it must beat."""

from __future__ import annotations

from ffade.explore.base import Explorer
from ffade.explore.baselines import EpsilonGreedyExplorer, GridExplorer, RandomExplorer
from ffade.explore.dqn import DQNExplorer

__all__ = ["DQNExplorer", "EpsilonGreedyExplorer", "Explorer", "GridExplorer", "RandomExplorer"]
