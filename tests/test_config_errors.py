"""jsonargparse's config errors said in one line (ffade/config_errors.py); the CLI's cases are in
tests/test_bad_inputs.py, these are the pieces it is made of."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffade.config_errors import config_error_line, init_parameters


def test_init_parameters_follow_kwargs_up_to_the_base() -> None:
    """An explorer passes **kwargs up to Explorer: both classes' arguments are its options."""
    names = init_parameters("ffade.explore.DQNExplorer")
    assert {"task", "budget", "gamma"} <= set(names)  # its own
    assert {"eval_batch_size", "max_idle_steps", "stop_when"} <= set(names)  # its base's
    assert len(names) == len(set(names)) and "self" not in names
    assert init_parameters("ffade.explore.NoSuchExplorer") == []
    assert init_parameters("no_such_module.Class") == []


def test_a_misspelt_trainer_key_gets_the_closest_and_the_allowed_ones() -> None:
    line = config_error_line("Subcommand 'fit' does not accept option 'trainer.max_epoch'")
    assert line.startswith("unknown key 'trainer.max_epoch' (did you mean 'trainer.max_epochs'?)")
    assert "allowed trainer keys:" in line


def test_a_key_left_out_of_an_explorer_is_named_as_the_config_writes_it() -> None:
    message = (
        'Parser key "model":\n'
        "  Problem with given class_path 'ffade.explore.RandomExplorer':\n"
        "    the following arguments are required: task.dataset.name"
    )
    assert config_error_line(message) == (
        "model.init_args.task.dataset.name has no default: give it a value (null is no value)"
    )


def test_a_config_that_names_no_model_class_is_told_so(tmp_path) -> None:
    """``model: {init_args: {budget: 10}}`` alone was told "model: Option 'budget' is not
    accepted" (budget is every explorer's argument), and a config of only ``trainer:`` "the
    following arguments are required: fit.model": neither said that the class was missing."""
    from tests.helpers import ffade_in_process

    (tmp_path / "args.yaml").write_text("model:\n  init_args:\n    budget: 10\n")
    (tmp_path / "trainer.yaml").write_text("trainer:\n  max_epochs: 3\n")
    for config, start in [
        ("args.yaml", "ffade: error: model.init_args.budget has no class to go to: "),
        ("trainer.yaml", "ffade: error: no model: "),
    ]:
        done = ffade_in_process("fit", "--config", config, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(start), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert "class_path" in done.stderr and "ffade.explore.DQNExplorer" in done.stderr
    assert not (tmp_path / "runs").exists()


def test_a_misspelt_key_of_a_plugin_spec_gets_the_closest_one(tmp_path) -> None:
    """Every other level of a config said "did you mean"; a plugin's own two keys did not
    (``reward: {name: margin, arg: {...}}``: "unknown key 'arg'; a plugin takes only ...")."""
    from tests.helpers import REPO, ffade_in_process

    for plugin, key, meant in [("reward", "arg", "args"), ("target", "nmae", "name")]:
        spec = "{name: margin, arg: {x: 1}}" if key == "arg" else "{nmae: synthetic}"
        (tmp_path / "c.yaml").write_text(
            f"model:\n  init_args:\n    task:\n      {plugin}: {spec}\n"
        )
        done = ffade_in_process(
            "fit", "-c", str(REPO / "configs" / "synthetic.yaml"), "-c", "c.yaml", cwd=tmp_path
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr == (
            f"ffade: error: unknown key 'model.init_args.task.{plugin}.{key}' (did you mean "
            f"'model.init_args.task.{plugin}.{meant}'?); a plugin takes only name and args\n"
        )
    assert not (tmp_path / "runs").exists()


def test_a_data_section_is_refused_in_one_line_naming_where_inputs_come_from(tmp_path) -> None:
    """No ffade model reads LightningCLI's ``data`` section: ``data: {foo: 1}`` was told only
    "data: Option 'foo' is not accepted" (nothing allowed), and a LightningDataModule given
    there ran, unused, with no word; both now say where a run's inputs come from."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    (tmp_path / "data.yaml").write_text("data:\n  foo: 1\n")
    module = "lightning.pytorch.demos.boring_classes.BoringDataModule"
    for extra in (
        ["-c", "data.yaml"],
        ["--data.foo", "1"],
        ["--data", "{foo: 1}"],
        ["--data", module, "--print_config"],
        ["--data", module, "--model.init_args.budget", "20"],
    ):
        done = ffade_in_process("fit", "-c", config, *extra, cwd=tmp_path)
        assert done.returncode == 2, (extra, done.stderr)
        assert done.stderr.startswith("ffade: error: data: ffade takes no data section"), extra
        assert "model.init_args.task.dataset" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "runs").exists()


def test_the_top_level_keys_offered_leave_out_the_refused_data(tmp_path) -> None:
    """The list of allowed top-level keys offered ``data``, and ``dat:`` was asked "did you mean
    'data'?": a user who followed either met the one-line refusal of a data section."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    (tmp_path / "dat.yaml").write_text("dat: {foo: 1}\n")
    for extra, word in ((["-c", "dat.yaml"], "dat"), (["--seed_everythin", "3"], "seed_everythin")):
        done = ffade_in_process("fit", "-c", config, *extra, "--print_config", cwd=tmp_path)
        assert done.returncode == 2, (extra, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"ffade: error: unknown key '{word}'"), line
        assert line.endswith(
            "allowed top-level keys: seed_everything, trainer, model, ckpt_path, weights_only"
        ), line
        assert "data" not in line, line


def test_a_misspelt_key_is_named_in_full_at_every_level_as_a_trainer_key_is(tmp_path) -> None:
    """A trainer key was "unknown key 'trainer.max_step' (did you mean ...); allowed trainer
    keys: ...", but a model argument was "model: Option 'budgett' is not accepted by ..." and a
    task key "model: Group 'task' does not accept option 'targets.name'": neither named the key a
    user fixes (model.init_args.budgett). Each level now says it the trainer's way."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    (tmp_path / "budget.yaml").write_text("model:\n  init_args:\n    budgett: 10\n")
    (tmp_path / "task.yaml").write_text(
        "model:\n  init_args:\n    task:\n      targets: {name: synthetic}\n"
    )
    model = "allowed model.init_args keys of ffade.explore.DQNExplorer: task, budget, "
    task = "allowed task keys: target, dataset, reward, concepts, mode, split, max_inputs, "
    for extra, said in [
        (["-c", "budget.yaml"], "'model.init_args.budgett' (did you mean 'model.init_args.budget'"),
        (["--model.init_args.budgett", "3"], "'model.init_args.budgett' (did you mean"),
        (["-c", "task.yaml"], "'model.init_args.task.targets' (did you mean 'model.init_args.task"),
        (["--model.init_args.task.modes", "x"], "'model.init_args.task.modes' (did you mean 'mod"),
        (["--trainer.max_step", "3"], "'trainer.max_step' (did you mean 'trainer.max_steps'?)"),
    ]:
        done = ffade_in_process("fit", "-c", config, *extra, "--print_config", cwd=tmp_path)
        assert done.returncode == 2, (extra, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"ffade: error: unknown key {said}"), line
        allowed = (
            "allowed trainer keys: " if "trainer" in said else task if "task" in said else model
        )
        assert allowed in line, line
    assert not (tmp_path / "runs").exists()


def test_a_task_key_beside_task_is_told_where_it_goes(tmp_path) -> None:
    """``mode: microscopic`` written one level too high, beside ``task`` (as a plugin author
    reading docs/plugins.md, which never shows ``mode``, wrote it) was "unknown key
    'model.init_args.mode'; allowed ...", and ``max_inputs`` there was asked "did you mean
    'model.init_args.max_steps'?": each is now told it is the task's key."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    for key, value in [("mode", "microscopic"), ("max_inputs", "8")]:
        (tmp_path / "c.yaml").write_text(f"model:\n  init_args:\n    {key}: {value}\n")
        done = ffade_in_process("fit", "-c", config, "-c", "c.yaml", "--print_config", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(
            f"ffade: error: unknown key 'model.init_args.{key}' (a key of the task: "
            f"'model.init_args.task.{key}'); allowed model.init_args keys of "
        ), line
    assert not (tmp_path / "runs").exists()


def test_one_list_entry_on_the_command_line_is_refused_in_one_line_naming_it(tmp_path) -> None:
    """Copied from an error line, ``--model.init_args.task.concepts[0].args.values`` was
    "unknown key 'model.init_args.task.concepts' (did you mean 'model.init_args.task.concepts'?)":
    the hint named the key itself. jsonargparse sets no single list entry, so the line says that
    and how to give the list."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    option = "--model.init_args.task.concepts[0].args.values"
    done = ffade_in_process("fit", "-c", config, option, "[0.0]", "--print_config", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line == (
        "ffade: error: model.init_args.task.concepts[0].args.values: one entry of a list cannot be "
        "set on the command line; give the whole list (--model.init_args.task.concepts='[...]') or "
        "put it in a second --config"
    ), line


def test_one_list_entry_in_the_dot_form_gets_the_same_line(tmp_path) -> None:
    """``--model.init_args.task.concepts.0.args.values`` (jsonargparse's dot form for nested
    keys) was "model.init_args.task.concepts: unrecognized arguments: --0.args.values=[0.0]",
    and ``concepts.0`` "unknown key '0' in a concept": now the line the ``[0]`` form gets, with
    the key as typed."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    for key, value in (("concepts.0.args.values", "[0.0]"), ("concepts.0", "{name: x}")):
        option = f"--model.init_args.task.{key}={value}"
        done = ffade_in_process("fit", "-c", config, option, "--print_config", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line == (
            f"ffade: error: model.init_args.task.{key}: one entry of a list cannot be set on the "
            "command line; give the whole list (--model.init_args.task.concepts='[...]') or put "
            "it in a second --config"
        ), line


def test_a_loop_config_or_priorities_file_given_to_fit_names_the_command_that_reads_it(
    tmp_path,
) -> None:
    """configs/loop_*.yaml and configs/feedback_*.yaml sit beside the fit configs; ``ffade fit
    --config configs/loop_digits.yaml`` said only "unknown key 'discover'" and listed fit's keys,
    not that the file is ``ffade loop``'s (or ``ffade feedback --from``'s). A flag typed on the
    command line is no such file and gets no such hint."""
    from tests.helpers import REPO, ffade_in_process

    configs = REPO / "configs"
    for name, word, command in (
        ("loop_digits", "discover", "ffade loop --config FILE"),
        ("loop_text", "discover", "ffade loop --config FILE"),
        ("feedback_digits", "regions", "ffade feedback RUN_DIR --from FILE"),
        ("feedback_t2i", "regions", "ffade feedback RUN_DIR --from FILE"),
    ):
        config = str(configs / f"{name}.yaml")
        done = ffade_in_process("fit", "--config", config, "--print_config", cwd=tmp_path)
        assert done.returncode == 2, (name, done.stderr)
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"ffade: error: unknown key '{word}'"), line
        assert line.endswith(f"{command})"), line
    config = str(configs / "quickstart.yaml")
    done = ffade_in_process("fit", "--config", config, "--regions", "3", cwd=tmp_path)
    assert done.returncode == 2 and "unknown key 'regions'" in done.stderr, done.stderr
    assert "priorities file" not in done.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (  # the `logger:` line deleted: its class_path and init_args land under trainer
            ("  logger:\n", ""),
            "unknown key 'trainer.init_args' (a class's init_args goes under the key that takes "
            "it, such as trainer.logger)",
        ),
        (
            ("  logger:\n", "  loger:\n"),
            "unknown key 'trainer.loger' (did you mean 'trainer.logger'?)",
        ),
        (
            ("  logger:\n", "  callback:\n"),
            "unknown key 'trainer.callback' (did you mean 'trainer.callbacks'?)",
        ),
    ],
)
def test_a_trainer_key_holding_a_mapping_is_named_when_unknown(
    edit: tuple[str, str], said: str, tmp_path: Path
) -> None:
    """A trainer key that is no Trainer argument but holds keys of its own (``loger:`` above a
    logger's class_path) was jsonargparse's "Group 'trainer' does not accept option
    'loger.class_path'", with no closest key and nothing allowed."""
    from tests.helpers import print_config_of_edited

    _, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"ffade: error: {said}; allowed trainer keys: accelerator, ")
