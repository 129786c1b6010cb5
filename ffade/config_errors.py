"""jsonargparse's errors about a config, said in one line naming the key as a config writes it.

jsonargparse explains a bad config over many nested lines ("Parser key", "Subtypes:", "Given
value"), in its own words for ffade's keys. :func:`config_error_line` keeps the deepest key and
the first real reason, and says it as ffade's other errors do; split from
:mod:`ffade.lightning_run`, which runs LightningCLI and hands its errors here.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import re
from dataclasses import fields

from ffade.errors import ConfigError
from ffade.model_section import list_entry_hint, model_key_reason, task_key_hint
from ffade.null_meanings import or_null
from ffade.other_key_hint import NO_DATA, logger_reason
from ffade.rng import seed_reason
from ffade.value_reasons import choices_reason, expected_types
from ffade.written import as_written

_NONE_TYPE = "<class 'NoneType'>"
_NOISE = (
    "Given value",
    "Subtypes:",
    "Does not validate",
    "Errors:",
    "Expected a <class 'NoneType'>",
    "Subclass types expect",
    "a class path",
    "a dict with",
    "a dict without",
)


def config_error_line(message: str) -> str:
    """jsonargparse explains a bad config over many nested lines; say it in one.

    Keeps the deepest key and the first real reason, and for an option a class does not take,
    lists the options it does take (with the closest match first).
    """
    if str(message).startswith('Parser key "data"'):  # was "data: Option 'foo' is not accepted"
        return NO_DATA
    flag = re.fullmatch(r'Invalid option "(.*)" for --print_config', str(message).strip())
    if flag:  # jsonargparse's line named the wrong word but not the right ones
        return (
            f"--print_config takes no value, or skip_default and/or skip_unset "
            f"(--print_config=skip_default,skip_unset), got '{flag.group(1)}'"
        )
    logger = logger_reason(str(message))  # was "trainer.logger: Not a valid subclass of Logger"
    if logger:
        return logger
    entry = list_entry_hint(str(message))  # --model.init_args.task.concepts.0.args.values
    if entry:
        return entry
    lines = [ln.strip(" -") for ln in str(message).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(_NOISE)]
    keys = [ln.rstrip(":") for ln in lines if ln.startswith("Parser key")]
    classes = re.findall(r"Problem with given class_path '([\w.]+)'", message)
    reasons = [
        ln for ln in lines if not ln.startswith(("Parser key", "Problem with given class_path"))
    ]
    reason = reasons[0] if reasons else (lines[0] if lines else "invalid arguments")
    if reason.startswith("Expected a <class"):  # "Expected a <class 'bool'>": say what was given
        reason = expected_types(message)
    infinite = re.fullmatch(
        r"expected (?:int or )?float, got (-?(?:nan|inf))", reason
    )  # a float, to a reader
    if infinite:
        reason = f"expected a finite number, got {infinite.group(1)}"
    if len(keys) > 1 and keys[0] == 'Parser key "model"' and "model." not in keys[-1]:
        keys[-1] = keys[-1].replace('"', '"model.init_args.', 1)  # the key as a user types it
    if infinite and keys:  # "inf" said as a YAML .inf is (docs quote that line), not in two ways
        key = keys[-1].split(chr(34))[1]
        return f"{key} must be a finite number{or_null(key)}, got {infinite.group(1)}"
    boolean = re.fullmatch(r"expected bool, got (.*)", reason)  # "true", not Python's "bool"
    if boolean and keys:  # as ffade's own checks say it (task.only_passing_inputs, keep_others)
        own = message.rpartition("Parser key")[2]  # the key's own union, not the model's
        null = re.search(rf"Subtypes: \[.*{_NONE_TYPE}", own)  # Lightning's Optional[bool]
        allowed = "true, false or null" if null else "true or false"
        return f"{keys[-1].split(chr(34))[1]} must be {allowed}, got {boolean.group(1)}"
    reason = choices_reason(reason, message) or reason  # "Expected a typing.Literal[...]"
    hinted = _colon_hint(reason)  # '{high:0}': the space it lacks, not the dict it looks like
    if hinted == reason and keys[-1:] == [START_STATE] and reason.startswith("expected dict"):
        hinted = f"{_yaml_got(reason)}; give {{concept label: grid value}} ({NOT_NAMED})"
    if hinted == reason and keys[-1:] == [PRIORITY_WEIGHTS] and reason.startswith("expected dict"):
        hinted = f"{_yaml_got(reason)}; give {{priority: weight}}, such as {{high: 3, low: 0}}"
    reason = hinted
    if keys[-1:] == ['Parser key "seed_everything"']:  # was "expected bool or int, got 1.5"
        return seed_reason(reason.rpartition("got ")[2])
    in_model = keys[:1] == ['Parser key "model"']
    parameters = init_parameters(classes[-1]) if in_model and classes else []
    required = re.fullmatch(r"the following arguments are required: ([\w., ]+)", reason)
    if in_model and required:  # was "model: the following ...": a key left out, or given null
        keys = [f"model.init_args.{k}" for k in required.group(1).split(", ")]
        if len(keys) == 1:
            return f"{keys[0]} has no default: give it a value (null is no value)"
        names = f"{', '.join(keys[:-1])} and {keys[-1]}"
        return f"{names} have no default: give each a value (null is no value)"
    section = model_key_reason(reason, message, parameters) if in_model else None
    if section:  # a misspelt class_path or init_args is read as no class given too
        return section
    if (in_model and classes[-1:] == [NO_CLASS]) or reason == NO_MODEL:
        return no_model_class(reason)
    unknown = re.match(r"Option '([\w.]+)' is not accepted", reason)
    allowed = init_parameters(classes[-1]) if unknown and classes else []
    if allowed:  # was "model: Option 'budgett' is not accepted by ...": no key a user types
        return unknown_argument(unknown.group(1), keys[-1] if keys else "", classes[-1], allowed)
    plugin = _plugin_spec_reason(keys[-1] if keys else "", reason)
    if plugin:
        return plugin
    misspelled = None if classes or keys else _unknown_key_reason(reason)
    if misspelled:
        return misspelled
    hinted = task_key_hint(reason)
    if hinted != reason:  # names its key in full: "unknown key 'model.init_args.task.modes'"
        return hinted
    return f"{keys[-1]}: {reason}" if keys and reason not in keys[-1] else reason


def unknown_argument(word: str, key: str, class_path: str, allowed: list[str]) -> str:
    """An argument the class does not take, said as a misspelt trainer key is: "unknown key
    'model.init_args.budgett' (did you mean 'model.init_args.budget'?); allowed ...". jsonargparse
    said "model: Option 'budgett' is not accepted", naming no key a user could find and fix.

    Args:
        word: the option jsonargparse refused (``budgett``; dotted when given with a sub-key).
        key: jsonargparse's 'Parser key "..."' of the section it was reading.
        class_path: the class whose arguments those are.
        allowed: its arguments.
    """
    where = key.partition('"')[2].rstrip('"') or "model"
    head = word.split(".")[0]
    if class_path == "ffade.task.PluginSpec":  # one concept of the list: no key of its own
        close = difflib.get_close_matches(head, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (
            f"unknown key '{head}' in a concept of {where}{hint}; a plugin takes only name and args"
        )
    prefix = f"{where}.init_args"
    # model.class_pth reads as an init argument: the section's own two keys are candidates too
    close = difflib.get_close_matches(head, [*allowed, "class_path", "init_args"], n=1)
    # --model.class_pth: a key of the section itself, misspelt, not an init argument
    own = bool(close) and close[0] in ("class_path", "init_args")
    hint = f" (did you mean '{where if own else prefix}.{close[0]}'?)" if close else ""
    if "task" in allowed and head in _task_keys():  # mode, max_inputs: beside task, not in it
        hint = f" (a key of the task: '{prefix}.task.{head}')"
    return (
        f"unknown key '{where if own else prefix}.{head}'{hint}; allowed {prefix} keys of "
        f"{class_path}: "
        f"{', '.join(allowed)}"
    )


def _task_keys() -> list[str]:
    """The task's keys (``mode``, ``split``, ...): one put beside ``task`` in an explorer's
    arguments is told where it goes, as a plugin's argument beside its name is."""
    from ffade.task import TaskSpec

    return [f.name for f in fields(TaskSpec)]


def refuse_data(section: object) -> None:
    """Refuse a ``data`` section that names anything (null, the default, is no section)."""
    if section is not None:
        raise ConfigError(NO_DATA)


START_STATE = 'Parser key "model.init_args.start_state"'
NOT_NAMED = "concepts not named start at their neutral value"
"""A microscopic start given as a list (grid indices, as summary.json records it) was told only
"expected dict": the line now names the form the explorer takes."""

PRIORITY_WEIGHTS = 'Parser key "model.init_args.priority_weights"'
"""A fine-tuner's weights per priority: "expected dict, got 5" named no form to give."""


def _colon_hint(reason: str) -> str:
    """``reason`` with the fix for a YAML flow mapping typed without a space after a colon:
    ``{high:0}`` is read as the one string ``'{high:0}'``, so the user was told only "expected
    dict, got {high:0}", which looks like a dict. It runs before a key's own "give ..." form
    is added, which it once took for part of the value (``give {axis0: 0.3}; give {concept
    label: ...}``). ``{axis0: 0.3}`` typed unquoted reaches it as ``{axis0:``: the shell split
    it at the space, which is what to fix."""
    head, _, value = reason.partition(", got ")
    if not (head.startswith("expected dict") and value.startswith("{")):
        return reason
    if not value.rstrip().endswith("}"):  # {axis0: 20} typed unquoted: the shell cut it
        return (
            f"{reason} (the shell cut the mapping at its spaces: quote it whole, '{value} ...}}')"
        )
    spaced = re.sub(r"(?<=[\w'\"]):(?=[^\s/])", ": ", value)
    if spaced == value:
        return reason
    return f"{reason} (YAML reads a colon with no space after it as part of a word: give {spaced})"


NO_MODEL = "the following arguments are required: fit.model"
"""jsonargparse's words for sources that give no ``model`` section at all."""
NO_CLASS = "lightning.LightningModule"
"""The class jsonargparse tries when no source names the model's ``class_path``: its arguments,
none, made every argument "not accepted" (``Option 'budget' is not accepted``)."""


def no_model_class(reason: str) -> str:
    """The line for a model section that names no class, or for no model section at all: a
    config of ``model: {init_args: {budget: 10}}`` alone was told its ``budget`` "is not
    accepted", and one of only ``trainer:`` that "fit.model" is required."""
    from ffade.model_classes import PLUGIN_CLASSES, model_class_paths

    given = re.match(r"Option '(\w+)", reason)
    what = f"model.init_args.{given.group(1)} has no class to go to" if given else "no model"
    return (
        f"{what}: no config names the model's class; give model: {{class_path: CLASS, "
        f"init_args: {{...}}}} (a later config or --model.init_args.KEY then changes its "
        f"arguments); model classes: {', '.join(model_class_paths())}, {PLUGIN_CLASSES}"
    )


def _yaml_got(reason: str) -> str:
    """``reason`` with the value after its "got " said as YAML writes it: jsonargparse quotes
    it as Python does (``got [{'name': 'rotation'}]``), which no config the user wrote says."""
    head, got, value = reason.rpartition("got ")
    return f"{head}{got}{_yaml_text(value)}" if got else reason


def _yaml_text(text: str) -> str:
    """A value jsonargparse quotes as Python writes it, said as YAML writes it; as it is when it
    is no Python literal."""
    try:
        return as_written(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):  # not a literal
        return text


FIT_KEYS = ("seed_everything", "trainer", "model", "ckpt_path", "weights_only")
"""The top-level keys of an ``ffade fit`` config (LightningCLI's, with no optimizer section and
no ``data``, which :func:`refuse_data` refuses: the list offered ``data`` to a user who then met
that refusal)."""
PARSER_KEYS = (*FIT_KEYS, "data")
"""The top-level keys LightningCLI's parser reads: ``data`` is its own, refused in its own words."""


def _unknown_key_reason(reason: str) -> str | None:
    """A misspelled top-level or ``trainer`` key, with the closest match and what is allowed.

    jsonargparse names the key ("Subcommand 'fit' does not accept option 'trainer.max_epoch'")
    but not what the config may say instead; the README promises both.
    """
    found = re.match(
        r"(?:Option '|Subcommand '\w+' does not accept option '|Group '(trainer)' does not "
        r"accept option '|unrecognized arguments: --)([\w.]+)",
        reason,
    )
    if not found:
        return None
    key = found.group(2) if found.group(1) is None else f"trainer.{found.group(2)}"
    head, _, rest = key.partition(".")
    if head == "trainer" and rest:
        from lightning.pytorch import Trainer  # loaded already: a config is being read for it

        parameters = inspect.signature(Trainer.__init__).parameters
        allowed, word, where = (
            [p for p in parameters if p != "self"],
            rest.split(".")[0],
            "trainer.",
        )
        if word in allowed:  # a key inside a trainer key (logger.init_args.x): not this one's
            return None
    elif head not in PARSER_KEYS:
        allowed, word, where = list(FIT_KEYS), head, ""
    else:
        return None
    close = difflib.get_close_matches(word, allowed, n=1)
    hint = f" (did you mean '{where}{close[0]}'?)" if close else ""
    if where and word in ("class_path", "init_args"):  # the `logger:` line above them deleted
        hint = f" (a class's {word} goes under the key that takes it, such as trainer.logger)"
    kind = "trainer" if where else "top-level"
    from_file = not reason.startswith("unrecognized arguments")  # not a flag typed
    other = OTHER_FILES.get(word, "") if from_file and not where else ""
    return f"unknown key '{where}{word}'{hint}; allowed {kind} keys: {', '.join(allowed)}{other}"


OTHER_FILES = {
    **dict.fromkeys(
        ("discover", "mitigate", "rediscover", "out"),
        " (this is a loop config: run it with ffade loop --config FILE)",
    ),
    **dict.fromkeys(
        ("regions", "default"),
        " (this is a priorities file: apply it with ffade feedback RUN_DIR --from FILE)",
    ),
}
"""Top-level keys of configs/ files that are not ``ffade fit`` configs (configs/loop_*.yaml,
configs/feedback_*.yaml): every one sits beside the fit configs, so give it to the command that
reads it."""


PLUGIN_KEYS = ("target", "dataset", "reward", "concepts")
"""The task keys that name plugins, each as ``{name: ..., args: {...}}``."""


def _plugin_spec_reason(key: str, reason: str) -> str | None:
    """The error for a task plugin not written ``{name: ..., args: {...}}``, said in those words.

    jsonargparse reads a bare string there as a config file to load ("Unable to load config") or,
    in the concepts list, as a class path, and an unknown key under a plugin as an option of the
    task ("does not accept option 'target.arg.floor'").
    """
    given = re.search(r"task\.(\w+)\"", key)
    where = given.group(1) if given else None
    string = re.match(  # the value given, a list or a mapping ("['synthetic']") in full
        r"(?:Unable to load config (['\"])(.+)\1$|Expected a dot import path string: ([^'\"]+))",
        reason,
    )
    name = string and (string.group(2) or string.group(3))
    if where in PLUGIN_KEYS and name and not name.endswith((".yaml", ".yml", ".json")):
        plain = re.fullmatch(r"[\w.:/-]+", name)  # a bare name, not a list like [synthetic]
        shown, given = (name, f"the bare name {name!r}") if plain else ("NAME", _yaml_text(name))
        return (
            f"model.init_args.task.{where}: a plugin is written {{name: {shown}, args: {{...}}}}, "
            f"not {given}"
        )
    inner = re.match(r"Group '[\w.]*task' does not accept option '(\w+)\.(\w+)", reason)
    if inner and inner.group(1) in PLUGIN_KEYS:
        close = difflib.get_close_matches(inner.group(2), ["name", "args"], n=1, cutoff=0.6)
        where = f"model.init_args.task.{inner.group(1)}"
        hint = f" (did you mean '{where}.{close[0]}'?)" if close else ""  # was none at this level
        return f"unknown key '{where}.{inner.group(2)}'{hint}; a plugin takes only name and args"
    return None


def init_parameters(class_path: str) -> list[str]:
    """The arguments a class's constructor takes, its bases' too where it passes ``**kwargs``
    up (as jsonargparse reads them); empty when the class cannot be imported."""
    module_name, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return []
    names: list[str] = []
    for klass in cls.__mro__:  # explorers pass **kwargs up to their base
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            names += [
                p
                for p, v in params.items()
                if p != "self"
                and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
                and p not in names
            ]
            if not any(v.kind is v.VAR_KEYWORD for v in params.values()):
                break
    return names


def unwritable_value(exc: BaseException) -> str | None:
    """The line for a class argument config.yaml cannot hold, else None. jsonargparse writes
    the config with its defaults, and cannot write an Enum default (Lightning's ``Timer``'s
    ``interval=Interval.step``): ``trainer.callbacks: [{class_path: ...Timer}]`` was refused as
    "('cannot represent an object', <Interval.step: 'step'>)", naming neither the class nor
    the fix, which is to give that argument as its plain value."""
    cause: BaseException | None = exc
    while cause is not None and type(cause).__name__ != "RepresenterError":
        cause = cause.__cause__ or cause.__context__
    if cause is None or len(cause.args) < 2:
        return None
    value = cause.args[1]
    message = str(exc)
    at = message.find(f"={value!r}")
    owner = re.findall(r"class_path='([\w.]+)'", message[: max(at, 0)])
    argument = re.findall(r"(\w+)$", message[: max(at, 0)])
    if at < 0 or not owner or not argument:
        return None
    plain = getattr(value, "value", value)
    return (
        f"{owner[-1]}: config.yaml cannot record its {argument[0]} {value!r}; give it as a "
        f"plain value (init_args: {{{argument[0]}: {as_written(plain)}}}), or, from Python, "
        f"pass a {owner[-1].rpartition('.')[2]} object"
    )
