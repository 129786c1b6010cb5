"""What a notebook cell shows of an API call that stops: the one line, not ffade's insides.

A notebook prints an exception's whole traceback under the cell. A mistake in a call (a
misspelled concept, ``budget=-5``, ``trainer={"max_epochs": "x"}``) raised its one-line
:class:`~ffade.errors.FfadeError` through 7 to 41 frames of ffade, jsonargparse and Lightning:
screens of their code above the line that says what to fix. A Ctrl-C (the kernel's interrupt)
came out of Lightning's loop the same way, after the run's own ``ffade: interrupted; ...`` line
had said where the run is. Both now come from the call itself, as a built-in's errors do.
"""

from __future__ import annotations

import sysconfig
import warnings
from pathlib import Path
from typing import TypeVar

from ffade.errors import FfadeError

Stop = TypeVar("Stop", bound=BaseException)


def from_the_call(stop: Stop) -> Stop:
    """``stop`` without the frames inside the call: raised again, its traceback starts where
    the caller called. Its cause is kept where it points into the caller's code (a plugin module
    of theirs that failed to import, which the one line names), else dropped: jsonargparse's
    error behind ``trainer.max_epochs: expected int, got x`` was another screen of it."""
    stop.__traceback__ = None
    if not _in_callers_code(stop.__cause__):
        stop.__cause__ = None
    stop.__suppress_context__ = True  # no "During handling of ...": what ffade turned into it
    return stop


_NOT_THE_CALLERS = (
    str(Path(__file__).resolve().parent.parent),  # ffade's own package
    sysconfig.get_paths()["stdlib"],
)


def _in_callers_code(error: BaseException | None) -> bool:
    """Whether ``error`` passed through a file that is neither ffade's, Python's own, nor an
    installed package's (Lightning's, jsonargparse's): a notebook cell, the caller's module."""
    trace = None if error is None or isinstance(error, FfadeError) else error.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_code.co_filename
        if not name.startswith(("<", *_NOT_THE_CALLERS)) and "-packages/" not in name:
            return True
        trace = trace.tb_next
    return False


def without_ipywidgets_warning() -> None:
    """Import ``tqdm.auto`` with its "IProgress not found. Please update jupyter and
    ipywidgets" warning ignored. The first run in a notebook kernel without ipywidgets printed
    it: Lightning imports torchmetrics, which imports transformers, which imports tqdm.auto.
    ffade's bars are tqdm's plain ones (they need no widgets and redraw in the cell), so the
    advice was for nothing the caller asked for. Imported once, tqdm.auto does not warn again."""
    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "IProgress not found", TqdmWarning)
        import tqdm.auto  # noqa: F401
