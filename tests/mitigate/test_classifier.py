"""The classifier fine-tuner: trains on finetune, judges on heldout, saves or rejects the fix."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from ffade_vision.targets.digits_cnn import BUNDLED, DigitsCNNTarget
from lightning.pytorch import Callback, Trainer

from ffade import registry
from ffade.cli import main
from ffade.errors import FfadeError
from ffade.explore import DQNExplorer
from ffade.explore.run import discover
from ffade.feedback.command import feedback_from_file
from ffade.mitigate import ClassifierFineTuner, FineTuner
from ffade.records import read_summary
from ffade.task import build_task
from tests.helpers import REPO, ffade, ffade_in_process
from tests.mitigate.conftest import KEYS, SMALL, digits_spec, fine_tune, run_naming


def test_untargeted_rates_by_value_add_up_to_the_untargeted_rate(accepted) -> None:
    """Each concept's rows split the same untargeted pairs: counts sum to them, and the rates
    weighted by their counts give back the untargeted rate, before and after."""
    result = json.loads((accepted.run_dir / "mitigation.json").read_text())
    table = result["untargeted_by_value"]
    concepts = accepted.task.space.concepts
    assert list(table) == [c.label for c in concepts]
    for concept, (label, rows) in zip(concepts, table.items(), strict=True):
        assert [r["value"] for r in rows] == list(concept.values), label
        pairs = sum(r["pairs"] for r in rows)
        assert pairs == result["guard"]["untargeted_pairs"], label
        for when in ("before", "after"):
            rates = [(r["pairs"], r[f"failure_rate_{when}"]) for r in rows if r["pairs"]]
            pooled = sum(n * rate for n, rate in rates) / pairs
            assert pooled == pytest.approx(result[f"untargeted_failure_rate_{when}"]), label


def documented_mitigation_keys() -> set[str]:
    """The keys docs/mitigation.md's mitigation.json list names ("`a_before`, `_after`": two)."""
    doc = (REPO / "docs" / "mitigation.md").read_text()
    section = doc.split("\n### mitigation.json\n", 1)[1].split("\n## ", 1)[0]
    return leading_keys(section)


def leading_keys(section: str) -> set[str]:
    """The keys that open a section's top-level bullets ("- `a_before`, `_after`: ..."), with
    "_after" read as the key before it with that ending."""
    keys = set()
    for lead in re.findall(r"^- ((?:`\w+`(?:, )?)+)", section, re.MULTILINE):
        names = re.findall(r"`(\w+)`", lead)
        for name in names:
            keys.add(names[0].rsplit("_", 1)[0] + name if name.startswith("_") else name)
    return keys


def test_mitigation_json_holds_exactly_the_documented_keys(accepted) -> None:
    result = json.loads((accepted.run_dir / "mitigation.json").read_text())
    assert documented_mitigation_keys() == set(result)


def test_the_fine_tunes_summary_keys_are_the_documented_ones(accepted) -> None:
    """docs/mitigation.md's summary.json subsection: its own keys, then mitigation.json's but two
    (`error` is there only after an error)."""
    doc = (REPO / "docs" / "mitigation.md").read_text()
    section = doc.split("\n#### `summary.json`\n", 1)[1].split("\n#", 1)[0]
    assert "mitigation.json's keys but `regions` and `guard`" in section
    own = leading_keys(section)
    summary = json.loads((accepted.run_dir / "summary.json").read_text())
    from_result = documented_mitigation_keys() - {"regions", "guard"}
    assert set(summary) == (own - {"error"}) | from_result


def test_a_fine_tunes_files_and_tensorboard_tags_are_the_documented_ones(accepted) -> None:
    """docs/mitigation.md's "What a fine-tune leaves" table names every file of the run
    directory (hparams.yaml, which Lightning's logger writes, was missing), and its
    events.out.tfevents.* subsection every scalar the classifier fine-tuner logs."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    doc = (REPO / "docs" / "mitigation.md").read_text()
    section = doc.split("\n### What a fine-tune leaves\n", 1)[1].split("\n#### ", 1)[0]
    rows = re.findall(r"^\| \[`([^`]+)`\]", section, re.MULTILINE)
    run_dir = accepted.run_dir
    found = {p.name for p in run_dir.iterdir()}  # no config.yaml or checkpoint: not the CLI's
    found = {"events.out.tfevents.*" if n.startswith("events.out") else n for n in found}
    assert "hparams.yaml" in found and found <= set(rows)
    events = doc.split("\n#### `events.out.tfevents.*`\n", 1)[1].split("\n#### ", 1)[0]
    (path,) = run_dir.glob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(path))
    accumulator.Reload()
    logged = set(accumulator.Tags()["scalars"])
    named = set(re.findall(r"`([a-z_]+(?:/[a-z_]+)?)`", events))
    guard = {tag for tag in logged if tag.startswith("guard/")}
    assert logged - guard <= named and "train/token_accuracy" not in logged
    assert {"guard/clean_accuracy_before", "guard/targeted_failure_rate_after"} <= guard
    assert {tag.split("/")[1] for tag in guard} <= set(KEYS)


def test_a_target_without_class_logits_is_refused_in_one_line(digits_run: Path) -> None:
    # a summarizer's run given to the classifier fine-tuner: its outputs are texts, not logits
    tuner = ClassifierFineTuner(run=str(digits_run), **SMALL)
    with pytest.raises(FfadeError) as error:
        tuner.clean_correct(["a summary", "another"], torch.tensor([0, 1]))
    message = str(error.value)
    assert "needs a target whose outputs are class logits" in message and "\n" not in message
    assert "returned a list" in message and "Seq2SeqFineTuner" in message
    with pytest.raises(FfadeError, match=r"returned a torch.int64 tensor of shape \(2,\)"):
        tuner.clean_correct(torch.tensor([3, 1]), torch.tensor([3, 1]))
    right = tuner.clean_correct(
        np.array([[0.1, 2.0], [3.0, 0.0]], np.float32), torch.tensor([1, 1])
    )
    assert right.tolist() == [True, False]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_tie_for_the_top_is_wrong_for_the_guard_as_for_the_rewards(
    digits_run: Path, dtype: torch.dtype
) -> None:
    """The guard's "right on a clean input" and the rewards' "failed" are one rule: a tie for
    the top with a wrong class is a miss whatever the classes' order (argmax read the tie as
    right for label 0 only, where misclassification counted a failure)."""
    tuner = ClassifierFineTuner(run=str(digits_run), **SMALL)
    logits = torch.tensor([[2.0, 2.0, 0.0], [2.0, 2.0, 0.0], [0.0, 3.0, 1.0]], dtype=dtype)
    labels = torch.tensor([0, 1, 1])
    right = tuner.clean_correct(logits, labels)
    assert right.tolist() == [False, False, True]
    failed = registry.create("reward", "misclassification").score(logits, labels)
    assert (~failed.judged_failed()).tolist() == right.tolist()


def test_a_nan_answer_is_never_right_on_a_clean_input(accepted) -> None:
    """An all-NaN row's argmax is class 0: a diverged fix was right on every 0 of the clean
    held-out inputs. The classifier's top-1 and the base's default (not failed) both say wrong."""
    tuner = accepted
    logits = torch.tensor([[float("nan")] * 10, [5.0] + [0.0] * 9])
    labels = torch.tensor([0, 0])
    assert tuner.clean_correct(logits, labels).tolist() == [False, True]
    assert FineTuner.clean_correct(tuner, logits, labels).tolist() == [False, True]


class LabelsCNN(DigitsCNNTarget):
    """A classifier target that answers class indices, not logits."""

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return super().predict(inputs).argmax(-1)


def test_a_target_without_logits_is_refused_before_lightning_sets_up(
    digits_run: Path, tmp_path: Path
) -> None:
    registry.register("target", "labels_cnn", LabelsCNN)
    try:
        tuner = ClassifierFineTuner(
            run=str(run_naming(digits_run, tmp_path, "target", "labels_cnn"))
        )
        trainer = Trainer(max_epochs=1, logger=False, default_root_dir=tmp_path / "out")
        # its output_kind says class_scores: refused as discovery refuses it
        match = (
            r"^target 'labels_cnn': predict\(\) returned a \(1,\) int64 tensor, but its output_kind"
        )
        with pytest.raises(FfadeError, match=match):
            trainer.fit(tuner)
    finally:
        registry.unregister("target", "labels_cnn")
    assert trainer.optimizers == []  # stopped in setup: Lightning never asked for an optimizer


class BlankCNN(DigitsCNNTarget):
    """preprocess() blanks the images: the model it trains is not the one predict() runs."""

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(super().preprocess(inputs))

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(super().preprocess(inputs))


def test_a_preprocess_that_is_not_predicts_way_in_is_refused(digits_run, tmp_path) -> None:
    registry.register("target", "blank_cnn", BlankCNN)
    try:
        tuner = ClassifierFineTuner(
            run=str(run_naming(digits_run, tmp_path, "target", "blank_cnn"))
        )
        trainer = Trainer(max_epochs=1, logger=False, default_root_dir=tmp_path / "out")
        message = (
            r"^target 'blank_cnn': model\(preprocess\(inputs\)\), which the fine-tuner trains, "
            r"gave the class predict\(inputs\) picks on \d of the first 16 finetune inputs; it "
            r"must give predict\(inputs\)'s outputs"
        )
        with pytest.raises(FfadeError, match=message):
            trainer.fit(tuner)
    finally:
        registry.unregister("target", "blank_cnn")


class FrozenCNN(DigitsCNNTarget):
    """Every weight frozen (``requires_grad=False``), as a model kept for inference often is."""

    def __init__(self, weights: str | None = BUNDLED) -> None:
        super().__init__(weights)
        self.model.requires_grad_(False)


class NoGradCNN(DigitsCNNTarget):
    """A forward that runs under ``torch.no_grad()``: its outputs carry no gradient."""

    def __init__(self, weights: str | None = BUNDLED) -> None:
        super().__init__(weights)
        self.model.forward = torch.no_grad()(self.model.forward)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (FrozenCNN, r"its model has every parameter frozen, so the fine-tuner has no weight"),
        (NoGradCNN, r"model\(preprocess\(inputs\)\), which the fine-tuner trains, gives outputs "),
    ],
)
def test_a_model_that_cannot_train_is_refused_before_the_first_step(
    digits_run: Path, tmp_path: Path, target: type, message: str
) -> None:
    """Torch's own errors came from the first training step, a traceback from inside Lightning:
    "optimizer got an empty parameter list", "element 0 of tensors does not require grad"."""
    registry.register("target", "untrainable_cnn", target)
    try:
        tuner = ClassifierFineTuner(
            run=str(run_naming(digits_run, tmp_path, "target", "untrainable_cnn"))
        )
        trainer = Trainer(max_epochs=1, logger=False, default_root_dir=tmp_path / "out")
        with pytest.raises(FfadeError, match=rf"^target 'untrainable_cnn': {message}"):
            trainer.fit(tuner)
    finally:
        registry.unregister("target", "untrainable_cnn")
    assert trainer.optimizers == []  # stopped in setup: Lightning never asked for an optimizer


class HeadOutsideCNN(DigitsCNNTarget):
    """A ``head`` that is a module, but not one of ``model``'s."""

    def __init__(self, weights: str | None = BUNDLED) -> None:
        super().__init__(weights)
        self.head = torch.nn.Linear(128, 10)


class HeadNamedCNN(DigitsCNNTarget):
    """A ``head`` given as the module's name rather than the module."""

    def __init__(self, weights: str | None = BUNDLED) -> None:
        super().__init__(weights)
        self.head = "classifier.2"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (HeadOutsideCNN, r"its head is not a module of its model, which is what the fine-tuner"),
        (HeadNamedCNN, r"its head is a str, not a torch\.nn\.Module; make it the module"),
    ],
)
def test_a_head_that_is_no_module_of_the_model_is_refused(
    digits_run: Path, tmp_path: Path, target: type, message: str
) -> None:
    """docs/plugins.md: ``head`` is the module of ``model`` that ``train: head`` trains. One
    outside the model was refused as "its model has every parameter frozen", which the user
    never did; a name instead of the module was ignored, and the last nn.Linear trained."""
    registry.register("target", "headed_cnn", target)
    try:
        run = run_naming(digits_run, tmp_path, "target", "headed_cnn")
        tuner = ClassifierFineTuner(run=str(run), train="head")
        trainer = Trainer(max_epochs=1, logger=False, default_root_dir=tmp_path / "out")
        with pytest.raises(FfadeError, match=rf"^target 'headed_cnn': {message}"):
            trainer.fit(tuner)
    finally:
        registry.unregister("target", "headed_cnn")
    assert trainer.optimizers == []  # stopped in setup: Lightning never asked for an optimizer


class RowsCNN(DigitsCNNTarget):
    """Class scores as a list of rows, one per input, which discovery takes (docs/plugins.md)."""

    def predict(self, inputs: torch.Tensor) -> list[list[float]]:
        return super().predict(inputs).tolist()


def test_a_target_answering_rows_of_scores_is_fine_tuned_as_discovery_takes_it(
    digits_run: Path, tmp_path: Path
) -> None:
    """Discovery hands rewards a list of rows as the (batch, num_classes) tensor; the fine-tuner
    took the target's predict() as it came and refused it ("returned a list")."""
    registry.register("target", "rows_cnn", RowsCNN)
    try:
        run = run_naming(digits_run, tmp_path, "target", "rows_cnn")
        tuner = fine_tune(run, tmp_path / "out")
    finally:
        registry.unregister("target", "rows_cnn")
    assert read_summary(tuner.run_dir)["status"] in {"accepted", "rejected"}


class DrawingCNN(DigitsCNNTarget):
    """predict() draws from torch's random stream, as hf_pipeline's does (its DataLoader's
    seed), without changing what it answers."""

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        torch.rand(1)
        return super().predict(inputs)


def test_the_preprocess_check_leaves_the_training_stream_as_it_was(digits_run, tmp_path) -> None:
    """The check of model(preprocess(x)) against predict(x) moved the README's text fine-tune
    from 19.5% to 22.3% targeted failures: its predict call shifted every dropout mask after."""
    registry.register("target", "drawing_cnn", DrawingCNN)
    try:
        tuner = ClassifierFineTuner(
            run=str(run_naming(digits_run, tmp_path, "target", "drawing_cnn"))
        )
        tuner.task = build_task(tuner._spec_on("finetune"))  # what setup builds, no run dir
        tuner.network = tuner.task.target.model
        state = torch.random.get_rng_state()
        tuner._check_preprocess()  # it runs predict: the draw is undone
        assert torch.equal(torch.random.get_rng_state(), state)
        tuner.target.predict(tuner.task.dataset.collate(tuner.task.inputs[:1])[0])
        assert not torch.equal(torch.random.get_rng_state(), state)  # the target does draw
    finally:
        registry.unregister("target", "drawing_cnn")


def test_tensorboard_has_the_documented_tags(accepted) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(accepted.run_dir), size_guidance={"scalars": 0}).Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/accuracy", "train/clean_share"} <= tags, tags
    assert {"guard/clean_accuracy_before", "guard/clean_accuracy_after"} <= tags, tags
    # docs/mitigation.md: one point per training step, counted from 0; the guard before at
    # step 0, after at summary.json's steps, one past the last training point
    steps = read_summary(Path(accepted.run_dir))["steps"]
    assert steps > 0
    for tag in ("train/loss", "train/accuracy", "train/distill_loss", "train/clean_share", "epoch"):
        assert [e.step for e in events.Scalars(tag)] == list(range(steps)), tag
    for tag in tags - {"hp_metric"}:
        if tag.startswith("guard/"):
            assert [e.step for e in events.Scalars(tag)] == [0 if "before" in tag else steps], tag


def test_training_guard_and_discovery_inputs_never_overlap(accepted) -> None:
    dataset = accepted.task.dataset
    splits = {name: set(dataset.indices[name].tolist()) for name in dataset.indices}
    assert not splits["discovery"] & splits["finetune"]
    assert not splits["discovery"] & splits["heldout"]
    assert not splits["finetune"] & splits["heldout"]
    finetune = dataset.split("finetune")
    assert all(
        torch.equal(a[0], b[0]) for a, b in zip(accepted.task.inputs, finetune[:64], strict=True)
    )
    heldout = dataset.split("heldout")
    assert len(accepted.heldout.inputs) == len(heldout)
    assert torch.equal(accepted.heldout.inputs[0][0], heldout[0][0])


def test_the_summarys_task_is_the_one_trained_on(accepted) -> None:
    """summary.json's task builds the very inputs the fix trained on: the finetune split's first
    max_finetune_inputs, not as many as the run's max_inputs (which counted discovery inputs)."""
    task = read_summary(accepted.run_dir)["task"]
    assert task["split"] == "finetune"
    assert (
        task["max_inputs"] == SMALL["max_finetune_inputs"] != accepted.plan.task_spec["max_inputs"]
    )
    rebuilt = build_task(task).inputs
    training = json.loads((accepted.run_dir / "mitigation.json").read_text())["training"]
    assert len(rebuilt) == len(accepted.task.inputs) == training["inputs"]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(rebuilt, accepted.task.inputs, strict=True))


def test_a_run_on_passing_inputs_is_fixed_with_every_finetune_input(tmp_path: Path) -> None:
    """The run's input_ids index its discovery split: fine-tuning and clean accuracy ignore them.
    Its failures were found on inputs the model got right unchanged, so the guard's failure
    rates are measured on the held-out inputs the original model gets right unchanged, the
    same ones after a resume."""
    spec = {**digits_spec(), "only_passing_inputs": True}
    explorer = DQNExplorer(task=spec, budget=320, num_envs=32, learning_starts=64)
    discover(explorer, tmp_path, seed=0, name="discover")
    run = Path(explorer.recorder.run_dir)
    assert read_summary(run)["task"]["input_ids"] is not None
    feedback_from_file(run, REPO / "configs" / "feedback_digits.yaml", pictures=lambda r: None)
    checkpoint = tmp_path / "middle.ckpt"
    tuner = fine_tune(run, tmp_path / "a", 2, [_SaveAfterFirstStep(checkpoint)], clean_tolerance=1)
    assert len(tuner.task.inputs) == SMALL["max_finetune_inputs"]
    assert len(tuner.heldout.inputs) == len(tuner.task.dataset.split("heldout"))

    images, labels = tuner.heldout.dataset.collate(tuner.heldout.inputs)
    original = registry.create("target", "digits_cnn")
    right = (original.predict(images).argmax(1) == labels).numpy()
    assert 0 < (~right).sum() < len(right)  # some held-out digits are misread unchanged
    guard = json.loads((tuner.run_dir / "mitigation.json").read_text())["guard"]
    assert guard["only_passing_inputs"] and guard["inputs"] == len(right)
    assert guard["failure_rate_inputs"] == right.sum()
    pairs = tuner._pairs
    assert right[pairs.targeted_ids].all() and right[pairs.untargeted_ids].all()

    resumed = fine_tune(run, tmp_path / "b", 2, ckpt_path=checkpoint, clean_tolerance=1)
    first, second = (
        json.loads((t.run_dir / "mitigation.json").read_text()) for t in (tuner, resumed)
    )
    assert {k: second[k] for k in KEYS} == {k: first[k] for k in KEYS}
    assert second["guard"] == first["guard"]


class _SaveAfterFirstStep(Callback):
    """A checkpoint from the middle of training, as a kill would leave one."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_batch_end(self, trainer: Trainer, *args: Any) -> None:
        if trainer.global_step == 1:
            trainer.save_checkpoint(self.path, weights_only=False)


def test_a_resumed_fine_tune_judges_against_the_original_model(
    digits_run: Path, tmp_path: Path
) -> None:
    """Resumed half trained, the guard's baseline and the weights a rejection restores must be
    the original model's, not the half-trained one's; and the training goes on as if never
    stopped (same batches, same random draws), so the numbers after it are the same too."""
    ruinous = {"learning_rate": 5.0, "clean_tolerance": 0.0}
    checkpoint = tmp_path / "middle.ckpt"
    whole = fine_tune(digits_run, tmp_path / "a", 2, [_SaveAfterFirstStep(checkpoint)], **ruinous)
    resumed = fine_tune(digits_run, tmp_path / "b", 2, ckpt_path=checkpoint, **ruinous)
    first, second = (
        json.loads((t.run_dir / "mitigation.json").read_text()) for t in (whole, resumed)
    )
    assert second["status"] == first["status"] == "rejected"
    assert {k: second[k] for k in KEYS} == {k: first[k] for k in KEYS}  # before and after
    assert second["training"]["steps"] == first["training"]["steps"] == 4
    original = registry.create("target", "digits_cnn").model.state_dict()
    for name, value in resumed.network.state_dict().items():
        assert torch.equal(value.cpu(), original[name]), name


def test_head_only_training_changes_only_the_head(digits_run: Path, tmp_path: Path) -> None:
    trained: dict[str, torch.Tensor] = {}

    class KeepTrained(Callback):
        """The weights as training left them: Lightning calls callbacks' on_train_end before
        the fine-tuner's, which judges the fix (and puts back the original if it is rejected)."""

        def on_train_end(self, trainer: Any, module: Any) -> None:
            trained.update({k: v.clone() for k, v in module.network.state_dict().items()})

    tuner = fine_tune(
        digits_run,
        tmp_path,
        callbacks=[KeepTrained()],
        train="head",
        learning_rate=0.05,
        clean_tolerance=1,
    )
    original = registry.create("target", "digits_cnn").model.state_dict()
    assert set(trained) == set(original)
    changed = {k for k, v in trained.items() if not torch.equal(v, original[k])}
    assert changed == {"classifier.2.weight", "classifier.2.bias"}
    assert all(p.requires_grad for p in tuner.network.parameters())  # the caller's flags back


@pytest.mark.slow
def test_ffade_fit_runs_the_mitigation_config(digits_run: Path, tmp_path: Path) -> None:
    result = ffade(
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        str(digits_run),
        "--model.init_args.max_finetune_inputs",
        "32",
        "--model.init_args.guard_pairs",
        "128",
        "--trainer.max_epochs",
        "1",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    mitigation = json.loads(
        (tmp_path / "mitigate_digits" / "version_0" / "mitigation.json").read_text()
    )
    assert all(key in mitigation for key in KEYS)


def test_ffade_fit_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        str(tmp_path),
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert errors == [  # the argument named, as for a folder that is not there
        f"ffade: error: model.init_args.run: {tmp_path} holds no summary.json, so it is no run "
        "directory; give the discovery run whose failures to fix"
    ], result.stderr


@pytest.mark.slow  # ten epochs over the whole fine-tuning split
def test_the_digits_fix_meets_its_targets_on_held_out_inputs(
    digits_run: Path, tmp_path: Path
) -> None:
    """configs/mitigate_digits.yaml's settings, on a smaller discovery run: item 6's numbers."""
    config = yaml.safe_load((REPO / "configs" / "mitigate_digits.yaml").read_text())
    args = {k: v for k, v in config["model"]["init_args"].items() if k not in ("run", "feedback")}
    args.update(max_finetune_inputs=None, eval_batch_size=512)  # the whole finetune split
    tuner = fine_tune(digits_run, tmp_path, epochs=config["trainer"]["max_epochs"], **args)
    m = tuner.result
    assert m["accepted"], m["reason"]
    assert m["targeted_failure_rate_after"] <= 0.5 * m["targeted_failure_rate_before"], m
    assert m["clean_accuracy_after"] >= m["clean_accuracy_before"] - 0.01, m
    assert m["untargeted_failure_rate_after"] <= m["untargeted_failure_rate_before"] + 0.02, m


def test_the_base_arguments_are_taken_once_yet_listed_and_saved(digits_run: Path) -> None:
    """The fine-tuner passes the base's arguments through **kwargs: help and hparams keep them."""
    result = ffade_in_process("fit", "--model.help", "ffade.mitigate.ClassifierFineTuner")
    assert result.returncode == 0, result.stderr[-2000:]
    for name in ("run RUN", "clean_tolerance", "guard_pairs", "train", "distill_weight"):
        assert f"--model.{name}" in result.stdout, name
    assert "(required, type: str)" in " ".join(result.stdout.split())  # run
    tuner = ClassifierFineTuner(str(digits_run), train="head", batch_size=8)
    assert tuner.hparams["run"] == str(digits_run)
    assert (tuner.hparams["train"], tuner.hparams["batch_size"]) == ("head", 8)
    assert (tuner.hparams["guard_pairs"], tuner.hparams["distill_weight"]) == (4096, 1.0)
    with pytest.raises(FfadeError, match="schedule 'linear' is not allowed; choose constant or"):
        ClassifierFineTuner(str(digits_run), schedule="linear")


@pytest.mark.parametrize(
    ("key", "value"),
    [("batch_size", 8.5), ("guard_pairs", True), ("eval_batch_size", 64.0)],
)
def test_counts_that_are_not_whole_are_refused_as_the_fine_tuner_is_built(
    digits_run: Path, key: str, value: object
) -> None:
    """batch_size=8.5 from Python built a fine-tuner; the CLI's int refuses it at once."""
    with pytest.raises(FfadeError) as error:
        ClassifierFineTuner(str(digits_run), **{key: value})
    assert str(error.value) == f"model.init_args.{key} must be a whole number from 1, got {value}"


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("clean_tolerance", "1.5", "clean_tolerance must be in [0, 1] (the most accuracy a fix"),
        ("momentum", "-1", "model.init_args.momentum must be in [0, 1], got -1.0"),
        ("momentum", "2", "model.init_args.momentum must be in [0, 1], got 2.0"),
        ("weight_decay", "-1", "model.init_args.weight_decay must be at least 0, got -1.0"),
        ("eval_batch_size", "0", "model.init_args.eval_batch_size must be at least 1, got 0"),
        ("max_finetune_inputs", "0", "model.init_args.max_finetune_inputs must be at least 1"),
        ("distill_weight", "-1", "model.init_args.distill_weight must be at least 0, got -1.0"),
        ("distill_temperature", "0", "model.init_args.distill_temperature must be above 0, got"),
        # a null was Python's "'<=' not supported between instances of 'float' and 'NoneType'"
        (
            "clean_share",
            "null",
            "clean_share must be in [0, 1) (the share of unchanged fine-tuning inputs), got null",
        ),
        ("clean_tolerance", "null", "clean_tolerance must be in [0, 1] (the most accuracy"),
        ("train", "null", "model.init_args.train null is not allowed; choose full or head"),
        ("batch_size", "0", "model.init_args.batch_size must be at least 1, got 0"),
    ],
)
def test_out_of_range_arguments_are_one_line_before_any_run(
    digits_run: Path, tmp_path: Path, capsys, key: str, value: str, said: str
) -> None:
    """torch's SGD raised its own traceback for a negative momentum or weight decay, a zero
    eval_batch_size failed in range(), and max_finetune_inputs 0 was called task.max_inputs."""
    code = main(
        [
            "fit",
            "--config",
            str(REPO / "configs" / "mitigate_digits.yaml"),
            "--model.init_args.run",
            str(digits_run),
            f"--model.init_args.{key}",
            value,
            "--trainer.logger.init_args.save_dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("ffade")]
    assert code == 2 and "Traceback" not in err, err[-2000:]
    assert len(errors) == 1 and said in errors[0], err[-2000:]
    assert not list(tmp_path.glob("**/version_*")), "a refused run left a run folder"


def test_a_fine_tune_has_a_summary_while_it_loads_and_one_when_it_fails(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/mitigation.md: `created` while the model and data load; `failed` after an error."""
    from ffade.mitigate import base

    seen: list[dict] = []

    def building(spec: dict, **options: object) -> None:
        run = tmp_path / "mitigate" / "version_0"
        seen.append(json.loads((run / "summary.json").read_text()))
        raise RuntimeError("planted: the model does not load")

    monkeypatch.setattr(base, "build_task", building)
    with pytest.raises(RuntimeError, match="planted"):
        fine_tune(digits_run, tmp_path)
    assert seen[0]["status"] == "created" and seen[0]["finetuner"] == "classifier"
    summary = json.loads((tmp_path / "mitigate" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["steps"] == 0


def test_a_fine_tune_without_an_end_is_one_line_before_any_run(
    digits_run: Path, tmp_path: Path, capsys
) -> None:
    """Lightning's max_epochs -1 ("no end") made the cosine schedule's length int(inf): a
    traceback; and a fine-tune that never ends never judges its fix."""
    config = str(REPO / "configs" / "mitigate_digits.yaml")
    args = ["fit", "--config", config, "--model.init_args.run", str(digits_run)]
    args += ["--trainer.max_epochs", "-1", "--trainer.logger.init_args.save_dir", str(tmp_path)]
    assert main(args) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "ffade: error: trainer.max_epochs -1 never ends ClassifierFineTuner, whose fix is judged "
        "when training ends; give at least 1, or leave it out"
    )
    assert not list(tmp_path.glob("**/version_*")), "a refused run left a run folder"


def test_a_fix_that_diverged_to_nan_fails_every_pair_not_none(
    digits_run: Path, tmp_path: Path
) -> None:
    """SGD at learning rate 0.5 turns the CNN's logits into NaN; each pair's metric is then NaN,
    which a search leaves out as invalid. The guard counted those pairs as passes, so the broken
    model read 'targeted failure rate 47.8% -> 0.0%'; a NaN answer is no fix."""
    code = main(
        [
            "fit",
            "--config",
            str(REPO / "configs" / "mitigate_digits.yaml"),
            "--model.init_args.run",
            str(digits_run),
            "--model.init_args.learning_rate",
            "0.5",
            "--model.init_args.clean_tolerance",
            "1.0",
            "--model.init_args.guard_pairs",
            "256",
            "--model.init_args.max_finetune_inputs",  # 8 steps diverge as the whole split did
            "256",
            "--trainer.max_epochs",
            "1",
            "--trainer.logger.init_args.save_dir",
            str(tmp_path),
        ]
    )
    (result,) = tmp_path.glob("**/mitigation.json")
    numbers = json.loads(result.read_text())
    assert code == 0 and numbers["targeted_failure_rate_before"] < 1.0
    assert numbers["targeted_failure_rate_after"] == 1.0
    assert numbers["untargeted_failure_rate_after"] == 1.0
    assert numbers["regions"][0]["failure_rate_after"] == 1.0
    assert numbers["clean_accuracy_after"] == 0.0  # NaN's argmax was class 0: 0s read right


def test_a_dataset_of_accepted_class_sets_is_refused_in_one_line(
    digits_run: Path, tmp_path: Path
) -> None:
    """sample_photos' references are sets of accepted classes (a boolean mask per photo), which
    the plugin README keeps for discovery: the fine-tuner refuses them in one line, before any
    work (one photo's 1,000-wide mask was compared as 1,000 labels, then a traceback)."""
    run = run_naming(digits_run, tmp_path, "dataset", "sample_photos")
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["dataset"]["args"] = {"seed": 0}
    # a model over the 1,000 classes: the digits CNN's 10 are refused when the task is built
    summary["task"]["target"] = {"name": "torchvision_classifier", "args": {"model": "resnet18"}}
    del summary["inputs_digest"]  # the digits' inputs: this stands for a run of the photos
    (run / "summary.json").write_text(json.dumps(summary))
    out = tmp_path / "out"
    result = ffade_in_process(
        "fit", "--config", str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run", str(run), "--trainer.max_epochs", "1",
        "--trainer.logger.init_args.save_dir", str(out),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("ffade: error")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "one class index per input" in lines[0] and "'sample_photos'" in lines[0]
    assert not (out / "mitigate_digits").exists()  # refused before a run directory was made


def test_ffade_check_reads_a_fine_tune_moved_after_it_ran(
    digits_run: Path, tmp_path: Path, capsys
) -> None:
    """mitigation.json names model.pt by the path it was saved at: `ffade check --target DIR` of
    a fine-tune moved elsewhere said "weights file '.../model.pt' does not exist" (exit 2)."""
    suite = tmp_path / "suite.yaml"
    assert main(["export", str(digits_run), "--to", str(suite), "--pairs", "16"]) == 0
    tuner = fine_tune(digits_run, tmp_path / "before", clean_tolerance=1)
    moved = Path(tuner.run_dir).rename(tmp_path / "moved fix")
    capsys.readouterr()
    by_dir = main(["check", "--suite", str(suite), "--target", str(moved)])
    checked = capsys.readouterr()
    assert by_dir in (0, 1), checked.err
    by_weights = main(["check", "--suite", str(suite), "--target-arg", f"weights={moved}/model.pt"])
    assert (by_dir, checked.out) == (by_weights, capsys.readouterr().out)


def test_ffade_check_of_a_copied_fine_tune_uses_the_copy_and_never_the_original(
    digits_run: Path, tmp_path: Path
) -> None:
    """A copy of a fine-tune's folder made without its model.pt (or whose model.pt was removed)
    was checked on the model at the path the original saved, in silence: the original's own
    model.pt, trained again since here. mitigation.json now records ``fixed_files`` relative to
    its folder, read against the folder it lies in: the copy is checked on its own model.pt, or
    refused in one line when that is not there. A record without ``fixed_files`` (written
    before it) still reads the file beside it, else the saved path."""
    suite = tmp_path / "suite.yaml"
    assert (
        ffade_in_process("export", str(digits_run), "--to", str(suite), "--pairs", "16").returncode
        == 0
    )
    original = Path(fine_tune(digits_run, tmp_path / "fix", clean_tolerance=1).run_dir)
    record = json.loads((original / "mitigation.json").read_text())
    assert record["fixed_files"] == {"weights": "model.pt"}
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    fixed = ffade_in_process("check", "--suite", str(suite), "--target", str(copy))
    state = torch.load(original / "model.pt")
    torch.save({k: torch.zeros_like(v) for k, v in state.items()}, original / "model.pt")
    copied = ffade_in_process("check", "--suite", str(suite), "--target", str(copy))
    assert copied.returncode in (0, 1), copied.stderr
    assert copied.stdout == fixed.stdout  # the copy's model, not the original's zeros
    (copy / "model.pt").unlink()
    missing = ffade_in_process("check", "--suite", str(suite), "--target", str(copy))
    assert missing.returncode == 2
    assert missing.stderr == (
        f"ffade: error: --target {copy}: the fine-tune's fixed model is not there: no "
        f"{copy / 'model.pt'} beside its mitigation.json (weights of its fixed_target); copy the "
        "fine-tune's folder whole, its model.pt with it\n"
    )
    old = {k: v for k, v in record.items() if k != "fixed_files"}  # a record from before it
    (copy / "mitigation.json").write_text(json.dumps(old))
    shutil.copy(original / "model.pt", copy / "model.pt")
    by_old_record = ffade_in_process("check", "--suite", str(suite), "--target", str(copy))
    zeros = ffade_in_process(
        "check", "--suite", str(suite), "--target-arg", f"weights={copy}/model.pt"
    )
    assert (by_old_record.returncode, by_old_record.stdout) == (zeros.returncode, zeros.stdout)


def test_a_run_and_feedback_given_from_home_as_in_a_config(
    digits_run: Path, tmp_path: Path, monkeypatch
) -> None:
    """`run: ~/runs/...` in a fine-tuner's config was "'~/runs/...' is not a run directory",
    though every plugin path in a config (weights, data roots, models) reads `~` as home."""
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(digits_run, tmp_path / "runs" / "found")
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        "~/runs/found",
        "--model.init_args.feedback",
        "~/runs/found/feedback.yaml",
        "--trainer.max_epochs",
        "1",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "fixes"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(next((tmp_path / "fixes").rglob("mitigation.json")).read_text())
    assert record["feedback"] == str(tmp_path / "runs" / "found" / "feedback.yaml")


def test_a_relative_run_is_recorded_as_an_absolute_path(digits_run: Path, tmp_path: Path) -> None:
    """`--model.init_args.run runs/quickstart/version_0` left that relative path in
    mitigation.json and summary.json, which names no run once read from another directory
    (feedback.yaml records its run absolute for the same reason)."""
    shutil.copytree(digits_run, tmp_path / "runs" / "found")
    result = ffade_in_process(
        "fit",
        "--config",
        str(REPO / "configs" / "mitigate_digits.yaml"),
        "--model.init_args.run",
        "runs/found",
        "--trainer.max_epochs",
        "1",
        "--trainer.logger.init_args.save_dir",
        "fixes",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = tmp_path / "runs" / "found"
    for name in ("mitigation.json", "summary.json"):
        record = json.loads(next((tmp_path / "fixes").rglob(name)).read_text())
        assert record["run"] == str(run.resolve()), name
        assert record["feedback"] == str((run / "feedback.yaml").resolve()), name


@pytest.mark.slow
def test_a_fine_tunes_config_yaml_resumes_from_any_directory(
    digits_run: Path, tmp_path: Path
) -> None:
    """The interrupted line says `ffade fit --config RUN/config.yaml --ckpt_path RUN` with
    absolute paths, but config.yaml kept `run: runs/found` as typed: from any other directory
    the resume stopped at "model.init_args.run: 'runs/found' does not exist"."""
    shutil.copytree(digits_run, tmp_path / "work" / "runs" / "found")
    args = ("--config", str(REPO / "configs" / "mitigate_digits.yaml"), "--trainer.max_epochs")
    result = ffade_in_process(
        "fit",
        *args,
        "1",
        "--model.init_args.run",
        "runs/found",
        "--model.init_args.feedback",
        "runs/found/feedback.yaml",
        "--model.init_args.max_finetune_inputs",
        "32",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "fixes"),
        cwd=tmp_path / "work",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run_dir = tmp_path / "fixes" / "mitigate_digits" / "version_0"
    init = yaml.safe_load((run_dir / "config.yaml").read_text())["model"]["init_args"]
    assert init["run"] == str((tmp_path / "work" / "runs" / "found").resolve())
    assert init["feedback"] == str(
        (tmp_path / "work" / "runs" / "found" / "feedback.yaml").resolve()
    )
    hparams = yaml.safe_load((run_dir / "hparams.yaml").read_text())  # as docs/mitigation.md says
    assert hparams["run"] == init["run"] and hparams["feedback"] == init["feedback"]
    config = str(run_dir / "config.yaml")
    again = ffade_in_process("fit", "--config", config, "--ckpt_path", str(run_dir), cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already finished" in again.stdout + again.stderr


def test_the_summary_records_the_inputs_used_not_a_larger_limit(digits_run, tmp_path) -> None:
    """docs/mitigation.md: summary.json's task.max_inputs is the number of inputs used; with
    max_finetune_inputs above the finetune split's size it recorded the number given."""
    tuner = fine_tune(digits_run, tmp_path, clean_tolerance=1, max_finetune_inputs=100000)
    used = len(tuner.task.dataset.split("finetune"))
    assert read_summary(tuner.run_dir)["task"]["max_inputs"] == used < 100000


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_fine_tune_without_a_progress_bar_draws_no_held_out_check_bar(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--trainer.enable_progress_bar false`` silenced Lightning's bar but a terminal still
    showed the held-out check's, before training and after; it follows the Trainer's now."""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    tuner = fine_tune(  # as every fine-tune test: no progress bar
        digits_run, tmp_path, clean_tolerance=1, max_finetune_inputs=16, guard_pairs=32
    )
    assert tuner.result is not None and "held-out check" not in terminal.getvalue()


class ConceptBreaks(Callback):
    """From the fine-tune's second batch on, its first concept's ``apply_each`` raises: a plugin
    crashing mid fine-tune (its first batch and the measures before training went well)."""

    def on_train_batch_start(self, trainer, tuner, batch, batch_idx: int) -> None:
        if batch_idx == 1:
            concept = tuner.task.space.concepts[0]

            def broken(inputs: Any, values: list) -> Any:
                raise RuntimeError("weights server down")

            concept.apply_each = broken


def test_a_fine_tune_whose_plugin_crashes_says_why_in_its_summary_as_fit_does(
    digits_run: Path, tmp_path: Path
) -> None:
    """docs/mitigation.md: a failed fine-tune's summary.json has ``error``, in one line, as a
    search's (README): the exception's type and message, and the plugin call it came out of."""
    with pytest.raises(RuntimeError, match="weights server down"):
        fine_tune(digits_run, tmp_path, callbacks=[ConceptBreaks()])
    run = tmp_path / "mitigate" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert re.fullmatch(
        r"RuntimeError: weights server down \(raised by concept '\w+': apply_each\(.*\)\)",
        summary["error"],
    ), summary["error"]
    assert summary["steps"] == 1  # it trained, then crashed: no verdict, so no mitigation.json
    assert not (run / "mitigation.json").exists()


def test_float_references_are_named_as_floats_not_as_sets_of_classes(
    accepted: ClassifierFineTuner,
) -> None:
    """A dataset whose split gave each label as a float (1.0, a pandas column) was refused as
    "a set of accepted classes is for discovery", sending its author after a set it never gave;
    the line now says the references are floats and how to give them."""
    with pytest.raises(FfadeError) as refused:
        accepted.clean_correct(torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0.0, 1.0]))
    message = str(refused.value)
    assert (
        "dataset 'digits' gives torch.float32 references such as 0.0, which are no class "
        in message
    )
    assert message.endswith("make its split give each reference as an integer (int(label))")
    assert "set of accepted classes" not in message
