"""What argparse's "unrecognized arguments" should name when a misspelt option's value was read
as a positional argument.

``ffade report --thresold 0.5 runs/x``: argparse does not know ``--thresold``, so ``0.5`` became
the run folder and ``runs/x`` was left over; it said "unrecognized arguments: --thresold runs/x",
naming the run folder, which is right, and not the value, which went astray.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence

from ffade.parser_checks import help_options, leftover_words, trial_parse

UNRECOGNIZED = "unrecognized arguments: "
REQUIRED = "the following arguments are required: "


def misspelt_with_value(
    parser: argparse.ArgumentParser, given: Sequence[str], message: str
) -> tuple[str, str]:
    """``unrecognized arguments: --thresold 0.5`` for argparse's ``--thresold runs/x``, where the
    word after the misspelt option is its value: with the option spelt as the closest one that
    takes one value, the same line parses with no word left over. ``message`` as it was
    otherwise (several misspellings, a value that would be refused, an option that takes none:
    no one reading is clear).

    Second, what the line lacks besides: ``ffade report --thresold 0.5`` (no run folder, which
    the value had filled) was told of the option alone, and once respelt, of the folder; now
    ``the following arguments are required: RUN_DIR`` too, for the same line to say both."""
    if not message.startswith(UNRECOGNIZED):
        return message, ""
    helps = help_options(parser)
    words = [word for word in given if word not in helps]
    end = words.index("--") if "--" in words else len(words)
    takes_one = {
        option: action
        for action in parser._actions  # argparse keeps its actions there alone
        if action.option_strings and action.nargs is None
        for option in action.option_strings
    }
    known = [option for action in parser._actions for option in action.option_strings]
    for at, word in enumerate(words[: end - 1]):
        if not word.startswith("--") or "=" in word or word in known:
            continue
        close = closest_option(word, known)
        if not close or close not in takes_one:
            return message, ""  # the first misspelling decides: one that takes none is as said
        respelt = [*words[:at], close, *words[at + 1 :]]
        nothing_required = len(words) < len(given)  # beside --help, as its check parses
        named = f"{UNRECOGNIZED}{word} {words[at + 1]}"
        left = trial_parse(parser, respelt, nothing_required)
        if left == []:
            return named, ""
        if isinstance(left, str) and left.startswith(REQUIRED):  # only that, nothing left over
            return (named, left) if leftover_words(parser, respelt, True) == [] else (message, "")
        return message, ""
    return message, ""


SPELLING_CUTOFF = 0.7
"""How alike a misspelt option and the one suggested must be (difflib's ratio): at its default,
0.6, ``ffade export --max-regions`` (feedback's option) was asked "did you mean
'--min-evaluations'?" and ``ffade report --html`` "did you mean '--help'?"; typos score 0.8 and
more (``--sed``: ``--seeds`` 0.83, ``--thresold``: ``--threshold`` 0.95)."""


def closest_option(option: str, known: Sequence[str]) -> str | None:
    """The option meant by ``option``: the first that it begins (``--comp``: ``--compare``,
    shortened), else the closest in spelling (``--thresold``: ``--threshold``), else None."""
    close = [o for o in known if o.startswith(option)][:1]
    close = close or difflib.get_close_matches(option, known, n=1, cutoff=SPELLING_CUTOFF)
    return close[0] if close else None
