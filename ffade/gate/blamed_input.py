"""Which of ``ffade check``'s inputs a refusal to build its task is about: the suite file,
``--target``, or one ``--target-arg``, named at the start of the line as the user gave it.

The plugins refuse in their own words (``target 'digits_cnn' has no argument 'sed'``), knowing
nothing of where their arguments came from; check knows, and puts that first. Starting every such
line with the suite's path sent a user who typed ``--target-arg sed=1`` to look for a mistake in
a file they never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ffade.errors import FfadeError
from ffade.plugin_checks import OutputKindError


@contextmanager
def blamed_input(
    suite_path: str | Path, target_given: str | None = None, typed: dict[str, str] | None = None
) -> Iterator[None]:
    """Lead an error building the suite's task with the input it is about.

    An error about the target that names an argument a ``--target-arg`` set (``typed``: key ->
    the item as typed, ``sed=1``) starts with that option: the typed value replaced whatever the
    suite or ``--target`` gave for that key, so the value refused is the user's. Any other about
    the target that ``--target`` gave (named ``target_given``) starts with ``--target``, as the
    suite holds none of it (``suite.yaml: unknown target 'digits_cn'`` sent a user to look for it
    in the suite), a mismatch with the suite's reward or concepts too (``reward
    'misclassification' needs a classifier's class scores, but target 'synthetic' ...``). The
    rest (an unknown plugin, an argument the suite's target does not take, a path not there)
    starts with the suite file's path, as the suite's own key errors do.
    """
    try:
        yield
    except FfadeError as error:
        text = str(error)
        about_target = text.startswith(("target ", "unknown target ")) or (
            target_given is not None and f"target '{target_given}'" in text
        )
        item = _typed_item(text, typed or {}) if about_target else None
        where: str | Path = Path(suite_path)
        if item is not None:
            where = f"--target-arg {item!r}"  # quoted as the option's other refusals quote it
        elif target_given is not None and about_target:
            where = "--target"
        if isinstance(error, OutputKindError) and where == "--target":  # the reward is the suite's
            error.args = (
                f"--target: {error.mismatch}; the suite's reward is fixed: give --target a model "
                f"that returns {error.needs}, or check this one with a suite exported from a run "
                "of it",
            )
            raise
        error.args = (f"{where}: {error}",)  # same class: a PluginError keeps its hints
        raise


def _typed_item(text: str, typed: dict[str, str]) -> str | None:
    """The first ``--target-arg`` whose key the refusal names as a word (``has no argument
    'sed'``, ``weights file 'x.pt'``, ``device 'cuda'``, ``cpu_threads must be ...``), before
    any ``; allowed: ...`` list of every argument, which names them all and blames none (a suite's
    own ``sed: 1`` was blamed on ``--target-arg device=cpu``, listed there)."""
    said = text.partition("; allowed:")[0]
    for key, item in typed.items():
        if re.search(rf"(?<![\w.-]){re.escape(key)}(?![\w-])", said):
            return item
    return None
