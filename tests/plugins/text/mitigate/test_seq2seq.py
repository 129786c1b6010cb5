"""The seq2seq fine-tuner: trains on edited finetune articles, guards clean BLEU on heldout.

A small real discovery run on the bundled tiny summarizer, its most severe region prioritized,
then full and LoRA fine-tuning; the fixed weights load back into the target by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from ffade_text.mitigate import Seq2SeqFineTuner
from ffade_text.targets.seq2seq import TinyNewsBart
from lightning.pytorch import Callback, Trainer
from lightning.pytorch.utilities.exceptions import SIGTERMException

from ffade import registry
from ffade.errors import FfadeError
from ffade.explore import GridExplorer
from ffade.explore.run import discover
from ffade.feedback.command import feedback_from_file
from ffade.plugin_api import Target
from tests.helpers import REPO, fine_tuned
from tests.mitigate.test_signals import SigtermAsTrainingEnds

SMALL = {"max_finetune_inputs": 32, "guard_pairs": 48, "batch_size": 16, "eval_batch_size": 64}


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return text_discovery(tmp_path_factory.mktemp("text_discovery"))


def text_discovery(
    root: Path,
    target_args: dict[str, Any] | None = None,
    target: str = "tiny_news_bart",
    inputs: int = 12,
) -> Path:
    """Every pair of ``inputs`` articles x 16 states, its most severe region prioritized."""
    values = [0, 1, 2, 3]
    task = {
        "target": {"name": target, "args": target_args or {}},
        "dataset": {"name": "tiny_news"},
        "reward": {"name": "bleu_drop", "args": {"pass_reward": 0.0}},
        "concepts": [
            {"name": "keyboard_typo", "args": {"values": values}},
            {"name": "delete_word", "args": {"values": values}},
        ],
        "mode": "macroscopic",
        "max_inputs": inputs,
    }
    # every pair (inputs x 16 states): the fine-tuner needs regions, not a search that may miss
    explorer = GridExplorer(task, budget=16 * inputs, num_envs=64)
    discover(explorer, root, seed=0, name="discover")
    run = Path(explorer.recorder.run_dir)
    # a population rate (the grid's), not a searcher's: 40% of these pairs fail, no state has half
    feedback_from_file(
        run, REPO / "configs" / "feedback_text.yaml", threshold=0.3, pictures=lambda r: None
    )
    return run


def fine_tune(
    run: Path,
    root: Path,
    callbacks: list[Callback] | None = None,
    ckpt_path: Path | None = None,
    **args: Any,
) -> Seq2SeqFineTuner:
    def make() -> Seq2SeqFineTuner:
        return Seq2SeqFineTuner(run=str(run), **{**SMALL, **args})

    return fine_tuned(make, root, callbacks=callbacks, ckpt_path=ckpt_path)


@pytest.mark.parametrize("train", ["full", "lora"])
def test_fix_is_guarded_and_loads_back(text_run: Path, tmp_path: Path, train: str) -> None:
    lora = {"lora_r": 4} if train == "lora" else {}  # refused with train: full
    # LoRA's adapters learn slower: at 5e-4 they left the targeted rate as it was (rejected)
    rate = 5e-3 if train == "lora" else 5e-4
    tuner = fine_tune(
        text_run, tmp_path, train=train, learning_rate=rate, clean_tolerance=1.0, **lora
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    for when in ("before", "after"):
        assert 0 <= result[f"clean_bleu_{when}"] <= 100
        assert 0 <= result[f"clean_rougel_{when}"] <= 1
        # the same number, to the last digit (float32 and float64 means differed in the 8th)
        assert result[f"clean_accuracy_{when}"] == result[f"clean_bleu_{when}"] / 100
        assert 0 <= result[f"targeted_failure_rate_{when}"] <= 1
    assert result["clean_bleu_before"] > 90  # the bundled model summarizes held-out articles
    assert result["status"] == "accepted" and result["training"]["finetuner"] == "seq2seq"
    assert result["training"]["split"] == "finetune" and result["guard"]["split"] == "heldout"
    fixed = result["fixed_target"]
    assert fixed["name"] == "tiny_news_bart" and fixed["args"]["weights"].endswith("model.pt")
    target = registry.create("target", fixed["name"], fixed["args"])
    state = tuner.network.state_dict()
    assert all(
        target.model.state_dict()[k].equal(v.cpu()) for k, v in state.items()
    )  # LoRA adapters are merged: the saved file is a plain state dict of the model


@pytest.mark.gpu
def test_fix_runs_with_the_summarizer_on_cuda(tmp_path: Path) -> None:
    run = text_discovery(tmp_path, {"device": "cuda"})
    tuner = fine_tune(
        run, tmp_path, train="lora", learning_rate=5e-4, clean_tolerance=1.0, lora_r=4
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["status"] == "accepted", result
    assert result["fixed_target"]["args"]["device"] == "cuda"
    target = registry.create(
        "target", result["fixed_target"]["name"], result["fixed_target"]["args"]
    )
    assert next(target.model.parameters()).device.type == "cuda"


def test_a_costly_fix_is_rejected(text_run: Path, tmp_path: Path) -> None:
    """Rejected for its clean BLEU, said in one unit, the config's (BLEU / 100): the closing lines
    said "clean BLEU / 100 0.481 -> 0.447" then "fell 3.41 points, more than the tolerance of
    2.00" for ``clean_tolerance: 0.02``."""
    from tests.helpers import ffade_in_process

    result = ffade_in_process(
        "fit",
        "--config",
        "configs/text_mitigate.yaml",
        *("--model.init_args.run", str(text_run)),
        *("--model.init_args.max_finetune_inputs", "16", "--model.init_args.guard_pairs", "32"),
        *("--model.init_args.learning_rate", "0.05", "--model.init_args.clean_tolerance", "0.02"),
        *("--trainer.max_epochs", "1", "--trainer.logger.init_args.save_dir", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = tmp_path / "text_mitigate" / "version_0"
    mitigation = json.loads((run_dir / "mitigation.json").read_text())
    assert mitigation["status"] == "rejected" and mitigation["fixed_weights"] is None
    assert mitigation["clean_metric"] == "BLEU / 100"
    lines = result.stdout.splitlines()
    (held_out,) = [line for line in lines if line.startswith("fix rejected: ")]
    assert held_out.startswith("fix rejected: clean BLEU / 100 0.9"), result.stdout
    assert f"why: {mitigation['reason']}" in lines, result.stdout
    assert mitigation["reason"].startswith("clean BLEU / 100 fell 0."), mitigation["reason"]
    assert mitigation["reason"].endswith(
        ", more than the tolerance of 0.020; the original model is kept"
    ), mitigation["reason"]
    assert not (run_dir / "model.pt").exists()


def test_sigterm_as_training_ends_stops_the_bleu_check_after_it(
    text_run: Path, tmp_path: Path
) -> None:
    """The text fine-tuner's guard (its own measure_guard, with BLEU) stops as the base's does:
    status interrupted, no verdict (tests/mitigate/test_signals.py)."""
    with pytest.raises(SIGTERMException):
        fine_tune(text_run, tmp_path, callbacks=[SigtermAsTrainingEnds()])
    run = tmp_path / "mitigate" / "version_0"
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
    assert not (run / "mitigation.json").exists() and not (run / "model.pt").exists()


def test_bad_arguments_are_one_line(text_run: Path) -> None:
    with pytest.raises(FfadeError, match="train 'adapter' is not allowed; choose full or lora"):
        Seq2SeqFineTuner(run=str(text_run), train="adapter")
    with pytest.raises(FfadeError, match="schedule 'cosine' is not allowed"):
        Seq2SeqFineTuner(run=str(text_run), schedule="cosine")
    with pytest.raises(FfadeError, match=r"weight_decay must be at least 0, got -0\.1"):
        Seq2SeqFineTuner(run=str(text_run), weight_decay=-0.1)
    # 1 dropped every input of the adapters: they learnt nothing, a whole fine-tune for a rejection
    for dropout in (1.5, 1, 1.0):
        with pytest.raises(FfadeError, match=r"lora_dropout must be in \[0, 1\) \(.*got 1"):
            Seq2SeqFineTuner(run=str(text_run), train="lora", lora_dropout=dropout)
    with pytest.raises(FfadeError, match="lora_alpha must be above 0, got 0"):
        Seq2SeqFineTuner(run=str(text_run), lora_alpha=0)
    # each names only the key that is wrong, not a pair of them
    with pytest.raises(FfadeError, match=r"^model.init_args.lora_r must be at least 1, got 0$"):
        Seq2SeqFineTuner(run=str(text_run), lora_r=0)
    with pytest.raises(FfadeError, match=r"^model.init_args.max_target_tokens must be at least 1"):
        Seq2SeqFineTuner(run=str(text_run), max_target_tokens=0)
    with pytest.raises(
        FfadeError, match=r"^model.init_args.lora_r must be a whole number from 1, got 2.5$"
    ):
        Seq2SeqFineTuner(run=str(text_run), lora_r=2.5)  # built, and peft failed later
    # in BLEU / 100, as mitigation.json's clean_metric says: not "a share of accuracy"
    with pytest.raises(FfadeError, match=r"the most BLEU / 100 a fix may lose, .*got 2\.0$"):
        Seq2SeqFineTuner(run=str(text_run), clean_tolerance=2.0)
    # an empty list adapts nothing: it was peft's "no `target_parameters` found" once the model
    # and data had loaded; a blank name, peft's "not found in the base model"
    for modules in ([], ["q_proj", " "]):
        with pytest.raises(FfadeError, match=r"^model.init_args.lora_target_modules: .*or null"):
            Seq2SeqFineTuner(run=str(text_run), train="lora", lora_target_modules=modules)


def test_a_lora_argument_with_full_training_is_refused(text_run: Path) -> None:
    """train: full builds no adapter: a lora_* setting would be silently ignored."""
    for key, value in (("lora_r", 4), ("lora_alpha", 32.0), ("lora_dropout", 0.1)):
        with pytest.raises(FfadeError) as error:
            Seq2SeqFineTuner(run=str(text_run), **{key: value})
        assert str(error.value) == (
            f"model.init_args.{key} {value!r} needs train: lora (train is 'full', which trains "
            f"every weight and builds no LoRA adapter); set train: lora, or leave {key} out"
        )
    with pytest.raises(FfadeError, match=r"^model.init_args.lora_target_modules \[q_proj\] "):
        Seq2SeqFineTuner(run=str(text_run), train="full", lora_target_modules=["q_proj"])
    # a value equal to the default changes nothing either way: let be
    Seq2SeqFineTuner(run=str(text_run), train="full", lora_r=8, lora_alpha=16, lora_dropout=0.05)


def test_a_classifier_run_is_refused_in_one_line(tmp_path: Path) -> None:
    # the wrong fine-tuner for the run's target: one line naming both, not sacrebleu's TypeError
    from tests.mitigate.conftest import digits_run_with_feedback

    run = digits_run_with_feedback(tmp_path)
    with pytest.raises(FfadeError) as error:
        fine_tune(run, tmp_path)
    message = str(error.value)
    # the kinds both declare refuse it as the fine-tune sets up (ffade.mitigate.contract)
    assert message == (
        "model.init_args.run: Seq2SeqFineTuner fixes targets that return texts, but the run "
        f"'{run}' searched target 'digits_cnn', which returns a classifier's class scores: give "
        "model.class_path: ffade.mitigate.ClassifierFineTuner; to write a fine-tuner, see "
        "docs/plugins.md, Your own fine-tuner"
    )


def test_text_mitigate_config_as_a_user_runs_it(text_run: Path, tmp_path: Path) -> None:
    """The shipped config with the command line's overrides, through ``main`` in this process
    (the same argv a typed ``ffade fit`` parses; a process of its own spent about 7 s of CPU
    importing Lightning and transformers again)."""
    from tests.helpers import ffade_in_process

    result = ffade_in_process(
        "fit",
        "--config",
        "configs/text_mitigate.yaml",
        "--model.init_args.run",
        str(text_run),
        "--model.init_args.max_finetune_inputs",
        "16",
        "--model.init_args.guard_pairs",
        "32",
        "--trainer.max_epochs",
        "1",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = tmp_path / "text_mitigate" / "version_0"
    mitigation = json.loads((run_dir / "mitigation.json").read_text())
    # the config's settings and the command line's overrides reach the fine-tuner and its guard
    training, guard = mitigation["training"], mitigation["guard"]
    assert (training["inputs"], training["epochs"], training["steps"]) == (16, 1, 1)
    assert (guard["targeted_pairs"], guard["untargeted_pairs"]) == (32, 32)
    assert training["hyperparameters"]["learning_rate"] == 0.0005
    # one small step at the config's learning rate keeps clean BLEU within its 1-point tolerance;
    # whether it lowers the targeted rate decides the verdict (docs/mitigation.md, the guard)
    assert mitigation["clean_tolerance"] == 0.01
    assert abs(mitigation["clean_bleu_change"]) <= 1.0, mitigation["reason"]
    before, after = (
        mitigation["targeted_failure_rate_before"],
        mitigation["targeted_failure_rate_after"],
    )
    assert mitigation["accepted"] is (after < before), mitigation
    if mitigation["accepted"]:
        assert "within the tolerance of 1.00" in mitigation["reason"]
        assert mitigation["fixed_weights"] == str(run_dir / "model.pt")
    else:
        assert mitigation["reason"].startswith("targeted failure rate did not drop")
        assert mitigation["fixed_weights"] is None
    assert (run_dir / "model.pt").is_file() is mitigation["accepted"]


class _SaveAfterFirstStep(Callback):
    """A checkpoint from the middle of training, as a kill would leave one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_batch_end(self, trainer: Trainer, *args: Any) -> None:
        if trainer.global_step == 1:
            trainer.save_checkpoint(self.path, weights_only=False)


@pytest.mark.slow
def test_a_resumed_fine_tune_keeps_the_clean_bleu_measured_before_training(
    text_run: Path, tmp_path: Path
) -> None:
    """The "before" BLEU once came back from a checkpoint only as the guard's accuracy, and the
    labels went by count: a resumed run reported clean_bleu_before equal to clean_bleu_after."""
    ruinous = {"learning_rate": 0.05, "clean_tolerance": 0.0}
    checkpoint = tmp_path / "middle.ckpt"
    whole = fine_tune(text_run, tmp_path / "a", [_SaveAfterFirstStep(checkpoint)], **ruinous)
    resumed = fine_tune(text_run, tmp_path / "b", ckpt_path=checkpoint, **ruinous)
    first, second = (
        json.loads((t.run_dir / "mitigation.json").read_text()) for t in (whole, resumed)
    )
    assert second["clean_bleu_before"] == first["clean_bleu_before"] > 90
    assert second["clean_bleu_after"] < second["clean_bleu_before"]
    assert second["status"] == first["status"] == "rejected"


def test_reference_summaries_longer_than_the_decoders_positions_are_cut_there(
    tmp_path: Path,
) -> None:
    """max_target_tokens above a BART's positions (the bundled one has 256) cut a long reference
    summary past them: an IndexError traceback from the decoder's position embedding."""
    words = [
        "the",
        "council",
        "approved",
        "a",
        "budget",
        "for",
        "roads",
        "and",
        "schools",
        "after",
        "a",
        "long",
        "debate",
    ]
    rows = [
        {"article": " ".join(words[(i + j) % len(words)] for j in range(30)), "summary": long}
        for i, long in enumerate([" ".join(words * 30)] * 20)
    ]
    data = tmp_path / "long.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    task = {
        "target": {"name": "tiny_news_bart", "args": {"generation": {"max_new_tokens": 4}}},
        "dataset": {"name": "summaries", "args": {"path": str(data)}},
        "reward": {"name": "bleu", "args": {"threshold": 20.0}},
        "concepts": [{"name": "delete_word", "args": {"values": [0, 1]}}],
        "mode": "macroscopic",
        "max_inputs": 4,
    }
    explorer = GridExplorer(task, budget=8, num_envs=8)
    discover(explorer, tmp_path / "discover", seed=0, name="discover")
    run = Path(explorer.recorder.run_dir)
    feedback_from_file(run, REPO / "configs" / "feedback_text.yaml", pictures=lambda r: None)
    tuner = fine_tune(
        run, tmp_path, max_target_tokens=512, clean_tolerance=1.0, max_finetune_inputs=4
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["status"] in ("accepted", "rejected")


class _OwnSummarizer(Target):
    """A summarizer of a user's own: a tokenizer, an encoder-decoder model, ``preprocess`` and
    ``weights``, and no ``positions`` (which docs/plugins.md does not ask for)."""

    output_kind = "texts"

    def __init__(self, weights: str | None = None, device: str = "cpu") -> None:
        super().__init__(device)
        self._bart = TinyNewsBart(weights=weights, device=device)
        self.model, self.tokenizer = self._bart.model, self._bart.tokenizer

    def preprocess(self, inputs: list[str]) -> dict[str, torch.Tensor]:
        return self._bart.encode(inputs)

    def predict(self, inputs: list[str]) -> list[str]:
        return self._bart.predict(inputs)

    def features(self, inputs: list[str]) -> torch.Tensor:
        return self._bart.features(inputs)


def test_a_summarizer_without_positions_is_fine_tuned(tmp_path: Path) -> None:
    """The fine-tuner read the target's ``positions`` (seq2seq_summarizer's own) at the first
    training step: an AttributeError traceback for a target without it; the model's config
    gives the count now."""
    registry.register("target", "own_summarizer", _OwnSummarizer)
    try:
        run = text_discovery(tmp_path, target="own_summarizer", inputs=4)
        small = {"max_finetune_inputs": 8, "guard_pairs": 16, "eval_batch_size": 16}
        tuner = fine_tune(run, tmp_path, clean_tolerance=1.0, **small)
        result = json.loads((tuner.run_dir / "mitigation.json").read_text())
        assert result["status"] in ("accepted", "rejected")
        assert tuner._positions == 256  # the bundled BART's max_position_embeddings
    finally:
        registry.unregister("target", "own_summarizer")
