"""The ``ffade`` command: LightningCLI for ``fit`` and friends, plus ffade's own subcommands.

``ffade fit --config configs/quickstart.yaml`` trains an explorer (or a fine-tuner) exactly as a
Lightning user expects (``--help``, ``--print_config``, ``--ckpt_path`` to resume). A user's
mistake — an unknown plugin, a value off the grid, a misspelled key, a missing file — ends with
one line naming the key or value and what is allowed, and exit status 2; never a traceback.

Lightning (and torchmetrics, which it imports) is imported only for the commands that train:
``ffade --help``, ``plugins``, ``report`` and ``feedback`` start in a fraction of the time.
"""

from __future__ import annotations

import difflib
import errno
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ffade.config_files import home_expanded
from ffade.errors import FfadeError, PluginError, broken_link, plain_key, shown_as_ffade_lines
from ffade.fit_options import dashed_value_hint
from ffade.interrupts import (
    exit_with_on_sigterm,
    held_while_loading,
    ignored_as_the_interpreter_ends,
    sigterm_as_ctrl_c,
)
from ffade.option_order import repeated_or_replaced_option
from ffade.said_once import notes_said_once
from ffade.stderr_lines import flush_stdout, to_devnull, whole_lines_on_stderr
from ffade.writable import folder_gone, no_space, no_space_said
from ffade.yamlfile import refuse_repeated_keys

LIGHTNING_COMMANDS = {
    "fit": "discover failures (an explorer config) or fix them (a fine-tuner config)",
}
"""What LightningCLI runs, with the summaries ``ffade --help`` shows without importing it."""
UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
"""An ``OSError`` with one of these is a path the user may not write to: one line, exit 2."""
NOT_FITTING = ("validate", "test", "predict")
"""LightningCLI's other loops: no explorer or fine-tuner has them (a fine-tuner's held-out guard
runs inside ``fit``), so ffade refuses them in one line rather than let Lightning fail."""


# Commands import under held_while_loading: a SIGTERM waits until the import is whole.


def plugins_command(args: list[str]) -> int:
    with held_while_loading():
        from ffade.plugin_listing import main as plugins_main
    return plugins_main(args)


def report_command(args: list[str]) -> int:
    if "torch" not in sys.modules:  # POT would import torch (seconds) for a backend the report,
        # which hands it NumPy arrays, never uses; POT's own switch, in a process of ffade's
        os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
    with held_while_loading():
        from ffade.summarize.report import main as report_main
    from ffade.evaluation_log import one_read_per_log

    with one_read_per_log():  # the landscape and the log's counts from one read of the log
        return report_main(args)


def feedback_command(args: list[str]) -> int:
    with held_while_loading():
        from ffade.feedback.command import main as feedback_main
    from ffade.evaluation_log import one_read_per_log

    with one_read_per_log():  # the slices, the log's counts and the pictures from one read
        return feedback_main(args)


def export_command(args: list[str]) -> int:
    from ffade.gate.options import export_parser

    parsed = export_parser().parse_args(args)  # --help and typos before torch (seconds) loads
    with held_while_loading():
        from ffade.gate.export import main as export_main
    from ffade.evaluation_log import one_read_per_log

    with one_read_per_log():  # the slices and the log's counts from one read of the log
        return export_main(parsed)


def check_command(args: list[str]) -> int:
    from ffade.gate.options import check_parser

    parsed = check_parser().parse_args(args)  # --help and typos before torch (seconds) loads
    with held_while_loading():
        from ffade.gate.check import main as check_main
    return check_main(parsed)


def loop_command(args: list[str]) -> int:
    with held_while_loading():
        from ffade.loop import main as loop_main
    return loop_main(args)


@dataclass(frozen=True)
class Command:
    """One of ffade's own subcommands: the function that runs it and its line in ``--help``."""

    run: Callable[[list[str]], int]
    summary: str


COMMANDS = {
    "report": Command(report_command, "write a run's failure landscape and regions as a report"),
    "feedback": Command(feedback_command, "give each failure rule (or region) of a run a priority"),
    "export": Command(
        export_command, "turn a run's failure rules (or regions) into a regression suite"
    ),
    "check": Command(check_command, "run a regression suite on a model: exit 1 if any case fails"),
    "loop": Command(loop_command, "discover, prioritize, fine-tune, rediscover, compare"),
    "plugins": Command(
        plugins_command, "list the installed plugins: arguments, defaults, broken ones flagged"
    ),
}


def usage() -> str:
    """The top-level help: every command, LightningCLI's and ffade's own."""
    summaries = {**LIGHTNING_COMMANDS, **{n: c.summary for n, c in COMMANDS.items()}}
    width = max(map(len, summaries))
    rows = [f"  {name:<{width}}  {summary}" for name, summary in summaries.items()]
    return "\n".join(
        [
            f"usage: ffade {{{','.join(summaries)}}} ...",
            "",
            "Find where a model fails as its inputs change, then fine-tune the failures away.",
            "",
            "Lightning's commands, run from a config (ffade fit --help lists its options):",
            *rows[: len(LIGHTNING_COMMANDS)],
            "",
            "ffade's own commands (ffade COMMAND --help):",
            *rows[len(LIGHTNING_COMMANDS) :],
            "",
            "Start with: ffade fit --config configs/quickstart.yaml",
            "ffade --version prints the versions a bug report needs.",
        ]
    )


def unknown_command(name: str) -> str:
    """The error for a command ffade does not have, with the closest one it does."""
    known = [*LIGHTNING_COMMANDS, *COMMANDS]
    if name in NOT_FITTING:
        return (
            f"ffade has no '{name}' command: explorers and fine-tuners only fit (a fine-tuner "
            f"checks its fix on held-out data within fit); commands: {', '.join(known)}"
        )
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown command '{name}'{hint}; commands: {', '.join(known)}"


TOP_LEVEL_OPTIONS = ("--help", "-h", "--version", "-V")
"""What ``ffade`` takes before a command."""


def missing_command(args: list[str]) -> str:
    """The error for options before the command: a misspelled ``--version``, or a command
    forgotten or put last (``ffade --config c.yaml [fit]``). LightningCLI listed validate, test
    and predict, commands ffade does not have, or a config's top-level keys, or read the config
    as one with a ``fit:`` section and refused every key of an ffade config."""
    known = [*LIGHTNING_COMMANDS, *COMMANDS]
    option = args[0].split("=")[0]
    lower = {o.lower(): o for o in TOP_LEVEL_OPTIONS}
    close = difflib.get_close_matches(option.lower(), list(lower), n=1, cutoff=0.7)
    if close:
        return (
            f"unknown option '{option}' (did you mean '{lower[close[0]]}'?); before a command "
            f"ffade takes only --help and --version; commands: {', '.join(known)}"
        )
    given = next((arg for arg in args if arg in known), None)
    rest = list(args)
    if given is not None:
        rest.remove(given)
    example = f"ffade {given or 'fit'} {shlex.join(rest)}"
    return f"name a command before the options, e.g. {example}; commands: {', '.join(known)}"


def trailing_arguments(args: list[str]) -> str:
    """The error for ``ffade --help report`` or ``ffade --version x``: the words after the flag
    were dropped without a word, and the exit 0 read as if they had been taken."""
    known = [*LIGHTNING_COMMANDS, *COMMANDS]
    given = next((arg for arg in args[1:] if arg in known), None)
    if given is not None and args[0] in ("-h", "--help"):
        return f"ffade {args[0]} takes nothing after it; for a command's help: ffade {given} --help"
    return f"ffade {args[0]} takes nothing after it; got {shlex.join(args[1:])}"


def _with_hints(args: list[str], error: FfadeError) -> str:
    """A Lightning command's error with "did you mean" for a misspelled model class.

    A plugin's error is about the plugin, never a model class, even when it quotes an import
    error ("No module named ...") from inside the plugin.
    """
    if args[0] in LIGHTNING_COMMANDS and isinstance(error, PluginError):
        from ffade.in_process import registered_elsewhere  # a run's plugin, registered in-process

        return registered_elsewhere(args, str(error)) or str(error)
    if args[0] not in LIGHTNING_COMMANDS or isinstance(error, PluginError):
        return str(error)
    group = str(error).removeprefix("argument ").removesuffix(": expected one argument")
    if group == "--model":  # argparse names --model for a --model.init_args.budget given no value
        bare = [  # or one whose value starts with "-": "--model.init_args.budget -x"
            (arg, args[i + 1] if i + 1 < len(args) else "")
            for i, arg in enumerate(args)
            if arg.startswith(f"{group}.")
            and "=" not in arg
            and (i + 1 == len(args) or args[i + 1].startswith("-"))
        ]
        if bare:
            name, after = bare[0]
            dashed = after[:1] == "-" and after[:2] != "--"
            hint = f"; {dashed_value_hint(args, name, after)}" if dashed else ""
            return f"argument {name}: expected one argument{hint}"
    if str(error).endswith(": expected one argument"):  # --config -x.yaml: a path read as option
        names = str(error).split(":")[0].removeprefix("argument ").split("/")
        after = [args[i + 1] for i, a in enumerate(args[:-1]) if a in names]
        if after and after[0][:1] == "-" and after[0][:2] != "--":
            return f"{error}; {dashed_value_hint(args, names[-1], after[0])}"
    early = _model_argument_before_config(args)
    said = str(error)  # jsonargparse's "Option 'budget' is not accepted", or ffade's line for it
    if early and ('key "model"' in said or "no config names the model's class" in said):
        return (
            f"{early} comes before --config: arguments are read in order and the model's class "
            f"comes from the config; give --config first"
        )
    from ffade.fit_help import class_path_hint

    return plain_key(class_path_hint(str(error), args))


def _model_argument_before_config(args: list[str]) -> str | None:
    """The first ``--model.init_args.*`` given before ``--config``, if any."""
    configs = [i for i, arg in enumerate(args) if arg.split("=")[0] == "--config"]
    for arg in args[: configs[0] if configs else 0]:
        if arg.startswith("--model.init_args."):
            return arg.split("=")[0]
    return None


def _not_found(filename: object) -> str:
    """What a missing file's error says: a broken symbolic link on its way is the cause to name
    (a ``runs`` folder linked to an unmounted disk said "file not found: runs/quickstart")."""
    path = Path(os.fsdecode(filename) if isinstance(filename, bytes) else str(filename))
    link = broken_link(path) or folder_gone(path)  # a run directory removed mid-run
    return f"{str(path).removesuffix('.tmp')}: {link}" if link else f"file not found: {path}"


def _print_ending(args: list[str], model: object) -> None:
    """After ``ffade fit``: where the run is, what it found and the next command to type.

    Said once: under data parallelism by rank 0, the rank that wrote the run directory.
    """
    run_dir = getattr(model, "run_dir", None)
    if getattr(model, "global_rank", 0) != 0:
        return
    if args[0] == "fit" and run_dir is not None and (run_dir / "summary.json").is_file():
        from ffade.memo_counts import logged_state_counts
        from ffade.run_endings import run_ending

        print(run_ending(run_dir, logged_state_counts(model)))


def _print_error(text: str, error: BaseException, status: int) -> int:
    """Print ``ffade: error: TEXT`` and the error's notes (a run it stopped: where it is, how to
    resume it) on stderr; return ``status``, the exit status."""
    print(f"ffade: error: {text}", file=sys.stderr)
    for note in getattr(error, "__notes__", ()):
        print(note, file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run ``ffade ARGS``; returns the exit status (2 for a user's mistake, said in one line).

    SIGTERM is Ctrl-C's from the first moment (see ffade.interrupts): a command stopped while it
    still imported its libraries (seconds for torch) died without a word, status 143.
    """
    if argv is None:  # the process's command: its very end keeps its status (ffade.interrupts)
        ignored_as_the_interpreter_ends()
        whole_lines_on_stderr()  # two ranks' error lines ran together under PYTHONUNBUFFERED
    status: int | None = None  # the command's, once it returns
    with sigterm_as_ctrl_c():  # a loop's or fit's Lightning runs take it over, then give it back
        try:
            with shown_as_ffade_lines(), notes_said_once():
                status = _main(list(sys.argv[1:] if argv is None else argv))
            # piped, stdout holds the last lines until Python's flush at exit, where a reader gone
            # (``ffade fit ... | head -0``) said "Exception ignored ..." and exit 120: flushed here
            flush_stdout()
        except BrokenPipeError:  # ``ffade plugins | head -1``: the reader has what it wanted
            to_devnull(sys.stdout)  # nothing more fails as Python exits
            status = 0 if status is None else status
        except KeyboardInterrupt:  # where _main's own handler is not: printing its help, say
            print("ffade: interrupted", file=sys.stderr)
            status = 130
    if argv is None:  # the process's command (ffade, python -m ffade): its shutdown too
        exit_with_on_sigterm(status)
    return status


def _main(args: list[str]) -> int:
    if not args:
        print(usage(), file=sys.stderr)
        print("ffade: error: name a command", file=sys.stderr)
        return 2
    if args[0] in TOP_LEVEL_OPTIONS and len(args) > 1:  # ``ffade --version x`` said 0
        print(f"ffade: error: {trailing_arguments(args)}", file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(usage())
        return 0
    if args[0] in ("-V", "--version"):
        from ffade.environment import version_lines

        print("\n".join(version_lines()))
        return 0
    try:
        if args[0].startswith("-"):  # LightningCLI read a config before fit as a fit: section
            raise FfadeError(missing_command(args))
        refuse_repeated_keys(args[1:])  # a YAML value's repeated key: any command's option
        if args[0] in COMMANDS:
            return COMMANDS[args[0]].run(args[1:])
        args = [args[0], *home_expanded(args[1:])]  # --config '~/x.yaml', --ckpt_path=~/run
        if not args[0].startswith("-") and args[0] not in LIGHTNING_COMMANDS:
            # said at once, not after Lightning takes seconds to load and reject it
            raise FfadeError(unknown_command(args[0]))
        if args == ["fit"]:  # said at once, in ffade's words rather than "required: fit.model"
            raise FfadeError(
                "ffade fit needs a config: ffade fit --config configs/quickstart.yaml "
                "(ffade fit --help lists the options)"
            )
        if args[0] == "fit" and ("-h" in args or "--help" in args):
            from ffade.fit_help import fit_help
            from ffade.help_wrap import wrapped

            print(wrapped(fit_help(args[1:])))
        elif args[0] == "fit":
            from ffade import fit_help as fit

            with held_while_loading():  # it loads jsonargparse, the model's class
                lost = (
                    repeated_or_replaced_option(args)
                    or fit.misspelled_fit_option(args)
                    or fit.arguments_lost_to_model(args)
                )
            if lost:
                raise FfadeError(lost)
        with held_while_loading():
            from ffade.lightning_run import run_lightning
        model = run_lightning(args, ended_ok=True)  # Lightning holds SIGTERM once its task is built
        with held_while_loading(interrupt=False):  # the run is over: its lines, its status
            from ffade.fit_help import config_arguments_dropped

            if args[0] == "fit" and (dropped := config_arguments_dropped(args[1:])):
                print(f"ffade: note: {dropped}", file=sys.stderr)  # after the run: an error stays
            _print_ending(args, model)  # one line
    except FfadeError as exc:
        return _print_error(_with_hints(args, exc), exc, 2)
    except Warning as exc:  # one the user made an error: python -W error, PYTHONWARNINGS=error
        kind, text = type(exc).__name__, str(exc).strip()
        first = text.splitlines()[0] if text else kind
        said = f"{first} ({kind}, made an error by python -W or PYTHONWARNINGS)"
        return _print_error(said, exc, 1)
    except FileNotFoundError as exc:
        print(f"ffade: error: {_not_found(exc.filename or exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        if no_space(exc):
            # a full disk: the run's log keeps whole lines and each file its old version, so
            # the command runs again (a run resumes) once there is room
            said = no_space_said(exc)
            return _print_error(f"{said}; free some space or choose another path", exc, 1)
        if exc.errno not in UNWRITABLE or exc.filename is None:
            raise
        # mostly a folder one may not write to (chmod a-w, a read-only mount), at times a file
        # one may not read: a path to change either way
        path = str(exc.filename).removesuffix(".tmp")  # the file written beside its place
        said = f"{path}: {exc.strerror}; check its permissions or choose another path"
        return _print_error(said, exc, 2)
    except KeyboardInterrupt:
        # before a run began or after it ended (a run stopped mid-way says where it is itself)
        print("ffade: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        # Lightning's SIGTERMException: a run stopped by SIGTERM said where it is; not a success
        if exc.code is None and type(exc).__name__ == "SIGTERMException":
            return 1
        raise
    return 0
