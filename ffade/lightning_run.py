"""``ffade fit`` as a library call: LightningCLI, ffade's defaults.

The ``ffade`` command and ``ffade loop`` both run Lightning through :func:`run_lightning`, so
neither imports the other, and the commands that train nothing never import Lightning at all. A
user's mistake in a config (an unknown plugin, a value off the grid, a misspelled key) comes back
as one :class:`ConfigError` line naming the key or value and what is allowed. ``--ckpt_path`` is
checked against the config before the Trainer runs (:mod:`ffade.resume`), and a refused run
removes the run directory it created, so refusals never shift the next run's ``version_N``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jsonargparse import ArgumentError, Namespace
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks.progress import ProgressBar
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import MisconfigurationException
from typing_extensions import override

from ffade.config_errors import FIT_KEYS, config_error_line, refuse_data, unwritable_value
from ffade.config_files import (
    check_config_files,
    config_paths,
    option_empty_keys,
    unparsed_empty_keys,
)
from ffade.errors import ConfigError, FfadeError
from ffade.fit_help import printed_config_notes
from ffade.fresh_run_dir import has_evaluations, remove_fresh_run_dir
from ffade.in_process import with_in_process_header
from ffade.log_guard import RunDirDamaged, check_run_folder, folder_identity
from ffade.path_vars import expand_run_folders
from ffade.plugin_overrides import forget_replaced_plugin_args
from ffade.progress import BudgetProgressBar, quiet_lightning
from ffade.records import write_text_atomic
from ffade.resume import plan_resume
from ffade.rng import config_seed
from ffade.run_base import (
    ENDED_STATUSES,
    ENDED_WHEN_STOPPED,
    TEMPORARY_RUNS,
    ended_line,
    saved_config,
)
from ffade.run_dir_checks import (
    check_run_dir,
    claim_version,
    not_made,
    picks_version,
    refuse_a_file_on_the_way,
)
from ffade.run_length import MAX_EPOCHS_HELP, fill_max_epochs
from ffade.run_lock import hold_run_dir, refuse_a_run_still_going, release_run_dir
from ffade.said_once import say_notes
from ffade.spawn_scratch import remove_spawn_scratch
from ffade.trainer import (
    check_trainer_config,
    relative_default_root,
    trainer_defaults,
    trainer_notes,
    use_root_dir,
)
from ffade.writable import folder_gone
from ffade.writer_threads import quiet_writer_threads
from ffade.yaml_anchors import check_anchor_keys
from ffade.yamlfile import check_option_files


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
            check_run_folder(pl_module, path.parent, path)  # removed since the run took it?
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
        fill_max_epochs(cfg)  # the model's own length, unless given: printed as it will run
        expand_run_folders(cfg.get("trainer"))
        use_root_dir(cfg.get("trainer"), getattr(self, "args", None), say=False)  # for print_config
        if hasattr(self, "print_config"):  # jsonargparse prints before it validates anything
            key = self.print_config.get("key")  # the subcommand's: "fit"
            section = cfg.get(key) if key else cfg
            _check_before_printing(section)
            say_notes(printed_config_notes(getattr(self, "args", None), section))  # as the run's
            printer = self.print_config.get("subparser")  # the subcommand's, which dumps it
            if isinstance(printer, ExactArgumentParser):
                typed = getattr(self, "args", None)
                printer.check_printed = lambda parsed: refuse_empty_keys(parsed, typed)
        return super()._parse_common(cfg, *args, **kwargs)

    def dump(self, namespace: Namespace, *args: Any, **kwargs: Any) -> str:
        """For ``--print_config``, :func:`refuse_empty_keys` as the run does, once jsonargparse's
        own checks (in its dump: a loop config's unknown ``discover``, say) said their line and
        before the config is printed: it printed ``target: {name: synthetic, arg: {}}``'s config
        and exited 0, which the run refused."""
        check = self.__dict__.pop("check_printed", None)  # once: only the printed config
        text = super().dump(namespace, *args, **kwargs)
        if check is not None:
            check(namespace)
        return text


def _check_before_printing(cfg: Namespace | None) -> None:
    """``--print_config`` refuses what a run would refuse as it sets up, in the same line: the
    model's constructor checks (``gamma: 1.5``), the Trainer settings no run can work with
    (:func:`~ffade.trainer.check_trainer_config`: ``max_epochs: 0`` or ``-3``), and its task's
    plugins and arguments, without loading a model (:func:`ffade.task.check_task_config`), and a
    ``seed_everything`` out of range: it printed a config with a misspelt plugin argument (or seed
    2^32, or ``max_epochs: 0``), which failed at run time."""
    from ffade.model_arguments import check_model_arguments
    from ffade.task import check_task_config
    from ffade.task_values import named_under

    seed = cfg.get("seed_everything") if isinstance(cfg, Namespace) else None
    refuse_data(cfg.get("data") if isinstance(cfg, Namespace) else None)
    if seed is not True:  # the run draws ``true``'s seed as it starts; a printed config keeps true
        config_seed(seed)  # a seed numpy refuses: the run's line, not a config that cannot run
    model = cfg.get("model") if isinstance(cfg, Namespace) else None
    model = model.as_dict() if isinstance(model, Namespace) else model
    if not isinstance(model, dict) or not isinstance(model.get("init_args"), dict):
        return  # no class named: jsonargparse says so in its words
    cls = check_model_arguments(model)
    trainer = cfg.get("trainer")  # the run refuses these as its Trainer is built, before its task
    trainer = trainer.as_dict() if isinstance(trainer, Namespace) else trainer
    check_trainer_config(trainer if isinstance(trainer, dict) else {}, cls or object)
    task = _as_written(model["init_args"].get("task"))
    if isinstance(task, dict):
        with named_under("model.init_args.task"):  # its keys as this config spells them
            check_task_config(task)


def refuse_empty_keys(parsed: Namespace, args: Sequence[str] | None = None) -> None:
    """Refuse a config file's key whose value is ``{}`` and that the parsed config lacks
    (``arg: {}``, a misspelt ``args``), or such a key in an option's YAML value (``args``, the
    command line): jsonargparse drops it without a word."""
    for config_file in parsed.get("config") or []:
        if config_file is None:  # YAML text given inline (``--config '{...}'``): no file to read
            continue
        unknown = unparsed_empty_keys(config_file, parsed)
        if unknown:
            raise ConfigError(
                f"{config_file}: unknown key '{unknown}' (an empty mapping); remove it or "
                "spell it as ffade fit --help lists it"
            )
    dropped = option_empty_keys(args or [], parsed)
    if dropped:
        raise ConfigError(
            f"{dropped[0]}: unknown key '{dropped[1]}' (an empty mapping); remove it or "
            "spell it as ffade fit --help lists it"
        )


def _as_written(value: Any) -> Any:
    """A parsed task as its config writes it: jsonargparse holds each concept (a PluginSpec)
    as ``{class_path: ffade.task.PluginSpec, init_args: {name, args}}``."""
    if isinstance(value, dict):
        if str(value.get("class_path", "")).startswith("ffade.task."):
            return _as_written(value.get("init_args") or {})
        return {k: _as_written(v) for k, v in value.items() if k != "__subclasses_disabled__"}
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    return value


class FfadeCLI(LightningCLI):
    """LightningCLI whose model is any LightningModule ffade or a plugin provides."""

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        """``fit`` alone: ffade refuses validate, test and predict before Lightning is imported
        (:data:`ffade.cli.NOT_FITTING`), yet LightningCLI built a jsonargparse parser for each
        of its four loops at every run's start, a third of a small run's time in-process."""
        return {"fit": LightningCLI.subcommands()["fit"]}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """``--trainer.max_epochs``'s help says ffade's default, not Lightning's ("1000")."""
        for action in parser._actions:
            if action.dest == "trainer.max_epochs":
                action.help = MAX_EPOCHS_HELP

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
            raise FfadeError(unwritable_value(exc) or config_error_line(str(exc))) from exc

    def parse_arguments(self, parser: Any, args: Any) -> None:
        """Parse, then refuse keys jsonargparse drops without a word (``argz: {}``)."""
        super().parse_arguments(parser, args)
        parsed = self.config.get(self.config.get("subcommand") or "", Namespace())
        fill_max_epochs(parsed)  # a Python call's dict: its section is parsed only as a whole
        refuse_data(parsed.get("data"))
        expand_run_folders(parsed.get("trainer"))  # config.yaml records the folder used
        use_root_dir(parsed.get("trainer"), args)  # may print a note
        refuse_empty_keys(parsed, sys.argv[1:] if args is None else args)

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
        """``--trainer.enable_progress_bar false`` drops ffade's bar instead of clashing with it,
        and so does a progress bar of the user's own (``--trainer.callbacks+=RichProgressBar``),
        which replaces it as one replaces Lightning's default bar: Lightning refused the pair
        with "You added multiple progress bar callbacks", though the user added one; settings no
        run can work with are refused first (:func:`check_trainer_config`)."""
        check_trainer_config(config, self.model)
        relative_default_root(config)  # logger: true's run said as lightning_logs/version_0
        own = config.get("callbacks") or []
        own_bar = any(isinstance(c, ProgressBar) for c in (own if isinstance(own, list) else [own]))
        if config.get("enable_progress_bar") is False or own_bar:
            defaults = self.trainer_defaults["callbacks"]
            self.trainer_defaults["callbacks"] = [
                c for c in defaults if not isinstance(c, BudgetProgressBar)
            ]
        try:
            trainer = super()._instantiate_trainer(config, callbacks)
        except (MisconfigurationException, ModuleNotFoundError, TypeError, ValueError) as exc:
            # cuda on a machine without one; tpu without torch_xla; devices "x" on cpu (a
            # TypeError); a strategy name misspelt, "dpp" (a ValueError)
            raise FfadeError(f"trainer: {str(exc).strip().splitlines()[0]}") from exc
        remove_spawn_scratch(trainer.strategy)
        if trainer.global_rank == 0:  # a loop's discovery and rediscovery: said once
            say_notes(trainer_notes(config, self.model))
        return trainer

    def _run_subcommand(self, subcommand: str) -> None:
        """Check ``--ckpt_path`` first; leave no run directory behind a refused run."""
        settings = self.config_init[subcommand]
        if subcommand == "fit":
            resume = plan_resume(settings.get("ckpt_path"), self.model)
            if resume.finished:
                print(f"ffade: {resume.finished}")
                self.model.finished_run_dir = resume.finished_dir  # the Python API returns it
                return
            settings["ckpt_path"] = resume.ckpt_path
            # a search a limit stopped: one more epoch, said as it starts
            self.model.resume_note = resume.allow_the_rest(self.trainer)
            resume.check_epochs(self.trainer)
            if resume.replay_dir is not None:
                self.model.replay_from(resume.replay_dir)
            source = resume.ckpt_path or resume.replay_dir  # a stop before it saves names it
            if self.trainer.global_rank == 0:  # the other ranks would see rank 0's own lock
                refuse_a_run_still_going(source)
            self.model.resumed_from = None if source is None else Path(source).absolute()
        if "weights_only" in settings and settings["weights_only"] is None:
            settings["weights_only"] = True  # a checkpoint never runs code (torch < 2.6: False)
        picked = picks_version(self.trainer)  # before log_dir, which picks it
        run_dir = Path(self.trainer.log_dir or self.trainer.default_root_dir)
        # runs/NAME/version_N: the folders this run is about to make; under data parallelism
        # they are rank 0's, so another rank removing them would pull them from under rank 0
        rank_0 = self.trainer.global_rank == 0
        fresh = [d for d in (run_dir, *run_dir.parents[:2]) if rank_0 and not d.exists()]
        held = False
        if subcommand == "fit":
            try:
                if picked:  # made here and now, so no other run started at once shares it
                    refuse_a_file_on_the_way(run_dir, self.trainer)
                    run_dir = claim_version(self.trainer, run_dir)
                    fresh = [run_dir, *(d for d in fresh if d in run_dir.parents)]
                refuse_a_file_on_the_way(run_dir, self.trainer)
                # held before the check, so that a run starting there at once sees this one
                held = rank_0 and hold_run_dir(run_dir)  # data-parallel ranks share rank 0's
                # the folder taken, known by its identity: one removed (and made again) is said
                self.model.run_dir_identity = folder_identity(run_dir) if rank_0 else None
            except FileNotFoundError as exc:  # /proc says so of a folder it will not make
                raise not_made(run_dir, self.trainer) from exc
        try:
            if subcommand == "fit":
                check_run_dir(run_dir, settings.get("ckpt_path"), self.model, self.trainer)
            super()._run_subcommand(subcommand)
        except (FfadeError, OSError) as error:  # a refused start, or a full disk at once
            # what is left there is the user's to see; a folder removed under a fine-tune (which
            # has no log to guard) took its parents, which named them as the folder removed
            damaged = isinstance(error, RunDirDamaged) or bool(
                isinstance(error, OSError) and error.filename and folder_gone(error.filename)
            )
            if run_dir in fresh and not damaged and not has_evaluations(run_dir):
                remove_fresh_run_dir(run_dir, fresh)
            raise
        except (KeyboardInterrupt, SystemExit):  # Lightning exits 1 after a Ctrl-C or SIGTERM
            taken = getattr(self.model, "run_dir", None) is not None or has_evaluations(run_dir)
            if run_dir in fresh and not taken:
                remove_fresh_run_dir(run_dir, fresh)  # stopped before the run took it
            raise
        finally:
            if held:
                release_run_dir(run_dir)


def run_lightning(args: list[str] | dict[str, Any], ended_ok: bool = False) -> LightningModule:
    """Run ``ffade ARGS`` for a Lightning subcommand (``fit --config c.yaml``, ...) in this process;
    returns the model it ran (its ``run_dir`` says where the run is).

    ``args`` may also be a config as a dict under its subcommand (``{"fit": {...}}``), as the
    Python API (:mod:`ffade.api`) passes it.

    With ``ended_ok`` (the command), a run a Ctrl-C or SIGTERM stopped after its results were
    recorded (:data:`ffade.run_base.ENDED_WHEN_STOPPED`, said in one line) is returned too: its
    command prints its closing lines and exits with its own status, not as a stopped run. A
    SIGTERM that Lightning held as the run ended (its pictures) lets the run return as usual;
    it is recorded there too, and said in one line unless ``ended_ok``, so that a Python call or
    the loop, which would go on, stops.

    Raises:
        ConfigError: jsonargparse rejected the arguments or the config they name.
        FfadeError: a constructor rejected a value (an unknown plugin, a value off the grid).
    """
    if isinstance(args, list):  # a dict from the Python API names no config file
        from ffade.model_classes import model_class_paths  # the explorers: torch, only when needed

        check_config_files(args, model_class_paths())
        check_anchor_keys([p for p in config_paths(args) if p.is_file()], FIT_KEYS)
        check_option_files(args)
    quiet_lightning()
    quiet_writer_threads()  # TensorBoard's writer failing: one line, not its thread's traceback
    # explorers and fine-tuners known by their short class names (class_path: DQNExplorer)
    import ffade.explore
    import ffade.mitigate.classifier  # noqa: F401  (the package itself is also the API's call)

    ENDED_WHEN_STOPPED.set(None)
    try:
        cli = FfadeCLI(
            LightningModule,
            subclass_mode_model=True,
            seed_everything_default=0,
            trainer_defaults=trainer_defaults(max_epochs=None),  # filled: fill_max_epochs
            save_config_callback=AtomicSaveConfig,
            save_config_kwargs={"overwrite": True},
            parser_kwargs={"exit_on_error": False, "prog": "ffade"},
            parser_class=ExactArgumentParser,
            auto_configure_optimizers=False,
            args=args,
        )
    except ArgumentError as exc:
        raise ConfigError(config_error_line(str(exc))) from exc
    except (KeyboardInterrupt, SystemExit):  # Lightning's exit of a run Ctrl-C or SIGTERM stopped
        if not ended_ok or (model := ENDED_WHEN_STOPPED.get()) is None:
            raise
        return model
    model = cli.model
    held = getattr(cli.trainer, "received_sigterm", False)  # noted; nothing read it once trained
    if held and getattr(model, "status", None) in ENDED_STATUSES:
        ENDED_WHEN_STOPPED.set(model)
        if not ended_ok and model.global_rank == 0 and not TEMPORARY_RUNS.get():
            print(ended_line(model, "a SIGTERM came as it ended: nothing was cut"), file=sys.stderr)
    return model


_BUGS = (NameError, AttributeError, LookupError, AssertionError, ArithmeticError)
"""What a constructor raises by mistake in its code, not over a value it was given."""
