"""CPU threading: small tensor work on one thread, a target's work on the threads it asks for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import torch

from ffade.errors import PluginError


def require_cpu_threads(count: object, target: str) -> None:
    """Refuse a target's ``cpu_threads`` that is neither null nor a whole number from 1."""
    whole = isinstance(count, int) and not isinstance(count, bool)
    if count is not None and not (whole and count >= 1):
        raise PluginError(
            f"target '{target}': cpu_threads must be a whole number from 1 (or null for torch's "
            f"default), got {count!r}"
        )


@contextmanager
def cpu_threads(device: torch.device, count: int | None) -> Iterator[None]:
    """Run the block on ``count`` torch CPU threads, then restore the previous count.

    None, or a device other than the CPU: no effect. Targets use it for a setting such as
    ``cpu_threads: 1`` (a tiny model's many small kernels run faster unsplit).
    """
    if count is None or device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_thread(device: torch.device) -> AbstractContextManager[None]:
    """Run small CPU tensor work on one thread.

    Splitting a small tensor operation across threads costs more than it saves, and many times
    more when other processes share the cores (each split waits for the slowest thread). Big
    work outside this block (a model's forward pass) keeps every thread. Off the CPU: no effect.
    """
    return cpu_threads(device, 1)
