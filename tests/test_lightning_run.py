"""How ``ffade fit`` takes its run directory (ffade.lightning_run)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from lightning.pytorch.loggers import TensorBoardLogger

from tests.helpers import REPO, ffade_in_process, write_config


class RacedLogger(TensorBoardLogger):
    """TensorBoard's logger, with another ``ffade fit`` started at the same moment: it makes the
    folder this logger's first pick names, between the pick and the run making it."""

    def _get_next_version(self) -> int:
        version = super()._get_next_version()
        if not getattr(self, "_raced", False):
            self._raced = True
            (Path(self.root_dir) / f"version_{version}").mkdir(parents=True)
        return version


def test_a_run_started_at_the_same_moment_as_another_takes_the_next_version(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    spec = yaml.safe_load(config.read_text())
    spec["trainer"]["logger"]["class_path"] = f"{__name__}.RacedLogger"
    config.write_text(yaml.safe_dump(spec))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = tmp_path / "runs" / "test"
    assert list((runs / "version_0").iterdir()) == []  # the other run's, left to it
    assert (runs / "version_1" / "summary.json").is_file()
    assert result.stdout.startswith(f"run: {runs / 'version_1'}\n"), result.stdout


def _with_task(config: Path, **changes: object) -> Path:
    spec = yaml.safe_load(config.read_text())
    spec["model"]["init_args"]["task"].update(changes)
    config.write_text(yaml.safe_dump(spec))
    return config


def test_print_config_refuses_a_plugin_argument_a_run_refuses_in_the_same_line(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    spec = yaml.safe_load(config.read_text())["model"]["init_args"]["task"]
    bad = {  # a misspelt dataset argument; a concept argument of the wrong type
        "dataset": {**spec["dataset"], "args": {**spec["dataset"]["args"], "nmu_inputs": 3}},
        "concepts": [{"name": "axis", "args": {"index": "x"}}],
    }
    for key, value in bad.items():
        _with_task(config, **{**spec, key: value})
        printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
        ran = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
        assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
        assert printed.stdout == ""  # nothing printed for a user to run and see fail
        assert printed.stderr.strip() == ran.stderr.strip(), (printed.stderr, ran.stderr)
        assert printed.stderr.count("\n") == 1 and printed.stderr.startswith("ffade: error: ")
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.json"))


def _with_empty_key(tmp_path: Path, where: str) -> tuple[Path, str]:
    """A config whose ``where`` holds a misspelt key with ``{}``, and that key as the run names
    it: jsonargparse drops an empty mapping without a word, so only ffade's check refuses it."""
    config = tmp_path / "c.yaml"
    if where == "fine-tuner":
        spec = yaml.safe_load((REPO / "configs" / "mitigate_digits.yaml").read_text())
        spec["model"]["init_args"]["schedule_args"] = {}
        config.write_text(yaml.safe_dump(spec))
        return config, "model.init_args.schedule_args"
    write_config(config, explorer="ffade.explore.RandomExplorer", budget=32)
    if where == "target":  # ``arg``, a misspelt ``args``
        spec = yaml.safe_load(config.read_text())["model"]["init_args"]["task"]
        _with_task(config, target={**spec["target"], "arg": {}})
        return config, "model.init_args.task.target.arg"
    spec = yaml.safe_load(config.read_text())
    spec["model"]["init_args"]["start_stat"] = {}  # the explorer's start_state, misspelt
    config.write_text(yaml.safe_dump(spec))
    return config, "model.init_args.start_stat"


@pytest.mark.parametrize("where", ["target", "explorer", "fine-tuner"])
def test_print_config_refuses_a_misspelt_key_holding_an_empty_mapping_as_the_run_does(
    tmp_path: Path, where: str
) -> None:
    """``target: {name: synthetic, arg: {}}``: the run refused it in one line, but
    ``--print_config`` printed the config and exited 0."""
    config, key = _with_empty_key(tmp_path, where)
    printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    ran = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
    assert printed.stdout == ""  # nothing printed for a user to run and see fail
    assert printed.stderr.strip() == ran.stderr.strip(), (printed.stderr, ran.stderr)
    assert printed.stderr.strip() == (
        f"ffade: error: {config}: unknown key '{key}' (an empty mapping); remove it or spell it "
        "as ffade fit --help lists it"
    )
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("option", "value", "key"),
    [
        ("--model.task.target", "{name: synthetic, arg: {}}", "model.init_args.task.target.arg"),
        (
            "--model.init_args.task.concepts",
            "[{name: axis, args: {index: 0}}, {name: axis, args: {index: 1}, argz: {}}]",
            "model.init_args.task.concepts[1].argz",
        ),
        ("--trainer", "trainer.yaml", "trainer.plugns"),
    ],
)
def test_a_misspelt_key_holding_an_empty_mapping_in_an_option_is_refused(
    tmp_path: Path, option: str, value: str, key: str
) -> None:
    """``--model.init_args.task.target '{name: synthetic, arg: {}}'`` ran, its misspelt ``arg``
    dropped without a word, where the same key in a config file is refused in one line."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    (tmp_path / "trainer.yaml").write_text("max_steps: 3\nplugns: {}\n")
    for extra in ([], ["--print_config"]):
        ran = ffade_in_process("fit", "--config", str(config), option, value, *extra, cwd=tmp_path)
        assert ran.returncode == 2, (ran.stdout, ran.stderr)
        assert ran.stdout == ""
        assert ran.stderr == (
            f"ffade: error: {option}: unknown key '{key}' (an empty mapping); remove it or "
            "spell it as ffade fit --help lists it\n"
        )
    assert not (tmp_path / "runs").exists()


def test_a_loop_config_given_to_fit_keeps_its_line_under_print_config(tmp_path: Path) -> None:
    """A loop config with a misspelt top-level key (and the shipped ``rediscover: {}``, an
    empty mapping fit knows no key for): jsonargparse's unknown-key line, which names the loop
    command, comes first under ``--print_config`` as in the run, not the empty-mapping line."""
    config = tmp_path / "loop.yaml"
    config.write_text((REPO / "configs" / "loop_digits.yaml").read_text() + "feedbak: {}\n")
    printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    ran = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
    assert printed.stderr.strip() == ran.stderr.strip(), (printed.stderr, ran.stderr)
    (line,) = printed.stderr.strip().splitlines()
    assert line.startswith("ffade: error: unknown key 'discover'"), line
    assert line.endswith("(this is a loop config: run it with ffade loop --config FILE)"), line


def test_an_inline_config_still_prints_beside_the_empty_mapping_check(tmp_path: Path) -> None:
    """The check reads each ``--config`` file again; YAML text given inline is none (it read
    ``'{model: ...}'`` as a file named None), and a file's misspelt ``{}`` is still refused."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    inline = "{model: {init_args: {budget: 21}}}"
    printed = ffade_in_process("fit", "--config", str(config), "--config", inline, "--print_config")
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert yaml.safe_load(printed.stdout)["model"]["init_args"]["budget"] == 21
    config, key = _with_empty_key(tmp_path, "target")
    args = ("fit", "--config", str(config), "--config", inline, "--print_config")
    printed = ffade_in_process(*args, cwd=tmp_path)
    assert printed.returncode == 2 and printed.stdout == "", printed.stdout
    assert f"{config}: unknown key '{key}' (an empty mapping)" in printed.stderr


def test_print_config_refuses_a_model_argument_its_constructor_refuses(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=32)
    args = ("fit", "--config", str(config), "--model.init_args.gamma", "1.5")
    printed = ffade_in_process(*args, "--print_config", cwd=tmp_path)
    assert printed.returncode == 2 and printed.stdout == ""
    assert printed.stderr == "ffade: error: model.init_args.gamma must be in [0, 1], got 1.5\n"


def test_the_printed_config_repeats_the_run_line_for_line(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=48)
    printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    (tmp_path / "printed.yaml").write_text(printed.stdout)
    for source in (config, tmp_path / "printed.yaml"):
        result = ffade_in_process("fit", "--config", str(source), cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
    runs = tmp_path / "runs" / "test"
    first, second = (runs / f"version_{i}" / "evaluations.jsonl" for i in (0, 1))
    assert first.read_bytes() == second.read_bytes() and first.stat().st_size > 0


def test_a_trainer_note_is_said_once_across_a_loops_runs(tmp_path: Path, capsys) -> None:
    """``ffade loop`` runs discovery and rediscovery in one process on one config: the note on
    ``trainer.max_steps`` (a random search makes no optimizer step) came once per stage."""
    from ffade.loop import fit
    from ffade.said_once import notes_said_once

    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=40)
    data = yaml.safe_load(config.read_text())
    data["trainer"]["max_steps"] = 5
    config.write_text(yaml.safe_dump(data))
    with notes_said_once():  # as each ffade command runs
        for stage in ("discover", "rediscover"):  # the loop's two runs of the discovery config
            fit(config, tmp_path / "loop" / stage, {})
    err = capsys.readouterr().err
    assert err.count("ffade: note: trainer.max_steps (5) counts optimizer steps") == 1, err
    assert (tmp_path / "loop" / "rediscover" / "summary.json").is_file()  # both runs ran


def test_print_config_refuses_a_seed_out_of_range_as_the_run_does(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    for seed in ("4294967296", "-1"):
        args = ("fit", "--config", str(config), "--seed_everything", seed)
        printed = ffade_in_process(*args, "--print_config", cwd=tmp_path)
        ran = ffade_in_process(*args, cwd=tmp_path)
        assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
        assert printed.stdout == ""
        assert (
            printed.stderr
            == ran.stderr
            == (
                "ffade: error: seed_everything must be true, false or a whole number in "
                f"[0, 4294967295], got {seed}\n"
            )
        )


def test_a_misspelt_strategy_is_refused_as_the_trainer_s_other_settings_are(
    tmp_path: Path,
) -> None:
    """docs/scale.md's ``--trainer.strategy ddp`` typed ``dpp`` printed Lightning's ValueError
    without the ``trainer:`` that names the key, unlike a bad accelerator or devices."""
    config = write_config(tmp_path / "c.yaml", save_dir=tmp_path / "runs")
    result = ffade_in_process(
        "fit", "--config", str(config), "--trainer.devices", "2", "--trainer.strategy", "dpp"
    )
    assert result.returncode == 2, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "ffade: error: trainer: You selected an invalid strategy name: `strategy='dpp'`."
    ), line
    assert "ddp" in line.split("Example choices:")[1]
    assert not (tmp_path / "runs").exists()


def test_print_config_and_a_run_name_a_task_check_by_the_configs_key(tmp_path: Path) -> None:
    """A task check (a plugin argument of .inf) said ``task.reward.args.scale`` from ``ffade
    fit --print_config``, a key the config spells ``model.init_args.task.reward.args.scale``;
    --print_config and the run say the same line."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    _with_task(config, reward={"name": "margin", "args": {"scale": float("inf")}})
    printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    ran = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    said = "ffade: error: model.init_args.task.reward.args.scale must be a finite number, got inf"
    assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
    assert printed.stderr.startswith(said), printed.stderr
    assert ran.stderr.strip() == printed.stderr.strip(), ran.stderr


def test_print_config_refuses_an_empty_or_relabelled_concept_list_as_the_run_does(
    tmp_path: Path,
) -> None:
    """``--print_config`` built each concept but not their space, so ``concepts: []`` and two
    concepts of one label were printed as a config that ran, then failed at set-up."""
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    twice = [{"name": "axis", "args": {"index": i, "label": "a"}} for i in (0, 1)]
    for concepts, said in (
        ([], "ffade: error: model.init_args.task.concepts must list at least one concept"),
        (twice, "ffade: error: concept labels repeat: a; give each a distinct 'label'"),
    ):
        _with_task(config, concepts=concepts)
        printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
        ran = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
        assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
        assert printed.stdout == ""
        assert printed.stderr.strip() == ran.stderr.strip() == said, (printed.stderr, ran.stderr)


def test_print_config_refuses_a_trainer_length_the_run_refuses_in_the_same_line(
    tmp_path: Path,
) -> None:
    """``--print_config`` printed configs/mitigate_digits.yaml with ``trainer.max_epochs`` 0,
    -3 or -1 (none ends a fine-tune as it should) and exit 0; the run refused each as its
    Trainer was built. An explorer's config: the run's line, said by both."""
    mitigate = str(Path(__file__).parents[1] / "configs" / "mitigate_digits.yaml")
    for epochs, said in [
        ("0", "trainer.max_epochs 0 trains nothing; give at least 1, or leave it out"),
        ("-3", "trainer.max_epochs -3 is no number of epochs; give at least 1, or leave it out"),
        (
            "-1",
            "trainer.max_epochs -1 never ends ClassifierFineTuner, whose fix is judged when "
            "training ends; give at least 1, or leave it out",
        ),
    ]:
        args = ("fit", "--config", mitigate, f"--trainer.max_epochs={epochs}", "--print_config")
        printed = ffade_in_process(*args, cwd=tmp_path)
        assert (printed.returncode, printed.stdout) == (2, ""), printed.stderr
        assert printed.stderr == f"ffade: error: {said}\n"
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    args = ("fit", "--config", str(config), "--trainer.max_steps", "-3")
    printed = ffade_in_process(*args, "--print_config", cwd=tmp_path)
    ran = ffade_in_process(*args, cwd=tmp_path)
    assert printed.returncode == ran.returncode == 2, (printed.stdout, ran.stderr)
    assert (
        printed.stderr
        == ran.stderr
        == (
            "ffade: error: trainer.max_steps -3 is no number of steps; give at least 1, or "
            "leave it out\n"
        )
    )


def test_a_run_builds_the_parser_of_fit_alone(tmp_path: Path, monkeypatch) -> None:
    """ffade refuses validate, test and predict before Lightning (``ffade.cli.NOT_FITTING``), yet
    every run built a jsonargparse parser for each of LightningCLI's four loops: a third of a
    small run's time in-process, in every ``ffade fit`` and ``ffade.discover`` call."""
    from ffade.lightning_run import FfadeCLI

    built = []
    prepare = FfadeCLI._prepare_subcommand_parser

    def recording(self, klass, subcommand, **kwargs):  # Lightning's own, each call noted
        built.append(subcommand)
        return prepare(self, klass, subcommand, **kwargs)

    monkeypatch.setattr(FfadeCLI, "_prepare_subcommand_parser", recording)
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=8)
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert built == ["fit"]
