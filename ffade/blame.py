"""Which plugin, and which of its calls, an exception came out of, said in the exception."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ffade.errors import FfadeError
from ffade.writable import no_space, no_space_said

OWN_CODE = ", in the plugin's own code (docs/plugins.md)"
"""How the note of :func:`blamed` (and the registry's, for ``__init__``) ends."""


@contextmanager
def blamed(who: str) -> Iterator[None]:
    """Name ``who`` (``"concept 'yours': apply(inputs, 1.0)"``, or ``apply_each(inputs, [1.0])``
    where the concept has its own ``apply_each``: the method called) in an exception out of it.

    docs/plugins.md keeps the traceback of an exception a plugin's own code raises, which points
    at its line; the note, printed under the error, says which plugin that is in ffade's words.
    A one-line :class:`FfadeError` the plugin raised itself (``value 3 is too large``) is shown
    alone, so it is led by ``who`` unless it already names the plugin: the one line then says
    which plugin, and which call (a concept's value), it is about.
    """
    try:
        yield
    except FfadeError as error:
        plugin = who.partition(": ")[0]  # "concept 'yours'"
        message = error.args[0] if len(error.args) == 1 else None
        if isinstance(message, str) and not message.startswith(plugin):
            error.args = (f"{who}: {message}",)
        raise
    except Exception as exc:
        # the innermost call is named: a concept's default apply_each names the apply under it
        if not any(_names_plugin(note) for note in getattr(exc, "__notes__", ())):
            exc.add_note(f"ffade: raised by {who}{OWN_CODE}")
        raise


def _names_plugin(note: object) -> bool:
    """Whether ``note`` is :func:`blamed`'s (or the registry's) note naming a plugin's call."""
    return isinstance(note, str) and note.startswith("ffade: raised by ")


def failure_reason(error: BaseException) -> str:
    """The one line summary.json's ``error`` keeps of a crash: the exception's type and first
    line, and the plugin it came out of where ffade's note names one, so that a failed run's
    folder says why without its traceback (``RuntimeError: no GPU (raised by concept 'x':
    __init__())``)."""
    text = str(error).strip()
    if isinstance(error, OSError) and no_space(error):
        text = no_space_said(error)  # NAME, not the NAME.tmp written first
    line = type(error).__name__ + (f": {text.splitlines()[0]}" if text else "")
    for note in getattr(error, "__notes__", ()):
        if _names_plugin(note):
            who = note.removeprefix("ffade: raised by ").removesuffix(OWN_CODE)
            return f"{line} (raised by {who})"
    return line
