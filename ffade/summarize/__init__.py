"""Summarize a run: failure landscape, failure regions, optimal transport, pictures, report.

The log of a discovery run becomes what a person acts on: failure rates with confidence intervals
per concept state (:mod:`.landscape`), failure rules over concept values (:mod:`.rules`),
connected failure regions named in plain language (:mod:`.regions`) and how they shift
between two runs (:mod:`.region_shift`), Wasserstein distances and barycenters between
landscapes (:mod:`.transport`), pictures (:mod:`.plots`), and the ``ffade report`` command
that writes them all (:mod:`.report`).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULE_OF = {
    "Landscape": "landscape",
    "load_landscape": "landscape",
    "wilson_interval": "landscape",
    "Region": "regions",
    "find_regions": "regions",
    "smallest_failing_changes": "regions",
    "Rule": "rules",
    "find_rules": "rules",
    "barycenter": "transport",
    "wasserstein_distance": "transport",
}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    """Import on first use: POT alone takes most of a second, and ``ffade fit`` rarely needs it."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'ffade.summarize' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ffade.summarize.{_MODULE_OF[name]}"), name)
