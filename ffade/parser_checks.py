"""Checks of a command line that argparse leaves out, for :class:`ffade.errors.OneLineParser`.

Kept apart from :mod:`ffade.errors`, which turns what they refuse into one ``ffade: error:`` line.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any


class CheckedParser(argparse.ArgumentParser):
    """argparse with a closest-choice hint, no silently repeated option and no abbreviation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Only whole option names, as ``ffade fit`` takes them: argparse read ``--name`` as
        ``--names`` and ``--comp`` as ``--compare``, so a shortened or mistyped option silently
        meant another; refused now, the whole name suggested (``OneLineParser.error``)."""
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value outside ``choices`` names the closest allowed one: ``--slices region`` said
        only "invalid choice: 'region' (choose from 'rules', 'regions')" (Python 3.14's argparse
        suggests, earlier ones do not)."""
        choices = action.choices
        if choices is not None and value not in choices:
            allowed = [str(choice) for choice in choices]
            close = difflib.get_close_matches(str(value), allowed, n=1)
            if close:
                message = f"invalid choice: '{value}' (did you mean '{close[0]}'?); choose from "
                raise argparse.ArgumentError(action, message + ", ".join(allowed))
        super()._check_value(action, value)

    def _refuse_repeats(self, given: list[str]) -> None:
        """Refuse a one-value option given twice: argparse keeps the last without a word."""
        for action in self._actions:
            if not isinstance(action, argparse._StoreAction) or not action.option_strings:
                continue
            spellings = set(action.option_strings)
            uses = [a for a in given if a.split("=", 1)[0] in spellings]
            if len(uses) > 1:
                self.error(f"{action.option_strings[-1]} given {len(uses)} times; give it once")
