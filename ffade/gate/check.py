"""``ffade check --suite suite.yaml``: re-evaluate a suite's pairs and pass or fail each case.

Exit status 0 when every case passes, 1 when any fails, 2 on bad input or a target that cannot
be built or run here (no GPU for ``device=cuda``, weights that do not fit), said in one line.
``--target`` swaps the model under test: a fine-tuner's ``mitigation.json`` (or its run
directory) for its ``fixed_target``, or a target spec such as ``{name: digits_cnn, args:
{weights: ckpt.pt}}``; ``--target-arg KEY=VALUE`` then sets single arguments (a CI job's
``--target-arg weights=$CHECKPOINT``). Prints a table and, with ``--junit``, writes JUnit XML.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ffade.devices import usable_device
from ffade.disjoint import check_exported
from ffade.environment import package_versions
from ffade.errors import FfadeError
from ffade.fixed_files import fixed_target_here
from ffade.gate.blamed_input import blamed_input
from ffade.gate.check_table import table
from ffade.gate.evaluate import CaseResult, evaluate_cases, split_tasks, target_setup_errors
from ffade.gate.junit import write_junit
from ffade.gate.suite import read_suite
from ffade.gate.suite_values import check_plugin_spec
from ffade.records import MITIGATION_FILE, SUMMARY_FILE
from ffade.said_once import say_notes
from ffade.shell_words import option_path, shell_path
from ffade.stderr_lines import to_devnull
from ffade.writable import removed_if_refused, writable_file, written
from ffade.written import as_written
from ffade.yamlfile import read_text, yaml_problem


def resolve_target(target: str | None, target_args: list[str], suite_target: Any) -> Any:
    """The target spec to check: the suite's, or ``--target``'s, with ``--target-arg`` applied."""
    spec = dict(suite_target) if target is None else _target_from(target)
    check_plugin_spec(spec, "--target" if target is not None else "the suite's task.target")
    if target is not None:
        _say_defaults_not_suites(target, spec, suite_target)
    args = dict(spec.get("args") or {})
    given: dict[str, str] = {}
    for item in target_args:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise FfadeError(f"--target-arg {item!r}: write KEY=VALUE, e.g. weights=model.pt")
        if key in given:  # the last would win silently, and the JUnit suite name both
            raise FfadeError(
                f"--target-arg {key} is given twice ({given[key]!r}, then {item!r}); give "
                "each argument once"
            )
        given[key] = item
        try:
            args[key] = yaml.safe_load(text) if text else ""
        except yaml.YAMLError as error:  # was a traceback, exit 1: CI's "a case failed"
            raise FfadeError(
                f"--target-arg {item!r}: the value is read as YAML and is not valid YAML "
                f"({yaml_problem(error)}); quote it for a plain string: {key}=\"'{text}'\""
            ) from None
        if isinstance(args[key], float) and not math.isfinite(args[key]):
            raise FfadeError(f"--target-arg {item!r}: give a finite number, not {args[key]}")
    return {**spec, "args": args}


def _say_defaults_not_suites(typed: str, spec: dict[str, Any], suite_target: Any) -> None:
    """A note when ``--target`` names the suite's own target plugin with no ``args``.

    A spec on the command line is a model the user chooses, built as ``ffade fit`` builds
    ``{name: digits_cnn}``: from its defaults. A suite's task must say its ``args`` (it records
    what the cases were measured with), but ``--target`` records nothing, so it may leave them
    out. Where the suite's target is that same plugin with arguments of its own (its weights, a
    seed), the model checked is not the suite's with something changed, and ``--target-arg``
    is the way to ask for that: said once, so the difference is never silent.
    """
    if "args" in spec or not isinstance(suite_target, dict) or Path(typed).exists():
        return  # a fine-tune's record (its fixed_target) is no spec the user typed
    suite_args = suite_target.get("args") or {}
    if spec["name"] != suite_target.get("name") or not suite_args:
        return
    print(
        f"ffade: note: --target {shlex.quote(typed)} gives no args, so target "
        f"'{spec['name']}' is built from its defaults, not with the suite's task.target args "
        f"{as_written(suite_args)}; to check the suite's target with an argument changed, "
        "leave --target out and give --target-arg KEY=VALUE",
        file=sys.stderr,
    )


def _is_discovery_run(path: Path) -> bool:
    """Whether ``path`` holds a discovery run's summary.json (a fine-tune's names its tuner)."""
    try:
        summary = json.loads(read_text(path / SUMMARY_FILE))
    except (OSError, ValueError, FfadeError):  # no summary.json, or not one ffade wrote
        return False
    return isinstance(summary, dict) and "finetuner" not in summary and "task" in summary


def _target_from(text: str) -> dict[str, Any]:
    if not text.strip():  # Path("") is the working directory: "--target : no mitigation.json"
        raise FfadeError(
            "--target is empty; give a mitigation.json, a fine-tuner's run directory, or a "
            "target spec (was a variable that names it left unset?), or leave --target out to "
            "check the suite's own target"
        )
    path, given = Path(text), option_path("--target", text)  # quoted as it is typed
    if path.is_dir():
        if (path.parent / MITIGATION_FILE).is_file():  # a fine-tune's lora/ or checkpoints/
            raise FfadeError(
                f"{given}: the fine-tune's verdict is one folder up; give its run "
                f"directory: --target {shell_path(path.parent)}"
            )
        if (path / "mitigate" / MITIGATION_FILE).is_file():  # an `ffade loop` directory
            raise FfadeError(
                f"{given}: a loop's directory; its fine-tune is the one to check: "
                f"--target {shell_path(path / 'mitigate')}"
            )
        if not (path / MITIGATION_FILE).is_file():  # a discovery run, or a fine-tune not done
            if _is_discovery_run(path):
                raise FfadeError(
                    f"{given}: a discovery run, not a fine-tune: --target wants the model "
                    "to check instead of the suite's, so give a fine-tune's run directory or its "
                    f"{MITIGATION_FILE} (a loop's mitigate/), or a target spec such as "
                    "'{name: digits_cnn, args: {weights: model.pt}}'; leave --target out to "
                    "check the suite's own target"
                )
            raise FfadeError(
                f"{given}: no {MITIGATION_FILE} there, so it is no finished fine-tune's "
                f"run directory; give a fine-tune's run directory, a mitigation.json, or a "
                "target spec such as '{name: digits_cnn, args: {weights: model.pt}}'"
            )
        path = path / MITIGATION_FILE
    if path.suffix == ".json" or path.name == MITIGATION_FILE:
        if not path.is_file():
            raise FfadeError(f"--target: {shell_path(path)} not found")
        try:
            record = json.loads(read_text(path))
        except json.JSONDecodeError as error:
            raise FfadeError(f"--target: {shell_path(path)} is not valid JSON ({error})") from error
        except FfadeError as error:  # a byte that is not UTF-8 was a UnicodeDecodeError traceback
            raise FfadeError(f"--target: {error}") from None
        fixed = record.get("fixed_target") if isinstance(record, dict) else None
        if not isinstance(fixed, dict) or "name" not in fixed:
            raise FfadeError(
                f"--target: {shell_path(path)} has no fixed_target {{name, args}}: it is no "
                "fine-tune's mitigation.json (a rejected fix's names the original target)"
            )
        if record.get("accepted") is False:  # its fixed_target is the original: say so
            print(
                f"ffade: note: {given}: that fix was rejected "
                f"({record.get('reason', 'see its mitigation.json')}), so this checks the "
                "original model",
                file=sys.stderr,
            )
        return fixed_target_here(record, path.parent, "--target")
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError:
        spec = None
    if path.is_file() and path.suffix in (".pt", ".pth", ".ckpt", ".safetensors"):
        raise FfadeError(  # weights, not a model: the suite's target loads them
            f"{given}: a weights file is no target; check the suite's target with "
            f"these weights: --target-arg {shlex.quote(f'weights={text}')}"
        )
    if isinstance(spec, str) and not path.exists() and _PLUGIN_NAME.fullmatch(text):
        raise FfadeError(  # "give a target spec such as '{name: digits_cnn, ...}'" for digits_cnn
            f"{given}: no file or directory of that name, and a plugin name alone is no "
            f"target spec: write --target {shlex.quote(f'{{name: {text}}}')} (args: {{...}} for "
            "its arguments), or give a mitigation.json or a fine-tuner's run directory"
        )
    if not isinstance(spec, dict) and not path.exists() and ("/" in text or path.suffix):
        raise FfadeError(  # a fine-tune's folder deleted or mistyped: not "give a run directory"
            f"{given}: no such file or directory; give a mitigation.json, a fine-tuner's "
            "run directory, or a target spec such as '{name: digits_cnn, args: {weights: "
            "model.pt}}'"
        )
    if not isinstance(spec, dict) or "name" not in spec:
        raise FfadeError(
            f"{given}: give a mitigation.json, a fine-tuner's run directory, or a "
            "target spec such as '{name: digits_cnn, args: {weights: model.pt}}'"
        )
    return spec


_PLUGIN_NAME = re.compile(r"[A-Za-z_][\w-]*|[A-Za-z_][\w.]*:[A-Za-z_]\w*")
"""A target's name as ``--target`` may be typed for a spec: ``digits_cnn``, ``module:Class``."""


def say_changed_packages(suite_path: str | Path, exported: dict[str, str] | None) -> None:
    """One note when a package that measured the suite has another version here.

    A new concept or dataset plugin can render the same state differently, and another torch
    rounds differently: the rates then move with no change to the model, and a case can flip.
    The suite keeps its pairs and thresholds; the note says why a verdict may have moved.
    """
    now = package_versions()
    changed = [
        f"{name} {version} -> {now.get(name, 'not installed')}"
        for name, version in (exported or {}).items()
        if now.get(name, "not installed") != version
    ]
    if changed:
        print(
            f"ffade: note: {shell_path(suite_path)} was measured with other package versions than "
            f"these ({', '.join(changed)}): a changed plugin renders or scores pairs anew, so "
            "a rate can move with no change to the model",
            file=sys.stderr,
        )


def _check_junit_name(path: Path) -> None:
    """JUnit is XML: ``--junit out.json`` wrote XML under a JSON name, as export refuses for
    ``--to suite.json``; a CI step that globs ``*.xml`` would also miss it."""
    if path.suffix.lower() != ".xml":
        where = option_path("--junit", path)  # quoted as it is typed
        raise FfadeError(f"{where}: the JUnit report is XML; name it .xml (--junit check.xml)")


def _check_junit_overwrite(path: Path) -> None:
    """Replace only XML (an earlier report), never a file a slip named (``--junit suite.yaml``)."""
    if not path.is_file():
        return
    with path.open("rb") as file:
        head = file.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    where = option_path("--junit", path)  # quoted as it is typed
    if head and not head.startswith(b"<"):
        raise FfadeError(
            f"{where}: a file that is no XML is there; check overwrites only an earlier "
            "JUnit report: give another file name"
        )
    if head and _root_tag(path) not in ("testsuites", "testsuite"):  # a pom.xml, say
        raise FfadeError(
            f"{where}: an XML file that is no JUnit report is there (its root is not "
            "<testsuites> or <testsuite>); check overwrites only an earlier JUnit report: give "
            "another file name"
        )


def _root_tag(path: Path) -> str | None:
    """The XML root element's name, read no further than its start; None if it is not XML."""
    try:
        for _, element in ET.iterparse(path, events=("start",)):
            return element.tag
    except (ET.ParseError, OSError):
        return None
    return None


def run_check(
    suite_path: str | Path,
    target: str | None = None,
    target_args: list[str] | None = None,
    junit: str | Path | None = None,
    batch_size: int = 256,
    show: Callable[[list[CaseResult]], None] | None = None,
) -> list[CaseResult]:
    """Evaluate the suite on the target it names (or the one given); write JUnit XML if asked.

    ``show`` gets the results before the JUnit file is written: a write that fails after the
    evaluations (``/proc`` passes the checks made before them) then loses no result.
    """
    started = time.monotonic()
    with removed_if_refused("." if junit is None else Path(junit).parent):
        if junit is not None:  # before the evaluations, which a failed write would throw away
            writable_file(junit, "--junit")
            _check_junit_overwrite(Path(junit))
            _check_junit_name(Path(junit))
        suite = read_suite(suite_path)
        say_changed_packages(suite_path, suite.source.get("packages"))
        target_spec = resolve_target(target, target_args or [], suite.task["target"])
        with target_setup_errors():
            given = target_spec.get("name") if target is not None else None
            typed = {item.partition("=")[0]: item for item in target_args or []}
            with blamed_input(suite_path, given, typed):
                _check_device(target_spec)
                tasks = split_tasks(dict(suite.task, target=target_spec), read_heldout=False)
                dataset = suite.task["dataset"]["name"]
                check_exported(
                    tasks["discovery"].inputs, suite.source.get("inputs_digest"), dataset
                )
            say_notes(tasks["discovery"].notes)  # the task's, as fit says them
            results = evaluate_cases(suite.cases, tasks, batch_size)
    if show is not None:
        show(results)
    if junit is not None:
        name, tested = junit_names(suite.name or Path(suite_path).stem, target, target_args or [])
        with written(junit, "--junit"):  # the table is printed: the file's failure, said
            write_junit(results, junit, tested, time.monotonic() - started, classname=name)
    return results


def _check_device(target_spec: dict[str, Any]) -> None:
    """The target's ``device``, refused before the target is built with the fix a check's user
    types: the target's own check said "set device: cpu", a config key ``ffade check`` has none
    of, whether the device came from the suite or from ``--target-arg device=cuda``."""
    if "device" in target_spec["args"]:
        owner = f"target '{target_spec.get('name')}'"
        usable_device(target_spec["args"]["device"], owner, fix="give --target-arg device=cpu")


def junit_names(suite_name: str, target: str | None, target_args: list[str]) -> tuple[str, str]:
    """The JUnit classname, ``ffade.NAME``, and the testsuite's name: that, and the model under
    test when ``--target`` or ``--target-arg`` named it (``ffade.suite [weights=a.pt]``), so the
    jobs of a CI matrix over checkpoints each show a suite of their own."""
    classname = f"ffade.{suite_name}"
    swapped = ([f"--target {target}"] if target is not None else []) + target_args
    return classname, f"{classname} [{', '.join(swapped)}]" if swapped else classname


def main(args: argparse.Namespace) -> int:
    """The ``ffade check`` command, on what :func:`ffade.gate.options.check_parser` read: 0 all
    cases pass, 1 any fails (2 comes from bad input)."""
    results = run_check(
        args.suite,
        args.target,
        args.target_arg,
        args.junit,
        args.batch_size,
        show=lambda results: _show(results, args.junit),
    )
    return 0 if all(r.passed for r in results) else 1


def _show(results: list[CaseResult], junit: str | None = None) -> None:
    """Print the table; a reader gone (``ffade check ... | head -0``) loses it, not the verdict.

    Its BrokenPipeError reached ``ffade``'s answer to ``ffade plugins | head -1``, exit 0: a
    suite whose cases failed passed the gate, and its JUnit file was never written.
    """
    try:
        print(table(results, junit), flush=True)
    except BrokenPipeError:
        to_devnull(sys.stdout)
