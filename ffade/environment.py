"""Where a run ran: package versions, Python, the device, and the CPU kernels torch chose.

A seeded run repeats exactly on one installation, but another torch build or CPU rounds floats
differently (AVX-512 kernels against AVX2 ones, say): a borderline input flips, the agent learns
from another reward and takes another path, and the same config prints other figures.
summary.json records this next to the figures, so two runs that disagree can be told apart from
a bug, and ``ffade --version`` prints the packages for a bug report (without importing torch,
so that it answers at once).
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, distributions, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

CORE_PACKAGES = ("ffade", "torch", "lightning", "numpy")
"""Distributions whose version can change a run's figures, besides the plugins'."""
PLUGIN_GROUPS = "ffade."
"""Prefix of the entry-point groups plugins are declared in (``ffade.targets``, ...)."""


def package_versions() -> dict[str, str]:
    """Version of each core distribution and of every distribution that provides ffade plugins."""
    versions = {name: _version(name) for name in CORE_PACKAGES}
    for dist in distributions():
        if any(entry.group.startswith(PLUGIN_GROUPS) for entry in dist.entry_points):
            versions.setdefault(dist.metadata["Name"], dist.version)
    return versions


def version_lines() -> list[str]:
    """``ffade --version``: ffade's version first (for scripts), then what a bug report needs."""
    packages = package_versions()
    others = [f"  {name} {number}" for name, number in packages.items() if name != "ffade"]
    return [f"ffade {packages['ffade']}", *others, f"  python {platform.python_version()}"]


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def device_description(device: torch.device) -> str:
    """The device by name ("cpu (AVX512)", "cuda:0 (NVIDIA H200)"): what decides the rounding."""
    import torch  # here, not at the top: ``ffade --version`` needs none of it

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.backends.cpu.get_cpu_capability()})"
    return str(device)


def run_environment(
    device: torch.device, cpu_threads: int | None = None, processes: int = 1
) -> dict[str, Any]:
    """summary.json's ``environment``: what the same seeded config needs to print the same.

    ``torch_threads`` is what the model ran on: the target's ``cpu_threads`` on the CPU when it
    sets them (its predictions and a fine-tune run on those), else torch's count, in each of
    ``processes`` (a data-parallel run's, which split the batches and may round them otherwise).
    """
    import torch

    threads = cpu_threads if cpu_threads is not None and device.type == "cpu" else None
    return {
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device_description(device),
        "torch_threads": threads or torch.get_num_threads(),
        "processes": processes,
    }
