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
