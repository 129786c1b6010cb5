"""The shipped text-to-image configs run as a user types them, with tiny stand-ins for the
weights they name (a tiny Stable Diffusion and a tiny CLIP built from configs)."""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ffade_diffusion.tiny.clip import save_random_clip
from ffade_diffusion.tiny.digits import DIGIT_WORDS
from ffade_diffusion.tiny.pipeline import save_random_pipeline

from ffade.shown_numbers import share
from tests.helpers import REPO, ffade, ffade_in_process


@pytest.mark.slow  # about a minute on two busy cores: CI runs it in its slow step
def test_sd14_config_runs_on_a_tiny_pipeline(tmp_path: Path) -> None:
    # stand-ins that read 77 tokens, as Stable Diffusion's and CLIP's text encoders do: the
    # paper's prompts are longer than the 16 the tiny models read (their word-level tokenizer
    # spells unknown words in pieces)
    tiny_pipeline = save_random_pipeline(tmp_path / "sd", max_length=77)
    tiny_clip = save_random_clip(tmp_path / "clip", max_length=77)
    config = yaml.safe_load((REPO / "configs" / "sd14.yaml").read_text())
    args = config["model"]["init_args"]
    task = args["task"]
    assert task["target"]["args"]["model"] == "~/models/sd14"
    task["target"]["args"].update(
        model=str(tiny_pipeline),
        device="cpu",
        dtype="float32",
        height=16,
        width=16,
        num_inference_steps=2,
        cpu_threads=1,
    )
    task["reward"]["args"].update(model=str(tiny_clip), device="cpu")
    task["dataset"]["args"]["samples_per_prompt"] = 2
    args.update(budget=8, num_envs=4, eval_batch_size=4, learning_starts=4)
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "sd14.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade("fit", "--config", str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "sd14" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 8
    records = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(-1 <= r["metric"] <= 1 for r in records)


@pytest.mark.slow  # 45 s on two cores: CI runs it in its slow step
def test_the_readmes_offline_sd14_commands_run(tmp_path: Path) -> None:
    """The README's two commands, as printed: tiny stand-ins saved, then sd14.yaml on them."""
    readme = (REPO / "plugins" / "diffusion" / "README.md").read_text()
    block = readme.split("every step of the run is the real one", 1)[1].split("```")[1]
    save, fit = block.strip().replace("\\\n", " ").splitlines()
    python, *save_args = shlex.split(save)
    assert python == "python"
    subprocess.run([sys.executable, *save_args], cwd=tmp_path, check=True, capture_output=True)
    args = [a.replace("./tiny-", f"{tmp_path}/tiny-") for a in shlex.split(fit)]
    assert args[:3] == ["ffade", "fit", "--config"]
    result = ffade(*args[1:], "--trainer.logger.init_args.save_dir", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "sd14" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 96


@pytest.mark.slow  # 146 s on two busy cores (a loop was running): CI runs it in its slow step
def test_t2i_quickstart_runs_as_a_user_types_it(tmp_path: Path) -> None:
    """The bundled model, the judge and the digit prompts, on a small budget, from the CLI."""
    result = ffade(
        "fit",
        "--config",
        "configs/t2i_quickstart.yaml",
        "--model.init_args.budget",
        "96",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "t2i_quickstart" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 96
    assert summary["failures"] > 0
    # only the prompts drawn right unchanged are searched: the neutral state never fails
    assert summary["inputs_failing_unchanged"] > 0
    assert len(summary["task"]["input_ids"]) == summary["num_inputs"]
    records = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    unchanged = [r for r in records if r["state"] == summary["neutral_state"]]
    assert not any(r["failed"] for r in unchanged)
    examples = json.loads((run / "examples" / "examples.json").read_text())
    assert len(examples) == min(summary["failures"], 16)
    for example in examples:  # what the judge read, for the prompt that asked for the digit
        assert example["output"].startswith("drew ") and "(digits_cnn: p=" in example["output"]
        assert 'for "a ' in example["output"]
        assert DIGIT_WORDS[example["reference"]] in example["output"]
    assert (run / "examples" / "worst_failures.png").is_file()


@pytest.mark.slow  # about three minutes on two cores: CI runs it in its slow step
def test_the_t2i_loop_runs_as_the_readme_says(tmp_path: Path) -> None:
    """README: LoRA on real digits lowers the targeted rule's held-out failure rate; the guard
    decides, and a rejected fix stops the loop before rediscovery with exit status 1."""
    result = ffade("loop", "--config", "configs/loop_t2i.yaml", "--out", str(tmp_path), timeout=900)
    loop_dir = tmp_path / "version_0"
    record = json.loads((loop_dir / "loop.json").read_text())
    m = json.loads((loop_dir / "mitigate" / "mitigation.json").read_text())
    assert result.returncode == (0 if m["accepted"] else 1), result.stderr[-2000:]
    assert record["status"] == ("finished" if m["accepted"] else "rejected")
    assert m["training"]["steps"] == 600 and m["training"]["hyperparameters"]["class_images"]
    assert m["targeted_failure_rate_after"] < m["targeted_failure_rate_before"]
    assert m["clean_score_before"] == m["clean_accuracy_before"]
    assert (loop_dir / "rediscover").is_dir() == m["accepted"]
    if m["accepted"]:  # rediscovery searches the very prompts the first search did
        first, second = (
            json.loads((loop_dir / run / "summary.json").read_text())["task"]["input_ids"]
            for run in ("discover", "rediscover")
        )
        assert first == second
        retest = record["retest"]  # the judged rules on the same sampled pairs, before and after
        fixes = [c for c in retest["cases"] if c["goal"] == "fix"]
        assert len(fixes) == 1 and len(retest["cases"]) > 1
        assert fixes[0]["failure_rate_after"] < fixes[0]["failure_rate_before"]
    assert (m["fixed_weights"] is not None) == m["accepted"]


def test_two_concepts_filling_one_slot_are_one_line_before_any_image(tmp_path: Path) -> None:
    """A second prompt_slot on {style} overwrote the first: its values were recorded, never
    drawn, so the landscape blamed words the images never had."""
    config = yaml.safe_load((REPO / "configs" / "t2i_quickstart.yaml").read_text())
    task = config["model"]["init_args"]["task"]
    task["concepts"].append({"name": "prompt_slot", "args": {"slot": "style", "label": "look"}})
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "t2i.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade_in_process("fit", "--config", str(path))  # the slow tests start ffade itself
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [  # no loading bars before it either
        "ffade: error: concepts 'style' and 'look' both set slot {style}, so one would "
        "overwrite the other; keep one, with every value in its grid"
    ]
    assert not list((tmp_path / "runs").glob("*/*/evaluations.jsonl"))


def test_a_clean_tolerance_out_of_range_is_said_in_the_rewards_units(tmp_path: Path) -> None:
    """It said "the most accuracy a fix may lose, 0.01 = one point" for a CLIP score too, whose
    clean score is a mean cosine: the README says clean_tolerance is in the reward's units."""
    config = str(REPO / "configs" / "t2i_mitigate.yaml")
    options = ("--model.init_args.clean_tolerance", "1.5")
    result = ffade_in_process("fit", "--config", config, *options, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: model.init_args.clean_tolerance must be in [0, 1] (the most clean score "
        "a fix may lose, in its reward's units: judge accuracy, 0.01 = one point, or mean CLIP "
        "cosine with clip_score), got 1.5"
    ]


def test_a_neutral_that_disagrees_with_the_target_names_both_keys(tmp_path: Path) -> None:
    """``concept 'inference_steps': neutral is 5, but target ... samples with
    num_inference_steps 10`` named neither key: a user had two places to look for two values."""
    config = yaml.safe_load((REPO / "configs" / "t2i_quickstart.yaml").read_text())
    steps = config["model"]["init_args"]["task"]["concepts"][2]
    assert steps["name"] == "inference_steps"
    steps["args"]["neutral"] = 5
    config["trainer"]["logger"]["init_args"]["save_dir"] = str(tmp_path / "runs")
    path = tmp_path / "t2i.yaml"
    path.write_text(yaml.safe_dump(config))
    result = ffade_in_process("fit", "--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'tiny_digits_t2i': model.init_args.task.target.args."
        "num_inference_steps is 10, but concept 'inference_steps' has "
        "model.init_args.task.concepts[2].args.neutral 5, a value ffade never applies: its "
        "states would be drawn with num_inference_steps 10; set the concept's neutral: 10"
    ]
    assert not list((tmp_path / "runs").glob("*/*/evaluations.jsonl"))


@pytest.mark.slow
def test_t2i_report_captions_say_what_the_judge_saw(tmp_path: Path) -> None:
    """``ffade report`` on a text-to-image run: each example's caption names the digit the judge
    read and its confidence, which is not the prompt's digit (a failure), and agrees with the
    reward the run recorded; before, it only repeated the prompt (what was asked for)."""
    runs = tmp_path / "runs"
    config = ["--config", "configs/t2i_quickstart.yaml", "--model.init_args.budget", "96"]
    saved = ["--trainer.logger.init_args.save_dir", str(runs)]
    assert ffade_in_process("fit", *config, *saved).returncode == 0
    run = runs / "t2i_quickstart" / "version_0"
    assert ffade_in_process("report", str(run)).returncode == 0
    report = (run / "report.md").read_text()
    examples = json.loads((run / "examples" / "examples.json").read_text())
    assert examples
    for example in examples:
        said = re.fullmatch(r'drew (\d) \(digits_cnn: p=([\d.]+)\) for "(.*)"', example["output"])
        assert said, example["output"]
        assert int(said[1]) != example["reference"]  # judged a failure: another digit
        assert DIGIT_WORDS[example["reference"]] in said[3]  # the prompt asked for this one
        p = 1 / (1 + math.exp(-example["reward"] / 10))  # as the reward 10 |ln(p / (1 - p))|
        assert said[2] == share(p)  # saw, with the confidence the search was paid for
    shown = re.findall(r"the target says ([^\]*]*)\*", report)  # the report's first few
    assert shown and shown == [example["output"] for example in examples[: len(shown)]]


def test_an_uncached_hub_id_names_the_model_key(tmp_path: Path) -> None:
    """``model: nosuch/model`` (a hub id not in the cache) said "target 'diffusers_pipeline':
    cannot load pipeline 'nosuch/model' ...", the one target error that named no key: now
    ``model.init_args.task.target.args.model``, as a missing model folder's line does. Its hint
    named ``local_files_only`` bare too: now by its full key, the one to type."""
    target = "--model.init_args.task.target.args."
    result = ffade_in_process(
        "fit",
        *("--config", str(REPO / "configs" / "sd14.yaml")),
        f"{target}model=nosuch/model",
        f"{target}device=cpu",  # sd14.yaml's cuda and float16: refused first on this machine
        f"{target}dtype=float32",
        *("--trainer.logger.init_args.save_dir", str(tmp_path / "runs")),
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'diffusers_pipeline': model.init_args.task.target.args.model "
        "'nosuch/model': cannot load the pipeline (expected a local directory, or a hub id "
        "already in the Hugging Face cache; set model.init_args.task.target.args.local_files_only:"
        " false to download)"
    ]
    assert not (tmp_path / "runs").exists()


def test_an_uncached_clip_model_names_the_reward_key(tmp_path: Path) -> None:
    """clip_score's ``model: nosuch/model`` (not in the cache) said "reward 'clip_score': cannot
    load CLIP model 'nosuch/model' ...: We couldn't connect to 'https://huggingface.co' ...",
    naming no key and a connection never tried: now the key, and the hint alone."""
    result = ffade_in_process(
        "fit",
        *("--config", str(REPO / "configs" / "t2i_quickstart.yaml")),
        "--model.init_args.task.reward={name: clip_score, args: {model: nosuch/model}}",
        *("--trainer.logger.init_args.save_dir", str(tmp_path / "runs")),
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "ffade: error: reward 'clip_score': model.init_args.task.reward.args.model "
        "'nosuch/model': cannot load the CLIP model (a local directory, or a hub id in the "
        "Hugging Face cache; model.init_args.task.reward.args.local_files_only: false "
        "downloads it)"
    ]
    assert not (tmp_path / "runs").exists()
