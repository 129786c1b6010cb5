"""Reading the YAML files users write (configs, feedback, priorities) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ffade.errors import FfadeError

FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the same data, several times faster on the large
files ffade writes (a suite, a feedback.yaml)."""
FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's safe dumper where PyYAML has it: the same text as ``yaml.SafeDumper``."""


class _UniqueKeys:
    """A safe loader's mixin that refuses a key given twice in one mapping.

    PyYAML keeps the last value without a word, so a threshold written on a new line above the
    old one (``max_failure_rate: 0.2`` above ``max_failure_rate: 0.38``) was silently not used.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        # where each key was first written: a key met again at the same place is the same
        # node (a mapping is constructed again), one on the same line a flow mapping's repeat
        places: dict[Any, tuple[int, int]] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<: *base" may be overridden
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            place = (key_node.start_mark.line + 1, key_node.start_mark.column)
            try:
                first = places.setdefault(key, place)
            except TypeError:  # an unhashable key: the constructor says so
                continue
            if first != place:
                raise RepeatedKeyError(key, place[0], first[0])
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class RepeatedKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping, said with the lines of both."""

    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(
            None,
            None,
            f"line {line}: key {key!r} is given twice in one mapping (first on line {first}); "
            "YAML would keep only the last: delete one",
        )
        self.key = key


class _FastUniqueLoader(_UniqueKeys, FAST_LOADER):  # type: ignore[misc, valid-type]
    pass


class _UniqueLoader(_UniqueKeys, yaml.SafeLoader):
    pass


def load_yaml(text: str, unique_keys: bool = False) -> Any:
    """``yaml.safe_load(text)``, with libyaml when it reads the text; its refusals are
    re-read by PyYAML's own loader, so a mistake is worded as it always was. ``unique_keys``:
    a key given twice in one mapping is a ``yaml.YAMLError`` (:class:`_UniqueKeys`)."""
    fast, slow = (_FastUniqueLoader, _UniqueLoader) if unique_keys else (FAST_LOADER, None)
    try:
        return yaml.load(text, Loader=fast)  # a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text) if slow is None else yaml.load(text, Loader=slow)


def refuse_repeated_keys(args: list[str]) -> None:
    """Refuse a command-line value written in YAML that gives a key twice in one mapping
    (``--model.init_args.start_state '{swap_char: 4, swap_char: 3}'``, ``--target-arg
    'args={a: 1, a: 2}'``), as a config file's is: YAML keeps the last without a word.

    Every value that opens a flow mapping or list (``{``, ``[``, after ``KEY=`` too) is read;
    one that is no YAML is left to the option's own check, which says what is wrong with it.
    """
    option = "a command-line value"
    for arg in args:
        name, sep, value = arg.partition("=")
        if arg.startswith("-") and not sep:
            option = arg
            continue
        where, shown = (name, value) if arg.startswith("-") else (option, arg)
        for text in (arg, value) if sep else (arg,):
            if text.lstrip()[:1] not in ("{", "["):
                continue
            try:
                yaml.load(text, Loader=_UniqueLoader)  # a safe loader
            except RepeatedKeyError as exc:
                raise FfadeError(
                    f"{where}: key {exc.key!r} is given twice in {shown!r}; YAML would keep "
                    "only the last: give each key once"
                ) from None
            except yaml.YAMLError:
                pass


def read_text(path: Path) -> str:
    """The file as UTF-8 text; any other encoding is one line naming the file, line and byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FfadeError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def read_yaml(path: Path, not_found: str, unique_keys: bool = False, mend: str = "") -> Any:
    """The file's data. A missing file raises ``not_found``; bad YAML names the file and why
    (with ``unique_keys``, a key given twice in one mapping too), then ``mend`` (``"; mend it,
    ..."``), where the caller knows a way out the line alone would not say."""
    what = not_found.split(" not found")[0]  # e.g. "--suite: suite file 'x'"
    if path.is_dir():  # "not found" would send the user looking for a file that is there
        raise FfadeError(f"{what} is a directory; give a YAML file")
    if path.exists() and not path.is_file():  # /dev/null, a named pipe: there, yet "not found"
        raise FfadeError(f"{what} is no regular file (a device or a pipe); give a YAML file")
    if not path.is_file():
        raise FfadeError(not_found)
    try:
        return load_yaml(read_text(path), unique_keys)
    except yaml.YAMLError as exc:
        raise FfadeError(f"{path}: not valid YAML ({yaml_problem(exc)}){mend}") from exc


def yaml_problem(exc: yaml.YAMLError) -> str:
    """What PyYAML found wrong, and on which line (``line 2: expected ',' or ']', but got
    ':'``): its first line alone ("while parsing a flow node") names neither."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "'\\t'" in problem:  # YAML indents with spaces only; an editor's tab is not seen
        problem += "; YAML indents with spaces, not tabs"
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def check_option_files(args: list[str]) -> None:
    """Refuse a YAML file given as an option's value (``--trainer trainer.yaml``,
    ``--model.init_args.task task.yaml``: jsonargparse reads it) that gives a key twice in one
    mapping, in the words a ``--config`` file gets: YAML kept the last without a word, while a
    config file and an inline value were refused. ``--config`` has its own check."""
    for i, arg in enumerate(args):
        name, sep, value = arg.partition("=")
        if not arg.startswith("--") or name == "--config":
            continue
        if not sep:
            if i + 1 == len(args) or args[i + 1].startswith("-"):
                continue
            value = args[i + 1]
        path = Path(value)
        if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            yaml.load(read_text(path), Loader=_UniqueLoader)  # a safe loader
        except RepeatedKeyError as exc:
            raise FfadeError(f"{name} {path}: not valid YAML ({yaml_problem(exc)})") from None
        except FfadeError as exc:  # not UTF-8
            raise FfadeError(f"{name} {exc}") from None
        except yaml.YAMLError:  # jsonargparse says what else is wrong, as it did
            pass
