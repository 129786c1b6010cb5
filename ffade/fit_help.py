"""What ``ffade fit --help`` says first: the explorer's and the task's arguments.

LightningCLI's own help lists hundreds of Trainer options and hides the model's behind
``--model.help CLASS``. A person configuring a search needs the explorer's arguments and the
task's keys first, so this text comes before Lightning's, built from the classes' signatures and
their Google-style docstrings (the ``Args:`` / ``Attributes:`` sections), so it cannot drift
from the code.
"""

from __future__ import annotations

import difflib
import inspect
import re
import textwrap
from dataclasses import MISSING, fields
from typing import Any

import yaml

from ffade.config_files import check_config_files
from ffade.errors import FfadeError
from ffade.model_classes import (
    PLUGIN_CLASSES,
    model_class_guess,
    model_class_paths,
    model_without_class,
    named_class,
    resolved,
)
from ffade.other_key_hint import NO_DATA, module_class_guess, module_path_guess, other_key_hint

DEFAULT_EXPLORER = "DQNExplorer"
"""The explorer the quickstart uses, whose arguments are shown in full."""
MICROSCOPIC_ONLY = ("max_steps", "step_penalty", "start_state")
"""Explorer arguments a macroscopic search never uses (docs/discovery.md's table)."""


def other_command_config(args: list[str]) -> str | None:
    """The line for a ``--config`` that is another command's file (configs/loop_*.yaml,
    configs/feedback_*.yaml): ``ffade fit --config configs/loop_digits.yaml --help`` printed the
    DQN's help, exit 0, as if the file configured it, where the run refuses it."""
    from ffade.config_errors import FIT_KEYS, OTHER_FILES
    from ffade.config_files import config_paths
    from ffade.yamlfile import read_yaml

    for path in config_paths(args):
        try:
            data = read_yaml(path, "")
        except FfadeError:
            continue  # a broken or missing file is refused next, in its own line
        keys = [key for key in data if key not in FIT_KEYS] if isinstance(data, dict) else []
        if other := next((key for key in keys if key in OTHER_FILES), None):
            return f"--config {path}: unknown key '{other}'{OTHER_FILES[other]}"
    return None


def fit_help(args: list[str] | None = None) -> str:
    """The preamble of ``ffade fit ARGS --help``: with a config (or ``--model``) that names
    another class than the DQN, that class's arguments come first (``ffade fit --config
    configs/mitigate_digits.yaml --help`` listed only the DQN's)."""
    import ffade.explore as explore
    import ffade.mitigate as mitigate
    from ffade.task import TaskSpec

    dqn = getattr(explore, DEFAULT_EXPLORER)
    if model_without_class(args or []):  # argparse's line alone, the classes added to it
        raise FfadeError(NO_MODEL_CLASS)
    if other_file := other_command_config(args or []):  # its run would refuse it, in this line
        raise FfadeError(other_file)
    # a missing or broken --config: its line alone, not the DQN's help and then the line
    check_config_files(args or [], model_class_paths())
    named = named_class(args or [])
    chosen, path = resolved(named) if named is not None else (None, "")
    if named is not None and chosen is None:  # not the DQN's help first, then this line
        raise FfadeError(f"model: unknown model class '{named}'{_classes_meant(named)}")
    if chosen is not None and chosen is not dqn:
        given = [arg for arg in args or [] if arg not in ("-h", "--help")]
        task = issubclass(chosen, explore.Explorer)
        return "\n".join(
            [
                f"ffade fit {' '.join(given)}",
                "",
                f"{path} arguments, the model this command runs (--model.init_args.NAME):",
                *_argument_lines(chosen),
                "",
                *(["task keys (--model.init_args.task.KEY):", *_task_lines(TaskSpec), ""] * task),
                "Other model classes: ffade fit --help (with no --config or --model). Lightning's "
                "options follow (--trainer.*, --seed_everything, --ckpt_path, ...).",
                "",
            ]
        )
    others = [n for n in explore.__all__ if n not in ("Explorer", DEFAULT_EXPLORER)]
    lines = [
        "ffade fit --config CONFIG.yaml [--model.init_args.NAME VALUE ...]",
        "",
        "The model is an explorer (discovery: where does the target fail?) or a fine-tuner "
        "(mitigation: fix the prioritized failures).",
        "",
        f"{DEFAULT_EXPLORER} arguments (--model.init_args.NAME):",
        *_argument_lines(dqn),
        "",
        "task keys (--model.init_args.task.KEY; plugins by name, `ffade plugins` lists them):",
        *_task_lines(TaskSpec),
        "",
        "Other explorers (class_path), each with the arguments above that apply:",
        *(
            line
            for name in others
            for line in (
                f"  {name:<24} {_first_line(getattr(explore, name))}",
                *_own_argument_lines(getattr(explore, name), dqn),
            )
        ),
        "Fine-tuners (class_path):",
        *(
            f"  {name:<24} {_first_line(getattr(mitigate, name))}"
            for name in mitigate.__all__
            if name.endswith("FineTuner") and name != "FineTuner"
        ),
        "  " + "a plugin's fine-tuner".ljust(24) + " by its class path, as its README gives it",
        "Any class's full options: ffade fit --model.help CLASS (e.g. RandomExplorer).",
        "",
        "Lightning's options follow (--trainer.*, --seed_everything, --ckpt_path, ...).",
        "",
    ]
    return "\n".join(lines)


_UNKNOWN_CLASS = (
    re.compile(r"Expected a dot import path string: (?P<name>[\w.]+)"),
    re.compile(r"module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'"),
    re.compile(r"No module named '(?P<name>[\w.]+)'"),
    re.compile(r"Import path (?P<name>[\w.]+) does not correspond to a subclass"),  # ffade.discover
    # --model ffade.explore.RandomExplorr on the command line
    re.compile(r"Expected a path but (?P<name>[\w.]*) either not accessible or invalid"),
)


def class_path_hint(message: str, args: list[str] | None = None) -> str:
    """``message`` with "did you mean" and the model classes added when it is jsonargparse's word
    for a class path that names no class, e.g. ``DQNExplorr`` -> "did you mean
    'ffade.explore.DQNExplorer'?; model classes: ...".
    A plugin's own ``module:Class`` that does not import is not about model classes; another
    key's value is said as ``args`` (the command's arguments) typed it."""
    if "cannot import module" in message:  # ffade.registry's word for a plugin's module:Class
        return message
    key = _PARSER_KEY.match(message)
    if key and key.group("key") == "data":  # --data '{foo: 1}': no class would do
        return NO_DATA
    if key and key.group("key") != "model":
        return other_key_hint(message, key.group("key"), args or [])
    for pattern in _UNKNOWN_CLASS:
        match = pattern.search(message)
        if match:
            break
    else:
        return message + _model_classes() * (message == NO_MODEL_CLASS)
    name = match.group("name")
    if not name:  # --model= (nothing after the =): no class to guess from
        return NO_MODEL_CLASS + _model_classes()
    if pattern is _UNKNOWN_CLASS[-1]:  # jsonargparse's words for it say nothing a user can use
        message = message.replace(match.group(0), f"unknown model class '{name}'")
    return message + _classes_meant(name, match.groupdict().get("module"))


def _classes_meant(name: str, module: str | None = None) -> str:
    """`` (did you mean '...'?); model classes: ...`` for the class ``name`` that names none
    (``module``: the module jsonargparse found, where it found one)."""
    module = module or name.rpartition(".")[0]  # a plugin's module
    guess = module_class_guess(module, name.rpartition(".")[2]) or module_path_guess(name)
    guess = guess or model_class_guess(name)  # module_path_guess: ffade_text.mitigat.Class
    hint = f" (did you mean '{guess}'?)" if guess else ""
    # what is allowed, even with a guess: the guess may be wrong ("FooExplorer")
    return hint + _model_classes()


def _model_classes() -> str:
    """``; model classes: ...``: what ``--model`` or ``class_path`` takes."""
    return f"; model classes: {', '.join(model_class_paths())}, {PLUGIN_CLASSES}"


NO_MODEL_CLASS = "argument --model: expected one argument"
"""argparse's line for ``--model`` given no class (``ffade fit --model --help``)."""


_PARSER_KEY = re.compile(r'^Parser key "(?P<key>[^"]+)": ')
FIT_OPTIONS = ("--config", "--print_config", "--help")
"""What ``ffade fit`` takes beside a config's keys (``--trainer.max_epochs`` and such)."""


def misspelled_fit_option(args: list[str]) -> str | None:
    """The error for ``ffade fit --confg c.yaml``, with the option meant: Lightning read
    ``--confg`` as a config key and listed the top-level keys, none of them what was meant."""
    for arg in args[1:]:
        flag = arg.split("=", 1)[0]
        if flag.startswith("--") and "." not in flag and flag not in FIT_OPTIONS:
            close = difflib.get_close_matches(flag, FIT_OPTIONS, n=1, cutoff=0.75)
            if close:
                return f"unknown option '{flag}' (did you mean '{close[0]}'?); see ffade fit --help"
    return None


def arguments_lost_to_model(args: list[str]) -> str | None:
    """The error for ``--model.init_args.KEY`` given before a ``--model CLASS`` that takes no KEY.

    Arguments are read in order, and ``--model CLASS`` keeps only the arguments CLASS takes:
    ``--model.init_args.learning_rate 0.1 --model RandomExplorer`` ran a random search, exit 0,
    without a word about the learning rate it dropped.
    """
    model = _last_model(args)
    if model is None:
        return None  # no --model, or one jsonargparse names as a class it cannot find
    last, value, taken = model
    for flag in [arg.split("=", 1)[0] for arg in args[:last]]:
        key = flag.removeprefix("--model.init_args.").split(".")[0]
        if flag.startswith("--model.init_args.") and key not in taken:
            return (
                f"{flag} comes before --model {value}, which takes no {key}: --model replaces "
                "the model and keeps only the arguments its class takes; give --model first"
            )
    return None


def _last_model(args: list[str]) -> tuple[int, str, set[str]] | None:
    """The last ``--model CLASS`` in ``args``: its position, CLASS as typed and the arguments
    CLASS takes; None without one, or for a CLASS that names no class."""
    flags = [arg.split("=", 1)[0] for arg in args]
    if "--model" not in flags:
        return None
    last = len(flags) - 1 - flags[::-1].index("--model")
    value = args[last].split("=", 1)[1] if "=" in args[last] else "".join(args[last + 1 : last + 2])
    taken = _arguments_of(value)
    return None if taken is None else (last, value, taken)


def config_arguments_dropped(args: list[str]) -> str | None:
    """A note when ``--model CLASS`` drops arguments a ``--config`` before it gave: a DQN
    config's ``learning_rate`` under ``--model ffade.explore.RandomExplorer`` is dropped by
    jsonargparse without a word, where the same argument on the command line is an error."""
    from ffade.config_files import config_paths
    from ffade.yamlfile import read_yaml

    model = _last_model(args)
    if model is None:
        return None
    last, value, taken = model
    given: list[str] = []
    for path in config_paths(args[:last]):
        try:
            init_args = read_yaml(path, "")["model"]["init_args"]
        except (FfadeError, TypeError, KeyError, IndexError):
            continue  # no arguments named here; a broken file is refused in its own words
        if isinstance(init_args, dict):
            given += [str(key) for key in init_args if key not in given]
    dropped = [key for key in given if key not in taken]
    if not dropped:
        return None
    return (
        f"--model {value} takes no {', '.join(dropped)}: the config's value"
        f"{'s were' if len(dropped) > 1 else ' was'} dropped (--model replaces the model and "
        "keeps only the arguments its class takes)"
    )


def printed_config_notes(args: list[str] | None, config: Any = None) -> list[str]:
    """The notes ``ffade fit ARGS --print_config`` says, on stderr, of the config it prints: the
    run says :func:`config_arguments_dropped`'s once it ends, but ``--print_config`` ends before,
    so the config it showed had lost a config's ``learning_rate`` without a word; and the run's
    note that its ``trainer.default_root_dir`` places nothing (:func:`use_root_dir`), else the
    config shown named a folder the run would not go to. ``config``: the one printed."""
    from ffade.trainer import use_root_dir

    dropped = config_arguments_dropped([arg for arg in args or [] if isinstance(arg, str)])
    trainer = config.get("trainer") if config is not None else None
    root = use_root_dir(trainer, args, say=False)
    return [note for note in (dropped, root) if note]


def _arguments_of(value: str) -> set[str] | None:
    """The constructor arguments of the model class ``--model VALUE`` names (over its bases),
    or None when no such class is found."""
    cls, _ = resolved(value)
    if cls is None:
        return None
    taken: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            taken.update(inspect.signature(klass.__init__).parameters)
    return taken


def _argument_lines(cls: type) -> list[str]:
    """One line per constructor argument (over the class and its bases): default and meaning."""
    described: dict[str, str] = {}
    defaults: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        described.update(_docstring_section(klass.__doc__, "Args"))
        if "__init__" in vars(klass):
            for name, param in inspect.signature(klass.__init__).parameters.items():
                if param.kind is param.KEYWORD_ONLY or param.kind is param.POSITIONAL_OR_KEYWORD:
                    defaults[name] = param.default
    macroscopic_only = tuple(getattr(cls, "supported_modes", ())) == ("macroscopic",)
    rows = []
    for name, default in defaults.items():
        if name == "self":
            continue
        shown = None if default is inspect.Parameter.empty else as_yaml(default)
        parts = described.get(name, "").split("; ")
        automatic = next((p for p in parts if p.startswith("by default ")), None)
        if macroscopic_only and name in MICROSCOPIC_ONLY:  # accepted, but it never takes a step
            parts = [f"not used: microscopic only, and {cls.__name__} searches macroscopic tasks"]
        elif default is None and automatic:
            # None stands for a value worked out at the start: say that, not "default None"
            shown = automatic.removeprefix("by default ")
            parts.remove(automatic)
        rows.append(_row(name, shown, "; ".join(parts)))
    return rows


def _own_argument_lines(cls: type, shown: type) -> list[str]:
    """The arguments of ``cls`` that ``shown``'s lines do not list (the ε-greedy bandit's
    ``epsilon``) or list otherwise (a baseline's ``num_envs`` is 32, the DQN's the budget over
    32; the grid explorer's ``max_steps`` is not used), indented under its name: every
    explorer's options and defaults are here."""
    listed = set(_argument_lines(shown))
    return ["  " + line for line in _argument_lines(cls) if line not in listed]


def _task_lines(spec: type) -> list[str]:
    described = _docstring_section(spec.__doc__, "Attributes")
    return [
        _row(
            f.name, None if f.default is MISSING else as_yaml(f.default), described.get(f.name, "")
        )
        for f in fields(spec)
    ]


def as_yaml(value: object) -> str:
    """A default as a config spells it: ``null``, ``true``, ``full``, not Python's ``None``,
    ``True``, ``'full'`` (``feedback: None`` in a config is the file name "None")."""
    if value is None or isinstance(value, (bool, str)):
        return yaml.safe_dump(value).removesuffix("...\n").strip()
    return repr(value)


def _row(name: str, default: str | None, text: str) -> str:
    head = f"  {name:<22} " + ("(required)" if default is None else f"(default {default})")
    text = re.sub(r"\bNone\b", "null", text)  # docstrings speak Python; help, a config's YAML
    text = plain_text(text)
    return head + (f" {text}" if text else "")


def plain_text(text: str) -> str:
    """A docstring's words as a terminal shows them: ``:mod:`ffade.x``` is ``ffade.x`` (a
    ``~`` role its last name), a ````literal```` the literal, without the markup around it."""
    text = re.sub(r":\w+:`~[\w.]*?(\w+)`", r"\1", text)
    text = re.sub(r":\w+:`([^`]*)`", r"\1", text)
    return re.sub(r"``([^`]*)``", r"\1", text)


def _docstring_section(doc: str | None, section: str) -> dict[str, str]:
    """{name: first sentence} from a Google-style docstring's ``Args:`` or ``Attributes:``."""
    if not doc:
        return {}
    text = textwrap.dedent("\n".join(doc.splitlines()[1:]))
    match = re.search(rf"^{section}:\n((?:[ \t]+.*\n?|\n)+)", text, flags=re.MULTILINE)
    if not match:
        return {}
    found: dict[str, str] = {}
    name = None
    for line in match.group(1).splitlines():
        entry = re.match(r"^ {4}(\w+)(?: \(.*?\))?: ?(.*)$", line)
        if entry:
            name = entry.group(1)
            found[name] = entry.group(2).strip()
        elif name and line.strip():
            found[name] += " " + line.strip()
    return {k: _FULL_STOP.split(v, maxsplit=1)[0].rstrip(".") for k, v in found.items()}


_FULL_STOP = re.compile(r"(?<!e\.g)(?<!i\.e)\. ")
"""A sentence's end: "e.g. " and "i.e. " are not one."""


def _first_line(obj: object) -> str:
    return (inspect.getdoc(obj) or "").split("\n", 1)[0]
