"""Content digests: the comparison that keeps a dataset's splits apart."""

from __future__ import annotations

import threading

import numpy as np
import torch

from ffade.disjoint import fingerprint


def test_equal_contents_have_equal_fingerprints_and_different_ones_differ() -> None:
    image = torch.rand(1, 28, 28)
    assert fingerprint(image) == fingerprint(image.clone())
    assert fingerprint(image) != fingerprint(image.to(torch.float64))  # same values, other bytes
    assert fingerprint(image) != fingerprint(image.reshape(28, 28))
    assert fingerprint({"ids": torch.arange(3), "mask": torch.ones(3)}) == fingerprint(
        {"mask": torch.ones(3), "ids": torch.arange(3)}
    )
    assert fingerprint("a review") != fingerprint("a review ")
    assert fingerprint(np.zeros(4, np.float32)) == fingerprint(np.zeros(4, np.float32))
    assert fingerprint(torch.ones(2, dtype=torch.bfloat16)) is not None
    assert fingerprint(threading.Lock()) is None  # cannot be read as bytes: compared with nothing


def test_bundled_splits_are_apart_by_content_and_not_moved_by_seed_everything() -> None:
    """Each bundled dataset's three splits share no input (by content), and the global seed
    (``seed_everything``, which a fine-tune may set otherwise than its discovery run did) moves
    no input between them: only the dataset's own ``seed`` argument does."""
    from ffade_diffusion.datasets import DigitPrompts
    from ffade_synthetic.data import SyntheticDataset
    from ffade_text.datasets import TinyNewsDataset
    from ffade_text.datasets.classification import TinySentimentDataset
    from ffade_vision.datasets.digits import DigitsDataset
    from lightning.pytorch import seed_everything

    from ffade.plugin_data import SPLITS

    kinds = (DigitsDataset, TinyNewsDataset, TinySentimentDataset, DigitPrompts, SyntheticDataset)
    for kind in kinds:
        digests = []
        for seed in (0, 1):
            seed_everything(seed, verbose=False)
            dataset = kind()
            digests.append({s: [fingerprint(x) for x, _ in dataset.split(s)] for s in SPLITS})
        assert digests[0] == digests[1], kind.__name__
        splits = [set(digests[0][s]) for s in SPLITS]
        assert sum(map(len, splits)) == len(set().union(*splits)), kind.__name__
    assert DigitsDataset(seed=1).indices["discovery"][:8].tolist() != (
        DigitsDataset(seed=0).indices["discovery"][:8].tolist()
    )
