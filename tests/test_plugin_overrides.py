"""A plugin named anew by a later config or option starts from its own defaults (the old
plugin's ``args`` stay behind); only ``args`` given again for the same plugin still merge."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import REPO, ffade_in_process

QUICKSTART = str(REPO / "configs" / "quickstart.yaml")
TEXT_QUICKSTART = str(REPO / "configs" / "text_quickstart.yaml")


def _printed_task(*args: str) -> dict:
    done = ffade_in_process("fit", *args, "--print_config")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["model"]["init_args"]["task"]


def test_a_reward_named_on_the_command_line_drops_the_old_rewards_args():
    task = _printed_task("--config", TEXT_QUICKSTART, "--model.init_args.task.reward={name: bleu}")
    assert task["reward"] == {"name": "bleu", "args": {}}  # not bleu_drop's threshold 20.0


def test_a_new_name_alone_drops_the_old_args_and_later_args_stay():
    task = _printed_task(
        "--config",
        TEXT_QUICKSTART,
        "--model.init_args.task.reward.name",
        "rougel_drop",
        "--model.init_args.task.reward.args.threshold",
        "0.3",
    )
    assert task["reward"] == {"name": "rougel_drop", "args": {"threshold": 0.3}}


def test_the_same_plugins_args_still_merge():
    task = _printed_task(
        "--config", TEXT_QUICKSTART, "--model.init_args.task.reward.args.threshold", "10"
    )
    assert task["reward"] == {"name": "bleu_drop", "args": {"threshold": 10, "pass_reward": 0.0}}


def test_a_second_config_naming_other_concepts_drops_their_args(tmp_path: Path):
    second = tmp_path / "second.yaml"
    concepts = [{"name": "brightness"}, {"name": "rotation"}]
    concepts += [{"name": "contrast"}, {"name": "gaussian_blur", "args": {"values": [0.0, 1.0]}}]
    second.write_text(yaml.safe_dump({"model": {"init_args": {"task": {"concepts": concepts}}}}))
    task = _printed_task("--config", QUICKSTART, "--config", str(second))
    assert task["concepts"][0] == {"name": "brightness", "args": {}}  # not rotation's -20..20
    assert task["concepts"][1] == {"name": "rotation", "args": {}}
    assert task["concepts"][2]["args"]["values"] == [0.8, 0.9, 1.0, 1.1, 1.2]  # same name: kept
    assert task["concepts"][3]["args"] == {"values": [0.0, 1.0]}


def test_a_run_with_concepts_renamed_on_the_command_line_uses_their_defaults(tmp_path: Path):
    done = ffade_in_process(
        "fit",
        "--config",
        QUICKSTART,
        "--model.init_args.task.concepts="
        "[{name: brightness}, {name: rotation}, {name: contrast}, {name: gaussian_blur}]",
        "--model.init_args.budget=64",
        "--model.init_args.task.max_inputs=8",
        f"--trainer.logger.init_args.save_dir={tmp_path}",
    )
    assert done.returncode == 0, done.stderr  # was: brightness refused rotation's value -20
    config = yaml.safe_load((tmp_path / "quickstart" / "version_0" / "config.yaml").read_text())
    names = [(c["name"], c["args"]) for c in config["model"]["init_args"]["task"]["concepts"]]
    assert names[:2] == [("brightness", {}), ("rotation", {})]


def test_short_spellings_of_a_new_reward_drop_the_old_args_too(tmp_path: Path):
    """``-c`` for ``--config``, and ``model: {task: ...}`` or ``--model.task...`` for
    ``model.init_args.task``, which jsonargparse takes as well: each ran ``rougel_drop`` with
    ``bleu_drop``'s threshold 20.0."""
    second = tmp_path / "second.yaml"
    second.write_text("model:\n  task:\n    reward: {name: rougel_drop}\n")
    for spelling in (
        ["-c", TEXT_QUICKSTART, "-c", str(second)],
        [f"-c={TEXT_QUICKSTART}", "--config", str(second)],
        ["--config", TEXT_QUICKSTART, "--model.task.reward.name", "rougel_drop"],
        ["--config", TEXT_QUICKSTART, "--model.task.reward={name: rougel_drop}"],
    ):
        task = _printed_task(*spelling)
        assert task["reward"] == {"name": "rougel_drop", "args": {}}, spelling
