"""Loading a LoRA directory into a diffusers pipeline, as a target's ``lora_weights``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError
from ffade.plugin_api import missing_file
from ffade_diffusion.targets.loading import first_line


def load_lora(pipeline: Any, directory: str, name: str) -> None:
    """Load diffusers LoRA weights into ``pipeline`` (one-line error naming target ``name`` if
    they do not fit), without diffusers' notice that the LoRA holds no text-encoder weights."""
    path = Path(directory).expanduser()
    if not path.is_dir():
        what = f"target '{name}': lora_weights {str(path)!r}"
        raise FfadeError(
            f"{what} is not a directory" if path.exists() else missing_file(what, path)
        )
    quiet = _NoTextEncoderLoRANotice()
    loggers = [logging.getLogger(f"diffusers.loaders.{module}") for module in ("lora_base", "peft")]
    for logger in loggers:  # a logger's filters see only the records logged to it
        logger.addFilter(quiet)
    try:
        pipeline.load_lora_weights(str(path))
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise FfadeError(
            f"target '{name}': cannot load LoRA weights from {str(path)!r}: {first_line(exc)}"
        ) from exc
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


class _NoTextEncoderLoRANotice(logging.Filter):
    """Drops diffusers' warning that a LoRA holds no text-encoder weights: the LoRA fine-tuner
    trains the UNet alone, so every LoRA it writes would print it, saying nothing is wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("No LoRA keys associated to") and "TextModel" in message)
