"""The diffusion LoRA fine-tuner on a tiny pipeline built from configs: a real discovery run,
its worst region prioritized, LoRA trained on captioned images, and the saved LoRA loaded back
with diffusers' own ``load_lora_weights``.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from diffusers import DiffusionPipeline
from ffade_diffusion.mitigate import DiffusionLoRAFineTuner
from ffade_diffusion.mitigate.adapters import check_rank, lora_fingerprint
from ffade_diffusion.mitigate.images import SHIPPED_DIGITS, read_class_images
from ffade_diffusion.mitigate.lora import unchanged
from ffade_diffusion.targets.loading import fingerprint
from ffade_diffusion.tiny.digits import DIGIT_WORDS, digit_images
from lightning.pytorch import Trainer
from lightning.pytorch.loggers import TensorBoardLogger
from PIL import Image

from ffade import registry
from ffade.cli import main
from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.feedback.command import feedback_from_file
from ffade.model_arguments import check_model_arguments
from tests.helpers import REPO, ffade, fine_tuned
from tests.plugins.diffusion.mitigate.first_fix import save_first_fix

SMALL = {"guard_pairs": 6, "batch_size": 4, "eval_batch_size": 8, "max_finetune_inputs": 4}


def _task(model: Path, reward: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "target": {
            "name": "diffusers_pipeline",
            "args": {"model": str(model), "num_inference_steps": 2, "cpu_threads": 1},
        },
        "dataset": {
            "name": "digit_prompts",
            "args": {"samples_per_prompt": 2, "fractions": [0.3, 0.4, 0.3]},
        },
        "reward": reward or {"name": "judge", "args": {"classifier": {"name": "digits_cnn"}}},
        "concepts": [{"name": "prompt_slot", "args": {"slot": "style", "values": ["", "thin"]}}],
        "mode": "macroscopic",
        "max_inputs": 3,
    }


def _discover(task: dict[str, Any], root: Path) -> Path:
    explorer = RandomExplorer(task, budget=6, num_envs=6)
    discover(explorer, root, seed=0, name="discover")
    run = Path(explorer.recorder.run_dir)
    feedback = root / "feedback.yaml"
    feedback.write_text("regions:\n  - {rank: 1, priority: high}\ndefault: skip\n")
    feedback_from_file(run, feedback, pictures=lambda r: None, slices="regions")
    return run


@pytest.fixture(scope="module")
def t2i_run(tiny_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _discover(_task(tiny_pipeline), tmp_path_factory.mktemp("t2i_discovery"))


@pytest.fixture(scope="module")
def rated_run(tiny_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A person rated every "thin" digit prompt unusable; every other image passes unrated."""
    root = tmp_path_factory.mktemp("rated_discovery")
    ratings = root / "ratings.jsonl"
    rows = [{"prompt": f"a thin handwritten {w}", "bias": 1, "quality": 1} for w in DIGIT_WORDS]
    ratings.write_text("".join(json.dumps(r) + "\n" for r in rows))
    reward = {
        "name": "human",
        "args": {"ratings_file": str(ratings), "interactive": False, "directory": str(root)},
    }
    return _discover(_task(tiny_pipeline, reward), root)


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("captioned")
    images, labels = digit_images(16)
    for i in range(4):
        array = (images[i].permute(1, 2, 0).numpy() * 255).astype("uint8")
        Image.fromarray(array).save(folder / f"{i}.png")
        (folder / f"{i}.txt").write_text(f"a thin handwritten {DIGIT_WORDS[int(labels[i])]}")
    return folder


def fine_tune(run: Path, root: Path, **args: Any) -> DiffusionLoRAFineTuner:
    def make() -> DiffusionLoRAFineTuner:
        return DiffusionLoRAFineTuner(run=str(run), **{**SMALL, **args})

    return fine_tuned(make, root)


def _mitigate_config(run: Path, root: Path) -> Path:
    """A one-epoch LoRA fine-tune of ``run`` as a config file, for ``main(["fit", ...])``."""
    config = root / "mitigate.yaml"
    model = {
        "class_path": "ffade_diffusion.mitigate.DiffusionLoRAFineTuner",
        "init_args": {"run": str(run), **SMALL},
    }
    trainer = {"max_epochs": 1, "default_root_dir": str(root)}
    config.write_text(yaml.safe_dump({"model": model, "trainer": trainer}))
    return config


@pytest.mark.slow
def test_lora_fix_is_guarded_saved_and_loads_back(
    t2i_run: Path, captioned: Path, tiny_pipeline: Path, tmp_path: Path
) -> None:
    tuner = fine_tune(
        t2i_run,
        tmp_path,
        image_folder=str(captioned),
        rank=2,
        learning_rate=1e-2,
        clean_tolerance=1.0,
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    for when in ("before", "after"):
        assert 0 <= result[f"targeted_failure_rate_{when}"] <= 1
        assert result[f"clean_score_{when}"] == result[f"clean_accuracy_{when}"]
        assert f"untargeted_failure_rate_{when}" in result
    assert result["training"]["finetuner"] == "diffusion_lora"
    before, after = result["targeted_failure_rate_before"], result["targeted_failure_rate_after"]
    assert result["accepted"] is (after < before)  # clean_tolerance 1: kept if it fixed anything
    assert result["clean_metric"] in ("judge accuracy", "mean CLIP cosine")
    modules = ["to_q", "to_k", "to_v", "to_out.0"]  # alpha null: the rank, as peft was given
    assert result["lora"] == {"rank": 2, "alpha": 2, "target_modules": modules}
    # the saved fix: an accepted one's, else saved here as acceptance would have saved it (a
    # LoRA this small on 6 evaluations may lower no targeted rate, and the guard rejects it)
    fixed = (
        result["fixed_target"]
        if result["accepted"]
        else tuner._fixed_target(tuner.keep_or_undo(True))
    )
    assert fixed["name"] == "diffusers_pipeline" and fixed["args"]["model"] == str(tiny_pipeline)
    lora = Path(fixed["args"]["lora_weights"])
    assert (lora / "pytorch_lora_weights.safetensors").is_file()
    # diffusers loads it unchanged, and it changes what the pipeline draws
    pipeline = DiffusionPipeline.from_pretrained(str(tiny_pipeline))
    pipeline.set_progress_bar_config(disable=True)
    before = pipeline(
        "a thin handwritten seven",
        num_inference_steps=2,
        output_type="pt",
        generator=torch.Generator().manual_seed(0),
    ).images
    pipeline.load_lora_weights(str(lora))
    after = pipeline(
        "a thin handwritten seven",
        num_inference_steps=2,
        output_type="pt",
        generator=torch.Generator().manual_seed(0),
    ).images
    assert not torch.allclose(before, after)
    notices = ListHandler()
    logging.getLogger("diffusers").addHandler(notices)
    try:  # the fixed target by name, without diffusers' notice that the text encoder has none
        target = registry.create("target", fixed["name"], fixed["args"])
    finally:
        logging.getLogger("diffusers").removeHandler(notices)
    assert target.pipeline.get_active_adapters()
    # the guard keyed the trained LoRA's images as the fixed target keys them: one LoRA, one
    # key, so a rediscovery's ``human`` reward is not asked again about images the guard rated
    assert target.fingerprint == tuner.target.fingerprint
    assert not [m for m in notices.messages if m.startswith("No LoRA keys associated")]


@pytest.mark.gpu
def test_lora_fix_runs_with_the_pipeline_on_cuda(
    tiny_pipeline: Path, captioned: Path, tmp_path: Path
) -> None:
    task = _task(tiny_pipeline)
    task["target"]["args"] = {
        "model": str(tiny_pipeline),
        "num_inference_steps": 2,
        "device": "cuda",
    }
    (tmp_path / "discovery").mkdir()
    run = _discover(task, tmp_path / "discovery")
    tuner = fine_tune(
        run, tmp_path, image_folder=str(captioned), rank=2, learning_rate=1e-2, clean_tolerance=1.0
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    before, after = result["targeted_failure_rate_before"], result["targeted_failure_rate_after"]
    assert result["accepted"] is (after < before), result
    fixed = (
        result["fixed_target"]
        if result["accepted"]
        else tuner._fixed_target(tuner.keep_or_undo(True))
    )
    assert fixed["args"]["device"] == "cuda"
    lora = Path(fixed["args"]["lora_weights"])
    assert (lora / "pytorch_lora_weights.safetensors").is_file()


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def by_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two of the shipped real digits of each class, in class_images' layout (0/, 1/, ...)."""
    root = tmp_path_factory.mktemp("by_class")
    for digit in range(10):
        (root / str(digit)).mkdir()
        for name in ("00.png", "01.png"):
            shutil.copy(SHIPPED_DIGITS / str(digit) / name, root / str(digit) / name)
    return root


@pytest.mark.slow
@pytest.mark.slow
def test_a_clip_score_fix_is_judged_in_cosine_not_accuracy_points(
    tiny_pipeline: Path, tiny_clip: Path, captioned: Path, tmp_path: Path
) -> None:
    """With clip_score the clean score is a mean cosine and clean_tolerance is in cosine: the
    verdict said "clean accuracy changed by +0.05 points, within the tolerance of 2.00" for a
    tolerance of 0.02."""
    reward = {"name": "clip_score", "args": {"model": str(tiny_clip), "threshold": 0.9}}
    run = _discover(_task(tiny_pipeline, reward), tmp_path / "discovery")
    tuner = fine_tune(run, tmp_path, image_folder=str(captioned), rank=2, clean_tolerance=0.02)
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["clean_metric"] == "mean CLIP cosine"
    change = result["clean_accuracy_after"] - result["clean_accuracy_before"]
    kept = tuner.keeps_clean_accuracy()
    clean_side = tuner.reason(kept)  # the reason, unless clean was kept and nothing was fixed
    assert result["reason"] == clean_side or (
        kept and result["reason"].startswith("targeted failure rate did not drop")
    )
    assert clean_side.startswith(
        f"mean CLIP cosine on clean prompts {'changed by' if kept else 'fell'}"
    )
    assert "tolerance of 0.0200" in clean_side and "points" not in clean_side
    assert f"{abs(change):.4f}" in clean_side


def test_drawn_images_are_accepted_samples_of_the_unchanged_prompt(
    rated_run: Path, tmp_path: Path
) -> None:
    tuner = fine_tune(rated_run, tmp_path, rank=2, tries=2, clean_tolerance=1.0)
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["targeted_failure_rate_before"] == 1.0  # every "thin" prompt was rated bad
    # drawn once per input, from the prompt with nothing changed (which the rater let pass)
    assert tuner._accepted and all("thin" not in key for key in tuner._accepted)
    drawn = [image for image in tuner._accepted.values() if image is not None]
    assert drawn and all(image.shape == (3, 16, 16) for image in drawn)
    assert result["training"]["steps"] >= 1
    # a fix is kept only where it lowered the targeted rate (docs/mitigation.md, the guard)
    assert result["accepted"] is (result["targeted_failure_rate_after"] < 1.0)
    # a prompt the reward never accepts takes every try; none of them may be the noise of a
    # searched or held-out input, even with more than 10,000 samples a prompt (an input is a
    # (prompt, sample) pair: the same pair draws the same image)
    many = registry.create(
        "dataset",
        "prompts",
        {"prompts": ["a thin handwritten seven"], "samples_per_prompt": 30_001},
    )
    apart = {p.sample for split in ("discovery", "heldout") for p, _ in many.split(split)}
    samples: list[int] = []
    predict = tuner.target.predict
    tuner.target.predict = lambda prompts: (
        samples.extend(p.sample for p in prompts) or predict(prompts)
    )
    tuner.hparams.tries = 4
    base = next(p for p, _ in many.split("finetune") if p.sample + 10_000 in apart)
    tuner._draw([base], [None])
    assert len(samples) == 4 and samples[0] == base.sample and len(set(samples)) == 4
    assert not set(samples[1:]) & apart


@pytest.mark.slow
def test_class_images_teach_each_prompt_its_class(
    t2i_run: Path, by_class: Path, tmp_path: Path
) -> None:
    tuner = fine_tune(t2i_run, tmp_path, rank=2, class_images=str(by_class), clean_tolerance=1.0)
    assert not tuner._accepted  # nothing drawn from the model
    # the guard after training keys its images apart from the ones before (cached ratings)
    assert tuner.target.fingerprint == lora_fingerprint(tuner.target, tuner.network)
    assert tuner.target.fingerprint != fingerprint(**tuner.target.image_settings)  # no LoRA
    assert sorted(tuner._classes) == list(range(10))
    seven = tuner.class_image(7)
    assert any(torch.equal(seven, image) for image in tuner._classes[7])
    assert tuner.class_image(None) is None and tuner.class_image(42) is None
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    assert result["training"]["steps"] >= 1
    before, after = result["targeted_failure_rate_before"], result["targeted_failure_rate_after"]
    assert result["accepted"] is (after < before)  # clean_tolerance 1: kept if it fixed anything


def _without_lora(tuner: DiffusionLoRAFineTuner) -> None:
    for name, weight in tuner.network.named_parameters():
        if "lora_B" in name:  # the LoRA's update is B @ A: B = 0 changes nothing
            weight.data.zero_()


@pytest.mark.slow
def test_kept_pairs_learn_the_frozen_unets_prediction(
    rated_run: Path, by_class: Path, tmp_path: Path
) -> None:
    """keep_others: pairs outside the rules are taught what the UNet predicted before the LoRA."""
    args = {"rank": 2, "class_images": str(by_class), "clean_tolerance": 1.0}
    tuner = fine_tune(rated_run, tmp_path, **args)  # the rule: style = thin; "" lies outside
    claimed = tuner._claimed  # the rule's states
    assert claimed.count() == 1 and claimed.contains(np.array([[1]])).all()
    assert {tuple(s) for s in tuner.other_states(20)} == {(0,)}
    neutral = np.tile(tuner.task.space.neutral, (4, 1))
    kept = tuner.make_batch(np.arange(4), neutral)
    assert bool(kept.clean.all())
    tuner.network.enable_adapters()  # a rejected fix switched them off; its training is kept
    trained, _ = tuner.training_loss(kept)
    assert trained > 0  # the trained LoRA moved the UNet's predictions
    _without_lora(tuner)
    unchanged, _ = tuner.training_loss(kept)
    assert unchanged == 0  # a LoRA that changes nothing has nothing to learn on them
    taught = fine_tune(rated_run, tmp_path, keep_others=False, **args)
    _without_lora(taught)  # without keep_others they are taught the class images, as before
    loss, _ = taught.training_loss(taught.make_batch(np.arange(4), neutral))
    assert loss > 0


@pytest.mark.slow
def test_teach_unchanged_targets_the_frozen_unet_on_the_unchanged_prompt(
    rated_run: Path, by_class: Path, tmp_path: Path
) -> None:
    """teach_unchanged 1: a failing pair is taught what the UNet predicted, before the LoRA, for
    its prompt with nothing changed; so with a LoRA that changes nothing, a failing pair whose
    text is its unchanged prompt's has nothing to learn, and one that says "thin" has."""
    args = {"rank": 2, "class_images": str(by_class), "clean_tolerance": 1.0}
    tuner = fine_tune(rated_run, tmp_path, teach_unchanged=1.0, caption_dropout=0.0, **args)
    _without_lora(tuner)
    thin = tuner.make_batch(np.arange(4), np.ones((4, 1), dtype=np.int64))
    assert not bool(thin.clean.any()) and all("thin" in p.text for p in thin.inputs)
    plain = replace(thin, inputs=[unchanged(p) for p in thin.inputs])
    assert tuner.training_loss(thin)[0] > 0  # the word moves the UNet's prediction
    assert tuner.training_loss(plain)[0] == 0
    images = fine_tune(rated_run, tmp_path, caption_dropout=0.0, **args)  # teach_unchanged 0
    _without_lora(images)
    assert images.training_loss(plain)[0] > 0  # taught the class image's noise instead


@pytest.mark.slow
def test_keep_others_says_when_every_state_is_targeted(
    t2i_run: Path, by_class: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tuner = fine_tune(t2i_run, tmp_path, rank=2, class_images=str(by_class), clean_tolerance=1.0)
    assert tuner._claimed.count() == tuner.task.space.num_states == 2  # the rule holds both
    assert "ffade: note: keep_others: every grid state is in a prioritized rule" in (
        capsys.readouterr().err
    )


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(FfadeError, match="rank must be at least 1, got 0"):
        DiffusionLoRAFineTuner(run=str(tmp_path), rank=0)
    with pytest.raises(
        FfadeError, match=r"^model\.init_args\.tries must be a whole number from 1, got 1\.5$"
    ):
        DiffusionLoRAFineTuner(run=str(tmp_path), tries=1.5)
    with pytest.raises(FfadeError, match=r"image_folder and class_images .* give one of them"):
        DiffusionLoRAFineTuner(run=str(tmp_path), image_folder="a", class_images="b")
    with pytest.raises(FfadeError, match=r"caption_dropout must be in \[0, 1\)"):
        DiffusionLoRAFineTuner(run=str(tmp_path), caption_dropout=1.0)
    with pytest.raises(FfadeError, match="alpha must be above 0, got -1"):
        DiffusionLoRAFineTuner(run=str(tmp_path), alpha=-1)
    with pytest.raises(FfadeError, match=r"teach_unchanged must be in \[0, 1\], got 2"):
        DiffusionLoRAFineTuner(run=str(tmp_path), teach_unchanged=2)
    # a null reached `<=` as Python's TypeError; keep_others null passed as false
    with pytest.raises(FfadeError, match=r"caption_dropout must be in \[0, 1\) .*, got null"):
        DiffusionLoRAFineTuner(run=str(tmp_path), caption_dropout=None)
    with pytest.raises(
        FfadeError, match=r"^model\.init_args\.keep_others must be true or false, got null$"
    ):
        DiffusionLoRAFineTuner(run=str(tmp_path), keep_others=None)
    # the core's wording, "the share of unchanged fine-tuning inputs", is keep_others false's
    with pytest.raises(
        FfadeError,
        match=r"clean_share must be in \[0, 1\) \(the share of each batch's pairs kept "
        r"as they were: other grid states, .*\(keep_others\)\), got 1\.5$",
    ):
        DiffusionLoRAFineTuner(run=str(tmp_path), clean_share=1.5)
    with pytest.raises(FfadeError, match=r"\(the share of unchanged fine-tuning inputs\), got 1"):
        DiffusionLoRAFineTuner(run=str(tmp_path), clean_share=1, keep_others=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FfadeError, match=r"class_images .* has no class subfolders"):
        read_class_images(tmp_path / "empty", (16, 16))
    with pytest.raises(FfadeError, match=r"class_images .*missing' does not exist; or a bundled"):
        read_class_images(tmp_path / "missing", (16, 16))


def test_a_wrong_image_folder_is_refused_when_the_fine_tuner_is_built(tmp_path: Path) -> None:
    """Found only when training set up, a mistyped folder stopped ``ffade loop`` after its
    discovery stage; the constructor refuses it, before the run to fix is even read."""
    (tmp_path / "data").mkdir()  # class_images one level too high: no 0/, 1/, ... in it
    (tmp_path / "data" / "digits").mkdir()
    cases = [
        ({"class_images": str(tmp_path / "digit")}, r"class_images .*digit' does not exist; or"),
        ({"class_images": str(tmp_path / "data")}, "class_images .* has no class subfolders"),
        ({"image_folder": str(tmp_path / "data")}, "image_folder .* has no captioned images"),
    ]
    for folder, message in cases:
        with pytest.raises(FfadeError, match=message):
            DiffusionLoRAFineTuner(run=str(tmp_path / "no_run"), **folder)


def test_a_missing_relative_folder_names_the_directory_it_was_read_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said as every other plugin data path is (``does not exist (read as /abs/path)``, what
    :func:`ffade.plugin_api.missing_file` writes); it said "is not a directory (read from the
    current directory, CWD)", and a file where the folder belongs said the same."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a folder")
    cases = [
        (
            {"class_images": "data/digits"},
            "model.init_args.class_images 'data/digits' does not exist "
            f"(read as {tmp_path / 'data' / 'digits'}); or a bundled name: digits",
        ),
        (
            {"image_folder": "pics"},
            f"model.init_args.image_folder 'pics' does not exist (read as {tmp_path / 'pics'})",
        ),
        (
            {"class_images": "notes.txt"},
            "model.init_args.class_images 'notes.txt' is not a directory; "
            "or a bundled name: digits",
        ),
    ]
    for folder, message in cases:
        with pytest.raises(FfadeError) as error:
            DiffusionLoRAFineTuner(run="no_run", **folder)
        assert str(error.value) == message


def test_the_t2i_mitigate_config_s_class_images_are_found_from_any_directory(
    t2i_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """configs/t2i_mitigate.yaml named the shipped digits by their path in the repository, so
    it (and ``ffade loop --config configs/loop_t2i.yaml``) was refused outside the repository's
    root; ``class_images: digits`` names them from anywhere."""
    config = yaml.safe_load((REPO / "configs" / "t2i_mitigate.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    check_model_arguments(config["model"])  # what ffade loop checks before its first stage
    given = config["model"]["init_args"]["class_images"]
    tuner = DiffusionLoRAFineTuner(run=str(t2i_run), class_images=given)
    assert tuner.hparams.class_images == str(
        SHIPPED_DIGITS.resolve()
    )  # config.yaml: the folder read
    assert tuner.hparams_initial.class_images == str(SHIPPED_DIGITS.resolve())


def test_a_bundled_class_images_name_from_a_config_is_the_shipped_folder(
    t2i_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ffade fit`` (LightningCLI) hands the module the config's values as its hyperparameters,
    not the constructor's: ``digits`` became ``./digits`` and the fine-tune stopped at setup."""
    from lightning.pytorch.core.mixins.hparams_mixin import _given_hyperparameters_context

    monkeypatch.chdir(tmp_path)
    given = {"run": str(t2i_run), "class_images": "digits"}
    with _given_hyperparameters_context(given, "lightning.pytorch.cli.instantiate_module"):
        tuner = DiffusionLoRAFineTuner(**given)  # as LightningCLI builds it
    assert tuner.hparams.class_images == str(SHIPPED_DIGITS.resolve())
    assert tuner.hparams_initial.class_images == str(SHIPPED_DIGITS.resolve())


def test_a_class_images_path_is_read_as_a_path(
    t2i_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the bare bundled name means the shipped folder; ``./digits`` is the user's own."""
    (tmp_path / "digits" / "3").mkdir(parents=True)
    shutil.copy(next((SHIPPED_DIGITS / "3").iterdir()), tmp_path / "digits" / "3")
    monkeypatch.chdir(tmp_path)
    tuner = DiffusionLoRAFineTuner(run=str(t2i_run), class_images="./digits")
    assert tuner.hparams.class_images == str(tmp_path.resolve() / "digits")
    tuner = DiffusionLoRAFineTuner(run=str(t2i_run), class_images="digits")
    assert tuner.hparams.class_images == str(SHIPPED_DIGITS.resolve())


def test_a_wrong_class_images_folder_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys
) -> None:
    config = yaml.safe_load((REPO / "configs" / "t2i_mitigate.yaml").read_text())
    too_high = REPO / "plugins" / "diffusion" / "ffade_diffusion" / "data"  # digits/ is in it
    config["model"]["init_args"]["class_images"] = str(too_high)
    mitigate = tmp_path / "mitigate.yaml"
    mitigate.write_text(yaml.safe_dump(config))
    loop = tmp_path / "loop.yaml"
    stages = {"discover": "t2i_quickstart.yaml", "feedback": "feedback_t2i.yaml"}
    stages = {key: str(REPO / "configs" / name) for key, name in stages.items()}
    out = {"mitigate": str(mitigate), "out": str(tmp_path / "loops")}
    loop.write_text(yaml.safe_dump({**stages, **out}))
    assert main(["loop", "--config", str(loop)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("ffade: error: "), line
    assert f"class_images {str(too_high)!r} has no class subfolders" in line
    assert not (tmp_path / "loops").exists()


def test_shipped_class_images_are_twenty_real_digits_a_class() -> None:
    classes = read_class_images(SHIPPED_DIGITS, (16, 16))
    assert sorted(classes) == list(range(10))
    assert all(images.shape == (20, 3, 16, 16) for images in classes.values())
    assert all(images.min() >= 0 and images.max() <= 1 for images in classes.values())


def test_a_classifier_run_is_refused_in_one_line_naming_its_target(tmp_path: Path) -> None:
    """It said only what the fine-tuner needs, not what the run searched nor which fine-tuner
    takes it, as the seq2seq fine-tuner's line does."""
    from tests.mitigate.conftest import digits_run_with_feedback

    run = digits_run_with_feedback(tmp_path)
    with pytest.raises(FfadeError) as error:
        fine_tune(run, tmp_path)
    message = str(error.value)
    # the kinds both declare refuse it as the fine-tune sets up (ffade.mitigate.contract)
    assert message == (
        "model.init_args.run: DiffusionLoRAFineTuner fixes targets that return generated images, "
        f"but the run '{run}' searched target 'digits_cnn', which returns a classifier's class "
        "scores: give model.class_path: ffade.mitigate.ClassifierFineTuner; to write a "
        "fine-tuner, see docs/plugins.md, Your own fine-tuner"
    )


def test_training_image_folders_are_recorded_as_absolute_paths(
    t2i_run: Path, captioned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config.yaml reruns a fine-tune from any directory: class_images and image_folder were
    recorded as given (configs/t2i_mitigate.yaml's, relative to the repository), unlike run."""
    monkeypatch.chdir(SHIPPED_DIGITS.parent)
    tuner = DiffusionLoRAFineTuner(run=str(t2i_run), class_images=f"./{SHIPPED_DIGITS.name}")
    assert tuner.hparams.class_images == str(SHIPPED_DIGITS.resolve())
    assert tuner.hparams_initial.class_images == str(SHIPPED_DIGITS.resolve())  # hparams.yaml
    monkeypatch.chdir(captioned.parent)
    tuner = DiffusionLoRAFineTuner(run=str(t2i_run), image_folder=captioned.name)
    assert tuner.hparams.image_folder == str(captioned.resolve())


def test_a_text_to_image_run_sent_to_the_classifier_fine_tuner_names_this_one(
    t2i_run: Path, tmp_path: Path
) -> None:
    """The classifier fine-tuner's line named only the summarizers' fine-tuner as the one to use,
    for a text-to-image run too."""
    from ffade.mitigate import ClassifierFineTuner

    tuner = ClassifierFineTuner(run=str(t2i_run), guard_pairs=8, max_finetune_inputs=4)
    trainer = Trainer(
        max_epochs=1,
        logger=TensorBoardLogger(str(tmp_path), name="mitigate"),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with pytest.raises(FfadeError) as error:
        trainer.fit(tuner)
    message = str(error.value)
    assert message.startswith(
        "model.init_args.run: ClassifierFineTuner fixes targets that return a classifier's class "
        "scores, but the run '"
    )
    assert "searched target 'diffusers_pipeline', which returns generated images: " in message
    assert "give model.class_path: ffade_diffusion.mitigate.DiffusionLoRAFineTuner;" in message


def test_a_rank_above_the_attentions_full_rank_is_one_line(
    t2i_run: Path, tiny_pipeline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rank: 100000 (a typo, or a guess) built adapters of that rank on every attention
    projection: gigabytes, and minutes an epoch, for an update no deeper than min(in, out)."""
    unet = DiffusionPipeline.from_pretrained(tiny_pipeline).unet
    widest = max(
        min(module.in_features, module.out_features)
        for name, module in unet.named_modules()
        if isinstance(module, torch.nn.Linear)
        and name.endswith(("to_q", "to_k", "to_v", "to_out.0"))
    )
    config = _mitigate_config(t2i_run, tmp_path)
    assert main(["fit", "--config", str(config), "--model.init_args.rank", "100000"]) == 2
    err = capsys.readouterr().err  # beside the pipeline's own loading bars
    (line,) = [line for line in err.splitlines() if line.startswith("ffade:")]
    assert "Traceback" not in err
    assert line == (
        f"ffade: error: model.init_args.rank 100000 is above {widest}, the full rank of the "
        "UNet's widest attention projection (to_q, to_k, to_v, to_out.0): a larger rank cannot "
        f"change the update; choose 1 to {widest} (the paper used 4)"
    )
    check_rank(unet, widest)  # the full rank itself is allowed


def test_a_run_on_a_target_with_a_lora_already_loaded_is_refused_in_one_line(
    tiny_pipeline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fixing a rediscovery run (its target loads the first fix's ``lora_weights``) added a new
    adapter, which diffusers makes the only active one: the guard's "before" measured the model
    without the first fix, and ``fixed_target`` named only the new LoRA, silently dropping it."""
    first = save_first_fix(tiny_pipeline, tmp_path / "first_fix")
    task = _task(tiny_pipeline)
    task["target"]["args"]["lora_weights"] = str(first)
    run = _discover(task, tmp_path)
    config = _mitigate_config(run, tmp_path)
    assert main(["fit", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("ffade:")]
    assert "Traceback" not in err
    assert line == (
        f"ffade: error: model.init_args.run: run '{run}' searched target 'diffusers_pipeline' "
        f"with a LoRA already loaded (lora_weights '{first}'); a new LoRA would replace it and "
        "drop that fix: fine-tune the run that searched the target without lora_weights, "
        "prioritizing every rule to fix"
    )
    assert not list(tmp_path.rglob("pytorch_lora_weights.safetensors"))[1:]  # only the first


@pytest.mark.slow
def test_alpha_keeps_the_type_it_was_given() -> None:
    """`alpha: float` turned 8 into 8.0 (config.yaml, mitigation.json's `lora`) and an error
    line's `alpha 0` into `got 0.0`: the number is kept as typed. Run as typed: in pytest's own
    process jsonargparse gave 8.0 even with the fix (cause not found)."""
    config = str(REPO / "configs" / "t2i_mitigate.yaml")
    shown = ffade("fit", "--config", config, "--model.init_args.alpha", "8", "--print_config")
    assert shown.returncode == 0, shown.stderr
    init_args = yaml.safe_load(shown.stdout)["model"]["init_args"]
    assert init_args["alpha"] == 8 and isinstance(init_args["alpha"], int)


@pytest.mark.slow  # a fine-tune and its guard: about 15 s of a busy CPU
def test_the_saved_lora_draws_in_plain_diffusers_what_the_fixed_target_draws(
    t2i_run: Path, captioned: Path, tiny_pipeline: Path, tmp_path: Path
) -> None:
    """The README's recipe for using a fix outside ffade: ``load_lora_weights`` on the saved
    folder, then the pipeline with the same starting noise gives the fixed target's image. An
    ``alpha`` other than the rank checks that the scale travels with the file."""
    from ffade_diffusion.prompts import Prompt

    tuner = fine_tune(
        t2i_run, tmp_path, image_folder=str(captioned), rank=2, alpha=8, learning_rate=5e-2
    )
    result = json.loads((tuner.run_dir / "mitigation.json").read_text())
    fixed = (  # as acceptance saves it: a LoRA this small may not pass the guard
        result["fixed_target"]
        if result["accepted"]
        else tuner._fixed_target(tuner.keep_or_undo(True))
    )
    lora = Path(fixed["args"]["lora_weights"])
    assert lora == tuner.run_dir / "lora"
    target = registry.create("target", fixed["name"], fixed["args"])
    prompt = Prompt("a {style} handwritten seven").with_slot("style", "thin")
    drawn = target.render([prompt])

    pipeline = DiffusionPipeline.from_pretrained(str(tiny_pipeline))
    pipeline.set_progress_bar_config(disable=True)
    plain = pipeline(
        prompt.text, num_inference_steps=2, latents=target.latents([prompt]), output_type="pt"
    ).images
    assert not torch.allclose(plain, drawn, atol=1e-4)  # the LoRA changes the image
    pipeline.load_lora_weights(str(lora))
    again = pipeline(
        prompt.text, num_inference_steps=2, latents=target.latents([prompt]), output_type="pt"
    ).images
    torch.testing.assert_close(again, drawn, atol=1e-5, rtol=0)


@pytest.mark.slow  # a fine-tune and its guard
def test_a_judge_fix_s_why_line_names_judge_accuracy_as_its_record_does(
    t2i_run: Path, captioned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mitigation.json said clean_metric "judge accuracy" and the fix line "clean judge accuracy
    ..." but the closing line "why: clean accuracy changed by ...": the class kept the base's
    "accuracy". The why: line names the metric the record names."""
    config = _mitigate_config(t2i_run, tmp_path)
    extra = ["--model.init_args.image_folder", str(captioned), "--model.init_args.rank", "2"]
    extra += ["--model.init_args.learning_rate", "10", "--model.init_args.clean_tolerance", "0"]
    assert main(["fit", "--config", str(config), *extra]) == 0
    (record,) = tmp_path.rglob("mitigation.json")
    result = json.loads(record.read_text())
    assert result["clean_metric"] == "judge accuracy"
    reason = result["reason"]
    out = capsys.readouterr().out
    (why,) = [line for line in out.splitlines() if line.startswith("why: ")]
    assert why == f"why: {reason}"
    assert reason.startswith("clean judge accuracy "), reason
