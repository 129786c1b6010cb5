"""Why a word typed in a concept's grid was refused: YAML read it as something else.

jsonargparse reads every plugin argument again as YAML (docs/plugins.md), so a word grid's
quoted ``"off"`` arrives as False, ``"1990"`` as 1990, and a null typed in a list on the command
line as the text ``'None'``; the concept then refuses a value nobody typed. These lines say why.
"""

from __future__ import annotations

from ffade.errors import ConceptValueError, FfadeError
from ffade.written import as_written


def yaml_words_hint(error: FfadeError, values: object) -> FfadeError:
    """``error`` from a concept's grid, with why a word in it may have become a boolean, null
    or number: YAML reads ``off``, ``no``, ``null`` as such, quoted or not, so a word grid's
    ``value False is not allowed; expected one of as_is, off`` named a value never typed; and
    the text ``'None'``, which a null typed in a list on the command line arrives as."""
    listed = values if isinstance(values, list) else []
    odd = [v for v in listed if v is None or isinstance(v, bool)]
    if not isinstance(error, ConceptValueError):
        return error
    if odd:
        return ConceptValueError(
            f"{error}; {as_written(odd[0])} may be a word YAML read as a boolean or null (on, "
            "off, yes, no, true, false, null, ~; quoted or not), which a grid cannot hold yet "
            "(docs/plugins.md)"
        )
    if "None" in listed:  # --model.init_args.task.concepts '[{..., args: {values: [0, null]}}]'
        return ConceptValueError(
            f"{error}; 'None' may be a null typed on the command line, which arrives as the text "
            "'None' (a jsonargparse limit); a grid cannot hold null (docs/plugins.md)"
        )
    number = _refused_number_among_words(str(error), listed)
    if number is not None:  # values: ["", old, "1990"] arrives as ["", "old", 1990]
        return ConceptValueError(
            f"{error}; {number} may be a word YAML read as a number (quoted or not), which a "
            "grid cannot hold yet (docs/plugins.md)"
        )
    return error


def _refused_number_among_words(message: str, listed: list[object]) -> str | None:
    """The number the refusal names, written as YAML writes it, when the grid also holds words
    (a word grid); a number grid's own refusal (rotation 200) gets no hint."""
    if not any(isinstance(v, str) for v in listed):
        return None
    for value in listed:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            written = as_written(value)
            if f"value {written} " in message or f"] {written} " in message:  # values[2] 1990
                return written
    return None
