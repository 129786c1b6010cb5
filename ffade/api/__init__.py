"""ffade from Python: ``discover``, ``report`` and ``mitigate`` return a :class:`Run`.

They run the same code as the ``ffade`` command (see :mod:`ffade.api.calls`); plugins may be
classes or instances defined in the calling code (:mod:`ffade.api.pieces`).
"""

from __future__ import annotations

from ffade.api.calls import discover, mitigate
from ffade.api.run import Run, report

__all__ = ["Run", "discover", "mitigate", "report"]
