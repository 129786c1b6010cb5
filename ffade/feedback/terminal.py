"""Where ``ffade feedback``'s questions go and how a person's answers are read: the questions
on the terminal (:mod:`ffade.question_stream`), the answers from standard input,
edited with readline when typed at a terminal.

Split from :mod:`ffade.feedback.command` (which runs the review) as the terminal's own job.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import textwrap
from typing import TextIO

from ffade.question_stream import questions

_GLUE = "\x00"  # a space no line is broken at, put back after wrapping
# COLUMNS as the person set it, read before readline loads: readline sets it to the terminal's
# size when it starts, 80 for one with no size, so the heading and the lines after the first
# prompt wrapped at different widths
_COLUMNS = os.environ.get("COLUMNS", "")
_CONDITION = re.compile(r"\S+ (?:>=|<=|!=|=|<|>|in) \S+")  # a rule's condition: one piece


def say(line: str = "") -> None:
    """One line of the review, for the person answering, on the terminal (:func:`questions`);
    stdout keeps the result, the closing lines, wherever it goes.

    On a terminal narrower than the line, it is wrapped between words, its later lines indented
    under its text: the terminal cut it at the last column, mid-word (``min ev`` / ``aluations``
    on 40 columns). A word longer than the width (a picture's path) stays whole, so it copies
    as one, and so does a condition (``gaussian_blur >= 2``); a log or pipe gets the line as it
    is."""
    shown_on = questions()
    width = _terminal_width(shown_on)
    if width and len(line) > width:
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        kept = _CONDITION.sub(lambda m: m[0].replace(" ", _GLUE), line)
        wrapped = textwrap.fill(
            kept, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
        )
        line = wrapped.replace(_GLUE, " ")
    print(line, file=shown_on, flush=True)


def _terminal_width(stream: TextIO) -> int:
    """The columns of the terminal the questions are shown on (``COLUMNS`` where it is set, as
    the progress bars read it); 0 where ``stream`` is no terminal or says it has no size."""
    try:
        if not stream.isatty():
            return 0
        if _COLUMNS.isdecimal() and int(_COLUMNS) > 0:
            return int(_COLUMNS)
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # a stream replaced, or closed (2>&-)
        return 0


class AnswerInput:
    """``input`` that notes when standard input ends, or is closed (``<&-``: no ``sys.stdin``,
    where ``input`` raises RuntimeError): the end of a pipe or file, or Ctrl-D in a terminal.
    The prompt, and a piped answer after it, go with the rest of the questions (:func:`say`),
    so that transcript reads as a terminal's does wherever the other stream goes.
    The first line loses a UTF-8 byte order mark (answers saved by Notepad, piped in): kept, it
    made the first answer no priority, and every later answer went to the rule before its own."""

    ended = False
    lines = 0  # read, whether or not they were answers

    def __call__(self, prompt: str) -> str:
        try:
            if sys.stdin is None:
                raise EOFError
            if _typed_at_a_terminal():
                line = _edited_line(prompt)
            else:
                shown_on = questions()
                shown_on.write(prompt)
                shown_on.flush()
                line = input()  # no prompt: input() writes one to stdout when that is no terminal
            if not self.lines:
                line = line.removeprefix("\ufeff")
            self.lines += 1
            if not sys.stdin.isatty():  # piped: the answer is shown as a terminal echoes it
                say(line)
            return line
        except EOFError:
            self.ended = True
            raise


def _typed_at_a_terminal() -> bool:
    """Whether a person types the answers at the terminal the questions are shown on."""
    try:
        return sys.stdin.isatty() and questions().isatty() and sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):  # a stream replaced, or closed (>&-)
        return False


def _edited_line(prompt: str) -> str:
    """One answer typed at a terminal, with line editing (arrows, Home, Ctrl-U, Up for the
    last answer) as any shell prompt has.

    Without ``readline`` loaded, an arrow key typed to mend ``hgih`` went into the answer as
    ``^[[D`` and the answer was no priority. ``input`` edits with readline only when standard
    output is the terminal too, and only a prompt it writes itself survives the edits (one
    written before it is lost when readline redraws the line: Ctrl-L showed `medium` alone on
    a cleared screen, and the cursor moved as if the line began at column 0), so the prompt is
    ``input``'s, and a standard output redirected (``ffade feedback RUN > log``) points at the
    questions' terminal (stderr; ``/dev/tty`` under ``&>log``) for the moment the line is typed:
    the log keeps the result. With stderr redirected (``2>log``) stdout is the questions'
    terminal itself."""
    with contextlib.suppress(ImportError):  # not on Windows, whose console edits lines itself
        import readline  # noqa: F401  loading it gives input() its line editing

    sys.stdout.flush()
    redirected = None if sys.stdout.isatty() else os.dup(1)
    if redirected is not None:
        os.dup2(questions().fileno(), 1)
    try:
        return input(prompt)
    finally:
        if redirected is not None:
            os.dup2(redirected, 1)
            os.close(redirected)
