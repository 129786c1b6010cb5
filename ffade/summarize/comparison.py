"""What a report says about the second run of a comparison, beyond its landscape: which kind of
comparison it is, and the fine-tune's held-out numbers, which lead it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.fixed_files import fixed_paths_here
from ffade.records import MITIGATION_FILE
from ffade.said_once import say_notes
from ffade.shell_words import shell_path
from ffade.yamlfile import read_text


def mitigation_file(
    given: str | Path, key: str, kinds: str = "mitigation.json or its run directory"
) -> Path:
    """The mitigation.json a comparison leads with, given as the file or the fine-tune's run
    directory; a missing one is refused in one line naming ``key`` (and ``kinds``, what the
    caller takes) before any picture is drawn."""
    path = Path(given).expanduser()  # "~/fix/version_0", as the other paths read it
    path = path / MITIGATION_FILE if path.is_dir() else path
    if not path.is_file():
        raise FfadeError(f"{key}: {shell_path(path)} not found; give a fine-tune's {kinds}")
    return path


def _gone_weights(fixed: str) -> str:
    """Why a comparison has no held-out numbers when the compared run's weights are gone: a run
    records them by absolute path, so a runs (or loop) folder moved or copied elsewhere no longer
    finds the mitigation.json beside them, which had led the report before the move."""
    return (
        f"--compare: the compared run's weights {fixed} are not there (moved or removed?), so no "
        "fine-tune's held-out numbers lead the comparison; give the fine-tune's mitigation.json "
        "(or its run directory) with --mitigation"
    )


def held_out_numbers(
    compared: dict[str, Any], mitigation: str | Path | None
) -> dict[str, Any] | None:
    """The fine-tune's verdict and held-out numbers, from ``mitigation`` or the mitigation.json
    beside the compared run's (``compared``: its summary) fixed weights (its target's
    ``weights``, or ``lora_weights`` for a LoRA fix); None if there is none.

    Held-out data was never searched nor trained on, so these numbers are the comparison's most
    trustworthy ones and lead the report.
    """
    given, mitigation_given = "--mitigation", mitigation is not None
    if mitigation is None:
        target = (compared.get("task") or {}).get("target") or {}
        args = target.get("args") or {}
        # a fine-tune's run directory holds its weights (model.pt) or its LoRA directory (lora/)
        fixed = args.get("weights") or args.get("lora_weights")
        if fixed and Path(fixed).is_absolute() and not Path(fixed).exists():
            say_notes([_gone_weights(fixed)])  # a moved loop folder: the fix is still beside it
        if not fixed or not (Path(fixed).parent / "mitigation.json").is_file():
            return None
        mitigation = Path(fixed).parent / "mitigation.json"
        given = "the compared run's fine-tune"
    path = Path(mitigation)
    try:
        record = json.loads(read_text(path))
    except FileNotFoundError as error:
        raise FfadeError(f"{given}: {shell_path(path)} not found") from error
    except json.JSONDecodeError as error:
        raise FfadeError(f"{given}: {shell_path(path)} is not valid JSON ({error})") from error
    except FfadeError as error:  # a byte that is not UTF-8 was a UnicodeDecodeError traceback
        raise FfadeError(f"{given}: {error}") from None
    needed = ("status", "clean_accuracy_before", "clean_accuracy_after")
    if not isinstance(record, dict) or not all(key in record for key in needed):
        raise FfadeError(
            f"{given}: {shell_path(path)} is not a fine-tune's mitigation.json (it lacks "
            f"{', '.join(repr(k) for k in needed)}); give the mitigation.json that "
            "`ffade fit` with a fine-tuner wrote"
        )
    keys = [
        k
        for k in record
        if k.endswith(("_before", "_after", "_change")) or k in ("status", "clean_metric")
    ]
    _check_numbers(
        record, [k for k in keys if k != "targeted_change"], f"{given}: {shell_path(path)}"
    )  # a dict: its outcome is said beside the rates
    if mitigation_given:
        _check_it_fixed_the_compared_model(record, path, compared)
    return {
        "file": str(path),
        **{k: record[k] for k in keys},
        "reason": record.get("reason"),
        "untargeted_by_value": record.get("untargeted_by_value"),  # the side-effect table's
    }


def _check_it_fixed_the_compared_model(
    record: dict[str, Any], path: Path, compared: dict[str, Any]
) -> None:
    """Refuse a --mitigation whose fixed weights the compared run's model does not load: its
    held-out numbers would lead a comparison of another model (a fine-tune of another run, or
    an earlier fix of the same one)."""
    saved = record.get("fixed_weights")
    if not isinstance(saved, str):  # a rejected fix saves none; nothing to match
        return
    target = (compared.get("task") or {}).get("target") or {}
    args = target.get("args") or {}
    loaded = {str(Path(v).resolve()) for v in args.values() if isinstance(v, str) and v}
    # a model registered in-process as an instance (ffade.discover(target=model)) is fixed in
    # place: the compared run searched it by the very spec mitigation.json's fixed_target holds
    in_place = record.get("fixed_target") == {"name": target.get("name"), "args": args}
    # the fine-tune's folder copied or moved: its own model.pt, where it lies now, is the fix
    fixed = [Path(saved), *fixed_paths_here(record, path.parent)]
    if not loaded.intersection(str(p.resolve()) for p in fixed) and not in_place:
        files = [f"{k} {v}" for k, v in args.items() if isinstance(v, str) and Path(v).exists()]
        raise FfadeError(
            f"--mitigation: {shell_path(path)} saved the fixed model {saved}, which the compared "
            f"run's target does not load (its files: {', '.join(files) or 'none'}); give the "
            "mitigation.json of the fine-tune whose model the compared run searched, or leave "
            "--mitigation out to use the one beside its weights"
        )


def _check_numbers(record: dict[str, Any], keys: list[str], where: str) -> None:
    """Refuse, in one line naming the key, a hand-edited mitigation.json whose figures are not
    numbers: the report would otherwise stop with a traceback after writing half its files."""
    for key in keys:
        value = record[key]
        if key.endswith(("_before", "_after", "_change")) and not _number_or_none(value):
            raise FfadeError(f"{where} key '{key}' is {value!r}; expected a number (or null)")
    by_value = record.get("untargeted_by_value")
    if by_value is not None and not _by_value_fits(by_value):
        raise FfadeError(
            f"{where} key 'untargeted_by_value' is damaged; expected each concept's label mapped "
            "to a list of {value, pairs, failure_rate_before, failure_rate_after}"
        )


def _by_value_fits(by_value: Any) -> bool:
    """Whether ``untargeted_by_value`` holds, per concept, a list of rows the side-effect table
    can read (:mod:`.report_side_effects`)."""
    if not isinstance(by_value, dict):
        return False
    for rows in by_value.values():
        if not isinstance(rows, list):
            return False
        for row in rows:
            if not (isinstance(row, dict) and "value" in row and _is_count(row.get("pairs"))):
                return False
            if not all(_number_or_none(row.get(f"failure_rate_{w}")) for w in ("before", "after")):
                return False
    return True


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def what_differs(first: dict[str, Any], second: dict[str, Any]) -> str:
    """ "explorers" when both runs searched the same model and task with different explorers
    (a comparison of search methods, not of models), "models" when the targets differ, else
    "runs"."""
    first_task, second_task = first.get("task") or {}, second.get("task") or {}
    if first_task.get("target") != second_task.get("target"):
        return "models"
    if first.get("explorer") != second.get("explorer"):
        return "explorers"
    return "runs"


SEARCHED = ("dataset", "split", "max_inputs", "input_ids")
"""The task keys that fix which inputs a run searched."""


def inputs_differ(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """The task keys (``task.dataset``, ``task.split``, ...) whose values differ between the two
    runs' summaries: a rule shift between runs that searched other inputs mixes the model's change
    with the inputs', and a rediscovery on another split or seed may search inputs the fix was
    trained or judged on. ``ffade loop`` rediscovers on the first run's task, so its differ in
    none; a rediscovery typed by hand can."""
    first_task, second_task = first.get("task") or {}, second.get("task") or {}
    if not first_task or not second_task:  # a summary without a task: nothing to tell
        return []
    return [f"task.{key}" for key in SEARCHED if first_task.get(key) != second_task.get(key)]
