"""A misspelled key of a config's ``model`` section (``init_arg:``, ``clas_path:``), in one line.

jsonargparse takes ``init_arg`` for an argument of the model class and names the whole dotted
path it gave up on ("Option 'init_arg.task.dataset.args.num_inputs' is not accepted"), and reads a
section without ``class_path`` as "Not a valid subclass of LightningModule", with nothing about
what the section may hold; the class's arguments written beside ``class_path`` instead of under
``init_args`` read as "Option 'task.target.name' is not accepted". No Lightning here: only the
words of jsonargparse's message.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import fields

MODEL_KEYS = ("class_path", "init_args")
"""The keys of a config's ``model`` section: LightningCLI's way to name a class and its
arguments."""


def model_key_reason(reason: str, message: str, parameters: list[str]) -> str | None:
    """ "unknown key 'model.init_arg' (did you mean 'model.init_args'?); ..." or None.

    Args:
        reason: the first real reason jsonargparse gave for rejecting the ``model`` section.
        message: its whole message (its "Given value:" line holds the section as given).
        parameters: the model class's arguments; a dotted key that starts with one of them
            (``task.mod``) is a key inside that argument, not a key of the section.
    """
    found = re.match(r"(?:Option '|unrecognized arguments: --)(\w+)\.", reason)
    words = [found.group(1)] if found else []
    if reason.startswith("Not a valid subclass of"):
        words = _given_keys(message)
    words = [w for w in words if w not in MODEL_KEYS and w not in parameters]
    for word in words:
        close = difflib.get_close_matches(word, MODEL_KEYS, n=1, cutoff=0.6)
        if close:
            return (
                f"unknown key 'model.{word}' (did you mean 'model.{close[0]}'?); the model "
                f"section takes {' and '.join(MODEL_KEYS)}"
            )
    given = _given_keys(message)
    beside = [key for key in given if key not in MODEL_KEYS]
    if "class_path" in given and beside:  # the class's arguments written beside its class_path
        return (
            f"model.{beside[0]} goes under model.init_args: the model section takes "
            f"{' and '.join(MODEL_KEYS)} (model: {{class_path: ..., init_args: {{{beside[0]}: "
            "...}})"
        )
    return None


def _given_keys(message: str) -> list[str]:
    """The keys of the section as jsonargparse quotes it ("Given value: {'clas_path': ...}")."""
    given = re.search(r"^\s*Given value: (\{.*\})\s*$", message, re.MULTILINE)
    if not given:
        return []
    try:
        value = ast.literal_eval(given.group(1))
    except (ValueError, SyntaxError):  # holds a Namespace(...) once parsed: its top-level keys
        return _top_level_keys(given.group(1))
    return [str(key) for key in value] if isinstance(value, dict) else []


def _top_level_keys(text: str) -> list[str]:
    """The quoted keys at the outermost level of a dict's repr."""
    depth, keys = 0, []
    for token in re.finditer(r"[{\[(]|[}\])]|'(\w+)':", text):
        if token.group(1) is None:
            depth += 1 if token.group(0) in "{[(" else -1
        elif depth == 1:
            keys.append(token.group(1))
    return keys


def task_key_hint(reason: str) -> str:
    """jsonargparse's words for a key the task does not have, with the closest key and the task's
    keys: the task is a dataclass, whose keys jsonargparse does not list. ``reason`` is returned
    as it is when it is about something else."""
    in_task = re.match(  # in a config file, or --model.init_args.task.KEY on the command line
        r"(?:Group '[\w.]*task' does not accept option '|unrecognized arguments: "
        r"--(?:model\.init_args\.)?task\.)(\w+)(?:\.(\w+))?",
        reason,
    )
    if not in_task:
        return reason
    from ffade.task import TaskSpec
    from ffade.task_values import key_hint

    allowed, word = [f.name for f in fields(TaskSpec)], in_task.group(1)
    entry = re.match(r"\[\d*\][\w.\[\]]*", reason[in_task.end(1) :])
    if word in allowed and entry:  # --model.init_args.task.concepts[0].args.values, as errors
        # name such keys: jsonargparse sets no list entry alone, and the hint named the key itself
        return _one_list_entry(word, f"{word}{entry.group(0)}")
    # named in full, as a misspelt trainer key is: "model: Group 'task' does not accept option
    # 'modes'" named neither the key a user types nor the keys the task takes
    where = "model.init_args.task"
    hint = key_hint(word, allowed, f"{where}.")  # 'max' for 'max_inputs'; as ffade.discover's
    if word in ("target", "dataset", "reward"):  # task.target.nope: no key of the task
        word = f"{word}.{in_task.group(2) or 'KEY'}"
        argument = word.replace(".", ".args.", 1)
        hint = f" (a plugin takes name and args: a plugin's argument is {where}.{argument})"
    return f"unknown key '{where}.{word}'{hint}; allowed task keys: {', '.join(allowed)}"


def list_entry_hint(message: str) -> str | None:
    """The line for one entry of a task list given in the dot form on the command line
    (``--model.init_args.task.concepts.0.args.values=[x]``), as the ``[0]`` form gets it; None
    for any other error. jsonargparse said "model.init_args.task.concepts: unrecognized
    arguments: --0.args.values=['x']", or "unknown key '0' in a concept" for ``concepts.0``:
    its value arrives as the NestedArg the message ends with."""
    given = re.search(
        r"Given value: NestedArg\(key='(?:init_args\.)?task\.(\w+)\.(\d+[\w.]*)'", message
    )
    if not given:
        return None
    from ffade.task import TaskSpec

    word = given.group(1)
    if word not in [f.name for f in fields(TaskSpec)]:
        return None
    return _one_list_entry(word, f"{word}.{given.group(2)}")


def _one_list_entry(word: str, typed: str) -> str:
    """jsonargparse sets no entry of a list alone: the line says so and how to give the list.
    ``typed``: the option's key after ``task.``, as the user gave it."""
    return (
        f"model.init_args.task.{typed}: one entry of a list cannot be set on the command line; "
        f"give the whole list (--model.init_args.task.{word}='[...]') or put it in a second "
        "--config"
    )
