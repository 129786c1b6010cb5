"""The global random generators' states as plain data, for a run that resumes where it stopped.

Lightning's checkpoints keep weights, optimizers and loop counters, not the generators: a fine-tune
resumed from the middle would draw other dropout masks, diffusion noise and timesteps than the
run it continues, and could reach another verdict. The states are tensors, lists and tuples of
ints, which a checkpoint read with ``weights_only=True`` accepts (a numpy array it refuses).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from ffade.errors import ConfigError

MAX_SEED = 2**32 - 1
"""The largest seed numpy (and so Lightning's seed_everything) accepts; the smallest is 0."""


def config_seed(seed: Any) -> Any:
    """A config's ``seed_everything``, checked, with ``true`` replaced by a freshly drawn seed.

    Lightning's help says ``true`` uses a random seed, but Lightning 2.x seeds it with 0 (and
    warns "No seed found"). The drawn seed is what Lightning then sets, config.yaml records and
    summary.json's ``seed`` says, so a rerun of the run's config.yaml repeats it. numpy takes
    seeds 0 to 2^32 - 1: one outside is said in one line instead of Lightning's traceback.
    """
    if seed is True:
        return secrets.randbelow(MAX_SEED + 1)
    if not isinstance(seed, bool) and isinstance(seed, int) and not 0 <= seed <= MAX_SEED:
        raise ConfigError(seed_reason(seed))
    return seed


def seed_reason(given: object) -> str:
    """How a refused ``seed_everything`` is said, whatever refused it (ffade or jsonargparse)."""
    return f"seed_everything must be true, false or a whole number in [0, {MAX_SEED}], got {given}"


def rng_states() -> dict[str, Any]:
    """The states of Python's, numpy's, torch's and (when in use) CUDA's global generators."""
    name, key, position, has_gauss, gauss = np.random.get_state(legacy=True)
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [name, key.tolist(), position, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Put back what :func:`rng_states` returned (CUDA's only on a machine that uses CUDA)."""
    random.setstate(states["python"])
    name, key, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((name, np.asarray(key, dtype=np.uint32), position, has_gauss, gauss))
    torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


@contextmanager
def torch_random_kept(device: str | torch.device) -> Iterator[None]:
    """torch's CPU stream, and ``device``'s when it is a GPU, as they were before the block.

    A probe or check that calls the target off the record (a batch-size probe, coverage probes,
    the fine-tuner's preprocess check) must not shift the run: a target that samples (a pipeline's
    DataLoader seed, a diffusion's noise) draws from these streams, and every dropout mask or
    noise drawn after it would differ from a run without the probe.
    """
    chosen = torch.device(device)
    if chosen.type == "cuda" and chosen.index is None:  # "cuda": this rank's current GPU
        chosen = torch.device("cuda", torch.cuda.current_device())
    with torch.random.fork_rng(devices=[chosen.index] if chosen.type == "cuda" else []):
        yield
