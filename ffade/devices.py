"""Devices a user names in a config, checked before anything is moved there."""

from __future__ import annotations

import torch

from ffade.errors import PluginError


def usable_device(
    device: str | torch.device, owner: str = "", fix: str = "set device: cpu"
) -> torch.device:
    """``device`` as a torch device, refused in one line if it is malformed or not on this machine
    (rather than torch's traceback at the first tensor moved there); ``owner`` (``target
    'digits_cnn'``) leads the line, so a config with two devices says which one is refused;
    ``fix`` says how to ask for the CPU where it is typed (a script's ``--device cpu``)."""
    lead = f"{owner}: " if owner else ""
    chosen = named_device(device, lead)
    present = {"cuda": torch.cuda.device_count(), "mps": int(torch.backends.mps.is_available())}
    if chosen.type in present and (chosen.index or 0) >= present[chosen.type]:
        raise PluginError(
            f"{lead}device {str(device)!r}: this machine has {present[chosen.type]} {chosen.type} "
            f"device(s) torch can use; {fix} (or install a torch build for it)"
        )
    return chosen


def named_device(device: str | torch.device, lead: str = "") -> torch.device:
    """``device`` as a torch device, whether or not this machine has one, refused in one line
    (``lead`` before it) where torch cannot read it: a script checks what was typed (``--device
    ""``) before it checks what its task does with a device (benchmarks/discovery.py)."""
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise PluginError(
            f"{lead}device {device!r} is not a device; e.g. cpu, cuda, cuda:1"
        ) from exc
