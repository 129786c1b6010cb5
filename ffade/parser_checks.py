"""Checks of a command line that argparse leaves out, for :class:`ffade.errors.OneLineParser`.

Kept apart from :mod:`ffade.errors`, which turns what they refuse into one ``ffade: error:`` line.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any, NoReturn


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

    def _refuse_words_beside_help(self, given: list[str]) -> None:
        """Refuse a word no option or argument takes, given with ``--help``: argparse printed
        the help at ``-h`` and exited 0, so ``scaling.py -h x`` (or ``ffade report --help
        --thresold``) read as taken, where ``ffade --help x`` is refused. The words are parsed
        without the help flag, and with nothing required (``--help`` alone needs no run folder);
        a value refused there still shows the help, as before."""
        helps = help_options(self)
        if not helps.intersection(given):
            return
        stray = leftover_words(self, [word for word in given if word not in helps], True)
        if stray:  # None: a value refused there, and the help wins
            self.error(f"unrecognized arguments: {' '.join(stray)}")


def help_options(parser: argparse.ArgumentParser) -> set[str]:
    """The spellings of the parser's help flag (``-h``, ``--help``)."""
    return {
        o for a in parser._actions if isinstance(a, argparse._HelpAction) for o in a.option_strings
    }


def leftover_words(
    parser: argparse.ArgumentParser, words: list[str], nothing_required: bool = False
) -> list[str] | None:
    """The words no option or argument of ``parser`` takes, or None where it refuses ``words``
    (a value refused, an argument missing), all without a word said: a trial parse, for what an
    error line should name. ``nothing_required``: as beside ``--help``, which needs no run
    folder. ``words`` must hold no help flag (it would print the help and exit)."""
    left = trial_parse(parser, words, nothing_required)
    return None if isinstance(left, str) else left


def trial_parse(
    parser: argparse.ArgumentParser, words: list[str], nothing_required: bool = False
) -> list[str] | str:
    """:func:`leftover_words`, with argparse's refusal in place of None: what it would have
    said (``the following arguments are required: RUN_DIR``), for a line that adds to it."""
    required = [action for action in parser._actions if action.required and nothing_required]
    for action in required:
        action.required = False
    parser.error = _not_said  # type: ignore[method-assign]
    try:
        return argparse.ArgumentParser.parse_known_args(parser, words)[1]
    except _Refused as refusal:
        return str(refusal)
    finally:
        del parser.error
        for action in required:
            action.required = True


class _Refused(Exception):
    """A refusal met in a trial parse (:func:`leftover_words`): not said, not exited."""


def _not_said(message: str) -> NoReturn:
    raise _Refused(message)
