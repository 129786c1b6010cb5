"""Where the plugin's models are read from: a local directory, or a hub id in the cache."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ffade.errors import FfadeError
from ffade.hf_models import check_model_exists, fetch_hint, looks_like_path


def check_local_path(model: str, who: str) -> None:
    """A model written as a path (``~/models/sd14``, ``./sd``, ``/data/sd``) must be a directory.

    Hub ids hold a slash too, so the loaders would try such a path as a hub id and suggest
    ``local_files_only: false``, which cannot help: say the directory is missing instead.
    """
    check_model_exists(model, who)  # not there: named as the absolute path it was read as
    if looks_like_path(model) and not Path(model).expanduser().is_dir():
        raise FfadeError(
            f"{who}: model {model!r} is not a directory; "
            f"{fetch_hint(Path(model).expanduser().resolve())}"
        )


@contextmanager
def quiet_loading() -> Iterator[None]:
    """diffusers' and transformers' loading bars off while a model loads, then as they were.

    The bundled model loads in a blink, and a mistake found just after loading (two concepts on
    one slot) was three bars on stderr and then the one-line error.
    """
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    loggers = [
        lib for lib in (diffusers_logging, transformers_logging) if lib.is_progress_bar_enabled()
    ]
    for lib in loggers:
        lib.disable_progress_bar()
    try:
        yield
    finally:
        for lib in loggers:
            lib.enable_progress_bar()
