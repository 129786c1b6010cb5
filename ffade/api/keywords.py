"""The keywords :func:`ffade.discover` and :func:`ffade.mitigate` share: the module's own ones
that land in ``**kwargs``, checked before anything runs, and ``resume``.

A keyword the call does not take went to jsonargparse, which said "model: Option 'budjet' is not
accepted by ffade.explore.DQNExplorer": config words a Python caller never typed, and
``trainr={}`` vanished (a whole run with the default Trainer). ``resume`` continues a run
stopped by Ctrl-C or a crash in the same process, as ``ffade fit --ckpt_path RUN`` does: a
model that lives in the calling process has no config a shell could run.
"""

from __future__ import annotations

import difflib
import numbers
import operator
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ffade.api.run import Run
from ffade.errors import FfadeError, shown


def check_module_args(
    call: Callable[..., Any],
    model: dict[str, Any],
    given: dict[str, Any],
    set_by_call: dict[str, str],
) -> None:
    """Refuse a keyword in ``given`` (``call``'s ``**kwargs``) that the module's class does not
    take, named as typed, with the closest of ``call``'s own keywords and the class's, and all
    of them. ``set_by_call``: the class's arguments ``call`` fills in itself (an explorer's
    ``task``, a fine-tuner's ``run``), which a caller does not give, each with the keyword of
    ``call`` that sets it; ``model``'s ``init_args`` (``explorer={class_path, init_args}``) may
    not hold them either: ``init_args: {budget: 5}`` was replaced by ``budget``'s default, a
    search of 1000 evaluations that nothing said."""
    from ffade.config_errors import init_parameters

    for key, keyword in set_by_call.items():
        if key in model["init_args"]:
            where = "explorer" if call.__name__ == "discover" else "finetuner"
            raise FfadeError(
                f"{where}: init_args {key!r} is set by {call.__name__}'s {keyword!r} keyword, "
                f"which would replace it; give {keyword}= to {call.__name__} instead"
            )
    class_path = model["class_path"]
    fixed = set(set_by_call)
    takes = [p for p in init_parameters(class_path) if p not in fixed]
    unknown = [key for key in given if key not in takes]
    if not takes or not unknown:  # a class it cannot import: the run's own check says so
        return
    import inspect

    params = inspect.signature(call).parameters.values()
    own = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
    close = difflib.get_close_matches(unknown[0], [*own, *takes], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise FfadeError(
        f"{call.__name__}: unknown argument {unknown[0]!r}{hint}; allowed: {', '.join(own)}, and "
        f"{class_path.rpartition('.')[2]}'s {', '.join(takes)}"
    )


def resume_path(resume: Run | str | Path) -> str:
    """The run directory ``resume`` names, as the config's ``ckpt_path``; a mistake is named as
    the keyword typed. A file is taken as the run's checkpoint (``checkpoints/last.ckpt``),
    which ``ffade.Run`` refuses: the resume's own checks say what a wrong file is."""
    if isinstance(resume, (str, os.PathLike)) and Path(resume).expanduser().is_file():
        return os.path.abspath(os.path.expanduser(resume))
    try:
        return str(Run.of(resume, "resume").dir)
    except FfadeError as error:
        message = str(error)
        raise FfadeError(
            message if message.startswith("resume:") else f"resume: {message}"
        ) from None


def as_python(line: str) -> str:
    """A resume's refusal, worded for ``ffade fit --ckpt_path``, as the call's ``resume``."""
    for cli, python in (
        (
            "resume with that run's own config.yaml, or drop --ckpt_path",
            "give the arguments the run was started with, or leave resume out",
        ),
        ("drop --ckpt_path", "leave resume out"),
        ("point --ckpt_path at", "point resume at"),
        ("--ckpt_path ", "resume: "),
        ("the config says", "this call says"),
        ("the config runs", "this call runs"),
    ):
        line = line.replace(cli, python)
    return as_keywords(line)


CONFIG_PREFIX = re.compile(r"(?<![-\w.])model\.init_args\.")
"""``model.init_args.`` before a key, not in a shell option (``--model.init_args.X``)."""


NULL_OPTION = re.compile(r"--model\.init_args\.(\w+) null\b")
"""A command line's ``--model.init_args.KEY null``, which a Python caller types ``KEY=None``."""


def as_keywords(line: str) -> str:
    """A config check's line with its keys as a Python caller types them: ``budget must be at
    least 1, got 0``, not ``model.init_args.budget ...`` (a key ``ffade.discover(budget=0)``
    never typed; the command keeps the config key). A task key stays ``task.KEY``, as the
    task section's own checks name it. A null the command line is told to type
    (``--model.init_args.learning_starts null``) is the keyword's None: ``learning_starts=None``."""
    return CONFIG_PREFIX.sub("", NULL_OPTION.sub(r"\1=None", line))


def integers(**values: Any) -> list[int | None]:
    """Counts and seeds are integers: LightningCLI said "Expected <class 'bool'>" of a str seed
    and quietly read ``budget="100"`` as 100 (explicit over implicit). A NumPy integer, or a
    0-d integer array or tensor (``budget=torch.tensor(20)``, refused while ``np.int64(20)`` was
    taken, though explorer arguments take either), becomes a Python int, which the config takes;
    None goes on to the checks that name the range, but for a seed: seed=None took the seed an
    earlier run of the process set (PL_GLOBAL_SEED)."""
    counts = []
    for key, value in values.items():
        if value is None and key != "seed":
            counts.append(None)
            continue
        count = _integral(value)
        if count is None:
            raise FfadeError(f"{key}: expected an integer, got {shown(value)}")
        counts.append(count)
    return counts


def _integral(value: Any) -> int | None:
    """``value`` as an int if it is one integer (a Python or NumPy integer, a 0-d integer
    array or tensor), else None: a bool (``True`` is no count), a float or a list is not."""
    if isinstance(value, bool) or "bool" in str(getattr(value, "dtype", "")):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if getattr(value, "ndim", None) != 0:  # a 1-element list or tensor is no scalar
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None
