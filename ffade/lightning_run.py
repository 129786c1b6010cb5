"""``ffade fit`` as a library call: LightningCLI, ffade's defaults.

The ``ffade`` command and ``ffade loop`` both run Lightning through :func:`run_lightning`, so
neither imports the other, and the commands that train nothing never import Lightning at all. A
user's mistake in a config (an unknown plugin, a value off the grid, a misspelled key) comes back
as one :class:`ConfigError` line naming the key or value and what is allowed. ``--ckpt_path`` is
checked against the config before the Trainer runs (:mod:`ffade.resume`), and a refused run
removes the run directory it created, so refusals never shift the next run's ``version_N``.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import inspect
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from jsonargparse import ArgumentError, Namespace
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import MisconfigurationException
from typing_extensions import override

from ffade.errors import ConfigError, FfadeError
from ffade.in_process import with_in_process_header
from ffade.model_section import model_key_reason, task_key_hint
from ffade.plugin_overrides import forget_replaced_plugin_args
from ffade.progress import BudgetProgressBar, quiet_lightning
from ffade.records import EVALUATIONS_FILE, SUMMARY_FILE, write_text_atomic
from ffade.resume import plan_resume
from ffade.rng import config_seed, seed_reason
from ffade.run_base import saved_config
from ffade.trainer import check_trainer_config, trainer_defaults, trainer_notes, use_root_dir
from ffade.value_reasons import choices_reason, expected_types
from ffade.yamlfile import check_config_files, check_option_files, unparsed_empty_keys


class AtomicSaveConfig(SaveConfigCallback):
    """Lightning's config.yaml, written like every other ffade file: to NAME.tmp, then renamed,
    so a run killed at its start never leaves half a config for ``--ckpt_path`` to resume from.
    Every rank asks for ``trainer.log_dir`` (Lightning broadcasts it); rank 0 writes.

    It records the run, to rerun it (:func:`~ffade.run_base.saved_config`)."""

    @override
    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if self.already_saved:
            return
        log_dir = trainer.log_dir
        if self.save_to_log_dir and log_dir is not None and trainer.is_global_zero:
            path = Path(log_dir) / self.config_filename
            path.parent.mkdir(parents=True, exist_ok=True)
            text = self.parser.dump(saved_config(self.config, pl_module), skip_none=False)
            write_text_atomic(path, with_in_process_header(text))
        self.already_saved = True


class ExactArgumentParser(LightningArgumentParser):
    """Takes only whole option names, in the parsers jsonargparse makes for a class's arguments
    too (it makes them of its parent's type): there, ``--model.init_args.task.mod`` was silently
    read as ``task.mode``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _parse_common(self, cfg: Namespace, *args: Any, **kwargs: Any) -> Namespace:
        """Once every source is merged, before ``--print_config`` and validation: a plugin named
        anew drops the old one's arguments (:mod:`ffade.plugin_overrides`); :func:`use_root_dir`."""
        forget_replaced_plugin_args(cfg, getattr(self, "args", None))
        use_root_dir(cfg.get("trainer"), getattr(self, "args", None), say=False)  # for print_config
        return super()._parse_common(cfg, *args, **kwargs)


class FfadeCLI(LightningCLI):
    """LightningCLI whose model is any LightningModule ffade or a plugin provides."""

    def instantiate_classes(self) -> None:
        """jsonargparse wraps a constructor's error in its own; unwrap ours, condense the rest,
        but a constructor's bug (a NameError, say) keeps its traceback: it is no user's mistake
        to be said in one line with exit 2."""
        try:
            super().instantiate_classes()
        except (ValueError, TypeError) as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, (FfadeError, *_BUGS)):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:  # ours, said in one line; or a bug, with its own traceback
                raise cause from None
            raise FfadeError(config_error_line(str(exc))) from exc

    def parse_arguments(self, parser: Any, args: Any) -> None:
        """Parse, then refuse keys jsonargparse drops without a word (``argz: {}``)."""
        super().parse_arguments(parser, args)
        parsed = self.config.get(self.config.get("subcommand") or "", Namespace())
        use_root_dir(parsed.get("trainer"), args)  # may print a note
        for config_file in parsed.get("config") or []:
            unknown = unparsed_empty_keys(config_file, parsed)
            if unknown:
                raise ConfigError(
                    f"{config_file}: unknown key '{unknown}' (an empty mapping); remove it or "
                    "spell it as ffade fit --help lists it"
                )

    def _set_seed(self) -> None:
        """Lightning's, after :func:`ffade.rng.config_seed` checks the seed and draws ``true``'s."""
        subcommand = self.config.get("subcommand")
        config = self.config.get(subcommand) if subcommand else self.config
        config["seed_everything"] = config_seed(config.get("seed_everything"))
        super()._set_seed()

    def _parse_ckpt_path(self) -> None:
        """Lightning replaces the config's model arguments with the checkpoint's, unsaid, and
        reads the file before ffade can check it: :func:`ffade.resume.plan_resume` does both
        in ``_run_subcommand`` instead, and refuses a checkpoint that differs from the config."""

    def _instantiate_trainer(self, config: dict[str, Any], callbacks: list[Callback]) -> Trainer:
        """``--trainer.enable_progress_bar false`` drops ffade's bar instead of clashing with it;
        settings no run can work with are refused first (:func:`check_trainer_config`)."""
        check_trainer_config(config, self.model)
        if config.get("enable_progress_bar") is False:
            defaults = self.trainer_defaults["callbacks"]
            self.trainer_defaults["callbacks"] = [
                c for c in defaults if not isinstance(c, BudgetProgressBar)
            ]
        try:
            trainer = super()._instantiate_trainer(config, callbacks)
        except (MisconfigurationException, ModuleNotFoundError, TypeError) as exc:  # cuda on a
            # machine without one; tpu without torch_xla; devices "x" on cpu (a TypeError)
            raise FfadeError(f"trainer: {str(exc).strip().splitlines()[0]}") from exc
        if trainer.global_rank == 0:
            for note in trainer_notes(config, self.model):
                print(f"ffade: note: {note}", file=sys.stderr)
        return trainer

    def _run_subcommand(self, subcommand: str) -> None:
        """Check ``--ckpt_path`` first; leave no run directory behind a refused run."""
        settings = self.config_init[subcommand]
        if subcommand == "fit":
            resume = plan_resume(settings.get("ckpt_path"), self.model)
            if resume.finished:
                print(f"ffade: {resume.finished}")
                return
            settings["ckpt_path"] = resume.ckpt_path
            resume.allow_the_rest(self.trainer)
            if resume.replay_dir is not None:
                self.model.replay_from(resume.replay_dir)
        if "weights_only" in settings and settings["weights_only"] is None:
            settings["weights_only"] = True  # a checkpoint never runs code (torch < 2.6: False)
        run_dir = Path(self.trainer.log_dir or self.trainer.default_root_dir)
        if subcommand == "fit":
            _check_run_dir(run_dir, settings.get("ckpt_path"), self.model)
        # runs/NAME/version_N: the folders this run is about to make; under data parallelism
        # they are rank 0's, so another rank removing them would pull them from under rank 0
        rank_0 = self.trainer.global_rank == 0
        fresh = [d for d in (run_dir, *run_dir.parents[:2]) if rank_0 and not d.exists()]
        try:
            super()._run_subcommand(subcommand)
        except FfadeError:
            if run_dir in fresh and not _has_evaluations(run_dir):
                shutil.rmtree(run_dir, ignore_errors=True)
                for parent in fresh[1:]:  # unless something else is in them
                    with contextlib.suppress(OSError):
                        parent.rmdir()
            raise


def _check_run_dir(run_dir: Path, ckpt_path: str | None, model: Any) -> None:
    """Refuse a run directory that cannot be made, or that holds another run already.

    A logger given a ``version`` (or a ``save_dir`` that is a file) names its directory itself:
    a new run there would append to the old run's log and replace its summary and config. A
    resume with such a config (a loop stage's, say) continues its run in that very directory.
    """
    for path in (run_dir, *run_dir.parents):
        if path.exists() and not path.is_dir():
            raise FfadeError(
                f"run directory {run_dir}: {path} is a file, not a directory; "
                "choose another trainer.logger save_dir"
            )
    replayed = getattr(model, "_replay_dir", None)
    source = Path(ckpt_path).parent.parent if ckpt_path else replayed
    if source is not None and Path(source).resolve() == run_dir.resolve():
        return
    if (run_dir / SUMMARY_FILE).is_file() or _has_evaluations(run_dir):
        raise FfadeError(
            f"run directory {run_dir} already holds a run; leave trainer.logger's version unset "
            "(each run gets a new version_N) or give it a new one; ffade never writes over a run"
        )


def _has_evaluations(run_dir: Path) -> bool:
    log = run_dir / EVALUATIONS_FILE
    return log.is_file() and log.stat().st_size > 0


def run_lightning(args: list[str] | dict[str, Any]) -> LightningModule:
    """Run ``ffade ARGS`` for a Lightning subcommand (``fit --config c.yaml``, ...) in this process;
    returns the model it ran (its ``run_dir`` says where the run is).

    ``args`` may also be a config as a dict under its subcommand (``{"fit": {...}}``), as the
    Python API (:mod:`ffade.api`) passes it.

    Raises:
        ConfigError: jsonargparse rejected the arguments or the config they name.
        FfadeError: a constructor rejected a value (an unknown plugin, a value off the grid).
    """
    if isinstance(args, list):  # a dict from the Python API names no config file
        from ffade.fit_help import model_class_paths  # the explorers: torch, only when needed

        check_config_files(args, model_class_paths())
        check_option_files(args)
    quiet_lightning()
    # explorers and fine-tuners known by their short class names (class_path: DQNExplorer)
    import ffade.explore
    import ffade.mitigate.classifier  # noqa: F401  (the package itself is also the API's call)

    try:
        cli = FfadeCLI(
            LightningModule,
            subclass_mode_model=True,
            seed_everything_default=0,
            trainer_defaults=trainer_defaults(),
            save_config_callback=AtomicSaveConfig,
            save_config_kwargs={"overwrite": True},
            parser_kwargs={"exit_on_error": False, "prog": "ffade"},
            parser_class=ExactArgumentParser,
            auto_configure_optimizers=False,
            args=args,
        )
    except ArgumentError as exc:
        raise ConfigError(config_error_line(str(exc))) from exc
    return cli.model


_BUGS = (NameError, AttributeError, LookupError, AssertionError, ArithmeticError)
"""What a constructor raises by mistake in its code, not over a value it was given."""

_NOISE = (
    "Given value",
    "Subtypes:",
    "Does not validate",
    "Errors:",
    "Expected a <class 'NoneType'>",
    "Subclass types expect",
    "a class path",
    "a dict with",
    "a dict without",
)


def config_error_line(message: str) -> str:
    """jsonargparse explains a bad config over many nested lines; say it in one.

    Keeps the deepest key and the first real reason, and for an option a class does not take,
    lists the options it does take (with the closest match first).
    """
    lines = [ln.strip(" -") for ln in str(message).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(_NOISE)]
    keys = [ln.rstrip(":") for ln in lines if ln.startswith("Parser key")]
    classes = re.findall(r"Problem with given class_path '([\w.]+)'", message)
    reasons = [
        ln for ln in lines if not ln.startswith(("Parser key", "Problem with given class_path"))
    ]
    reason = reasons[0] if reasons else (lines[0] if lines else "invalid arguments")
    if reason.startswith("Expected a <class"):  # "Expected a <class 'bool'>": say what was given
        reason = expected_types(message)
    if re.fullmatch(r"expected float, got -?(nan|inf)", reason):  # nan is a float, to a reader
        reason = f"expected a finite number, got {reason.rsplit(' ', 1)[1]}"
    if len(keys) > 1 and keys[0] == 'Parser key "model"' and "model." not in keys[-1]:
        keys[-1] = keys[-1].replace('"', '"model.init_args.', 1)  # the key as a user types it
    reason = choices_reason(reason, message) or reason  # "Expected a typing.Literal[...]"
    if keys[-1:] == ['Parser key "seed_everything"']:  # was "expected bool or int, got 1.5"
        return seed_reason(reason.rpartition("got ")[2])
    in_model = keys[:1] == ['Parser key "model"']
    parameters = init_parameters(classes[-1]) if in_model and classes else []
    required = re.fullmatch(r"the following arguments are required: ([\w., ]+)", reason)
    if in_model and required:  # was "model: the following ...": a key left out, or given null
        keys = [f"model.init_args.{k}" for k in required.group(1).split(", ")]
        if len(keys) == 1:
            return f"{keys[0]} has no default: give it a value (null is no value)"
        names = f"{', '.join(keys[:-1])} and {keys[-1]}"
        return f"{names} have no default: give each a value (null is no value)"
    section = model_key_reason(reason, message, parameters) if in_model else None
    if section:
        return section
    unknown = re.match(r"Option '([\w.]+)' is not accepted", reason)
    if unknown and classes:
        allowed = init_parameters(classes[-1])
        if allowed:
            # model.class_pth reads as an init argument: its own two keys are candidates too
            candidates = [*allowed, "class_path", "init_args"]
            close = difflib.get_close_matches(unknown.group(1), candidates, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            reason = f"{reason} by {classes[-1]}{hint}; allowed: {', '.join(allowed)}"
    plugin = _plugin_spec_reason(keys[-1] if keys else "", reason)
    if plugin:
        return plugin
    misspelled = None if classes or keys else _unknown_key_reason(reason)
    if misspelled:
        return misspelled
    reason = task_key_hint(reason)
    return f"{keys[-1]}: {reason}" if keys and reason not in keys[-1] else reason


FIT_KEYS = ("seed_everything", "trainer", "model", "data", "ckpt_path", "weights_only")
"""The top-level keys of an ``ffade fit`` config (LightningCLI's, with no optimizer section)."""


def _unknown_key_reason(reason: str) -> str | None:
    """A misspelled top-level or ``trainer`` key, with the closest match and what is allowed.

    jsonargparse names the key ("Subcommand 'fit' does not accept option 'trainer.max_epoch'")
    but not what the config may say instead; the README promises both.
    """
    found = re.match(
        r"(?:Option '|Subcommand '\w+' does not accept option '|Group '(trainer)' does not "
        r"accept option '|unrecognized arguments: --)([\w.]+)",
        reason,
    )
    if not found:
        return None
    key = found.group(2) if found.group(1) is None else f"trainer.{found.group(2)}"
    head, _, rest = key.partition(".")
    if head == "trainer" and rest and "." not in rest:
        parameters = inspect.signature(Trainer.__init__).parameters
        allowed, word, where = [p for p in parameters if p != "self"], rest, "trainer."
    elif head not in FIT_KEYS:
        allowed, word, where = list(FIT_KEYS), head, ""
    else:
        return None
    close = difflib.get_close_matches(word, allowed, n=1)
    hint = f" (did you mean '{where}{close[0]}'?)" if close else ""
    kind = "trainer" if where else "top-level"
    return f"unknown key '{where}{word}'{hint}; allowed {kind} keys: {', '.join(allowed)}"


PLUGIN_KEYS = ("target", "dataset", "reward", "concepts")
"""The task keys that name plugins, each as ``{name: ..., args: {...}}``."""


def _plugin_spec_reason(key: str, reason: str) -> str | None:
    """The error for a task plugin not written ``{name: ..., args: {...}}``, said in those words.

    jsonargparse reads a bare string there as a config file to load ("Unable to load config") or,
    in the concepts list, as a class path, and an unknown key under a plugin as an option of the
    task ("does not accept option 'target.arg.floor'").
    """
    given = re.search(r"task\.(\w+)\"", key)
    where = given.group(1) if given else None
    string = re.match(  # the value given, a list or a mapping ("['synthetic']") in full
        r"(?:Unable to load config (['\"])(.+)\1$|Expected a dot import path string: ([^'\"]+))",
        reason,
    )
    name = string and (string.group(2) or string.group(3))
    if where in PLUGIN_KEYS and name and not name.endswith((".yaml", ".yml", ".json")):
        plain = re.fullmatch(r"[\w.:/-]+", name)  # a bare name, not a list like [synthetic]
        shown, given = (name, f"the bare name {name!r}") if plain else ("NAME", name)
        return (
            f"model.init_args.task.{where}: a plugin is written {{name: {shown}, args: {{...}}}}, "
            f"not {given}"
        )
    inner = re.match(r"Group '[\w.]*task' does not accept option '(\w+)\.(\w+)", reason)
    if inner and inner.group(1) in PLUGIN_KEYS:
        return (
            f"model.init_args.task.{inner.group(1)}: unknown key '{inner.group(2)}'; "
            "a plugin takes only name and args"
        )
    return None


def init_parameters(class_path: str) -> list[str]:
    """The arguments a class's constructor takes, its bases' too where it passes ``**kwargs``
    up (as jsonargparse reads them); empty when the class cannot be imported."""
    module_name, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        return []
    names: list[str] = []
    for klass in cls.__mro__:  # explorers pass **kwargs up to their base
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            names += [
                p
                for p, v in params.items()
                if p != "self"
                and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
                and p not in names
            ]
            if not any(v.kind is v.VAR_KEYWORD for v in params.values()):
                break
    return names
