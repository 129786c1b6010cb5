"""Which concepts a picture of a landscape draws when the caller names none.

A picture shows up to three concepts and pools the others; the default should be the concepts
that change the outcome, judged by what the run's evaluations show, not by a rate of one.
"""

from __future__ import annotations

import numpy as np

from ffade.summarize.landscape import Landscape


def default_axes(landscape: Landscape, count: int = 3) -> list[int]:
    """The ``count`` concepts along which the failure rate varies most, in grid order.

    With more concepts than a picture shows, the informative default is the concepts that change
    the outcome: those whose pooled one-concept failure rate is known to vary most, as its
    evaluations show it (:func:`known_spread`). A concept of one value pools away exactly and is
    left out (drawn, it was a 3D axis of one tick).
    """
    varied = [axis for axis, values in enumerate(landscape.values) if len(values) > 1]
    if landscape.num_concepts <= count or 0 < len(varied) <= count:
        return varied or list(range(landscape.num_concepts))
    spread = [known_spread(landscape.marginal([axis])) for axis in range(landscape.num_concepts)]
    chosen = np.argsort(-np.asarray(spread), kind="stable")[:count]
    return sorted(int(i) for i in chosen)


def known_spread(view: Landscape) -> float:
    """How far a one-concept failure rate is known to vary: the highest low end of its values'
    95% intervals less the lowest high end (negative where the intervals overlap, the more so
    the wider they are). The rates' plain range let a few evaluations pick an axis: the text
    quickstart's 3D picture drew keyboard_typo for 0 of 6 and 2 of 7 evaluations (0% to 29%)
    over drop_stopwords' 20% to 40% on hundreds. A concept never evaluated comes last (-inf).
    """
    low, high = view.confidence_interval
    if not np.any(np.isfinite(low)):
        return -np.inf
    return float(np.nanmax(low) - np.nanmin(high))
