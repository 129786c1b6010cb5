"""A target's ``weights`` file read into its model, every problem said in one line.

What every built-in trainable target's ``weights`` argument reads (a plugin imports it as
``ffade.plugin_api.load_weights``). The likeliest wrong file is one ffade wrote itself: a run's
``checkpoints/last.ckpt`` beside the fine-tune's ``model.pt``. It holds an explorer's Q-network or
a whole training state, and torch's error listed every key of both models on one line.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch

from ffade.errors import PluginError, shown
from ffade.plugin_data import missing_file
from ffade.written import a_type

KEYS_SHOWN = 3
"""Keys named per kind of mismatch; the rest are counted."""


def load_weights(
    model: torch.nn.Module,
    path: str | Path,
    plugin: str,
    fit_hint: str = "is it a state dict of this model?",
) -> None:
    """Load a state-dict file into ``model``: what a trainable target's ``weights`` argument reads.

    Torch files are read with ``weights_only=True``, so a checkpoint cannot run code; a dict with
    a ``state_dict`` entry (as some trainers save) is unwrapped, but not an ffade run's
    checkpoint, which is no model's weights; ``.safetensors`` files need the safetensors
    package. Every problem is a one-line :class:`PluginError` naming the target.

    Args:
        model: the network the weights belong to; path: the file (``~`` is expanded).
        plugin: the target's name, for messages.
        fit_hint: what to check when the weights do not fit, e.g. the model name and classes.
    """
    if not isinstance(path, (str, os.PathLike)):  # weights=3 was pathlib's TypeError
        raise PluginError(
            f"target '{plugin}': weights: expected a state-dict file path, got {shown(path)}"
        )
    if not str(path).strip():  # Path("") is ".": "weights file '.' is a directory" misled
        raise PluginError(
            f"target '{plugin}': weights is empty; give a state-dict file (weights=model.pt): "
            "was a variable that names it left unset?"
        )
    file = Path(path).expanduser()
    where = f"target '{plugin}': weights file {str(file)!r}"
    if file.is_dir():
        raise PluginError(f"{where} is a directory")
    if not file.is_file():  # as ffade's other missing paths, and where a relative one was read
        raise PluginError(missing_file(where, file))
    state = _read_state_dict(file, plugin)
    if isinstance(state, dict) and isinstance(state.get("ffade"), dict):
        kind = "discovery" if "evaluator" in state["ffade"] else "fine-tune"
        raise PluginError(
            f"{where} is an ffade {kind} checkpoint (what `ffade fit --ckpt_path` resumes), not "
            "this model's weights; give a state-dict file such as the model.pt a fine-tune "
            "saves (its mitigation.json's fixed_weights)"
        )
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise PluginError(
            f"{where} holds {a_type(state)}, not a state dict; save model.state_dict()"
        )
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = _key_mismatch(model, state) or " ".join(
            line.strip() for line in str(exc).strip().splitlines()[:3]
        )
        raise PluginError(f"{where} does not fit the model ({fit_hint}): {detail}") from exc


def _key_mismatch(model: torch.nn.Module, state: dict[str, Any]) -> str | None:
    """ "3 keys missing (a, b, c), 2 unexpected (d, e)": a few names and the counts, or None
    when the keys match (then the shapes differ, which torch says briefly enough)."""
    expected = model.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    parts = []
    for keys, what in ((missing, "missing"), (unexpected, "unexpected")):
        if keys:
            more = ", ..." if len(keys) > KEYS_SHOWN else ""
            noun = "key" if len(keys) == 1 else "keys"
            parts.append(f"{len(keys)} {noun} {what} ({', '.join(keys[:KEYS_SHOWN])}{more})")
    return "; ".join(parts) or None


def _read_state_dict(file: Path, plugin: str) -> Any:
    if file.suffix == ".safetensors":
        if importlib.util.find_spec("safetensors") is None:
            raise PluginError(
                f"target '{plugin}': reading {file.name} needs the safetensors package; "
                "pip install safetensors"
            )
        from safetensors.torch import load_file

        return load_file(str(file), device="cpu")
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle and zip errors have no common base
        # torch's own first line ran to several sentences, and for any file that is no torch
        # file (a summary.json, a model.pt cut short) advised weights_only=False: running code
        objects = "Unsupported global" in str(exc)
        why = (
            "it holds Python objects a weights-only load refuses (a whole pickled model?)"
            if objects
            else "it is no torch.save file, or is cut short or damaged"
        )
        raise PluginError(
            f"target '{plugin}': cannot read weights file {str(file)!r} as a weights-only torch "
            f"file ({type(exc).__name__}): {why}; give a state dict saved with "
            "torch.save(model.state_dict(), PATH)"
        ) from exc
