"""CPU threading for small tensor work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Run small CPU tensor work on one thread.

    Splitting a small tensor operation across threads costs more than it saves, and many times
    more when other processes share the cores (each split waits for the slowest thread). Big
    work outside this block (a model's forward pass) keeps every thread. Off the CPU: no effect.
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
