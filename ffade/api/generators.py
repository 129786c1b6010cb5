"""What every API call leaves as the caller had it, however the call ends: the random
generators; and how a stopped call shows (:mod:`ffade.api.notebook`)."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ffade.api.notebook import from_the_call, without_ipywidgets_warning
from ffade.errors import FfadeError

Call = TypeVar("Call", bound=Callable[..., Any])


def keeps_generators(call: Call) -> Call:
    """``call`` leaves the caller's random generators (Python's, numpy's, torch's) as they were,
    whether it returns or raises: seed_everything reseeds them, and the first call in a process
    imports Lightning, whose import (rich's) draws from Python's generator, so its state is
    taken before anything is imported. A mistake or a Ctrl-C comes out of the call itself, not
    from deep inside it (:mod:`ffade.api.notebook`)."""

    @functools.wraps(call)
    def kept(*args: Any, **kwargs: Any) -> Any:
        python = random.getstate()
        from ffade.rng import rng_states, set_rng_states

        states = {**rng_states(), "python": python}
        try:
            without_ipywidgets_warning()
            return call(*args, **kwargs)
        except (FfadeError, KeyboardInterrupt) as stop:  # a notebook shows the whole traceback
            raise from_the_call(stop) from stop.__cause__  # cause kept or dropped there
        finally:
            set_rng_states(states)

    return cast(Call, kept)
