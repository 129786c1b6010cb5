"""The rewards the probabilities note names (:mod:`ffade.probability_scores`).

The note said "the classification rewards take the softmax" beside any reward, a plugin's own
too; it names the shipped rewards that do, so the list must be every one of them and no other.
"""

from __future__ import annotations

import configparser
import importlib

import torch

from ffade.probability_scores import SOFTMAX_REWARDS
from tests.helpers import REPO


def _shipped_rewards() -> dict[str, type]:
    """Every reward the shipped plugins register (their setup.cfg's ``ffade.rewards``)."""
    rewards = {}
    for setup in sorted((REPO / "plugins").glob("*/setup.cfg")):
        parser = configparser.ConfigParser()
        parser.read(setup)
        entries = parser.get("options.entry_points", "ffade.rewards", fallback="")
        for line in filter(None, (entry.strip() for entry in entries.splitlines())):
            name, _, path = (part.strip() for part in line.partition("="))
            module, _, attribute = path.partition(":")
            rewards[name] = getattr(importlib.import_module(module), attribute)
    return rewards


def test_the_note_names_every_shipped_reward_of_class_scores() -> None:
    shipped = _shipped_rewards()
    of_class_scores = {n for n, c in shipped.items() if "class_scores" in c.output_kinds}
    assert set(SOFTMAX_REWARDS) == of_class_scores, shipped
    doc = " ".join((REPO / "docs" / "plugins.md").read_text().split())
    assert ", ".join(f"`{name}`" for name in SOFTMAX_REWARDS) in doc  # as the note names them


def test_each_named_reward_reads_probabilities_otherwise_than_their_logarithm() -> None:
    """Each takes the softmax: probabilities and their logarithm score apart (the metric of the
    probability the model gives the label, or of its drop; the reward of a miss's log-odds)."""
    shipped = _shipped_rewards()
    probabilities = torch.tensor([[0.9, 0.1], [0.45, 0.55]])
    clean = torch.tensor([[0.99, 0.01], [0.99, 0.01]])
    labels = torch.tensor([0, 0])
    for name in SOFTMAX_REWARDS:
        reward = shipped[name]()
        as_given = reward.score(probabilities, labels, clean)
        as_logits = reward.score(probabilities.log(), labels, clean.log())
        given = torch.cat([as_given.metric, as_given.reward])
        assert not torch.equal(given, torch.cat([as_logits.metric, as_logits.reward])), name
