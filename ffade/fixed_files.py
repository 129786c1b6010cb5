"""The files of a fine-tune's fixed model, read from the folder its mitigation.json lies in.

mitigation.json's ``fixed_target`` names the fixed weights (``model.pt``, a LoRA's ``lora/``) by
the absolute path they were saved at, so that the spec works as it is from any directory. Once
the fine-tune's folder is copied or moved, that path still names the original folder's files:
``ffade check --target COPY`` loaded the copy's ``model.pt`` only while one lay beside it, and
silently checked the original's model otherwise (one trained again since, or another fix). So
mitigation.json also records ``fixed_files``, those arguments relative to its own folder, and
ffade reads them against the folder it finds mitigation.json in: a fine-tune's folder is whole
wherever it lies. A record from before ``fixed_files`` is read as it always was: the file of
the saved name beside mitigation.json, else the saved path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ffade.errors import FfadeError

FIXED_FILES = "fixed_files"
"""mitigation.json's key: ``fixed_target``'s arguments that name files of the fine-tune's folder,
as paths relative to that folder (``{weights: model.pt}``; ``{}`` for a rejected fix)."""


def fixed_files(fixed_target: dict[str, Any], run_dir: Path) -> dict[str, str]:
    """The arguments of ``fixed_target`` that name a file or folder inside ``run_dir``, each
    as its path relative to ``run_dir`` (a rejected fix's original weights lie elsewhere)."""
    here = run_dir.resolve()
    files = {}
    for key, value in (fixed_target.get("args") or {}).items():
        if isinstance(value, str) and Path(value).is_absolute():
            try:
                files[key] = Path(value).resolve().relative_to(here).as_posix()
            except ValueError:  # not in the fine-tune's folder: kept as it is
                continue
    return files


def fixed_target_here(record: dict[str, Any], folder: Path, option: str) -> dict[str, Any]:
    """``record``'s ``fixed_target`` with its files read from ``folder``, the folder that holds
    this mitigation.json; a file not there is one line naming ``option`` and the file.

    A copy must use its own files, never the original folder's in silence: a copy made without
    its ``model.pt`` is refused, not checked on the model at the saved path.
    """
    fixed = record["fixed_target"]
    files = record.get(FIXED_FILES)
    if not isinstance(files, dict):  # written before fixed_files: the saved absolute path
        return _beside_or_saved(fixed, record.get("fixed_weights"), folder, option)
    args = dict(fixed.get("args") or {})
    for key, relative in files.items():
        if not isinstance(relative, str):  # a hand-edited record: the saved path stands
            continue
        path = folder / relative
        if not path.exists():
            raise FfadeError(
                f"{option} {folder}: the fine-tune's fixed model is not there: no {path} beside "
                f"its mitigation.json ({key} of its fixed_target); copy the fine-tune's folder "
                f"whole, its {relative} with it"
            )
        args[key] = str(path)
    return {**fixed, "args": args}


def fixed_paths_here(record: dict[str, Any], folder: Path) -> list[Path]:
    """Where ``record``'s fixed files lie now, read from ``folder`` as :func:`fixed_target_here`
    reads them (those not there included): what a comparison's model must load."""
    files = record.get(FIXED_FILES)
    if isinstance(files, dict):
        return [folder / relative for relative in files.values() if isinstance(relative, str)]
    saved = record.get("fixed_weights")
    return [folder / Path(saved).name] if isinstance(saved, str) else []


def _beside_or_saved(fixed: dict, saved: Any, here: Path, option: str) -> dict:
    """``fixed`` with its weights read from the fine-tune's directory as it lies now, for a
    mitigation.json written before ``fixed_files``.

    Such a record names the fixed weights by the absolute path they were saved at: the file of
    the same name beside this mitigation.json is the one, even while the old path still holds
    other weights; the saved path is used only when nothing lies beside it. When neither is
    there, the line names the file missing beside the copy, not only the saved path.
    """
    if not isinstance(saved, str) or saved not in (fixed.get("args") or {}).values():
        return fixed  # a rejected fix's fixed_target is the original: it needs no saved weights
    beside = here / Path(saved).name
    if not beside.exists() and not Path(saved).exists():
        raise FfadeError(
            f"{option} {here}: the fine-tune's weights are not there: no {beside} beside its "
            f"mitigation.json, nor {saved}, where it saved them; copy its {beside.name} beside "
            "its mitigation.json"
        )
    if not beside.exists():
        return fixed
    args = {
        k: str(here / Path(saved).name) if v == saved else v
        for k, v in (fixed.get("args") or {}).items()
    }
    return {**fixed, "args": args}
