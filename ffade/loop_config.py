"""The loop config (``ffade loop --config LOOP.yaml``), read and checked before anything runs.

:mod:`ffade.loop` lists its keys. Every file it names must exist and every number must be in
range before the first stage spends minutes, so a mistake is one line naming the key and the file.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ffade.cwd_hint import not_found_where
from ffade.errors import EMPTY_PATH, FfadeError, as_written, user_path
from ffade.shell_words import option_path, shell_path
from ffade.written import a_type
from ffade.yamlfile import read_yaml

LOOP_SETS = {
    "task": "the rediscovery searches the first run's task (its summary.json) on the fixed model",
    "warm_start": "the loop warm-starts the rediscovery from the first run",
}
"""The explorer arguments the loop gives the rediscovery itself, and why."""


@dataclass
class LoopConfig:
    """The loop config's keys; see the module docstring."""

    discover: Path
    feedback: Path
    mitigate: Path
    rediscover: dict[str, Any] = field(default_factory=dict)
    out: Path = Path("runs/loop")
    threshold: float = 0.5
    min_evaluations: int = 1
    slices: str = "rules"

    def plain(self) -> dict[str, Any]:
        """The keys as loop.json records them: paths as absolute strings, as its runs' paths are,
        so the files read and the out folder are named from any directory (``out: ../loops``
        named nothing once loop.json was read from elsewhere)."""
        return {k: str(v.resolve()) if isinstance(v, Path) else v for k, v in vars(self).items()}


_STAGE_FILES = {
    "discover": "the discovery run's config, such as configs/quickstart.yaml",
    "feedback": "the feedback file ffade feedback --from reads, such as "
    "configs/feedback_digits.yaml",
    "mitigate": "the fine-tuner's config, such as configs/mitigate_digits.yaml",
}
"""What each stage's key of a loop config names, said when it is left out or left empty."""


def next_loop_dir(out: Path) -> Path:
    """``out/version_N``, absolute (what loop.json records works from anywhere), with the first
    N not taken, made by one mkdir: two loops started at once never share one."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    while True:
        with contextlib.suppress(FileExistsError):
            (out / f"version_{n}").mkdir()
            return (out / f"version_{n}").resolve()
        n += 1


def check_not_a_loop(out: Path, option: str) -> None:
    """``--out L/version_0``, a loop's own folder (the path its closing line gives), nested the
    new loop in it as ``L/version_0/version_0``, unsaid, and ``--out L/version_0/discover``, a
    stage's run inside it, ran the loop there: both refused, naming ``L``, where loops go, as a
    path the user can type from where they are (``..``, not ``.``, from inside ``L/version_0``)."""
    where = Path(os.path.abspath(out))  # lexical: `L/version_0/discover/..` is L/version_0
    for folder in (where, *where.parents):
        if _holds_loop_json(folder):
            give = _typed(folder.parent, out)
            what = (
                "a loop's own folder (it holds loop.json)"
                if folder == where
                else f"inside a loop's own folder, {_typed(folder, out)} (it holds loop.json)"
            )
            raise FfadeError(
                f"{option} {out}: {what}, not where loops go; "
                f"give {give}, where each loop gets a version_N of its own"
            )


def _holds_loop_json(folder: Path) -> bool:
    """Whether ``folder`` holds a loop.json; a folder that cannot be read holds none we know."""
    try:
        return (folder / "loop.json").is_file()
    except OSError:
        return False


def _typed(folder: Path, out: Path) -> str:
    """``folder`` as the user named ``out``: absolute if they gave it so, else from here."""
    return str(folder) if out.is_absolute() else os.path.relpath(folder)


EMPTY_OUT = (
    "an empty path; give the folder where loops go, such as runs/loop (was a variable that "
    "names it left unset?)"
)
"""An empty ``--out`` or ``out:``: loops go into a folder, so "give a file or folder" misled."""


def loop_folder(text: str) -> str:
    """``ffade loop --out``: :func:`~ffade.errors.user_path`, an empty one said as a folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(EMPTY_OUT)
    return user_path(text)


def read_loop_config(path: str | Path) -> LoopConfig:
    """Load and check a loop config before anything runs: every file named must exist."""
    if not str(path).strip():  # Path("") is the working directory: "'.' is a directory"
        raise FfadeError(f"--config: {EMPTY_PATH}")
    path = Path(path).expanduser()  # a quoted "~/loop.yaml", as `ffade fit --config` reads it
    if path.is_dir():  # in ffade fit's words for the same mistake
        raise FfadeError(
            f"{option_path('--config', path)}: a directory; give a loop config file (a .yaml) in it"
        )
    try:
        data = read_yaml(path, f"{option_path('--config', path)}: file not found", unique_keys=True)
    except FfadeError as exc:  # bad YAML names the file: "--config X: not valid YAML ..."
        said, named = str(exc), f"{path}: "  # the path quoted as one word, as typed
        if said.startswith(named):
            said = f"{option_path('--config', path)}: {said.removeprefix(named)}"
        raise FfadeError(said if said.startswith("--config ") else f"--config {said}") from None
    allowed = list(LoopConfig.__dataclass_fields__)
    if data is None:  # was "X: expected a mapping with keys ...", where fit said "empty"
        raise FfadeError(
            f"{option_path('--config', path)}: the file is empty; a loop config maps keys such as "
            f"discover:, feedback: and mitigate: to values (allowed: {', '.join(allowed)})"
        )
    if not isinstance(data, dict):
        raise FfadeError(
            f"{option_path('--config', path)}: a loop config maps keys ({', '.join(allowed)}) to "
            f"values, not {a_type(data)}"
        )
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FfadeError(f"{path}: unknown key {unknown[0]!r}{hint}; allowed: {', '.join(allowed)}")
    for key in ("discover", "feedback", "mitigate", "out"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):  # `out: 5` was a TypeError
            what = "a folder" if key == "out" else "a file"
            raise FfadeError(f"{path}: {key} {as_written(value)} must be a path naming {what}")
        if value is not None and not value.strip():  # `out: ""` ran into runs/loop unsaid
            raise FfadeError(f"{path}: {key}: {EMPTY_OUT if key == 'out' else EMPTY_PATH}")
    for key in ("discover", "feedback", "mitigate"):
        if not data.get(key):  # `feedback:` with no value was told the key "is missing"
            state = "has no value" if key in data else "is missing"
            raise FfadeError(f"{path}: key {key!r} {state}; it names {_STAGE_FILES[key]}")
        data[key] = Path(data[key]).expanduser()  # "~/configs/x.yaml": home, as Lightning reads
        where = not_found_where(data[key], Path(path))  # and the folder it is found from
        read_yaml(
            data[key],
            f"{path}: {key} file {shell_path(data[key])} not found{where}",
            unique_keys=True,
        )
    rediscover = data.get("rediscover")
    rediscover = {} if rediscover is None else rediscover  # 0 or '' was taken as {} unsaid
    if not isinstance(rediscover, dict):
        raise FfadeError(
            f"{path}: 'rediscover' must map explorer arguments to values, such as "
            f"{{start_e: 0.5}}, got {as_written(rediscover)}"
        )
    for key in sorted(set(rediscover) & set(LOOP_SETS)):  # the loop would overwrite it unsaid
        raise FfadeError(f"{path}: rediscover may not set {key!r}: {LOOP_SETS[key]}")
    return LoopConfig(
        discover=Path(data["discover"]),
        feedback=Path(data["feedback"]),
        mitigate=Path(data["mitigate"]),
        rediscover=rediscover,
        out=Path(data.get("out") or "runs/loop").expanduser(),  # the stages' loggers expand it
        # null is the default, as for out and rediscover (`threshold:` with nothing after it
        # was refused as "threshold null", while `rediscover:` was {})
        threshold=_threshold(_or(data.get("threshold"), 0.5), path),
        min_evaluations=_min_evaluations(_or(data.get("min_evaluations"), 1), path),
        slices=_slices(_or(data.get("slices"), "rules"), path),
    )


def _or(value: Any, default: Any) -> Any:
    """A key's value, its default where it is left out or null (0 and "" are values to check)."""
    return default if value is None else value


def _quoted_number(value: Any, whole: bool) -> Any:
    """``value``, or the number a quoted one spells (``"0.5"``, ``"50"``): an ``ffade fit``
    config takes a quoted number for a number (jsonargparse reads it so), and a loop config
    refused the same ``threshold: "0.5"``. Anything else comes back as given, to be refused."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if whole:
        return int(text) if text.isascii() and text.isdigit() else value
    try:
        return float(text)
    except ValueError:
        return value


def _threshold(value: Any, path: Path) -> float:
    """A failure rate in (0, 1], as ``ffade report --threshold`` takes."""
    value = _quoted_number(value, whole=False)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise FfadeError(f"{path}: threshold {as_written(value)} must be a failure rate in (0, 1]")
    return float(value)


def _slices(value: Any, path: Path) -> str:
    """What the feedback ranks and the comparison follows, as ``ffade feedback --slices``."""
    if value not in ("rules", "regions"):
        raise FfadeError(f"{path}: slices {as_written(value)} must be rules or regions")
    return value


def _min_evaluations(value: Any, path: Path) -> int:
    value = _quoted_number(value, whole=True)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FfadeError(
            f"{path}: min_evaluations {as_written(value)} must be a whole number from 1"
        )
    return value


def model_class(config: Path) -> type | None:
    """The LightningModule class a fit config names (``None`` if it names none we can import)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    model = data.get("model") if isinstance(data, dict) else None
    class_path = (model.get("class_path") if isinstance(model, dict) else None) or ""
    module, _, name = str(class_path).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module or "ffade.explore"), name)
    except (ImportError, AttributeError, ValueError):
        return None
    return cls if isinstance(cls, type) else None


def takes_warm_start(config: Path) -> bool:
    """Whether the explorer a discovery config names accepts ``warm_start``."""
    cls = model_class(config)
    return cls is not None and "warm_start" in inspect.signature(cls.__init__).parameters


def check_stage_kinds(config: LoopConfig) -> None:
    """A fine-tuner config given as ``discover`` (or the reverse) would run the wrong stage for
    minutes before anything noticed: name the mix-up before the first stage, and a file that is
    no ``ffade fit`` config at all (a priorities file given as ``mitigate``) as such."""
    from ffade.explore.base import Explorer  # both import Lightning: not for ``--help``
    from ffade.mitigate.base import FineTuner

    for key, path, wanted, noun in (
        ("discover", config.discover, FineTuner, "an explorer (e.g. ffade.explore.DQNExplorer)"),
        ("mitigate", config.mitigate, Explorer, "a fine-tuner (e.g. ClassifierFineTuner)"),
    ):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data and not {"model", "trainer"} & set(data):  # keys of
            # another file (a priorities file as mitigate): the fine-tune's check blamed
            # model.init_args.run, which the loop sets; `{}` is left to ffade fit's own check
            raise FfadeError(
                f"{key}: {path} is no ffade fit config (it has neither model: nor trainer:); "
                f"the {key} stage needs a config for {noun}"
            )
        cls = model_class(path)
        if cls is not None and issubclass(cls, wanted):
            raise FfadeError(
                f"{key}: {path} is a config for {cls.__name__}; the {key} stage needs a config "
                f"for {noun}"
            )


def check_no_resume(config: LoopConfig) -> None:
    """A stage config's ``ckpt_path`` would resume another run inside the loop's fresh stage (a
    loop never resumes: ``ffade loop`` again starts a new version), found only at that stage."""
    for key, path in (("discover", config.discover), ("mitigate", config.mitigate)):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("ckpt_path") is not None:
            raise FfadeError(
                f"{key}: {path} sets ckpt_path ({data['ckpt_path']}); a loop's stages start "
                "fresh and a loop does not resume: remove ckpt_path (resume a single run with "
                "ffade fit --ckpt_path)"
            )


def check_feedback(config: LoopConfig, task: Any, fixing: dict[str, Any] | None = None) -> None:
    """The priorities file, as far as it can be read without the run (``task``: the discovery
    config's, whose grid its ``contains`` name): which rules it names is known only later.

    A file that gives every slice ``skip`` leaves the fine-tune nothing to fix on any run, and
    so does one whose priorities the fine-tuner's ``priority_weights`` (in ``fixing``, its
    resolved init_args) all weigh 0; the fine-tune said so only after the discovery's minutes.
    """
    from ffade.feedback.priorities_file import check_priorities
    from ffade.mitigate.plan import check_weighted, weights_per_priority
    from ffade.task import check_configured_plugins, configured_concepts  # torch: not --help

    feedback = str(config.feedback)
    noun = "rule" if config.slices == "rules" else "region"
    try:  # what a priorities file's `contains` may name; the other plugins, named right
        concepts = configured_concepts(task, "model.init_args.task")
        check_configured_plugins(task, "model.init_args.task")
    except FfadeError as exc:
        raise FfadeError(f"{config.discover}: {exc}") from exc
    data = read_yaml(config.feedback, f"{feedback} not found", unique_keys=True)
    default, entries = check_priorities(data, feedback, noun, concepts)
    other, prefix = ("region", "R-") if config.slices == "rules" else ("rule", "S-")
    for i, _, kind, value in entries:  # no run holds it: said after discovery's minutes
        if kind == "id" and str(value).startswith(prefix):
            raise FfadeError(
                f"{feedback}: regions[{i}]: id {value!r} is a {other}'s id, not a {noun}'s; "
                f"the loop has slices: {config.slices}: set slices: {other}s, or name a {noun}"
            )
    if default == "skip" and all(entry[1] == "skip" for entry in entries):
        raise FfadeError(
            f"{feedback}: every {noun} would be skipped (no entry is high, medium or low, and "
            f"default is skip), so the fine-tune would have nothing to fix; give a {noun} a "
            "priority (e.g. {rank: 1, priority: high}) or set default: low"
        )
    weights = (fixing or {}).get("priority_weights")  # checked by the fine-tuner's constructor
    if weights is None or isinstance(weights, dict):
        used = [default, *(entry[1] for entry in entries)]
        try:
            check_weighted(used, weights_per_priority(weights), feedback, noun)
        except FfadeError as exc:
            raise FfadeError(f"{config.mitigate}: {exc}") from exc


def check_discovery_split(config: LoopConfig, task: Any) -> None:
    """The discovery config must search split ``discovery``: the fine-tune trains on
    ``finetune`` and judges on ``heldout``, so it refuses a run that searched either, and did so
    only after the discovery's minutes."""
    split = task.get("split", "discovery") if isinstance(task, dict) else "discovery"
    if split != "discovery":
        raise FfadeError(
            f"{config.discover}: task.split is {split!r}; the loop's fine-tune trains on "
            "'finetune' and judges the fix on 'heldout', so discovery must search 'discovery': "
            "remove task.split"
        )


WARM_START_SHAPE = ("hidden_dim", "embedding_dim")
"""The explorer arguments a warm start needs unchanged: they size the Q-network it loads."""


def check_warm_start_shape(config: LoopConfig) -> None:
    """``rediscover: {hidden_dim: 64}`` cannot load the first run's Q-network (128 wide), said
    only at the rediscovery, after the discovery and the fine-tune: name it before the first."""
    cls = model_class(config.discover)
    if cls is None or not takes_warm_start(config.discover):
        return
    data = yaml.safe_load(config.discover.read_text(encoding="utf-8")) or {}
    init_args = ((data.get("model") or {}).get("init_args") or {}) if isinstance(data, dict) else {}
    parameters = inspect.signature(cls.__init__).parameters
    for key in WARM_START_SHAPE:
        if key not in config.rediscover or key not in parameters:
            continue
        first = init_args.get(key, parameters[key].default) if isinstance(init_args, dict) else None
        if config.rediscover[key] != first:
            raise FfadeError(
                f"rediscover: {key} {as_written(config.rediscover[key])} differs from the "
                f"discovery's {as_written(first)} ({config.discover}); the loop warm-starts the "
                f"rediscovery from the first run's Q-network, which needs the same {key}: remove "
                "it from rediscover"
            )
