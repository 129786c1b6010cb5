"""Errors that mean "the user asked for something we cannot do".

The CLI prints any :class:`FfadeError` as one line and exits non-zero, with no traceback: a
traceback is for our bugs, not for a misspelled plugin name.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from ffade.greedy_words import swallowed_hint
from ffade.loading_detail import loading_detail as loading_detail  # re-exported: plugins
from ffade.misspelt_values import closest_option, misspelt_with_value
from ffade.null_meanings import or_null
from ffade.option_types import TAKES, example
from ffade.option_types import failure_rate as failure_rate  # re-exported: plugins' scripts
from ffade.option_types import whole_number_from_1 as whole_number_from_1
from ffade.option_words import flag_given_a_value, unnamed_value_hint
from ffade.parser_checks import CheckedParser
from ffade.plugin_names import plugin_label
from ffade.shell_words import backslash_hint
from ffade.written import a_type
from ffade.written import as_written as as_written  # re-exported: plugins and core say values so


class FfadeError(Exception):
    """A user-facing error whose message alone says what is wrong and what is allowed."""


class FfadeWarning(UserWarning):
    """Something a user should know that does not stop the work (an invalid evaluation).

    A warning, not a print: the Python API's callers filter or record it as any other. The CLI
    shows it as one ``ffade: warning:`` line (:func:`shown_as_ffade_lines`), not Python's
    "file:line: UserWarning:" with a source line of ffade's.
    """


@contextmanager
def shown_as_ffade_lines(
    unless_recorded: bool = False, caller: tuple[str, int] | None = None
) -> Iterator[None]:
    """Within the block, an :class:`FfadeWarning` prints as ``ffade: warning: MESSAGE``.

    With ``unless_recorded`` (the Python API's calls), only where Python would print it: a
    caller's ``catch_warnings(record=True)`` (``pytest.warns``) or own ``showwarning``
    (``logging.captureWarnings``) still gets it as it is; Python printed "ffade/evaluator.py:242:
    FfadeWarning: ..." and a source line of ffade's, a place that told the caller nothing.
    ``caller``: the file and line of the call (``ffade.discover(...)``) those get it at, as
    ``stacklevel`` would give it, not ffade's own line deep in the run."""
    show = warnings.showwarning

    def show_ffade_warning(message, category, filename, lineno, file=None, line=None) -> None:
        if not issubclass(category, FfadeWarning) or (unless_recorded and not _printed_as_is(show)):
            if caller is not None and issubclass(category, FfadeWarning):
                (filename, lineno), line = caller, None  # None: the caller's source line
            show(message, category, filename, lineno, file, line)
            return
        print_line(f"ffade: warning: {message}", file or sys.stderr)

    warnings.showwarning = show_ffade_warning
    try:
        yield
    finally:
        warnings.showwarning = show


def calling_line() -> tuple[str, int]:
    """The file and line that called into ffade (``ffade.discover(...)`` in a script): the
    first frame out of the ``ffade`` package, where an API call's warnings point."""
    package = os.path.dirname(os.path.realpath(__file__)) + os.sep
    frame = sys._getframe(1)
    while frame.f_back and os.path.realpath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def _printed_as_is(show: Any) -> bool:
    """Whether ``show``, the ``showwarning`` the block found, is Python's own and would print
    (not a caller's, and no ``catch_warnings(record=True)``, whose log takes the print's place)."""
    impl = getattr(warnings, "_showwarnmsg_impl", None)
    return show is getattr(warnings, "_showwarning_orig", None) and (
        getattr(impl, "__name__", None) == "_showwarnmsg_impl"
    )


def print_line(line: str, file: Any = None) -> None:
    """Print one line (to stderr by default) that a progress bar drawn meanwhile, on either
    stream, neither cuts nor runs into: the bar is cleared, the line printed, the bar redrawn."""
    from tqdm import tqdm

    tqdm.write(line, file=file or sys.stderr)


class ConfigError(FfadeError):
    """Arguments or a config ``ffade fit`` rejected, said in one line."""


EMPTY_PATH = "an empty path; give a file or folder (was a variable that names it left unset?)"


def plain_key(message: str) -> str:
    """jsonargparse's ``Parser key "model": ...`` said with the key as a user types it:
    ``model: ...`` (the rest of the line names the option and what is allowed)."""
    if message.startswith('Parser key "'):
        key, quote, rest = message[len('Parser key "') :].partition('": ')
        return f"{key}: {rest}" if quote else message
    return message


def user_path(text: str) -> str:
    """A path argument with a leading ``~`` expanded, as ffade's configs expand theirs.

    The shell expands ``~`` only at the start of a word: ``--out=~/reports`` or a quoted
    ``'~/runs/x'`` reach ffade as typed, and would name a folder called ``~`` in the working
    directory. ``argparse`` ``type=user_path`` on every option that names a file or folder.
    An empty one (``--junit "$REPORT"`` with the variable unset) is refused: ``Path("")`` is the
    working directory, which the commands then called "a directory" or "no run directory".
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(EMPTY_PATH)
    return os.path.expanduser(text)


def broken_link(path: str | os.PathLike) -> str | None:
    """``LINK is a symbolic link to TARGET, which does not exist`` for the first link on
    ``path``'s way that leads nowhere (a ``runs`` folder linked to a disk not mounted); None
    when there is none. What a missing path's error names: the link, not the path it cut."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.is_symlink() and not folder.exists():
            return f"{folder} is a symbolic link to {os.readlink(folder)}, which does not exist"
    return None


def does_not_exist(what: str, path: str | os.PathLike) -> str:
    """``WHAT does not exist``, or, through a broken link, ``WHAT: LINK is a symbolic link to
    TARGET, which does not exist`` (:func:`broken_link`); a Windows path names the one meant."""
    link = broken_link(path)
    return f"{what}: {link}" if link else f"{what} does not exist{backslash_hint(path)}"


class OneLineParser(CheckedParser):
    """argparse for ffade's own commands: a bad argument is one ``ffade: error:`` line, exit 2.

    argparse prints its whole usage block first; the usage is one ``--help`` away, and a
    refused command is one line everywhere else in ffade. The prefix is ``ffade: error:`` for
    every command, as the README promises (argparse would say ``ffade report: error:``); the
    hint names the command: ``(see ffade report --help)``.
    """

    speaker = "ffade"
    """Who says the error, before ``: error:``; a script of its own names itself (benchmarks/)."""

    def see_help(self) -> str:
        """What ends the error line: where the usage is (a script's own may say nothing)."""
        return f" (see {self.prog} --help)"

    def error(self, message: str) -> NoReturn:
        message = flag_given_a_value(message, getattr(self, "_given", []))  # --quick=1
        message, lacking = misspelt_with_value(self, getattr(self, "_given", []), message)
        hint = self._did_you_mean(message) + (f"; {lacking}" if lacking else "")
        print(f"{self.speaker}: error: {message}{hint}{self.see_help()}", file=sys.stderr)
        raise SystemExit(2)

    def _did_you_mean(self, message: str) -> str:
        """`` (did you mean '--threshold'?)`` for the first misspelled option given, when argparse
        refused it ("unrecognized arguments") or missed a required one it meant (``--confg``):
        Python 3.14's argparse says it, earlier ones do not."""
        known = [o for action in self._actions for o in action.option_strings]
        dashed = [w for w in getattr(self, "_given", []) if w[:1] == "-" and w not in known]
        if dashed and not dashed[0].startswith("--") and message.endswith("expected one argument"):
            names = message.split(":")[0].removeprefix("argument ").split("/")
            option = next((n for n in names if n.startswith("--")), names[0])  # -c=x keeps "="
            action = next((a for a in self._actions if option in a.option_strings), None)
            kind = action.type if action is not None else None
            if kind in TAKES:  # a number: no spelling makes '-x' one
                shown = example(kind, action.default)  # inside the option's range
                return (
                    f"; '{dashed[0]}' reads as an option; {option} takes {TAKES[kind]}, "
                    f"e.g. {option} {shown}"
                )
            return f"; '{dashed[0]}' reads as an option: write {option}=./{dashed[0]}"
        if dashed and not dashed[0].startswith("--") and message.startswith("the following"):
            return f"; '{dashed[0]}' reads as an option: give the path as ./{dashed[0]}"
        if swallowed := swallowed_hint(self, getattr(self, "_given", []), message):
            return swallowed  # `--axes a b RUN_DIR`: the option took RUN_DIR as a label
        if unnamed := unnamed_value_hint(self, getattr(self, "_given", []), message):
            return unnamed  # `ffade check suite.yaml`: the file without its --suite
        if not message.startswith(("unrecognized arguments: ", "the following arguments are")):
            return ""
        for word in getattr(self, "_given", []):
            option = word.split("=")[0]
            misspelt = option.startswith("--") and option not in known and len(option) > 2
            refused = message.startswith("unrecognized")  # which names it; "required" does not
            if misspelt and (close := closest_option(option, known)):
                hint = f"(did you mean '{close}'?)"
                return f" {hint}" if refused else f"; unknown option '{option}' {hint}"
            if misspelt and not refused:  # `ffade report --foo` said only "required: RUN_DIR"
                return f"; unknown option '{option}'"
        return ""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        """Refuse a one-value option given twice: argparse keeps the last without a word, so
        ``--target a --target b`` would check ``b`` while the user believes ``a`` counts too;
        and a word nothing takes beside ``--help``, which argparse dropped as it showed help."""
        given = sys.argv[1:] if args is None else list(args)
        self._given = given
        options = given[: given.index("--")] if "--" in given else given
        self._refuse_repeats(options)
        self._refuse_words_beside_help(options)
        return super().parse_known_args(args, namespace)


class PluginError(FfadeError):
    """A plugin is unknown, broken, duplicated, or configured with arguments it does not take."""


class ScoresError(PluginError):
    """A ``Scores`` made wrongly; ``plugin_checks.score_batch`` names the reward that made it."""


class ConceptValueError(FfadeError, ValueError):
    """A concept was given a value outside what it allows."""


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a one-line message, or its type where the repr runs over lines or
    past ``limit`` characters: a model, an array or a Landscape given for a path made the
    "one line" dozens of lines of the object itself."""
    text = repr(value)
    return a_type(value) if "\n" in text or len(text) > limit else text


def clipped(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, with "..." where it was cut: a bare cut
    (``['no', 'no', 'no``) reads as the value itself, a quote left open."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_line(error: BaseException) -> str:
    """An exception's message to its first line break (or its type, when it has none): torch
    adds its C++ stack, frame by frame, below the line that says what was wrong."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def require_keyword(where: str, key: str, value: object, least: float, kind: str = "") -> None:
    """Refuse, in one line (``where`` prefixed), a Python keyword that is not a finite number
    from ``least`` (above it with ``kind="above"``, whole with ``kind="whole"``): FailureEnv's and
    Evaluator's, which no config check sees (max_steps=0 ran, budget=1.5 counted down to -0.5)."""
    whole = kind == "whole"
    number = is_number(value) and (not whole or isinstance(value, numbers.Integral))
    if not (
        number and math.isfinite(value) and (value > least if kind == "above" else value >= least)
    ):
        what = (
            f"a whole number from {least}" if whole else f"a finite number {kind or 'from'} {least}"
        )
        raise FfadeError(f"{where}{key} must be {what}, got {shown(value)}")


def require_at_least(least: int, *, whole: bool = False, **init_args: float) -> None:
    """Refuse a LightningModule's argument below ``least``, named as the config spells it; with
    ``whole`` (a count), a fraction or a bool too: ``budget=2.5`` built from Python and was
    refused only as the run set up, after the CLI's int had refused it at once."""
    for key, value in init_args.items():
        fraction = is_number(value) and not isinstance(value, numbers.Integral)  # 2.0 too
        if whole and (isinstance(value, bool) or fraction):
            raise refused(key, f"a whole number from {least}", value)
        _require_finite(key, value)  # .nan said as the command line's nan is, not "at least"
        if not (is_number(value) and value >= least):  # null (None) too
            raise refused(key, f"at least {least}", value)


def _require_finite(key: str, value: object, also: str = "") -> None:
    """Refuse a NaN or infinite number (``.inf`` in a YAML config, ``float("inf")`` from Python):
    summary.json records the arguments, and JSON has no Infinity (strict readers refuse it).
    ``also``: what else the key allows (``reward_clip``'s null), said after "a finite number"."""
    if is_number(value) and not math.isfinite(value):
        raise refused(key, f"a finite number{also}", value)


def refused(key: str, allowed: str, value: object) -> FfadeError:
    """The one-line error for argument ``key``. A null is said as the config spells it, with
    what to do instead: "got None" read as a value the key refuses, not as a missing one."""
    if value is None:
        got = "null (no value: give a number, or leave the key out for its default)"
    else:
        got = str(value)
    return FfadeError(f"model.init_args.{key} must be {allowed}, got {got}")


def require_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Refuse a LightningModule's argument that is not one of ``allowed``, in one line (a null
    said as the config spells it, not as Python's None)."""
    if value not in allowed:
        given = "null" if value is None else repr(value)
        raise FfadeError(
            f"model.init_args.{name} {given} is not allowed; choose {' or '.join(allowed)}"
        )


def is_number(value: object) -> bool:
    """Whether ``value`` can be compared as a number (null, text and booleans cannot)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def require_within(low: float, high: float, **init_args: float) -> None:
    """Refuse a LightningModule's argument outside [low, high] (NaN too): a rate, a share, a
    probability that would otherwise run and quietly mean nothing."""
    for key, value in init_args.items():
        _require_finite(key, value)  # YAML's .nan said as the command line's nan is
        if not (is_number(value) and low <= value <= high):  # null: not Python's TypeError
            raise refused(key, f"in [{low}, {high}]", value)


def require_share(key: str, value: object, meaning: str, *, one: bool = True) -> None:
    """Refuse a LightningModule's share outside [0, 1] (``one=False``: [0, 1)), NaN and null
    too, in one line that says what the share is (a null reached ``<=`` as Python's TypeError)."""
    _require_finite(key, value)  # YAML's .nan said as the command line's nan is
    if not (is_number(value) and 0 <= value <= 1 and (one or value < 1)):
        raise refused(key, f"in [0, {'1]' if one else '1)'} ({meaning})", value)


def require_above(bound: float, **init_args: float) -> None:
    """Refuse a LightningModule's argument not strictly above ``bound`` (a step size, a clip);
    for one that takes a null, what it does too (:mod:`ffade.null_meanings`: ``reward_clip``)."""
    for key, value in init_args.items():
        null = or_null(key)
        _require_finite(key, value, null)  # reward_clip=.inf: null is allowed too
        if not (is_number(value) and value > bound):
            raise refused(key, f"above {bound}{null}", value)


def require_positive_arg(plugin: object, kind: str, key: str, value: object) -> float:
    """A target's, dataset's or reward's argument that must be a number above 0, as a float.

    A reward's ``scale`` of 0 makes every failure worth alike and one below 0 pays the explorer
    to avoid failures, so the search runs and quietly means nothing; refused instead, before any
    evaluation, in one line naming the key as the config spells it (``task.reward.args.scale``).
    """
    return require_plugin_number(plugin, kind, key, value, value_ok=lambda v: v > 0, what="above 0")


def require_pass_reward(plugin: object, value: object) -> float:
    """A reward's ``pass_reward``, as a float: at most 0. A pass that pays more than nothing can
    pay more than a failure (one is worth ``scale`` times its size, near 0 for a close call), and
    the explorer learns to avoid failures."""
    return require_plugin_number(
        plugin, "reward", "pass_reward", value, value_ok=lambda v: v <= 0, what="at most 0"
    )


def require_plugin_number(
    plugin: object, kind: str, key: str, value: object, value_ok: Callable[[float], bool], what: str
) -> float:
    """A plugin argument ``value_ok`` accepts, as a float; else one line naming the key as the
    config spells it and the plugin by the name it was made under (``what``: ``in [0, 1)``).

    An infinity is refused even where ``value_ok`` takes it (a ``scale`` of inf is "above 0",
    every reward inf): a plugin built in Python never meets the config's finite check."""
    allowed = is_number(value) and value_ok(value)  # NaN, null and text are not
    if not allowed or not math.isfinite(value):
        must = f"a number {what}" if not allowed else "a finite number"
        raise PluginError(
            f"task.{kind}.args.{key} must be {must}, got {as_written(value)} "
            f"({kind} '{plugin_label(plugin)}')"
        )
    return float(value)


def require_region_options(threshold: object, min_evaluations: object) -> None:
    """A failing state's definition, as ``--threshold`` and ``--min-evaluations`` take it, for
    callers from Python: a str reached the landscape as a TypeError, ``2.5`` evaluations meant
    nothing."""
    if not is_number(threshold) or not 0 < threshold <= 1:  # NaN too
        raise FfadeError(f"threshold: expected a failure rate in (0, 1], got {threshold!r}")
    count = isinstance(min_evaluations, numbers.Integral) and not isinstance(min_evaluations, bool)
    if not count or min_evaluations < 1:
        raise FfadeError(
            f"min_evaluations: expected a whole number from 1, got {min_evaluations!r}"
        )
