"""Loading a diffusers pipeline for a target: the weights, the scheduler, the image size.

Each setting a config gives is checked here, where a mistake is one line naming it, rather than
left to diffusers, which ignores an unknown scheduler argument with a warning and refuses an
image size only at the first generation, with a traceback, mid-search.
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import math
from pathlib import Path
from typing import Any

import torch

from ffade.errors import FfadeError, as_written, loading_detail
from ffade.written import a_type
from ffade_diffusion.paths import check_local_path, quiet_loading

COMMON = ("DPMSolverMultistepScheduler", "EulerDiscreteScheduler", "DDIMScheduler", "PNDMScheduler")
"""Schedulers to suggest when a name is nothing like any diffusers exports."""

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}

LATENT_MULTIPLE = 8
"""Stable Diffusion pipelines refuse a height or width not divisible by 8."""


def load_pipeline(model: str, dtype: torch.dtype, local_files_only: bool, plugin: str) -> Any:
    """``DiffusionPipeline.from_pretrained`` with one-line errors; no safety checker."""
    from diffusers import DiffusionPipeline

    check_local_path(model, f"target '{plugin}'")
    local = Path(model).expanduser()
    if local.is_dir() and not (local / "model_index.json").is_file():
        # diffusers said "expected a local directory, or a hub id" of a directory: a CLIP or
        # UNet folder given as the pipeline is a local directory, just not a pipeline's
        raise FfadeError(
            f"target '{plugin}': model {model!r}: {local.resolve()} has no model_index.json, so "
            "it is not a diffusers pipeline folder (one written by save_pretrained or downloaded "
            "whole with hf download has it)"
        )
    try:
        with quiet_loading():
            pipeline = DiffusionPipeline.from_pretrained(
                str(local) if local.is_dir() else model,
                dtype=dtype,
                local_files_only=local_files_only or local.is_dir(),
                safety_checker=None,
                requires_safety_checker=False,
            )
    except (OSError, ValueError) as exc:  # worded "model ...:" for the config's key to name it
        where = "a local directory, or a hub id already in the Hugging Face cache"
        raise FfadeError(
            f"target '{plugin}': model {model!r}: cannot load the pipeline (expected {where}; "
            f"set local_files_only: false to download){loading_detail(exc)}"
        ) from exc
    if not all(hasattr(pipeline, c) for c in ("unet", "text_encoder", "tokenizer")):
        raise FfadeError(
            f"target '{plugin}': model {model!r} loads {a_type(pipeline)}, not a text-to-image "
            "pipeline with a unet, text_encoder and tokenizer"
        )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def set_scheduler(pipeline: Any, name: str, args: dict[str, Any], plugin: str) -> None:
    """Replace the pipeline's scheduler by diffusers' ``name``, from its config plus ``args``."""
    import diffusers

    cls = getattr(diffusers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, diffusers.SchedulerMixin)):
        known = sorted(n for n in dir(diffusers) if n.endswith("Scheduler"))
        # a shortened name ("DPMSolver") is a prefix of the one meant, which close matches miss
        prefixed = [n for n in COMMON + tuple(known) if n.lower().startswith(name.lower())]
        close = list(dict.fromkeys(prefixed[:2] + difflib.get_close_matches(name, known, n=3)))
        close = close[:3]
        hint = f"did you mean {' or '.join(close)}?" if close else f"e.g. {', '.join(COMMON)}"
        raise FfadeError(
            f"target '{plugin}': scheduler {name!r} is not a diffusers scheduler; {hint} "
            "(a class name exported by diffusers)"
        )
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(set(map(str, args)) - set(accepted))  # a YAML key 1 is no name either
    open_ended = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    if unknown and not open_ended:
        names = [n for n in accepted if n != "self"]
        close = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f"did you mean {close[0]}?" if close else f"its arguments: {', '.join(names)}"
        raise FfadeError(
            f"target '{plugin}': scheduler_args.{unknown[0]} is not an argument of {name}; {hint}"
        )
    pipeline.scheduler = cls.from_config(pipeline.scheduler.config, **args)


def check_size(pipeline: Any, height: Any, width: Any, plugin: str) -> None:
    """Height and width, when given, must be whole pixels that the pipeline can sample."""
    step = math.lcm(LATENT_MULTIPLE, int(pipeline.vae_scale_factor))
    for key, value in (("height", height), ("width", width)):
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is not None and not (whole and value > 0 and value % step == 0):
            raise FfadeError(
                f"target '{plugin}': {key} must be a positive multiple of {step} pixels (or null "
                f"for the pipeline's own), got {as_written(value)}"
            )


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def fingerprint(**settings: Any) -> str:
    """A short stable digest of the settings that decide a target's images."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def file_identity(path: Path) -> list[Any]:
    """A weights file by where it is, its size and modification time: hashing a UNet's
    gigabytes at every start would cost more than the question it saves."""
    path = path.expanduser().resolve()
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def lora_digest(directory: Path) -> str:
    """A LoRA directory by its files' contents (megabytes): the same LoRA moved, copied or
    saved again is the same model, a retrained one in the same place is not."""
    digest = hashlib.sha256()
    for path in sorted(directory.expanduser().rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + file_content(path))
    return digest.hexdigest()[:16]


ADAPTER_METADATA = "lora_adapter_metadata"
"""The key of diffusers' LoRA config (a JSON text) in a safetensors file's ``__metadata__``."""
BOOKKEEPING = ("peft_version", "base_model_name_or_path", "revision", "auto_mapping")
"""LoRA config fields that record where and with what it was made, not what it computes."""


def adapter_settings(text: str) -> dict[str, Any]:
    """A LoRA config (diffusers' ``{"unet.r": 4, ...}`` JSON) less what does not change what the
    adapters compute: peft's version and the other :data:`BOOKKEEPING` fields, and null fields
    (an option off; a newer peft adds its new options as null). Else a fine-tune resumed after
    a peft upgrade keyed the same weights apart, and ``human`` asked for their ratings again."""
    settings = json.loads(text)
    if not isinstance(settings, dict):
        return settings
    return {
        key: value
        for key, value in settings.items()
        if value is not None and key.rpartition(".")[2] not in BOOKKEEPING
    }


def file_content(path: Path) -> bytes:
    """A file's bytes; a safetensors file's with its header's keys in order: safetensors writes
    the metadata (a LoRA's config) in hash order, so the same tensors and config saved twice
    differed in bytes. The LoRA config counts as :func:`adapter_settings` reads it."""
    data = path.read_bytes()
    if path.suffix != ".safetensors" or len(data) < 8:
        return data
    end = 8 + int.from_bytes(data[:8], "little")
    try:
        header = json.loads(data[8:end])
        metadata = header.get("__metadata__") or {}
        if isinstance(metadata.get(ADAPTER_METADATA), str):
            metadata[ADAPTER_METADATA] = adapter_settings(metadata[ADAPTER_METADATA])
    except (ValueError, AttributeError):  # not safetensors after all (nor a dict header)
        return data
    return json.dumps(header, sort_keys=True).encode() + data[end:]


def check_weights_kind(weights: str | None, lora_weights: str | None, plugin: str) -> None:
    """Refuse a LoRA given as ``weights`` (a UNet state dict) and a LoRA file given as
    ``lora_weights`` (its directory), naming the right argument: the errors of the loaders
    ("is a directory", a list of 208 missing keys) said neither."""
    if weights is not None:
        path = Path(str(weights)).expanduser()
        lora = path if path.is_dir() else path.parent
        named = path.is_dir() or path.stem == "pytorch_lora_weights"
        if named and any(lora.glob("pytorch_lora_weights.*")):
            raise FfadeError(
                f"target '{plugin}': weights {str(path)!r} is a LoRA (what the LoRA "
                f"fine-tuner writes); give its directory as lora_weights: {str(lora)!r}"
            )
    if lora_weights is not None:
        path = Path(str(lora_weights)).expanduser()
        if path.is_file():
            raise FfadeError(
                f"target '{plugin}': lora_weights {str(path)!r} is a file; give the directory "
                f"that holds it: {str(path.parent)!r}"
            )
