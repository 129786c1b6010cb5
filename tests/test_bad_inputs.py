"""Bad input typed at the CLI: each one exit 2, one line naming the file or key, nothing left.

Every case is ``ffade ARGS`` as a user types it, run in this process through :func:`ffade.cli.main`
(a subprocess per case would take minutes). Each must end with exactly one ``ffade: error:`` line,
no traceback, and no ``runs/<name>/version_N`` folder: a refused run leaves nothing behind to
shift the next run's version number.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from ffade.checkpoint import LAST_CHECKPOINT
from ffade.cli import main
from ffade.records import read_summary
from tests.helpers import synthetic_spec, write_config


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, finished: Path) -> dict[str, Path]:
    """Good and bad files a user might name: {name: path}; runs would go to its ``runs/``."""
    tmp_path = tmp_path_factory.mktemp("files")
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    text = config.read_text()
    ckpt = finished / LAST_CHECKPOINT
    made: dict[str, Path] = {"root": tmp_path, "config": config, "ckpt": ckpt, "finished": finished}

    def put(name: str, data: bytes | str) -> None:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        made[name] = path

    put("empty.ckpt", b"")
    put("random.ckpt", os.urandom(4096))
    put("truncated.ckpt", ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    put("pickle.ckpt", pickle.dumps({"state_dict": {}, "os": os.getcwd}))
    put("text.ckpt", "not a checkpoint\n")
    put("json.ckpt", json.dumps({"state_dict": {}}))
    torch.save(torch.zeros(3), tmp_path / "tensor.ckpt")
    made["tensor.ckpt"] = tmp_path / "tensor.ckpt"
    torch.save({"weights": torch.zeros(3)}, tmp_path / "nostate.ckpt")
    made["nostate.ckpt"] = tmp_path / "nostate.ckpt"
    (tmp_path / "emptydir").mkdir()
    made["emptydir"] = tmp_path / "emptydir"
    put("damagedrun/evaluations.jsonl", "")
    put("damagedrun/summary.json", '{"status": "runn')
    put("latin1.yaml", text.encode() + "# café\n".encode("latin-1"))
    put("random.yaml", os.urandom(256))
    put("empty.yaml", "")
    put("blank.yaml", "\n\n   \n# only a comment\n")
    put("list.yaml", "- model\n- trainer\n")
    put("scalar.yaml", "quickstart\n")
    put("malformed.yaml", "model: [unclosed\n")
    put("tabs.yaml", "model:\n\tclass_path: x\n")
    put("twice.yaml", text + "seed_everything: 1\n")  # YAML kept the last without a word
    put("latin1.ckpt.yaml", text.replace("test", "t\u00e9st").encode("latin-1"))
    for name, change in EDITS.items():
        data = yaml.safe_load(text)
        change(data)
        put(f"{name}.yaml", yaml.safe_dump(data))
    put("report_latin1/summary.json", b'{"status": "fini\xe9"}')
    put("report_latin1/evaluations.jsonl", "")
    put("report_cut/summary.json", '{"status": "finished", "conc')
    put("report_cut/evaluations.jsonl", "")
    put("report_list/summary.json", "[1, 2, 3]")
    put("report_list/evaluations.jsonl", "")
    put("report_nolog/summary.json", "{}")
    put(  # what a fine-tune leaves: no concepts, no evaluations.jsonl
        "finetune_run/summary.json",
        json.dumps(
            {"finetuner": "classifier", "run": "runs/discover", "task": {"target": {"name": "x"}}}
        ),
    )
    put("finetune_run/mitigation.json", "{}")
    put("loop.yaml", yaml.safe_dump({k: str(config) for k in ("discover", "feedback", "mitigate")}))
    put(
        "none.yaml",  # a feedback file that answers nothing (an interactive session quit at once)
        yaml.safe_dump(
            {
                "run": str(finished),
                "threshold": 0.5,
                "min_evaluations": 1,
                "concepts": {c["label"]: c["values"] for c in read_summary(finished)["concepts"]},
                "regions": [],
                "slices": "rules",
            }
        ),
    )
    good = '{"article": "a", "summary": "b", "text": "a", "label": 0, "prompt": "a cat"}\n'
    latin1 = '{"article": "caf\u00e9", "summary": "b", "prompt": "a caf\u00e9"}\n'
    for name in ("news.jsonl", "sentiment.jsonl", "prompts.jsonl"):
        put(f"latin1_{name}", good.encode() + latin1.encode("latin-1"))
    put("latin1_news.csv", "article,summary\na,b\ncaf\u00e9,b\n".encode("latin-1"))
    put("latin1_prompts.csv", "prompt\na cat\na caf\u00e9\n".encode("latin-1"))
    for case, (dataset, name, _) in DATA_FILE_CASES.items():
        data = yaml.safe_load(text)
        _args(data)["task"]["dataset"] = {"name": dataset, "args": {"path": str(made[name])}}
        put(f"{case}.yaml", yaml.safe_dump(data))
    return made


def _args(data: dict[str, Any]) -> dict[str, Any]:
    return data["model"]["init_args"]


EDITS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "argz_target": lambda d: _args(d)["task"]["target"].update(argz={}),
    "argz_model": lambda d: _args(d).update(argz={}),
    "argz_concept": lambda d: _args(d)["task"]["concepts"][0].update(argz={}),
    "argz_trainer": lambda d: d["trainer"].update(callbackz={}),
    "argz_top": lambda d: d.update(modle={}),
    "unknown_top": lambda d: d.update(seed_everthing=1),
    "unknown_trainer": lambda d: d["trainer"].update(max_epoch=2),
    "unknown_model_arg": lambda d: _args(d).update(budgett=_args(d).pop("budget")),
    "unknown_concept_arg": lambda d: _args(d)["task"]["concepts"][0]["args"].update(valuess=[0]),
    "unknown_task_key": lambda d: _args(d)["task"].update(modes="macroscopic"),
    "class_missing": lambda d: d["model"].update(class_path="ffade.explore.NoSuchExplorer"),
    "class_short_typo": lambda d: d["model"].update(class_path="DQNExplorr"),
    "reward_typo": lambda d: _args(d)["task"]["reward"].update(name="margn"),
    "target_typo": lambda d: _args(d)["task"]["target"].update(name="synthetc"),
    "dataset_typo": lambda d: _args(d)["task"]["dataset"].update(name="synthetik"),
    "concept_typo": lambda d: _args(d)["task"]["concepts"][0].update(name="axes"),
    "concept_of_other_inputs": lambda d: _args(d)["task"]["concepts"][0].update(
        name="rotation", args={"values": [0, 10]}
    ),
    "off_grid": lambda d: _args(d)["task"]["concepts"][0]["args"].update(values=[0.0, 1.5]),
    "mode_typo": lambda d: _args(d)["task"].update(mode="macro"),
    "split_typo": lambda d: _args(d)["task"].update(split="train"),
    "max_inputs_zero": lambda d: _args(d)["task"].update(max_inputs=0),
    "budget_zero": lambda d: _args(d).update(budget=0),
    "budget_negative": lambda d: _args(d).update(budget=-5),
    "budget_text": lambda d: _args(d).update(budget="ten"),
    "num_envs_zero": lambda d: _args(d).update(num_envs=0),
    "max_steps_zero": lambda d: _args(d).update(max_steps=0),
    "max_idle_zero": lambda d: _args(d).update(max_idle_steps=0),
    "learning_starts_over": lambda d: _args(d).update(learning_starts=100),
    "start_state_off": lambda d: (
        _args(d)["task"].update(mode="microscopic"),
        _args(d).update(start_state={"axis0": 0.5}),
    ),
    "start_state_label": lambda d: (
        _args(d)["task"].update(mode="microscopic"),
        _args(d).update(start_state={"nope": 0.0}),
    ),
    "start_state_macroscopic": lambda d: _args(d).update(start_state={"axis0": 0.0}),
    "concepts_empty": lambda d: _args(d)["task"].update(concepts=[]),
    "task_missing": lambda d: _args(d).pop("task"),
    "model_missing": lambda d: d.pop("model"),
    "seed_float": lambda d: d.update(seed_everything=1.5),
    "seed_negative": lambda d: d.update(seed_everything=-1),
    "learning_rate_negative": lambda d: _args(d).update(learning_rate=-1.0),
    "buffer_size_zero": lambda d: _args(d).update(buffer_size=0),
    "num_candidates_zero": lambda d: _args(d).update(num_candidates=0),
    "batch_size_zero": lambda d: _args(d).update(batch_size=0),
    "gamma_over": lambda d: _args(d).update(gamma=1.5),
    "tau_over": lambda d: _args(d).update(tau=2.0),
    "exploration_fraction_over": lambda d: _args(d).update(exploration_fraction=2.0),
    "exploration_bonus_negative": lambda d: _args(d).update(exploration_bonus=-1.0),
    "coverage_probes_over": lambda d: _args(d).update(coverage_probes=1.5),
    "step_penalty_negative": lambda d: _args(d).update(step_penalty=-1.0),
    "novelty_bonus_negative": lambda d: _args(d).update(novelty_bonus=-1.0),
    "reward_clip_zero": lambda d: _args(d).update(reward_clip=0.0),
    # a plugin given another modality's inputs (or sizes its partner does not have): each was a
    # traceback from inside torch or a tokenizer, leaving a run folder behind
    # (with a reward that scores the target's outputs: a reward's own refusal would come first)
    "target_reads_texts": lambda d: _args(d)["task"].update(
        target={"name": "tiny_news_bart"}, reward={"name": "bleu"}
    ),
    "target_reads_images": lambda d: _args(d)["task"].update(
        target={"name": "digits_cnn"}, reward={"name": "misclassification"}
    ),
    "synthetic_target_on_texts": lambda d: _args(d)["task"].update(
        dataset={"name": "tiny_news"}, concepts=[{"name": "swap_char"}]
    ),
    "axis_on_texts": lambda d: _args(d)["task"].update(dataset={"name": "tiny_news"}),
    "text_edit_on_other_inputs": lambda d: _args(d)["task"].update(concepts=[{"name": "negate"}]),
    "prompt_words_on_other_inputs": lambda d: _args(d)["task"].update(
        concepts=[{"name": "prompt_words", "args": {"values": ["", "at night"]}}]
    ),
    "synthetic_num_inputs_negative": lambda d: _args(d)["task"]["dataset"]["args"].update(
        num_inputs=-4
    ),
    "synthetic_feature_dims_differ": lambda d: _args(d)["task"]["dataset"]["args"].update(
        feature_dim=4
    ),
    "synthetic_region_axis_missing": lambda d: _args(d)["task"]["target"].update(
        args={"regions": [{9: [0.5, 1.0]}]}
    ),
    "synthetic_region_malformed": lambda d: _args(d)["task"]["target"].update(
        args={"regions": [{0: [0.5]}]}
    ),
    "synthetic_growth_text": lambda d: _args(d)["task"]["target"].update(
        args={"fragility_growth": "abc"}
    ),
    # labels name axes in records, rules and plots: both ran, 5 with no failure rule found
    "label_number": lambda d: _args(d)["task"]["concepts"][0]["args"].update(label=5),
    "label_quoted_number": lambda d: _args(d)["task"]["concepts"][0]["args"].update(label="5"),
    "label_empty": lambda d: _args(d)["task"]["concepts"][0]["args"].update(label=""),
    # YAML reads on as a boolean; the line says it as YAML writes it (true), not Python's True
    "label_on": lambda d: _args(d)["task"]["concepts"][0]["args"].update(label="on"),
    # a newline split report.md's table rows and the feedback prompts
    "label_two_lines": lambda d: _args(d)["task"]["concepts"][0]["args"].update(label="a\nb"),
    # a list where a mapping goes: trainer and dataset were tracebacks, the others named no key
    "trainer_a_list": lambda d: d.update(trainer=[1]),
    "init_args_a_list": lambda d: d["model"].update(init_args=[1]),
    "task_a_list": lambda d: _args(d).update(task=[1]),
    "dataset_a_list": lambda d: _args(d)["task"].update(dataset=["synthetic"]),
    "concept_args_a_list": lambda d: _args(d)["task"]["concepts"][0].update(args=[0]),
    # jsonargparse's words: "unhashable type: 'list'", "argument of type 'NoneType' is not
    # iterable", "'str' object has no attribute 'keys'", "Expected a path but  either ..."
    "class_path_a_list": lambda d: d["model"].update(class_path=[1]),
    "class_path_null": lambda d: d["model"].update(class_path=None),
    "init_args_null": lambda d: d["model"].update(init_args=None),
    "init_args_a_word": lambda d: d["model"].update(init_args="abc"),
    "model_empty": lambda d: d.update(model=""),
    # "Not a valid subclass of LightningModule", listing no class
    "model_a_list": lambda d: d.update(model=[1, 2]),
    "model_a_number": lambda d: d.update(model=5),
    # a concept's key was named "model.init_args.name" / "model.init_args.args", or none at all
    "concept_null": lambda d: _args(d)["task"]["concepts"].__setitem__(1, None),
    "concept_name_a_number": lambda d: _args(d)["task"]["concepts"][1].update(name=5),
    "concept_args_a_word": lambda d: _args(d)["task"]["concepts"][1].update(args="abc"),
    "concepts_empty_string": lambda d: _args(d)["task"].update(concepts=""),
    # "Expected a typing.Literal['macroscopic', 'microscopic']. Got value:"
    "mode_empty": lambda d: _args(d)["task"].update(mode=""),
    "mode_null": lambda d: _args(d)["task"].update(mode=None),  # "search None tasks with ..."
    "epsilon_over": lambda d: (
        d["model"].update(class_path="ffade.explore.EpsilonGreedyExplorer"),
        _args(d).pop("learning_starts"),
        _args(d).update(epsilon=1.5),
    ),
}

CKPT_CASES = {
    "empty": ["empty.ckpt"],
    "random": ["random.ckpt"],
    "truncated": ["truncated.ckpt"],
    "pickle": ["pickle.ckpt"],
    "text": ["text.ckpt"],
    "json": ["json.ckpt"],
    "tensor": ["tensor.ckpt"],
    "no_state_dict": ["nostate.ckpt"],
    "empty_dir": ["emptydir"],
    "run_with_damaged_summary": ["damagedrun/summary.json"],
}

MISMATCH_CASES = {
    "other_budget": ["--model.init_args.budget", "300"],
    "other_explorer": ["--model", "ffade.explore.RandomExplorer"],
    "other_concepts": ["--config", "two_concepts"],
    "other_num_envs": ["--model.init_args.num_envs", "8"],
}

MODEL_CLASSES = (
    "ffade.explore.DQNExplorer, ffade.explore.EpsilonGreedyExplorer, ffade.explore.GridExplorer, "
    "ffade.explore.RandomExplorer, ffade.mitigate.ClassifierFineTuner"
)
"""The model classes a config's model: takes, as the error for one that is no mapping lists them."""

NULL = "got null (no value: give a number, or leave the key out for its default)"
"""How a refused null is said: a key left without a value, not a value named None."""

OTHER_CASES: dict[str, tuple[list[str], str]] = {
    "unknown_command": (["fitt"], "fit"),
    "config_missing": (["fit", "--config", "{tmp}/nope.yaml"], "nope.yaml"),
    "ckpt_missing": (["fit", "--config", "{config}", "--ckpt_path", "{tmp}/gone.ckpt"], "gone"),
    "seed_text": (  # was "expected bool or int, got 1.5", unlike -1's line
        ["fit", "--config", "{config}", "--seed_everything", "1.5"],
        "seed_everything must be true, false or a whole number in [0, 4294967295], got 1.5",
    ),
    "max_epochs_text": (["fit", "--config", "{config}", "--trainer.max_epochs", "many"], "many"),
    "learning_rate_nan": (  # was "expected float, got nan", then "...: expected a finite number"
        ["fit", "--config", "{config}", "--model.init_args.learning_rate", "nan"],
        "model.init_args.learning_rate must be a finite number, got nan",
    ),
    # one wording for inf and YAML's .inf (README quotes it): inf said "...: expected a finite
    # number, got inf", .nan "must be at least 0, got nan"
    **{
        f"exploration_bonus_{name}": (
            ["fit", "--config", "{config}", f"--model.init_args.exploration_bonus={value}"],
            f"error: model.init_args.exploration_bonus must be a finite number, got {said}",
        )
        for name, value, said in [
            ("inf", "inf", "inf"),
            ("yaml_inf", ".inf", "inf"),
            ("yaml_nan", ".nan", "nan"),
            ("minus_inf", "-inf", "-inf"),
        ]
    },
    # reward_clip=-inf said only "must be a finite number", where reward_clip 0 said that null
    # (no clipping) is allowed too: each path (jsonargparse's float, the explorer's check) says it
    **{
        f"reward_clip_{name}": (
            ["fit", "--config", "{config}", f"--model.init_args.reward_clip={value}"],
            "error: model.init_args.reward_clip must be a finite number, or null (no clipping), "
            f"got {said}",
        )
        for name, value, said in [("minus_inf", "-inf", "-inf"), ("yaml_inf", ".inf", "inf")]
    },
    # a boolean said as ffade's own checks say one (task.only_passing_inputs from Python), not
    # jsonargparse's "expected bool, got maybe"; Lightning's Optional[bool] takes null too
    "only_passing_inputs_text": (
        ["fit", "--config", "{config}", "--model.init_args.task.only_passing_inputs", "maybe"],
        "error: model.init_args.task.only_passing_inputs must be true or false, got maybe",
    ),
    "enable_progress_bar_number": (
        ["fit", "--config", "{config}", "--trainer.enable_progress_bar", "2"],
        "error: trainer.enable_progress_bar must be true, false or null, got 2",
    ),
    # a key checked against [0, 1] said YAML's .nan as "must be in [0, 1], got nan", the
    # command line's nan as "must be a finite number, got nan": one wording, as above
    **{
        f"gamma_{name}": (
            ["fit", "--config", "{config}", f"--model.init_args.gamma={value}"],
            f"error: model.init_args.gamma must be a finite number, got {value.strip('.')}",
        )
        for name, value in [("yaml_nan", ".nan"), ("yaml_inf", ".inf")]
    },
    "max_epochs_zero": (
        ["fit", "--config", "{config}", "--trainer.max_epochs", "0"],  # was exit 0, no summary
        "trainer.max_epochs 0 trains nothing",
    ),
    "precision_off_list": (  # said only "Expected a typing.Literal[64, 32, 16]"
        ["fit", "--config", "{config}", "--trainer.precision", "8"],
        "error: trainer.precision: '8' is not allowed; choose one of 64, 32, 16,"
        " transformer-engine, transformer-engine-float16, 16-true, 16-mixed, bf16-true, bf16-mixed,"
        " 32-true, 64-true, bf16",
    ),
    "model_argument_before_model": (  # was exit 0: a random search, the rate dropped unsaid
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.learning_rate",
            "0.1",
            "--model",
            "RandomExplorer",
        ],
        "--model.init_args.learning_rate comes before --model RandomExplorer, which takes no "
        "learning_rate: --model replaces the model and keeps only the arguments its class takes; "
        "give --model first",
    ),
    "resume_task_differs": (  # both sides were cut at 80 characters, before they differed
        [
            "fit",
            "--config",
            "{config}",
            "--ckpt_path",
            "{finished}",
            "--model.init_args.task.max_inputs",
            "4",
        ],
        "was saved with model.init_args.task.max_inputs = null, but the config says 4;",
    ),
    "resume_plugin_renamed": (  # named dataset.args.num_axes first, as if only args differed
        [
            "fit",
            "--config",
            "{config}",
            "--ckpt_path",
            "{finished}",
            "--model.init_args.task.dataset.name",
            "digits",
        ],
        'was saved with model.init_args.task.dataset.name = "synthetic", but the config says '
        '"digits";',
    ),
    "plugin_seed_negative": (  # was "dataset 'digits': expected non-negative integer"
        ["fit", "--config", "{config}", "--model.init_args.task.dataset.args.seed", "-1"],
        "dataset 'synthetic': model.init_args.task.dataset.args.seed must be a whole number >= 0, "
        "got -1",
    ),
    "model_argument_without_value": (  # argparse named --model, not the key typed
        ["fit", "--config", "{config}", "--model.init_args.budget", "--trainer.max_steps", "5"],
        "ffade: error: argument --model.init_args.budget: expected one argument",
    ),
    "weights_a_directory": (  # was "weights file '...' does not exist"
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.target",
            "{{name: digits_cnn, args: {{weights: {tmp}}}}}",
        ],
        "target 'digits_cnn': model.init_args.task.target.args.weights file '{tmp}' is a directory",
    ),
    "weights_a_json_file": (  # torch's paragraph, advising weights_only=False (running code)
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.target",
            "{{name: digits_cnn, args: {{weights: {finished}/summary.json}}}}",
        ],
        "target 'digits_cnn': cannot read weights file '{finished}/summary.json' as a "
        "weights-only torch file (UnpicklingError): it is no torch.save file, or is cut short or "
        "damaged; give a state dict saved with torch.save(model.state_dict(), PATH)",
    ),
    "limit_train_batches_zero": (  # was exit 0: a run directory, 0 evaluations
        ["fit", "--config", "{config}", "--trainer.limit_train_batches", "0"],
        "trainer.limit_train_batches 0 trains nothing",
    ),
    # clipping by NaN made every gradient of a fine-tune NaN, unsaid; Lightning named a NaN
    # limit_val_batches in its own words, and "inf" said "expected int or float, got inf"
    **{
        f"{key}_{name}": (
            ["fit", "--config", "{config}", f"--trainer.{key}", value],
            f"error: trainer.{key} must be a finite number, got {value.strip('.')}",
        )
        for key, name, value in [
            ("gradient_clip_val", "yaml_nan", ".nan"),
            ("gradient_clip_val", "nan", "nan"),
            ("gradient_clip_val", "yaml_inf", ".inf"),
            ("val_check_interval", "yaml_nan", ".nan"),
            ("limit_val_batches", "inf", "inf"),
        ]
    },
    "gradient_clip_val_explorer": (  # was Lightning's traceback: "not supported for manual
        ["fit", "--config", "{config}", "--trainer.gradient_clip_val", "1"],  # optimization"
        "error: trainer.gradient_clip_val 1 clips a fine-tuner's gradients; DQNExplorer makes its "
        "own updates (the DQN clips their norm itself), so leave it out",
    ),
    "task_key_null_cli": (  # said 'expected int, got None' of the null the user gave
        ["fit", "--config", "{config}", "--model.init_args.task.max_inputs", "null"],
        "null given on the command line arrives as the text 'None'",
    ),
    "concept_value_null_cli": (  # said value 'None', a text the user never typed
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.concepts",
            "[{{name: rotation, args: {{values: [0, null]}}}}]",
        ],
        "values[1] 'None' is not allowed; expected degrees in [-180, 180]; 'None' may be a null "
        "typed on the command line, which arrives as the text 'None' (a jsonargparse limit)",
    ),
    "budget_cli_text": (["fit", "--config", "{config}", "--model.init_args.budget", "ten"], "ten"),
    "unknown_option": (
        ["fit", "--config", "{config}", "--trainer.max_epochz", "2"],
        "unknown key 'trainer.max_epochz' (did you mean 'trainer.max_epochs'?); allowed trainer",
    ),
    "abbreviated_option": (  # argparse took a prefix of a key as the key itself
        ["fit", "--config", "{config}", "--trainer.max_epoch", "2"],
        "unknown key 'trainer.max_epoch' (did you mean 'trainer.max_epochs'?); allowed trainer",
    ),
    "start_state_typo_cli": (  # a case slip only was named: a misspelt label got no hint
        # (braces doubled: each case is formatted with its paths)
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.mode",
            "microscopic",
            "--model.init_args.start_state",
            "{{axs0: 0.0}}",
        ],
        "model.init_args.start_state: unknown concept axs0 (did you mean 'axis0'?); concepts:",
    ),
    "start_state_key_twice_cli": (  # jsonargparse kept the last value without a word
        ["fit", "--config", "{config}", "--model.init_args.start_state", "{{axis0: 0, axis0: 1}}"],
        "--model.init_args.start_state: key 'axis0' is given twice in '{{axis0: 0, axis0: 1}}'; "
        "YAML would keep only the last",
    ),
    "task_key_twice_cli": (  # nested, after =: the same line
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.target={{name: a, args: {{b: 1, b: 2}}}}",
        ],
        "--model.init_args.task.target: key 'b' is given twice in "
        "'{{name: a, args: {{b: 1, b: 2}}}}'",
    ),
    "check_target_key_twice": (
        ["check", "--suite", "{tmp}/s.yaml", "--target", "{{name: synthetic, name: digits_cnn}}"],
        "--target: key 'name' is given twice in '{{name: synthetic, name: digits_cnn}}'",
    ),
    "check_target_arg_key_twice": (
        ["check", "--suite", "{tmp}/s.yaml", "--target-arg", "sizes=[{{a: 1, a: 2}}]"],
        "--target-arg: key 'a' is given twice in 'sizes=[{{a: 1, a: 2}}]'",
    ),
    "unknown_task_key_cli": (
        ["fit", "--config", "{config}", "--model.init_args.task.modes", "microscopic"],
        "unknown key 'model.init_args.task.modes' (did you mean 'model.init_args.task.mode'?); "
        "allowed task keys: target,",
    ),
    "plugin_argument_beside_args_cli": (  # said "(did you mean 'target'?)" of target itself
        ["fit", "--config", "{config}", "--model.init_args.task.target.nope", "1"],
        "unknown key 'model.init_args.task.target.nope' (a plugin takes name and args: a "
        "plugin's argument is model.init_args.task.target.args.nope); allowed task keys: target,",
    ),
    "plugin_argument_misspelt_cli": (  # said "target 'synthetic' has no argument 'nope'"
        ["fit", "--config", "{config}", "--model.init_args.task.target.args.nope", "1"],
        "ffade: error: unknown key 'model.init_args.task.target.args.nope'; allowed "
        "model.init_args.task.target.args keys of target 'synthetic': regions,",
    ),
    "plugin_argument_close_cli": (  # the closest argument named in full too
        ["fit", "--config", "{config}", "--model.init_args.task.reward.args.scal", "1"],
        "unknown key 'model.init_args.task.reward.args.scal' (did you mean "
        "'model.init_args.task.reward.args.scale'?); allowed model.init_args.task.reward.args "
        "keys of reward 'margin': scale",
    ),
    "abbreviated_task_key_cli": (  # the class's own parser took 'max' as 'max_inputs'
        ["fit", "--config", "{config}", "--model.init_args.task.max", "10"],
        "unknown key 'model.init_args.task.max' (did you mean 'model.init_args.task.max_inputs'?)"
        "; allowed task keys: target,",
    ),
    "report_missing": (["report", "{tmp}/no_run"], "no_run"),
    "report_latin1_summary": (["report", "{tmp}/report_latin1", "--no-tensorboard"], "summary"),
    "report_cut_summary": (["report", "{tmp}/report_cut", "--no-tensorboard"], "summary"),
    "report_list_summary": (["report", "{tmp}/report_list", "--no-tensorboard"], "summary"),
    "report_no_log": (["report", "{tmp}/report_nolog", "--no-tensorboard"], "report_nolog"),
    "report_axes": (["report", "{finished}", "--axes", "a", "b", "c", "d"], "--axes"),
    "report_mitigation_alone": (
        ["report", "{finished}", "--mitigation", "{tmp}/nope.json"],
        "--mitigation leads a comparison: give --compare OTHER_RUN_DIR too",
    ),
    "device_absent": (
        ["fit", "--config", "{config}", "--model.init_args.task.target.args.device", "cuda:64"],
        "device 'cuda:64': this machine has",
    ),
    "device_malformed": (
        ["fit", "--config", "{config}", "--model.init_args.task.target.args.device", "gpu"],
        "device 'gpu' is not a device",
    ),
    "report_out_file": (
        ["report", "{finished}", "--out", "{config}", "--no-tensorboard"],
        "--out {config}: a file is there, not a directory",
    ),
    "export_to_dir": (["export", "{finished}", "--to", "{tmp}"], "--to {tmp}: a directory"),
    "export_to_json": (  # the suite is YAML: it was written into s.json all the same
        ["export", "{finished}", "--to", "{tmp}/out/s.json"],
        "--to {tmp}/out/s.json: a suite is a YAML file (commented, meant to be edited); name it "
        ".yaml or .yml",
    ),
    "export_seed_negative": (
        ["export", "{finished}", "--to", "{tmp}/suite.yaml", "--seed", "-1"],
        "argument --seed: expected a whole number from 0, got '-1'",
    ),
    "export_feedback_answers_none": (
        ["export", "{finished}", "--to", "{tmp}/suite.yaml", "--feedback", "{tmp}/none.yaml"],
        "none.yaml gives none of the run's rules a priority",
    ),
    "export_feedback_summary": (
        [
            "export",
            "{finished}",
            "--to",
            "{tmp}/suite.yaml",
            "--feedback",
            "{finished}/summary.json",
        ],
        "summary.json is a discovery run's summary, not a feedback.yaml: pass "
        "{finished}/feedback.yaml",
    ),
    "check_junit_dir": (
        ["check", "--suite", "{config}", "--junit", "{tmp}"],
        "--junit {tmp}: a directory",
    ),
    "feedback_out_dir": (
        ["feedback", "{finished}", "--from", "{config}", "--out", "{tmp}"],
        "--out {tmp}: a directory",
    ),
    "feedback_examples_negative": (
        ["feedback", "{finished}", "--examples", "-1"],
        "argument --examples: expected a whole number from 0, got '-1'",
    ),
    "report_finetune_run": (
        ["report", "{tmp}/finetune_run", "--no-tensorboard"],
        "finetune_run is a fine-tune's run directory (mitigation.json), not a discovery run",
    ),
    "export_finetune_run": (
        ["export", "{tmp}/finetune_run", "--to", "{tmp}/suite.yaml"],
        "give the run it fixed (runs/discover)",
    ),
    "feedback_finetune_run": (
        ["feedback", "{tmp}/finetune_run"],
        "finetune_run is a fine-tune's run directory",
    ),
    "check_suite_dir": (["check", "--suite", "{tmp}"], "suite file {tmp} is a directory"),
    "feedback_from_dir": (
        ["feedback", "{finished}", "--from", "{tmp}", "--slices", "regions"],
        "--from: priorities file {tmp} is a directory; give a YAML file",
    ),
    "warm_start_damaged": (
        ["fit", "--config", "{config}", "--model.init_args.warm_start", "{tmp}/random.ckpt"],
        "warm_start: {tmp}/random.ckpt: not a readable checkpoint",
    ),
    "warm_start_tensor": (
        ["fit", "--config", "{config}", "--model.init_args.warm_start", "{tmp}/tensor.ckpt"],
        "warm_start: {tmp}/tensor.ckpt holds no Q-network",
    ),
    "report_threshold_text": (  # argparse printed its usage block before the error line
        ["report", "{finished}", "--threshold", "abc"],
        "ffade: error: argument --threshold: expected a failure rate in (0, 1], got 'abc' (see "
        "ffade report --help)",
    ),
    "feedback_min_evaluations_zero": (  # said 'min_evaluations 0', not the option typed
        ["feedback", "{finished}", "--min-evaluations", "0"],
        "ffade: error: argument --min-evaluations: expected a whole number from 1, got '0'",
    ),
    "export_to_missing": (["export", "{finished}"], "required: --to (see ffade export --help)"),
    "plugins_kind_typo": (
        ["plugins", "targetz"],
        "argument KIND: invalid choice: 'targetz' (did you mean 'target'?)",
    ),
    "loop_config_missing": (["loop"], "ffade: error: the following arguments are required"),
    "loop_out_file": (
        ["loop", "--config", "{tmp}/loop.yaml", "--out", "{config}"],
        "--out {config}: a file is there, not a directory",
    ),
    "null_gamma": (
        ["fit", "--config", "{config}", "--model.init_args.gamma", "null"],
        f"model.init_args.gamma must be in [0, 1], {NULL}",
    ),
    "null_learning_rate": (
        ["fit", "--config", "{config}", "--model.init_args.learning_rate", "null"],
        f"model.init_args.learning_rate must be above 0, {NULL}",
    ),
    "null_num_envs_random": (  # said 'got None': a value refused, not a key left empty
        [
            "fit",
            "--config",
            "{config}",
            "--model",
            "ffade.explore.RandomExplorer",
            "--model.init_args.num_envs",
            "null",
        ],
        f"model.init_args.num_envs must be at least 1, {NULL}",
    ),
    "logger_class_typo": (  # was "unknown model class ...; model classes: ffade.explore..."
        ["fit", "--config", "{config}", "--trainer.logger", "lightning.pytorch.loggers.CSVLoger"],
        # then "... is neither a class (module.Class) nor a readable file", no closest class
        "trainer.logger: module 'lightning.pytorch.loggers' has no attribute 'CSVLoger' (did "
        "you mean 'lightning.pytorch.loggers.CSVLogger'?); its classes: CSVLogger, ",
    ),
    "concepts_a_bare_name": (  # was "unknown model class 'axis'; model classes: ..."
        ["fit", "--config", "{config}", "--model.init_args.task.concepts", "axis"],
        "model.init_args.task.concepts: expected a list of concepts, each written {{name: ..., "
        "args: {{...}}}}, such as [{{name: rotation, args: {{values: [-10, 0, 10]}}}}]; got axis",
    ),  # braces doubled above: the fragment is formatted
    "concepts_bare_names_listed": (  # was "got ['axis']", Python's quotes
        ["fit", "--config", "{config}", "--model.init_args.task.concepts", "[axis]"],
        "model.init_args.task.concepts: expected a list of concepts, each written {{name: ..., "
        "args: {{...}}}}, such as [{{name: rotation, args: {{values: [-10, 0, 10]}}}}]; "
        "got [axis]",
    ),
    "concepts_args_null": (  # was "model.init_args.args: [{'name': ..., 'args': None}] ..."
        [
            "fit",
            "--config",
            "{config}",
            "--model.init_args.task.concepts",
            "[{{name: axis, args: null}}]",
        ],
        "model.init_args.task.concepts: expected a list of concepts, each written {{name: ..., "
        "args: {{...}}}}, such as [{{name: rotation, args: {{values: [-10, 0, 10]}}}}]; "
        "got [{{name: axis, args: null}}] (for no arguments leave args out or write "
        "args: {{}})",
    ),
    "target_args_null": (  # was "model.init_args.task.target.args: ... 'args': None}"
        ["fit", "--config", "{config}", "--model.init_args.task.target={{name: t, args: null}}"],
        "model.init_args.task.target: expected a mapping of keys to values, or a YAML file of "
        "one; got {{name: t, args: null}} (for no arguments leave args out or write "
        "args: {{}})",
    ),
    "task_a_bare_word": (  # was 'Unable to load config "abc": Unable to load config 'abc''
        ["fit", "--config", "{config}", "--model.init_args.task", "abc"],
        "model.init_args.task: expected a mapping of keys to values, or a YAML file of one; "
        "got abc",
    ),
    "reward_scale_zero": (  # was accepted: every failure then worth alike
        ["fit", "--config", "{config}", "--model.init_args.task.reward.args.scale", "0"],
        "model.init_args.task.reward.args.scale must be a number above 0, got 0 (reward 'margin')",
    ),
    "input_ids_repeated": (  # was accepted: one input searched as three
        ["fit", "--config", "{config}", "--model.init_args.task.input_ids", "[1, 1, 1]"],
        "model.init_args.task.input_ids: 1 is listed more than once; list each input once",
    ),
    "accelerator_absent": (
        ["fit", "--config", "{config}", "--trainer.accelerator", "mps"],
        "trainer: `MPSAccelerator` can not run",
    ),
}

CONFIG_FILE_CASES = {
    "latin1": ("latin1.yaml", "line 35"),
    "random_bytes": ("random.yaml", "random.yaml"),
    "empty": ("empty.yaml", "empty"),
    "blank": ("blank.yaml", "empty"),
    "list": ("list.yaml", "list"),
    "scalar": ("scalar.yaml", "str"),
    "malformed": ("malformed.yaml", "malformed.yaml"),
    "tabs": ("tabs.yaml", "tabs.yaml"),
    "key_twice": ("twice.yaml", "key 'seed_everything' is given twice in one mapping (first on"),
    "latin1_everywhere": ("latin1.ckpt.yaml", "UTF-8"),
}

DATA_FILE_CASES = {
    "summaries_jsonl_latin1": ("summaries", "latin1_news.jsonl", "line 2"),
    "summaries_csv_latin1": ("summaries", "latin1_news.csv", "line 3"),
    "classification_jsonl_latin1": ("text_classification", "latin1_sentiment.jsonl", "line 2"),
    "prompts_jsonl_latin1": ("prompts", "latin1_prompts.jsonl", "line 2"),
    "prompts_csv_latin1": ("prompts", "latin1_prompts.csv", "line 3"),
}
"""A dataset file that is not UTF-8: (dataset plugin, file, where the error must point)."""

FRAGMENTS = {
    "concept_of_other_inputs": "concept 'rotation': inputs must be images",
    "unknown_task_key": "(did you mean 'model.init_args.task.mode'?); allowed task keys: target,",
    "argz_target": "argz",
    "argz_model": "argz",
    "argz_concept": "argz",
    "argz_trainer": "callbackz",
    "argz_top": "modle",
    "unknown_top": "unknown key 'seed_everthing' (did you mean 'seed_everything'?); "
    "allowed top-level keys: seed_everything, trainer, model",
    "unknown_trainer": "unknown key 'trainer.max_epoch' (did you mean 'trainer.max_epochs'?); "
    "allowed trainer keys: accelerator,",
    "max_steps_zero": "max_steps",
    "max_idle_zero": "max_idle_steps",
    "budget_zero": "budget",
    "seed_float": "seed_everything must be true, false or a whole number in [0, 4294967295], got",
    "start_state_macroscopic": "start_state is where microscopic episodes start; set task.mode",
    "start_state_off": "model.init_args.start_state: concept 'axis0': value 0.5 is not on its grid",
    "start_state_label": "model.init_args.start_state: unknown concept nope; concepts: axis0,",
    "mode_typo": "error: model.init_args.task.mode: 'macro' is not allowed; choose one of macro",
    "split_typo": "model.init_args.task.split: 'train' is not allowed; choose one of discovery, "
    "finetune, heldout",
    "seed_negative": "seed_everything must be true, false or a whole number in [0, 4294967295]",
    "learning_rate_negative": "model.init_args.learning_rate must be above 0, got -1.0",
    "buffer_size_zero": "model.init_args.buffer_size must be at least 1, got 0",
    "num_candidates_zero": "model.init_args.num_candidates must be at least 1, got 0",
    "batch_size_zero": "model.init_args.batch_size must be at least 1, got 0",
    "gamma_over": "model.init_args.gamma must be in [0, 1], got 1.5",
    "tau_over": "model.init_args.tau must be in [0, 1], got 2.0",
    "exploration_fraction_over": "model.init_args.exploration_fraction must be in [0, 1]",
    "exploration_bonus_negative": "model.init_args.exploration_bonus must be at least 0",
    "coverage_probes_over": "model.init_args.coverage_probes must be in [0, 1], got 1.5",
    "step_penalty_negative": "model.init_args.step_penalty must be at least 0, got -1.0",
    "novelty_bonus_negative": "model.init_args.novelty_bonus must be at least 0, got -1.0",
    "reward_clip_zero": "model.init_args.reward_clip must be above 0, or null (no clipping), "
    "got 0.0",
    "learning_starts_over": "model.init_args.learning_starts (100) must be below the budget (40), "
    "or the agent never makes a gradient update; give --model.init_args.learning_starts null for "
    "the default (20 here: 64, or half the budget when that is fewer), or a number below 40",
    "epsilon_over": "model.init_args.epsilon must be in [0, 1], got 1.5",
    "target_reads_texts": "target 'tiny_news_bart' reads texts, but the task's inputs are dict: "
    "choose a text dataset",
    "target_reads_images": "target 'digits_cnn' classifies images (float tensors C x H x W), but "
    "the task's inputs are dict: choose an image dataset",
    "synthetic_target_on_texts": "target 'synthetic' reads the synthetic dataset's inputs, not str",
    "axis_on_texts": "concept 'axis0' moves the synthetic dataset's inputs, not str",
    "text_edit_on_other_inputs": "concept 'negate' edits texts, but the task's inputs are dict",
    "prompt_words_on_other_inputs": "concept 'prompt_words': inputs must be prompts from a "
    "ffade-diffusion dataset (prompts, digit_prompts), not dict",
    "synthetic_num_inputs_negative": "dataset 'synthetic': model.init_args.task.dataset.args."
    "num_inputs must be a whole number, at least 1, got -4",
    "synthetic_feature_dims_differ": "target 'synthetic': model.init_args.task.target.args."
    "feature_dim is 8, the dataset's feature_dim 4; give both the same",
    "synthetic_region_axis_missing": "target 'synthetic': model.init_args.task.target.args."
    "regions name axis 9, but the dataset has 3 axes (its num_axes)",
    "synthetic_region_malformed": "target 'synthetic': model.init_args.task.target.args.regions "
    "must be a preset (default, islands) or a list of boxes {axis index: [low, high]}",
    "synthetic_growth_text": "target 'synthetic': model.init_args.task.target.args."
    "fragility_growth must be a finite number, got 'abc'",
    "label_number": "model.init_args.task.concepts[0].args.label must be a non-empty name such "
    "as 'axis_small', got 5; give it a letter",
    "label_quoted_number": "model.init_args.task.concepts[0].args.label must be a non-empty "
    "name such as 'axis_small', got 5; give it a letter",
    "trainer_a_list": "trainer must be a mapping of keys to values, got the list [1]",
    "init_args_a_list": "model.init_args must be a mapping of keys to values, got the list [1]",
    "task_a_list": "model.init_args.task must be a mapping of keys to values, got the list [1]",
    "dataset_a_list": "model.init_args.task.dataset must be a mapping of keys to values such as "
    "{name: NAME, args: {...}}, got the list [synthetic]",
    "concept_args_a_list": "model.init_args.task.concepts[0].args must be a mapping of keys to "
    "values, got the list [0]",
    "class_path_a_list": "model.class_path must be a model class's dotted name, such as "
    "ffade.explore.DQNExplorer (ffade fit --help lists them), got the list [1]",
    "class_path_null": "model.class_path must be a model class's dotted name, such as "
    "ffade.explore.DQNExplorer (ffade fit --help lists them), got null",
    "init_args_null": "model.init_args must be a mapping of the model's arguments to values, such "
    "as {task: ..., budget: 3000}, got null",
    "init_args_a_word": "model.init_args must be a mapping of the model's arguments to values, "
    "such as {task: ..., budget: 3000}, got the str 'abc'",
    "model_empty": "model must be {class_path: CLASS, init_args: {...}} or a model class's dotted "
    f"name ({MODEL_CLASSES}), got an empty string",
    "model_a_list": "model must be {class_path: CLASS, init_args: {...}} or a model class's dotted "
    f"name ({MODEL_CLASSES}), got the list [1, 2]",
    "model_a_number": "model must be {class_path: CLASS, init_args: {...}} or a model class's "
    f"dotted name ({MODEL_CLASSES}), got the int 5",
    "mode_null": "model.init_args.task.mode: null is not allowed; choose one of macroscopic, "
    "microscopic",
    "concept_null": "model.init_args.task.concepts[1] must be a concept written {name: NAME, "
    "args: {...}}, got null (an empty list item?)",
    "concept_name_a_number": "model.init_args.task.concepts[1].name must be a concept's name, "
    "such as rotation (ffade plugins concept lists them), got the int 5",
    "concept_args_a_word": "model.init_args.task.concepts[1].args must be a mapping of keys to "
    "values, got the str 'abc'",
    "mode_empty": "model.init_args.task.mode: '' is not allowed; choose one of macroscopic, "
    "microscopic",
    "concepts_empty_string": "model.init_args.task.concepts: expected a list of concepts, each "
    "written {name: ..., args: {...}}, such as [{name: rotation, args: {values: [-10, 0, 10]}}]; "
    "got an empty string",
    "label_on": "model.init_args.task.concepts[0].args.label must be a non-empty name such "
    "as 'axis_small', got true; give it a letter",
    "label_empty": "model.init_args.task.concepts[0].args.label must be a non-empty name such "
    "as 'axis_small', got ''",
    "label_two_lines": "model.init_args.task.concepts[0].args.label must be a non-empty name "
    "such as 'axis_small', got 'a\\nb'; a label is one line, with no control character or space "
    "at its ends",
}


FAST = {
    "reward_clip_minus_inf",
    "reward_clip_yaml_inf",
    "random",
    "gradient_clip_val_yaml_nan",
    "truncated",
    "pickle",
    "empty_dir",
    "other_explorer",
    "other_concepts",
    "argz_target",
    "unknown_task_key",
    "max_steps_zero",
    "latin1",
    "empty",
    "report_cut_summary",
    "seed_text",
    "seed_negative",
    "learning_rate_negative",
    "buffer_size_zero",
    "gamma_over",
    "epsilon_over",
    "report_out_file",
    "export_to_dir",
    "export_seed_negative",
    "export_feedback_answers_none",
    "check_junit_dir",
    "feedback_out_dir",
    "feedback_examples_negative",
    "loop_out_file",
    "max_epochs_zero",
    "precision_off_list",
    "report_finetune_run",
    "unknown_task_key_cli",
    "start_state_typo_cli",
    "start_state_key_twice_cli",
    "check_target_arg_key_twice",
    "check_suite_dir",
    "warm_start_damaged",
    "report_threshold_text",
    "start_state_macroscopic",
    "mode_typo",
    "unknown_top",
    "unknown_trainer",
    "device_absent",
    "summaries_jsonl_latin1",
    "prompts_csv_latin1",
    "target_reads_texts",
    "target_reads_images",
    "synthetic_num_inputs_negative",
    "null_gamma",
    "null_num_envs_random",
    "model_argument_before_model",
    "limit_train_batches_zero",
    "resume_task_differs",
    "logger_class_typo",
    "concepts_a_bare_name",
    "reward_scale_zero",
    "label_number",
    "label_on",
    "label_empty",
    "label_two_lines",
    "input_ids_repeated",
    "trainer_a_list",
    "class_path_null",
    "init_args_null",
    "concept_name_a_number",
    "dataset_a_list",
    "weights_a_json_file",
    "model_a_list",
    "mode_null",
}
"""The cases the default test run takes, one or two per kind; --runslow takes them all."""


def cases(table: dict[str, Any]) -> list[Any]:
    """The table's case names, all but :data:`FAST` marked slow (each is a CLI parse: ~1 s)."""
    return [pytest.param(c, marks=() if c in FAST else pytest.mark.slow) for c in table]


def refused(capsys: pytest.CaptureFixture[str], root: Path, args: list[str], *fragments: str):
    """Run ``ffade ARGS``; assert exit 2, one error line holding ``fragments``, no run folder."""
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse exits; the console script turns it into the status
        code = exit_.code
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("ffade")]
    assert code == 2, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert len(errors) == 1 and "error:" in errors[0], err[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not list(root.glob("runs/**/version_*")), "a refused run left a run folder"
    return errors[0]


@pytest.mark.parametrize("case", cases(CKPT_CASES))
def test_unreadable_checkpoints(case: str, files, capsys) -> None:
    path = files[CKPT_CASES[case][0]]
    path = path.parent if path.name == "summary.json" else path
    line = refused(
        capsys, files["root"], ["fit", "--config", str(files["config"]), "--ckpt_path", str(path)]
    )
    assert path.name in line


@pytest.mark.parametrize("case", cases(MISMATCH_CASES))
def test_checkpoints_of_another_run(case: str, files, capsys) -> None:
    extra = list(MISMATCH_CASES[case])
    config = files["config"]
    if extra[1] == "two_concepts":
        data = yaml.safe_load(config.read_text())
        data["model"]["init_args"]["task"] = synthetic_spec(num_concepts=2)
        config = files["root"] / "two.yaml"
        config.write_text(yaml.safe_dump(data))
        extra = []
    args = ["fit", "--config", str(config), "--ckpt_path", str(files["ckpt"]), *extra]
    refused(capsys, files["root"], args, "last.ckpt", "config")


@pytest.mark.parametrize("case", cases(EDITS))
def test_bad_configs(case: str, files, capsys) -> None:
    fragments = [FRAGMENTS[case]] if case in FRAGMENTS else []
    refused(capsys, files["root"], ["fit", "--config", str(files[f"{case}.yaml"])], *fragments)


@pytest.mark.parametrize(
    ("left_out", "said"),
    [
        (["dataset"], "model.init_args.task.dataset.name has no default: give it a value"),
        (
            ["target", "dataset"],
            "model.init_args.task.target.name and model.init_args.task.dataset.name have no "
            "default: give each a value",
        ),
    ],
)
def test_task_keys_left_out_are_named_as_config_keys(
    left_out: list[str], said: str, files, tmp_path: Path, capsys
) -> None:
    """A task without its dataset said "model: the following arguments are required:
    task.dataset.name", naming no key as the config writes it."""
    data = yaml.safe_load(files["config"].read_text())
    for key in left_out:
        del _args(data)["task"][key]
    config = tmp_path / "left_out.yaml"
    config.write_text(yaml.safe_dump(data))
    refused(capsys, tmp_path, ["fit", "--config", str(config)], said)


def test_a_plugin_error_from_torch_is_one_line(files, capsys) -> None:
    """torch's message for a number past int64 carries its C++ stack, frame by frame, below its
    first line: ``num_inputs: 1e30`` was an error of eleven lines (the synthetic dataset now
    refuses that size itself; its ``seed`` still reaches torch)."""
    data = yaml.safe_load(files["config"].read_text())
    _args(data)["task"]["dataset"]["args"]["seed"] = 10**30
    config = files["root"] / "num_inputs_huge.yaml"
    config.write_text(yaml.safe_dump(data))
    assert main(["fit", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (  # torch said "randn(): ... Overflow when unpacking long long", no argument
        "ffade: error: dataset 'synthetic': model.init_args.task.dataset.args.seed must be a "
        "whole number from "
        "-9223372036854775808 to 9223372036854775807 (a 64-bit integer), got 1" + "0" * 30
    ), err


@pytest.mark.parametrize("case", cases(CONFIG_FILE_CASES))
def test_unreadable_config_files(case: str, files, capsys) -> None:
    name, fragment = CONFIG_FILE_CASES[case]
    refused(capsys, files["root"], ["fit", "--config", str(files[name])], fragment)


@pytest.mark.parametrize("case", cases(DATA_FILE_CASES))
def test_dataset_files_that_are_not_utf8(case: str, files, capsys) -> None:
    _, name, where = DATA_FILE_CASES[case]
    line = refused(capsys, files["root"], ["fit", "--config", str(files[f"{case}.yaml"])], where)
    assert str(files[name]) in line and "save the file as UTF-8" in line


@pytest.mark.parametrize("case", cases(OTHER_CASES))
def test_other_commands(case: str, files, capsys) -> None:
    template, fragment = OTHER_CASES[case]
    places = {"tmp": files["root"], "config": files["config"], "finished": files["finished"]}
    args = [arg.format(**places) for arg in template]
    refused(capsys, files["root"], args, fragment.format(**places))


MITIGATION_CASES: dict[str, tuple[str, Any, str]] = {
    "class_images_empty": (  # was "'.' has no class subfolders of images" (t2i_mitigate.yaml)
        "class_images",
        "",
        "model.init_args.class_images: an empty path; give a file or folder",
    ),
    # Path("") is the working directory: "'.' holds no summary.json", or RUN/feedback.yaml unsaid
    "run_empty": ("run", "", "model.init_args.run: an empty path; give a file or folder"),
    "feedback_empty": ("feedback", "", "model.init_args.feedback: an empty path; give a file"),
    "run_null": (  # was "model: the following arguments are required: run"
        "run",
        None,
        "model.init_args.run has no default: give it a value (null is no value)",
    ),
    "learning_rate_empty": (  # was "expected float, got " and nothing
        "learning_rate",
        "",
        "model.init_args.learning_rate: expected float, got an empty string",
    ),
    "clean_share_nan": (  # was "must be in [0, 1) (the share of ...), got nan"
        "clean_share",
        float("nan"),
        "error: model.init_args.clean_share must be a finite number, got nan",
    ),
    "keep_others_maybe": (  # was "model.init_args.keep_others: expected bool, got maybe"
        "keep_others",
        "maybe",
        "error: model.init_args.keep_others must be true or false, got maybe",
    ),
}


@pytest.mark.parametrize("case", list(MITIGATION_CASES))
def test_mitigation_configs(case: str, files, tmp_path: Path, capsys) -> None:
    """configs/mitigate_digits.yaml (t2i_mitigate.yaml for its own keys) with one key of the
    fine-tuner's given a bad value."""
    key, value, fragment = MITIGATION_CASES[case]
    name = "t2i_mitigate" if key in ("class_images", "keep_others") else "mitigate_digits"
    data = yaml.safe_load((Path(__file__).parents[1] / f"configs/{name}.yaml").read_text())
    data["model"]["init_args"]["run"] = str(files["finished"])
    data["model"]["init_args"][key] = value
    data["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    config = tmp_path / "mitigate.yaml"
    config.write_text(yaml.safe_dump(data))
    refused(capsys, tmp_path, ["fit", "--config", str(config)], fragment)


def test_resuming_a_finished_run_says_so_and_creates_nothing(files, capsys) -> None:
    for ckpt in (files["ckpt"], files["finished"]):
        code = main(["fit", "--config", str(files["config"]), "--ckpt_path", str(ckpt)])
        captured = capsys.readouterr()
        assert code == 0, captured.err[-2000:]
        assert "already finished" in captured.out and str(files["finished"]) in captured.out
        assert not list(files["root"].glob("runs/**/version_*"))


def test_there_are_at_least_sixty_cases() -> None:
    cases = CKPT_CASES | MISMATCH_CASES | EDITS | CONFIG_FILE_CASES | OTHER_CASES | DATA_FILE_CASES
    assert len(cases) >= 60, len(cases)


@pytest.mark.parametrize(
    "args",
    [
        ["report", "RUN", "--threshold", "abc"],
        ["export", "RUN"],
        ["plugins", "explorers"],  # kinds are target(s), dataset(s), concept(s), reward(s)
        ["loop"],
        ["check", "--suite"],
        ["feedback", "RUN", "--slices", "blocks"],
    ],
)
def test_argparse_mistakes_are_one_line_without_the_usage_block(args, capsys) -> None:
    """argparse printed its usage block (5-7 lines) before the error line."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    # one prefix for every command (the README's), the command named in the hint
    assert err.startswith("ffade: error: ") and f"(see ffade {args[0]} --help)" in err


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["feedback", "RUN", "--max-regions", "abc"],
            "--max-regions: expected a whole number from 1",
        ),
        (["feedback", "RUN", "--examples", "2.5"], "--examples: expected a whole number from 0"),
        (
            ["export", "RUN", "--to", "s.yaml", "--pairs", "1e30"],
            "--pairs: expected a whole number",
        ),
        (["export", "RUN", "--to", "s.yaml", "--seed", "nan"], "--seed: expected a whole number"),
        (
            ["export", "RUN", "--to", "s.yaml", "--max-failure-rate", "x"],
            "--max-failure-rate: expected a failure rate in [0, 1], got 'x'",
        ),
        (["report", "RUN", "--min-evaluations", "\u00b2"], "--min-evaluations: expected a whole"),
    ],
    ids=["max_regions", "examples", "pairs", "seed", "max_failure_rate", "superscript_two"],
)
def test_numeric_options_say_what_they_allow(args, said, capsys) -> None:
    """argparse's ``type=int`` said "invalid int value: 'abc'", nothing of what is allowed, and
    a superscript digit (``isdigit()`` but no int) named a function: "invalid
    whole_number_from_1 value"."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("ffade: error: argument "), err
    assert said in err and "invalid" not in err, err


@pytest.mark.parametrize(
    "args, option",
    [
        (["check", "--suite", "a.yaml", "--target", "A", "--target", "B"], "--target"),
        (["report", "RUN", "--out", "a", "--out=b"], "--out"),
        (["loop", "--config", "a.yaml", "--config", "b.yaml"], "--config"),
    ],
)
def test_a_one_value_option_given_twice_is_refused(args, option, capsys) -> None:
    """argparse kept the last value silently: the first target was never checked."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert (
        err.strip()
        == f"ffade: error: {option} given 2 times; give it once (see ffade {args[0]} --help)"
    )


def test_repeatable_options_stay_repeatable(tmp_path: Path, capsys) -> None:
    """--target-arg appends: giving it twice is not the mistake above."""
    args = [
        "check",
        "--suite",
        str(tmp_path / "none.yaml"),
        "--target-arg",
        "a=1",
        "--target-arg",
        "b=2",
    ]
    assert main(args) == 2
    assert "given 2 times" not in capsys.readouterr().err


def test_a_run_folder_behind_a_broken_link_names_the_link(tmp_path: Path, capsys) -> None:
    """It said "file not found: .../runs/ffade" of a folder the user never named: the cause is
    the link (a runs folder linked to a disk not mounted)."""
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    (tmp_path / "runs").symlink_to(tmp_path / "unmounted")
    args = ["fit", "--config", str(config), "--trainer.default_root_dir", str(tmp_path / "runs")]
    line = refused(capsys, tmp_path, args, f"{tmp_path / 'runs'} is a symbolic link to")
    assert line.endswith(f"{tmp_path / 'unmounted'}, which does not exist")
    assert line.startswith(f"ffade: error: run directory {tmp_path / 'runs'}/")  # as README quotes


@pytest.mark.parametrize(
    "command",
    [["report"], ["feedback"], ["export", "--to", "suite.yaml"]],
)
@pytest.mark.parametrize("linked", ["run", "runs"])
def test_a_run_directory_behind_a_broken_link_names_the_link(
    tmp_path: Path, capsys, command: list[str], linked: str
) -> None:
    """They said "run directory ... does not exist" of a path the user sees listed: the cause
    is the link (the run itself, or the runs folder, linked to a disk not mounted)."""
    (tmp_path / linked).symlink_to(tmp_path / "unmounted")
    run = tmp_path / "run" if linked == "run" else tmp_path / "runs" / "version_0"
    line = refused(capsys, tmp_path, [command[0], str(run), *command[1:]])
    link = f"{tmp_path / linked} is a symbolic link to {tmp_path / 'unmounted'}"
    assert line == f"ffade: error: run directory {run}: {link}, which does not exist"
