"""Summarize a run: failure landscape, failure regions, optimal transport, pictures, report.

The log of a discovery run becomes what a person acts on: failure rates with confidence intervals
per concept state (:mod:`.landscape`), connected failure regions named in plain language
(:mod:`.regions`), Wasserstein distances and barycenters between landscapes (:mod:`.transport`),
pictures (:mod:`.plots`), and the ``ffade report`` command that writes them all (:mod:`.report`).
"""

from __future__ import annotations

from ffade.summarize.landscape import Landscape, load_landscape, wilson_interval
from ffade.summarize.regions import Region, find_regions, smallest_failing_changes
from ffade.summarize.transport import barycenter, wasserstein_distance

__all__ = [
    "Landscape",
    "Region",
    "barycenter",
    "find_regions",
    "load_landscape",
    "smallest_failing_changes",
    "wasserstein_distance",
    "wilson_interval",
]
